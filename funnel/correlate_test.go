package funnel

import (
	"errors"
	"iter"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/RoaringBitmap/roaring/v2"
	"pgregory.net/rapid"

	"github.com/clientele-go/clientele/internal/stats"
)

// corrKey names a candidate in the reference model.
type corrKey struct {
	kind        CandidateKind
	name, value string
}

// refCorrelate is the reference model of the counts behind a correlation analysis,
// from Level alone: a profile that reached level L did so first at T, the earliest
// instant by which its events reach L, and its conversion started at S, the latest
// first-step instant from which the events in [S, T] still reach L (the canonical
// conversion: the deepest step earliest, then the shortest). A converter's span is
// [S, T]; a non-converter's [S, S + Window], or [S, ∞) with no window.
func refCorrelate(s Spec, events []Event, props []string, segs map[string]*roaring.Bitmap) (conv, non int64, counts map[corrKey][2]int64) {
	counts = map[corrKey][2]int64{}
	byProf := map[uint32][]Event{}
	for _, e := range events {
		byProf[e.Profile] = append(byProf[e.Profile], e)
	}
	n := len(s.Steps)
	within := func(evs []Event, lo, hi time.Time) []Event {
		var out []Event
		for _, e := range evs {
			if !e.Time.Before(lo) && !e.Time.After(hi) {
				out = append(out, e)
			}
		}
		return out
	}
	isStep := func(e Event) bool {
		for _, st := range s.Steps {
			if st.matches(e) {
				return true
			}
		}
		return false
	}
	var convIDs, nonIDs []uint32
	for prof, evs := range byProf {
		level := s.Level(evs)
		if level == 0 {
			continue
		}
		var times []time.Time
		for _, e := range evs {
			times = append(times, e.Time)
		}
		slices.SortFunc(times, func(a, b time.Time) int { return a.Compare(b) })
		far := times[len(times)-1]
		var T time.Time
		for _, t := range times {
			if s.Level(within(evs, times[0], t)) >= level {
				T = t
				break
			}
		}
		var S time.Time
		for i := len(times) - 1; i >= 0; i-- {
			if !times[i].After(T) && s.Level(within(evs, times[i], T)) >= level {
				S = times[i]
				break
			}
		}
		g, hi := 1, far.Add(time.Hour)
		if level == n {
			g, hi = 0, T
			conv++
			convIDs = append(convIDs, prof)
		} else {
			non++
			nonIDs = append(nonIDs, prof)
			if s.Window > 0 {
				hi = S.Add(s.Window)
			}
		}
		seen := map[corrKey]bool{}
		for _, e := range within(evs, S, hi) {
			if !isStep(e) {
				seen[corrKey{EventCandidate, e.Name, ""}] = true
			}
			for _, k := range props {
				if v := e.Props[k]; v != "" {
					seen[corrKey{PropertyCandidate, k, v}] = true
				}
			}
		}
		for k := range seen {
			c := counts[k]
			c[g]++
			counts[k] = c
		}
	}
	for name, seg := range segs {
		k := corrKey{SegmentCandidate, name, ""}
		var c [2]int64
		for _, id := range convIDs {
			if seg.Contains(id) {
				c[0]++
			}
		}
		for _, id := range nonIDs {
			if seg.Contains(id) {
				c[1]++
			}
		}
		counts[k] = c
	}
	return conv, non, counts
}

