package funnel

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"pgregory.net/rapid"
)

// The end of observation (Result.End, Table.End) is Spec.AsOf (Cohorts.AsOf), else the
// latest event's time, else, over no events, the zero time.Time. It was kept as Unix
// nanoseconds starting at 0 for "no event yet": a funnel over no events ended at
// 1970-01-01, and events before 1970 (the package accepts 1900-2189) were taken to end
// at 1970, which stretched every unconverted profile's follow-up to its whole window.

// epoch is 1970-01-01 UTC: a time an event can have, never "no time".
var epoch = time.Unix(0, 0).UTC()

// TestEmptyResultEnd: a funnel over no events, in every form, has the zero End, and its
// time-to-convert curve is empty, not an error or garbage; with AsOf its End is AsOf,
// the Unix epoch included.
func TestEmptyResultEnd(t *testing.T) {
	for _, s := range []Spec{
		{Steps: named("visit", "buy"), Window: time.Hour},
		{Steps: named("visit", "buy"), Breakdown: &Breakdown{Prop: "ch"}},
	} {
		empty := emptyPartial(s)
		forms := map[string]func(Spec) (*Result, error){
			"slice":   func(s Spec) (*Result, error) { return s.Run(nil) },
			"seq":     func(s Spec) (*Result, error) { return s.RunSeq(func(func(Event) bool) {}) },
			"batch":   func(s Spec) (*Result, error) { return s.RunBatch(&Batch{}) },
			"partial": func(Spec) (*Result, error) { return empty.Result() },
			"decoded": func(s Spec) (*Result, error) {
				raw, err := empty.MarshalBinary()
				if err != nil {
					return nil, err
				}
				back := emptyPartial(s)
				if err := back.UnmarshalBinary(raw); err != nil {
					return nil, err
				}
				return back.Result()
			},
		}
		for name, run := range forms {
			res, err := run(s)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if !res.End.IsZero() {
				t.Errorf("%s over no events: End %v, want the zero time", name, res.End)
			}
			for k, b := range res.Breakdown {
				if !b.End.IsZero() {
					t.Errorf("%s over no events: breakdown %q End %v, want the zero time", name, k, b.End)
				}
			}
			sv, err := res.TimeToConvert(0.95)
			if err != nil || len(sv.Time) != 0 {
				t.Errorf("%s over no events: TimeToConvert %+v, %v; want an empty curve", name, sv, err)
			}
		}
	}
	for _, asOf := range []time.Time{time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), epoch, time.Date(1960, 3, 1, 0, 0, 0, 0, time.UTC)} {
		s := Spec{Steps: named("visit", "buy"), AsOf: asOf}
		if res, err := s.Run(nil); err != nil || !res.End.Equal(asOf) {
			t.Errorf("over no events with AsOf %v: End %v, %v", asOf, res.End, err)
		}
	}
}

// TestEndBefore1970: a funnel whose events all came before 1970 ends at its latest
// event, and a profile that entered and did not convert is followed to it, not to
// 1970 (where its whole window had passed): here profile 2, entered 20 minutes before
// the end, is censored at 20 minutes, so that profile 1's conversion at 50 minutes
// leaves nobody unconverted.
func TestEndBefore1970(t *testing.T) {
	t0 := time.Date(1960, 3, 2, 9, 0, 0, 0, time.UTC)
	evs := []Event{
		{Profile: 1, Time: t0, Name: "visit"}, {Profile: 1, Time: t0.Add(50 * time.Minute), Name: "buy"},
		{Profile: 2, Time: t0.Add(30 * time.Minute), Name: "visit"},
	}
	s := Spec{Steps: named("visit", "buy"), Window: time.Hour}
	res, err := s.Run(evs)
	if err != nil {
		t.Fatal(err)
	}
	if want := t0.Add(50 * time.Minute); !res.End.Equal(want) {
		t.Errorf("End %v, want the latest event's %v", res.End, want)
	}
	sv, err := res.TimeToConvert(0.95)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(sv.AtRisk, []int64{1}) || !slices.Equal(sv.S, []float64{0}) {
		t.Errorf("curve at risk %v, S %v; want 1 at risk at 50m (profile 2 censored at 20m), S 0", sv.AtRisk, sv.S)
	}
	// Cohorts over the same events: End is the latest event, and day 1 of the cohort has
	// not ended by it.
	tb, err := Cohorts{Start: Step{Name: "visit"}, By: Day, Periods: 1}.Run(evs)
	if err != nil {
		t.Fatal(err)
	}
	if want := t0.Add(50 * time.Minute); !tb.End.Equal(want) || len(tb.Cohorts) != 1 || tb.Cohorts[0].Complete[1] {
		t.Errorf("cohorts: End %v, cohorts %+v; want End %v and day 1 incomplete", tb.End, tb.Cohorts, want)
	}
}

