package funnel

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"pgregory.net/rapid"
)

// overlapEvents returns every event of profiles lo..hi-1: each enters a two-step funnel
// (a), half convert (b), each with a property for a breakdown.
func overlapEvents(lo, hi uint32) []Event {
	var events []Event
	for p := lo; p < hi; p++ {
		ch := map[string]string{"ch": fmt.Sprint("c", p%3)}
		events = append(events, Event{Profile: p, Time: at(int64(p % 50)), Name: "a", Props: ch})
		if p%2 == 0 {
			events = append(events, Event{Profile: p, Time: at(int64(p%50) + 1), Name: "b", Props: ch})
		}
	}
	return events
}

// A shard merged twice, a partial merged into itself, or shards that share profiles:
// Merge refuses with ErrInvalid naming how many profiles are in both, and the receiver
// keeps its figures (it used to add them again: Unique 98 with a Converted of 49; and
// the partials of Trend and Stickiness until they held their profiles).
// Ids past a few thousand make the partials hold windows and buffers besides their
// bitmaps (see idSet), and a breakdown or many cohorts many sets a side.
func TestPartialMergeOverlap(t *testing.T) {
	spec := Spec{Steps: named("a", "b")}
	broken := Spec{Steps: named("a", "b"), Breakdown: &Breakdown{Prop: "ch"}}
	cohorts := Cohorts{Start: Step{Name: "a"}, Return: Step{Name: "b"}, By: Day, Periods: 2}
	corr := Correlate{Spec: spec}
	trend := Trend{Spec: spec, By: Day}
	sticky := Stickiness{Event: Step{Name: "a"}, By: Week, Breakdown: "ch"}
	for _, r := range []struct {
		name         string
		lo, mid, hi  uint32 // shard one holds [lo, mid), shard two [overlapLo, hi)
		overlapLo    uint32
		wantOverlaps uint64
	}{
		{"small", 1, 50, 99, 40, 10},
		{"large", 1, 70_000, 140_000, 69_000, 1_000},
		{"adjacent", 1, 50, 99, 50, 0},
	} {
		one, two := overlapEvents(r.lo, r.mid), overlapEvents(r.overlapLo, r.hi)
		check := func(kind string, merge func(a, b []Event, self bool) (before, after string, err error)) {
			t.Helper()
			for _, self := range []bool{false, true} {
				before, after, err := merge(one, two, self)
				want := r.wantOverlaps
				if self {
					want = uint64(r.mid - r.lo)
				}
				switch {
				case want == 0 && err != nil:
					t.Errorf("%s %s: disjoint shards refused: %v", r.name, kind, err)
				case want == 0:
				case !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), fmt.Sprintf(": %d profiles are in both partials", want)):
					t.Errorf("%s %s self=%v: %v, want ErrInvalid naming %d profiles", r.name, kind, self, err, want)
				case before != after:
					t.Errorf("%s %s self=%v: a refused merge changed the partial:\n%s\nto\n%s", r.name, kind, self, before, after)
				}
				if err != nil && strings.Count(err.Error(), "funnel: ") != 1 {
					t.Errorf("%s %s: %q names the package other than once", r.name, kind, err)
				}
			}
		}
		for _, s := range []Spec{spec, broken} {
			check(fmt.Sprintf("funnel breakdown=%v", s.Breakdown != nil), func(a, b []Event, self bool) (string, string, error) {
				p, _ := s.Partial(a)
				q, _ := s.Partial(b)
				if self {
					q = p
				}
				before := funnelSummary(result(p))
				err := p.Merge(q)
				return before, funnelSummary(result(p)), err
			})
		}
		check("cohorts", func(a, b []Event, self bool) (string, string, error) {
			p, _ := cohorts.Partial(a)
			q, _ := cohorts.Partial(b)
			if self {
				q = p
			}
			before := fmt.Sprint(result(p).Cohorts)
			err := p.Merge(q)
			return before, fmt.Sprint(result(p).Cohorts), err
		})
		check("trend", func(a, b []Event, self bool) (string, string, error) {
			p, _ := trend.Partial(a)
			q, _ := trend.Partial(b)
			if self {
				q = p
			}
			before := fmt.Sprint(result(p).Periods)
			err := p.Merge(q)
			return before, fmt.Sprint(result(p).Periods), err
		})
		check("stickiness", func(a, b []Event, self bool) (string, string, error) {
			p, _ := sticky.Partial(a)
			q, _ := sticky.Partial(b)
			if self {
				q = p
			}
			before := stickySummary(result(p))
			err := p.Merge(q)
			return before, stickySummary(result(p)), err
		})
		check("correlation", func(a, b []Event, self bool) (string, string, error) {
			p, _ := corr.Partial(a)
			q, _ := corr.Partial(b)
			if self {
				q = p
			}
			res := result(p)
			before := fmt.Sprint(res.Converters, res.NonConverters)
			err := p.Merge(q)
			res = result(p)
			return before, fmt.Sprint(res.Converters, res.NonConverters), err
		})
	}
}

// funnelSummary is what a funnel's Result counts, per step and per breakdown group.
func funnelSummary(r *Result) string {
	var b strings.Builder
	for _, st := range r.Steps {
		fmt.Fprintf(&b, "%d/%d/%d ", st.Unique, st.Total, st.Converted.GetCardinality())
	}
	for _, k := range slices.Sorted(maps.Keys(r.Breakdown)) {
		fmt.Fprintf(&b, "%s:%s ", k, funnelSummary(r.Breakdown[k]))
	}
	return b.String()
}

// stickySummary is what a stickiness result counts, per breakdown group too.
func stickySummary(r *StickinessResult) string {
	var b strings.Builder
	fmt.Fprint(&b, r.Periods, r.Cohorts)
	for _, k := range slices.Sorted(maps.Keys(r.Breakdown)) {
		fmt.Fprintf(&b, " %s:%s", k, stickySummary(r.Breakdown[k]))
	}
	return b.String()
}

// Over random shards, merging a shard's partial a second time is refused exactly when
// the shard has a profile that entered the funnel, and the merged Result stays that of
// one pass.
func TestPartialMergeTwiceProperty(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		spec := Spec{Steps: named("a", "b"), Window: time.Duration(rapid.IntRange(0, 30).Draw(t, "window")) * time.Second}
		var events []Event
		for range rapid.IntRange(0, 40).Draw(t, "events") {
			events = append(events, Event{
				Profile: uint32(rapid.IntRange(1, 10).Draw(t, "profile")),
				Time:    at(int64(rapid.IntRange(0, 40).Draw(t, "at"))),
				Name:    rapid.SampledFrom([]string{"a", "b", "x"}).Draw(t, "name"),
			})
		}
		shards := shardEvents(t, events, 3)
		all, _ := spec.NewPartial()
		for _, sh := range shards {
			p, _ := spec.Partial(sh)
			if err := all.Merge(p); err != nil {
				t.Fatalf("disjoint shard refused: %v", err)
			}
		}
		want := funnelSummary(result(all))
		retry := rapid.IntRange(0, 2).Draw(t, "retried")
		p, _ := spec.Partial(shards[retry])
		entered := result(p).Steps[0].Unique
		err := all.Merge(p)
		if (err != nil) != (entered > 0) || err != nil && !errors.Is(err, ErrInvalid) {
			t.Fatalf("retried shard with %d entered profiles: %v", entered, err)
		}
		if got := funnelSummary(result(all)); got != want {
			t.Fatalf("after the retried shard %s, want %s", got, want)
		}
	})
}