// The counts of every candidate equal the reference model's on the three input forms,
// and each candidate's statistics are those of its table.
func TestCorrelateReference(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		nsteps := rapid.IntRange(1, 3).Draw(t, "steps")
		var steps []Step
		for range nsteps {
			steps = append(steps, Step{Name: rapid.SampledFrom([]string{"a", "b", "c"}).Draw(t, "step")})
		}
		s := Spec{Steps: steps, Window: time.Duration(rapid.SampledFrom([]int{0, 3, 6}).Draw(t, "window")) * time.Second}
		var events []Event
		for range rapid.IntRange(0, 40).Draw(t, "events") {
			e := Event{
				Profile: uint32(rapid.IntRange(1, 6).Draw(t, "profile")),
				Time:    at(int64(rapid.IntRange(0, 12).Draw(t, "time"))),
				Name:    rapid.SampledFrom([]string{"a", "b", "c", "x", "y"}).Draw(t, "name"),
			}
			// Two keys over the same strings: each key's values are its own candidates.
			for _, key := range []string{"channel", "plan"} {
				if v := rapid.SampledFrom([]string{"", "web", "app"}).Draw(t, key); v != "" {
					if e.Props == nil {
						e.Props = map[string]string{}
					}
					e.Props[key] = v
				}
			}
			events = append(events, e)
		}
		segs := map[string]*roaring.Bitmap{"odd": roaring.BitmapOf(1, 3, 5), "low": roaring.BitmapOf(1, 2)}
		c := Correlate{Spec: s, Props: []string{"plan", "channel"}, Segments: segs}
		conv, non, want := refCorrelate(s, events, c.Props, segs)

		res, err := c.Run(events)
		if err != nil {
			t.Fatal(err)
		}
		sameForms(t, events, res, func(e iter.Seq[Event]) (*Correlations, error) { return c.RunSeq(e) },
			func(b *Batch) (*Correlations, error) { listValuesTwice(b); return c.RunBatch(b) })
		if res.Converters != conv || res.NonConverters != non {
			t.Fatalf("converters %d/%d, reference %d/%d", res.Converters, res.NonConverters, conv, non)
		}
		got := map[corrKey][2]int64{}
		for _, c := range slices.Concat(res.Success, res.Failure) {
			got[corrKey{c.Kind, c.Name, c.Value}] = [2]int64{c.Converters, c.NonConverters}
			tb := stats.Table{A: c.Converters, B: conv - c.Converters, C: c.NonConverters, D: non - c.NonConverters}
			or, _ := stats.OddsRatio(tb, 0.95)
			var p float64
			if tb.MinExpected() < 5 {
				p, _ = stats.FisherExact(tb)
			} else {
				_, p, _ = stats.ChiSquareYates(tb)
			}
			if or.Estimate != c.OddsRatio || p != c.P || c.Exact != (tb.MinExpected() < 5) || c.Q < c.P {
				t.Fatalf("%+v: table %v gives OR %v p %v", c, tb, or.Estimate, p)
			}
		}
		for k, c := range want {
			if c[0]+c[1] == 0 {
				continue
			}
			g, ok := got[k]
			if !ok {
				// An odds ratio of exactly 1 is in neither list.
				tb := stats.Table{A: c[0], B: conv - c[0], C: c[1], D: non - c[1]}
				if or, _ := stats.OddsRatio(tb, 0.95); math.Abs(or.Estimate-1) > 1e-12 {
					t.Fatalf("%v: missing, reference %v", k, c)
				}
				continue
			}
			if g != c {
				t.Fatalf("%v: %v, reference %v", k, g, c)
			}
		}
		for k := range got {
			if _, ok := want[k]; !ok {
				t.Fatalf("%v: not in the reference", k)
			}
		}
	})
}

func TestCorrelateInvalid(t *testing.T) {
	s := Spec{Steps: named("a", "b")}
	for _, o := range []Correlate{{Spec: s, Level: 1.5}, {Spec: s, MinProfiles: -1}, {Spec: s, Segments: map[string]*roaring.Bitmap{"x": nil}}} {
		if _, err := o.Run(nil); !errors.Is(err, ErrInvalid) {
			t.Errorf("%+v: %v", o, err)
		}
	}
	if _, err := (Correlate{}).RunBatch(&Batch{}); !errors.Is(err, ErrInvalid) {
		t.Error(err)
	}
	unsorted := []Event{{Profile: 1, Time: at(0), Name: "a"}, {Profile: 2, Time: at(0), Name: "a"}, {Profile: 1, Time: at(1), Name: "b"}}
	if _, err := (Correlate{Spec: s}).RunSeq(slices.Values(unsorted)); !errors.Is(err, ErrUnsorted) {
		t.Error(err)
	}
	if _, err := (Correlate{Spec: s}).RunBatch(batchOf(t, unsorted)); !errors.Is(err, ErrUnsorted) {
		t.Error(err)
	}
}

// listValuesTwice appends a second copy of b's values to its dictionary and points every
// other event's property ids at the copy: a dictionary listing a string twice (as one
// written by hand, or concatenated from shards, may) must count it as one value.
func listValuesTwice(b *Batch) {
	n := uint32(len(b.Values))
	b.Values = append(b.Values, b.Values...)
	for _, col := range b.Props {
		for i := 1; i < len(col); i += 2 {
			col[i] += n
		}
	}
}