// TestCohortAsOfAtEpoch: AsOf at the Unix epoch is an AsOf, not "none" (it was: the
// table's End was the zero time and every cell complete), and its partials do not
// merge with those of a table without AsOf.
func TestCohortAsOfAtEpoch(t *testing.T) {
	c := Cohorts{Start: Step{Name: "visit"}, By: Day, Periods: 1, AsOf: epoch}
	evs := []Event{{Profile: 1, Time: epoch.Add(-time.Hour), Name: "visit"}}
	tb, err := c.Run(evs)
	if err != nil {
		t.Fatal(err)
	}
	if !tb.End.Equal(epoch) || len(tb.Cohorts) != 1 || !tb.Cohorts[0].Complete[0] || tb.Cohorts[0].Complete[1] {
		t.Errorf("End %v, cohorts %+v; want End %v, day 1 (1970-01-01) incomplete", tb.End, tb.Cohorts, epoch)
	}
	withAsOf, err := c.Partial(evs)
	if err != nil {
		t.Fatal(err)
	}
	c.AsOf = time.Time{}
	without, err := c.NewPartial()
	if err != nil {
		t.Fatal(err)
	}
	if err := without.Merge(withAsOf); !errors.Is(err, ErrMismatch) {
		t.Errorf("merge of AsOf 1970-01-01 into no AsOf: %v, want ErrMismatch", err)
	}
}

// shiftTo moves events drawn near at(0) (genEvents, genCohorts) to start at base.
func shiftTo(evs []Event, from, base time.Time) []Event {
	out := slices.Clone(evs)
	for i := range out {
		out[i].Time = base.Add(out[i].Time.Sub(from))
	}
	return out
}

// bases are where the properties put their events: after 1970, before it, across its
// first instant, and at the first instant the package accepts.
var bases = []time.Time{chBase, time.Date(1960, 3, 2, 9, 0, 0, 0, time.UTC), epoch.Add(-4 * time.Second), epoch.Add(-8 * time.Second), minTime}

// wantEnd is the end of observation by its definition.
func wantEnd(evs []Event, asOf time.Time) time.Time {
	if !asOf.IsZero() {
		return asOf
	}
	var end time.Time
	for i, e := range evs {
		if i == 0 || e.Time.After(end) {
			end = e.Time
		}
	}
	return end
}

// checkEnd fails t unless end is wantEnd's, its zero time included.
func checkEnd(t *rapid.T, end time.Time, evs []Event, asOf time.Time) {
	if want := wantEnd(evs, asOf); !end.Equal(want) || end.IsZero() != want.IsZero() {
		t.Fatalf("End %v, want %v", end, want)
	}
}

