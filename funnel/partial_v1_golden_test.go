package funnel

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"strings"
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
// version 2 (testdata/partials), decode to the result of one pass over their events;
// the package's writer of version 1 (the fuzz targets' seeds) makes the same bytes.
// Such a partial knows none of the profiles it counted (see countedVersion), so it
// merges as version 1 did: a second time without an error, its counts added again,
// and beside a version 2 partial of the same profiles. Re-encoded, it is version 2
// with an empty set, and decodes to the same result.
func TestReadsVersion1TrendStickiness(t *testing.T) {
	tr, tev := v1GoldenTrend()
	sk, sev := v1GoldenStickiness()
	t.Run("trend", func(t *testing.T) {
		checkVersion1(t, readV1(t, "trend_v1.bin"), tr.NewPartial, tr.Partial, tev,
			func(p *Partial[*TrendResult]) ([]byte, error) { return p.st.(*trendPartial).marshal(1) },
			func(p *Partial[*TrendResult]) string { return fmt.Sprint(result(p).Periods) })
	})
	t.Run("stickiness", func(t *testing.T) {
		checkVersion1(t, readV1(t, "stickiness_v1.bin"), sk.NewPartial, sk.Partial, sev,
			func(p *Partial[*StickinessResult]) ([]byte, error) { return p.st.(*stickinessPartial).marshal(1) },
			func(p *Partial[*StickinessResult]) string { return stickySummary(result(p)) })
	})
}

// checkVersion1 holds v1, a version 1 partial of the analysis whose NewPartial and
// Partial these are over events, to what TestReadsVersion1TrendStickiness says;
// summary is what a partial counts.
func checkVersion1[R any](t *testing.T, v1 []byte, newPartial func() (*Partial[R], error),
	partial func([]Event) (*Partial[R], error), events []Event,
	marshalV1 func(*Partial[R]) ([]byte, error), summary func(*Partial[R]) string) {
	decode := func(data []byte) *Partial[R] {
		t.Helper()
		p, _ := newPartial()
		if err := p.UnmarshalBinary(data); err != nil {
			t.Fatalf("decode: %v", err)
		}
		return p
	}
	one, err := partial(events)
	if err != nil {
		t.Fatal(err)
	}
	want := result(one)
	old := decode(v1)
	if diff := cmp.Diff(want, result(old), locEqual); diff != "" {
		t.Errorf("version 1 decodes to another result (-one pass +decoded):\n%s", diff)
	}
	if again, err := marshalV1(one); err != nil || !bytes.Equal(again, v1) {
		t.Errorf("the writer of version 1 makes other bytes (%v):\n% x\nwant\n% x", err, again, v1)
	}

	// A version 1 partial merges as before, its profiles unknown: twice, and beside a
	// version 2 partial of the same profiles.
	twice, _ := newPartial()
	for range 2 {
		if err := twice.Merge(decode(v1)); err != nil {
			t.Errorf("version 1 partial merged again: %v, want no error (merged as version 1 did)", err)
		}
	}
	doubled, _ := newPartial()
	for _, p := range []*Partial[R]{one, old} {
		if err := doubled.Merge(p); err != nil {
			t.Fatal(err)
		}
	}
	if summary(twice) != summary(doubled) || summary(twice) == summary(one) {
		t.Errorf("version 1 partial merged twice: %s, want twice its counts (%s)", summary(twice), summary(doubled))
	}

	// Re-encoded, it is version 2 with an empty set of profiles.
	raw, err := old.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	if v := binary.LittleEndian.Uint32(raw[8:12]); v != countedVersion {
		t.Errorf("re-encoded as version %d, want %d", v, countedVersion)
	}
	if diff := cmp.Diff(want, result(decode(raw)), locEqual); diff != "" {
		t.Errorf("re-encoded version 1 partial decodes to another result:\n%s", diff)
	}

	// A version 2 partial of the same events knows its profiles: merged twice, it is
	// refused, and the receiver keeps its counts.
	cur, err := one.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	recv := decode(cur)
	before := summary(recv)
	if err := recv.Merge(decode(cur)); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "in both partials") {
		t.Errorf("version 2 partial merged twice: %v, want ErrInvalid", err)
	}
	if summary(recv) != before {
		t.Errorf("a refused merge changed the partial: %s, want %s", summary(recv), before)
	}
}
