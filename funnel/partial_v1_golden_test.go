package funnel

import (
	"os"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// v1GoldenTrend and v1GoldenStickiness are the analyses and events whose version 1
// partials are committed in testdata/partials (see its README): what
// TestReadsVersion1TrendStickiness decodes.
func v1GoldenTrend() (Trend, []Event) {
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	tr := Trend{Spec: Spec{Steps: named("visit", "buy"), Window: time.Hour}, By: Day}
	return tr, []Event{
		{Profile: 1, Time: t0, Name: "visit"},
		{Profile: 1, Time: t0.Add(10 * time.Minute), Name: "buy"},
		{Profile: 2, Time: t0.Add(20 * time.Minute), Name: "visit"},
		{Profile: 3, Time: t0.Add(26 * time.Hour), Name: "visit"},
		{Profile: 3, Time: t0.Add(26*time.Hour + 5*time.Minute), Name: "buy"},
		{Profile: 4, Time: t0.Add(50 * time.Minute), Name: "other"},
	}
}

func v1GoldenStickiness() (Stickiness, []Event) {
	d := func(n int) time.Time { return time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC).AddDate(0, 0, n) }
	sk := Stickiness{Event: Step{Name: "use"}, By: Week, Breakdown: "plan"}
	pro := map[string]string{"plan": "pro"}
	return sk, []Event{
		{Profile: 1, Time: d(0), Name: "use", Props: pro}, {Profile: 1, Time: d(1), Name: "use"},
		{Profile: 1, Time: d(9), Name: "use"}, {Profile: 2, Time: d(3), Name: "use"},
		{Profile: 3, Time: d(20), Name: "other"},
	}
}

// readV1 returns a committed version 1 partial.
func readV1(t *testing.T, name string) []byte {
	t.Helper()
	raw, err := os.ReadFile("testdata/partials/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// The version 1 partials of Trend and Stickiness, as the package wrote them before
// version 2 (testdata/partials), decode to the result of one pass over their events.
func TestReadsVersion1TrendStickiness(t *testing.T) {
	tr, tev := v1GoldenTrend()
	want, err := tr.Run(tev)
	if err != nil {
		t.Fatal(err)
	}
	tp, _ := tr.NewPartial()
	if err := tp.UnmarshalBinary(readV1(t, "trend_v1.bin")); err != nil {
		t.Fatalf("trend version 1: %v", err)
	}
	if diff := cmp.Diff(want, result(tp), locEqual); diff != "" {
		t.Errorf("trend version 1 decodes to another result (-one pass +decoded):\n%s", diff)
	}

	sk, sev := v1GoldenStickiness()
	swant, err := sk.Run(sev)
	if err != nil {
		t.Fatal(err)
	}
	sp, _ := sk.NewPartial()
	if err := sp.UnmarshalBinary(readV1(t, "stickiness_v1.bin")); err != nil {
		t.Fatalf("stickiness version 1: %v", err)
	}
	if diff := cmp.Diff(swant, result(sp), locEqual); diff != "" {
		t.Errorf("stickiness version 1 decodes to another result (-one pass +decoded):\n%s", diff)
	}
}