// TestMergedPartialsAnySplitEnd: the partials of any split of the events into shards
// by profile, empty shards included, computed, sent through bytes or not, and merged in
// any order into any of them or into an empty partial, give the Result of one pass over
// all the events, End and the time-to-convert curve included; and End is the latest
// event's time, AsOf, or the zero time, before 1970 too.
func TestMergedPartialsAnySplitEnd(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		s := genSpec(t)
		base := rapid.SampledFrom(bases).Draw(t, "base")
		evs := shiftTo(genEvents(t, rapid.IntRange(0, 6).Draw(t, "profiles")), at(0), base)
		if rapid.Bool().Draw(t, "asOf?") {
			// genEvents' times are at most 8 s after base, so AsOf is never before an
			// event; from the base 8 s before 1970, AsOf can be the Unix epoch itself.
			s.AsOf = base.Add(time.Duration(rapid.IntRange(8, 12).Draw(t, "asOf")) * time.Second)
		}
		whole, err := s.Run(evs)
		if err != nil {
			t.Fatal(err)
		}
		checkEnd(t, whole.End, evs, s.AsOf)
		k := rapid.IntRange(1, 5).Draw(t, "shards")
		shards := shardEvents(t, evs, k)
		parts := make([]*Partial[*Result], k)
		for i, sh := range shards {
			var pt *Partial[*Result]
			switch rapid.IntRange(0, 2).Draw(t, "form") {
			case 0:
				pt, err = s.Partial(sh)
			case 1:
				pt, err = s.PartialSeq(groupedSeq(sh))
			default:
				pt, err = s.PartialBatch(batchOf(t, slices.Collect(groupedSeq(sh))))
			}
			if err != nil {
				t.Fatal(err)
			}
			if rapid.Bool().Draw(t, "through bytes") {
				raw, err := pt.MarshalBinary()
				if err != nil {
					t.Fatal(err)
				}
				back := emptyPartial(s)
				if err := back.UnmarshalBinary(raw); err != nil {
					t.Fatalf("shard %d of %d: decode: %v", i, k, err)
				}
				pt = back
			}
			parts[i] = pt
		}
		var merged *Partial[*Result]
		if rapid.Bool().Draw(t, "into an empty partial") {
			merged = emptyPartial(s)
		}
		for _, i := range rapid.Permutation(rangeInts(k)).Draw(t, "order") {
			if merged == nil {
				merged = parts[i]
			} else if err := merged.Merge(parts[i]); err != nil {
				t.Fatal(err)
			}
		}
		got := result(merged)
		if diff := cmp.Diff(whole, got, resultOpts...); diff != "" {
			t.Fatalf("spec %s: (-single pass +merged):\n%s", describe(s), diff)
		}
		wantKM, err := whole.TimeToConvert(0.9)
		if err != nil {
			t.Fatal(err)
		}
		gotKM, err := got.TimeToConvert(0.9)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(wantKM, gotKM, cmpopts.EquateEmpty()); diff != "" {
			t.Fatalf("time to convert (-single pass +merged):\n%s", diff)
		}
	})
}

// TestCohortPartialsAnySplitEnd is TestMergedPartialsAnySplitEnd for cohort tables,
// with each cell's completeness held to its definition against End (a cell is complete
// once the last period it looks at has ended).
func TestCohortPartialsAnySplitEnd(t *testing.T) {
	genBase := time.Date(2025, 1, 27, 0, 0, 0, 0, time.UTC) // genCohorts' base
	rapid.Check(t, func(t *rapid.T) {
		c, evs := genCohorts(t)
		base := rapid.SampledFrom([]time.Time{genBase, time.Date(1960, 3, 7, 0, 0, 0, 0, time.UTC), time.Date(1969, 11, 3, 0, 0, 0, 0, time.UTC)}).Draw(t, "base")
		evs = shiftTo(evs, genBase, base)
		if rapid.Bool().Draw(t, "asOf?") {
			c.AsOf = base.Add(time.Duration(rapid.IntRange(24*120, 24*200).Draw(t, "asOf")) * time.Hour)
		}
		whole, err := c.Run(evs)
		if err != nil {
			t.Fatal(err)
		}
		checkEnd(t, whole.End, evs, c.AsOf)
		loc := c.Location
		if loc == nil {
			loc = time.UTC
		}
		cols := [][2]int{}
		if len(c.Brackets) > 0 {
			for _, b := range c.Brackets {
				cols = append(cols, [2]int{b.From, b.To})
			}
		} else {
			for k := 0; k <= c.Periods; k++ {
				cols = append(cols, [2]int{k, k})
			}
		}
		for _, row := range whole.Cohorts {
			y, m, d := row.Start.In(loc).Date()
			for i, col := range cols {
				// The period after the column's last one begins at next.
				var next time.Time
				switch n := col[1] + 1; c.By {
				case Day:
					next = time.Date(y, m, d+n, 0, 0, 0, 0, loc)
				case Week:
					next = time.Date(y, m, d+7*n, 0, 0, 0, 0, loc)
				default:
					next = time.Date(y, m+time.Month(n), 1, 0, 0, 0, 0, loc)
				}
				complete := col[1] == 0 || !whole.End.Before(next.Add(-time.Nanosecond))
				if row.Complete[i] != complete {
					t.Fatalf("cohort %v column %v: complete %v, want %v (End %v)", row.Start, col, row.Complete[i], complete, whole.End)
				}
			}
		}
		k := rapid.IntRange(1, 4).Draw(t, "shards")
		shards := shardEvents(t, evs, k)
		merged, err := c.NewPartial()
		if err != nil {
			t.Fatal(err)
		}
		for _, i := range rapid.Permutation(rangeInts(k)).Draw(t, "order") {
			cp, err := c.Partial(shards[i])
			if err != nil {
				t.Fatal(err)
			}
			raw, err := cp.MarshalBinary()
			if err != nil {
				t.Fatal(err)
			}
			back, err := decodeCohortPartial(c, raw)
			if err != nil {
				t.Fatal(err)
			}
			if err := merged.Merge(back); err != nil {
				t.Fatal(err)
			}
		}
		if diff := cmp.Diff(whole, result(merged), tableOpts...); diff != "" {
			t.Fatalf("merged shards differ (-single +merged):\n%s", diff)
		}
	})
}

