package funnel

import (
	"errors"
	"iter"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"pgregory.net/rapid"
)

// The distributions equal a reference model that keeps each profile's set of active
// calendar days per period (time.Time's own calendar in the location) and counts them;
// the three input forms agree.
func TestStickinessReference(t *testing.T) {
	tokyo, err := time.LoadLocation("Asia/Tokyo")
	if err != nil {
		t.Skip(err)
	}
	rapid.Check(t, func(t *rapid.T) {
		sk := Stickiness{
			Event:    Step{Name: "use"},
			By:       rapid.SampledFrom([]Period{Week, Month}).Draw(t, "by"),
			Location: rapid.SampledFrom([]*time.Location{time.UTC, tokyo}).Draw(t, "loc"),
		}
		if rapid.Bool().Draw(t, "breakdown?") {
			sk.Breakdown = "plan"
		}
		base := time.Date(2025, 1, 27, 0, 0, 0, 0, time.UTC)
		var events []Event
		for range rapid.IntRange(0, 50).Draw(t, "events") {
			e := Event{
				Profile: uint32(rapid.IntRange(1, 6).Draw(t, "profile")),
				Time:    base.Add(time.Duration(rapid.IntRange(0, 24*70).Draw(t, "hour")) * time.Hour),
				Name:    rapid.SampledFrom([]string{"use", "use", "other"}).Draw(t, "name"),
			}
			if v := rapid.SampledFrom([]string{"", "free", "pro"}).Draw(t, "plan"); v != "" {
				e.Props = map[string]string{"plan": v}
			}
			events = append(events, e)
		}
		slots := 8
		if sk.By == Month {
			slots = 32
		}
		type pp struct {
			prof  uint32
			start time.Time
		}
		days := map[pp]map[time.Time]bool{}
		first := map[uint32]Event{}
		var last time.Time
		for i, e := range events {
			if e.Time.After(last) {
				last = e.Time
			}
			if e.Name != "use" {
				continue
			}
			if f, ok := first[e.Profile]; !ok || e.Time.Before(f.Time) || e.Time.Equal(f.Time) && slices.IndexFunc(events, func(x Event) bool { return x.Profile == f.Profile && x.Time.Equal(f.Time) && x.Name == "use" }) > i {
				first[e.Profile] = e
			}
			k := pp{e.Profile, refPeriodStart(e.Time, sk.By, sk.Location)}
			if days[k] == nil {
				days[k] = map[time.Time]bool{}
			}
			days[k][refPeriodStart(e.Time, Day, sk.Location)] = true
		}
		want := map[string]map[time.Time][]int64{}
		wantCohort := map[string]map[time.Time][]int64{}
		group := func(p uint32) string { return first[p].Props[sk.Breakdown] }
		for k, ds := range days {
			for _, g := range []string{"*", group(k.prof)} {
				if want[g] == nil {
					want[g] = map[time.Time][]int64{}
				}
				if want[g][k.start] == nil {
					want[g][k.start] = make([]int64, slots)
				}
				want[g][k.start][len(ds)]++
			}
		}
		next := func(t time.Time) time.Time {
			if sk.By == Week {
				return refPeriodStart(t.AddDate(0, 0, 7), sk.By, sk.Location)
			}
			return refPeriodStart(t.AddDate(0, 1, 0), sk.By, sk.Location)
		}
		end := refPeriodStart(last, sk.By, sk.Location)
		for p, f := range first {
			c := refPeriodStart(f.Time, sk.By, sk.Location)
			for _, g := range []string{"*", group(p)} {
				if wantCohort[g] == nil {
					wantCohort[g] = map[time.Time][]int64{}
				}
				if wantCohort[g][c] == nil {
					wantCohort[g][c] = make([]int64, slots)
				}
				for per := c; !per.After(end); per = next(per) {
					wantCohort[g][c][len(days[pp{p, per}])]++
				}
			}
		}
		res, err := sk.Run(events)
		if err != nil {
			t.Fatal(err)
		}
		check := func(g string, r *StickinessResult) {
			got := map[time.Time][]int64{}
			for _, sp := range r.Periods {
				got[sp.Start] = sp.Days
			}
			if diff := cmp.Diff(want[g], got, cmpEmptyMap); diff != "" {
				t.Fatalf("group %q periods (-reference +got):\n%s", g, diff)
			}
			got = map[time.Time][]int64{}
			for _, sp := range r.Cohorts {
				got[sp.Start] = sp.Days
			}
			if diff := cmp.Diff(wantCohort[g], got, cmpEmptyMap); diff != "" {
				t.Fatalf("group %q cohorts (-reference +got):\n%s", g, diff)
			}
		}
		check("*", res)
		for g, r := range res.Breakdown {
			check(g, r)
		}
		if sk.Breakdown != "" && len(res.Breakdown) != len(want)-1 && len(want) > 0 {
			t.Fatalf("%d groups, reference %d", len(res.Breakdown), len(want)-1)
		}
		sameForms(t, events, res, func(e iter.Seq[Event]) (*StickinessResult, error) { return sk.RunSeq(e) },
			func(b *Batch) (*StickinessResult, error) { return sk.RunBatch(b) }, locEqual)
	})
}

// cmpEmptyMap treats a nil map and an empty one as equal.
var cmpEmptyMap = cmp.FilterValues(func(a, b map[time.Time][]int64) bool { return len(a) == 0 && len(b) == 0 }, cmp.Comparer(func(a, b map[time.Time][]int64) bool { return true }))

func TestStickinessInvalid(t *testing.T) {
	for _, sk := range []Stickiness{{By: Week}, {Event: Step{Name: "a"}, By: Day}, {Event: Step{Name: "a"}, By: 7}} {
		if _, err := sk.Run(nil); !errors.Is(err, ErrInvalid) {
			t.Errorf("%+v: %v", sk, err)
		}
	}
	unsorted := []Event{{Profile: 1, Time: at(0), Name: "a"}, {Profile: 2, Time: at(0), Name: "a"}, {Profile: 1, Time: at(1), Name: "b"}}
	if _, err := (Stickiness{Event: Step{Name: "a"}, By: Week}).RunSeq(slices.Values(unsorted)); !errors.Is(err, ErrUnsorted) {
		t.Error(err)
	}
}