// TestPartialAsOfMismatch: AsOf is part of a Spec, so partials of Specs with different
// AsOf neither merge nor decode into one another (they did, the receiver's or the
// bytes' AsOf silently winning, which moved End); version 1, which wrote 0 both for no
// AsOf and for the Unix epoch, decodes into either.
func TestPartialAsOfMismatch(t *testing.T) {
	t0 := time.Date(1969, 12, 31, 23, 0, 0, 0, time.UTC)
	evs := []Event{{Profile: 1, Time: t0, Name: "visit"}}
	s := Spec{Steps: named("visit", "buy"), Window: time.Hour}
	withAsOf := s
	withAsOf.AsOf = epoch
	a, err := withAsOf.Partial(evs)
	if err != nil {
		t.Fatal(err)
	}
	b := emptyPartial(s)
	if err := b.Merge(a); !errors.Is(err, ErrMismatch) {
		t.Errorf("merge of AsOf %v into none: %v, want ErrMismatch", epoch, err)
	}
	if err := a.Merge(b); !errors.Is(err, ErrMismatch) {
		t.Errorf("merge of no AsOf into %v: %v, want ErrMismatch", epoch, err)
	}
	if got := result(a).End; !got.Equal(epoch) {
		t.Errorf("after the refused merge End %v, want %v", got, epoch)
	}
	raw, err := a.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	if err := b.UnmarshalBinary(raw); !errors.Is(err, ErrMismatch) {
		t.Errorf("decode of AsOf %v into none: %v, want ErrMismatch", epoch, err)
	}
	other := withAsOf
	other.AsOf = epoch.Add(time.Hour)
	if err := emptyPartial(other).UnmarshalBinary(raw); !errors.Is(err, ErrMismatch) {
		t.Errorf("decode of AsOf %v into %v: %v, want ErrMismatch", epoch, other.AsOf, err)
	}
	// Version 1 bytes of the epoch's AsOf and of none are the same bytes (and version 1
	// recorded the 1969 event as 0: End is the epoch either way).
	v1 := v1FunnelBytes(a.st.(*funnelPartial))
	for _, spec := range []Spec{s, withAsOf} {
		pt := emptyPartial(spec)
		if err := pt.UnmarshalBinary(v1); err != nil {
			t.Fatalf("version 1 into AsOf %v: %v", spec.AsOf, err)
		}
		if got := result(pt).End; !got.Equal(epoch) {
			t.Errorf("version 1 into AsOf %v: End %v, want %v", spec.AsOf, got, epoch)
		}
	}
	if err := emptyPartial(other).UnmarshalBinary(v1); !errors.Is(err, ErrMismatch) {
		t.Errorf("version 1 of AsOf %v into %v: %v, want ErrMismatch", epoch, other.AsOf, err)
	}
}
