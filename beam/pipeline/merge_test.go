package pipeline

import (
	"cmp"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/RoaringBitmap/roaring/v2"
	gocmp "github.com/google/go-cmp/cmp"
	"pgregory.net/rapid"

	"github.com/clientele-go/clientele/funnel"
	"github.com/clientele-go/clientele/referral/attribution"
	"github.com/clientele-go/clientele/scoring"
)

// combiner drives a CombineFn by hand, as a runner would: the merge tests below split
// the input at random, feed the parts to separate accumulators in random order, send
// some accumulators through their coder (as a shuffle does), and merge them in a
// random tree. Whatever the split, order and tree, the output must be that of one
// accumulator fed everything.
type combiner[A, I, O any] struct {
	create  func() A
	add     func(A, I) (A, error)
	merge   func(A, A) (A, error)
	extract func(A) (O, error)
	encode  func(A) ([]byte, error)
	decode  func([]byte) (A, error)
}

func (c combiner[A, I, O]) whole(t *rapid.T, in []I) O {
	a := c.create()
	for _, x := range in {
		var err error
		if a, err = c.add(a, x); err != nil {
			t.Fatal(err)
		}
	}
	o, err := c.extract(a)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func (c combiner[A, I, O]) split(t *rapid.T, in []I) O {
	in = slices.Clone(in)
	perm := rapid.Permutation(in).Draw(t, "order")
	parts := rapid.IntRange(1, max(1, min(6, len(perm)))).Draw(t, "parts")
	cuts := rapid.SliceOfN(rapid.IntRange(0, len(perm)), parts-1, parts-1).Draw(t, "cuts")
	slices.Sort(cuts)
	cuts = append(append([]int{0}, cuts...), len(perm))
	roundTrip := func(a A, label string) A {
		if !rapid.Bool().Draw(t, label) {
			return a
		}
		b, err := c.encode(a)
		if err != nil {
			t.Fatal(err)
		}
		if a, err = c.decode(b); err != nil {
			t.Fatal(err)
		}
		return a
	}
	var accs []A
	for i := range parts {
		a := c.create()
		for _, x := range perm[cuts[i]:cuts[i+1]] {
			var err error
			if a, err = c.add(a, x); err != nil {
				t.Fatal(err)
			}
		}
		accs = append(accs, roundTrip(a, "encode part"))
	}
	for len(accs) > 1 {
		i := rapid.IntRange(0, len(accs)-1).Draw(t, "left")
		j := rapid.IntRange(0, len(accs)-2).Draw(t, "right")
		if j >= i {
			j++
		}
		m, err := c.merge(accs[i], accs[j])
		if err != nil {
			t.Fatal(err)
		}
		accs[i] = roundTrip(m, "encode merged")
		accs = slices.Delete(accs, j, j+1)
	}
	o, err := c.extract(accs[0])
	if err != nil {
		t.Fatal(err)
	}
	return o
}

// profilesOf encodes events as Profiles does: one element per profile.
func profilesOf(events []funnel.Event) [][]byte {
	by := map[uint32][]funnel.Event{}
	for _, e := range events {
		by[e.Profile] = append(by[e.Profile], e)
	}
	var out [][]byte
	for _, id := range slices.Sorted(maps.Keys(by)) {
		es := by[id]
		out = append(out, gatherProfile(id, func(e *funnel.Event) bool {
			if len(es) == 0 {
				return false
			}
			*e, es = es[0], es[1:]
			return true
		}))
	}
	return out
}

// drawFlush draws how many buffered events make a combiner run the SDK: every event,
// a few, or the default.
func drawFlush(t *rapid.T) int { return rapid.SampledFrom([]int{1, 5, flushAt}).Draw(t, "flushAt") }

func drawEvents(t *rapid.T) []funnel.Event {
	return genEvents(rapid.Uint64().Draw(t, "seed"), rapid.IntRange(0, 60).Draw(t, "profiles"))
}

func TestFunnelMergeAnySplit(t *testing.T) {
	specs := specs()
	names := slices.Sorted(maps.Keys(specs))
	rapid.Check(t, func(t *rapid.T) {
		name := rapid.SampledFrom(names).Draw(t, "spec")
		w, err := wireSpec(specs[name])
		if err != nil {
			t.Fatal(err)
		}
		f := &funnelFn{Spec: w, flush: drawFlush(t)}
		c := combiner[*funnelAcc, []byte, []byte]{f.CreateAccumulator, f.AddInput, f.MergeAccumulators, f.ExtractOutput,
			encodeFunnelAcc, decodeFunnelAcc}
		in := profilesOf(drawEvents(t))
		decode := func(b []byte) *funnel.Result {
			pt, err := decodeInto(specs[name].NewPartial, b)
			if err != nil {
				t.Fatal(err)
			}
			res, err := pt.Result()
			if err != nil {
				t.Fatal(err)
			}
			return res
		}
		want, got := decode(c.whole(t, in)), decode(c.split(t, in))
		if diff := gocmp.Diff(want, got, resultOpts...); diff != "" {
			t.Fatalf("%s: split differs (-whole +split):\n%s", name, diff)
		}
	})
}

func TestCohortMergeAnySplit(t *testing.T) {
	c0 := funnel.Cohorts{Start: funnel.Step{Name: "signup"}, Return: funnel.Step{Name: "purchase"}, By: funnel.Week, Periods: 6}
	w, err := wireCohorts(c0)
	if err != nil {
		t.Fatal(err)
	}
	rapid.Check(t, func(t *rapid.T) {
		f := &cohortFn{Cohorts: w, flush: drawFlush(t)}
		c := combiner[*cohortAcc, []byte, []byte]{f.CreateAccumulator, f.AddInput, f.MergeAccumulators, f.ExtractOutput,
			encodeCohortAcc, decodeCohortAcc}
		in := profilesOf(drawEvents(t))
		decode := func(b []byte) *funnel.Table {
			cp, err := decodeInto(c0.NewPartial, b)
			if err != nil {
				t.Fatal(err)
			}
			tab, err := cp.Result()
			if err != nil {
				t.Fatal(err)
			}
			return tab
		}
		if diff := gocmp.Diff(decode(c.whole(t, in)), decode(c.split(t, in)), resultOpts...); diff != "" {
			t.Fatalf("split differs (-whole +split):\n%s", diff)
		}
	})
}

func TestLifecycleMergeAnySplit(t *testing.T) {
	l := funnel.Lifecycle{By: funnel.Week}
	w, err := wireLifecycle(l)
	if err != nil {
		t.Fatal(err)
	}
	from, to := time.Date(2025, 1, 6, 0, 0, 0, 0, time.UTC), time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)
	rapid.Check(t, func(t *rapid.T) {
		f := &lifecycleFn{Lifecycle: w, flush: drawFlush(t)}
		c := combiner[*journeysAcc, []byte, []byte]{f.CreateAccumulator, f.AddInput, f.MergeAccumulators, f.ExtractOutput,
			encodeJourneysAcc, decodeJourneysAcc}
		in := profilesOf(drawEvents(t))
		type view struct {
			Growth []funnel.GrowthRow
			Trans  [funnel.NumStages][funnel.NumStages]int64
			Stages [funnel.NumStages][]uint32
		}
		decode := func(b []byte) view {
			j, err := decodeInto(l.NewJourneys, b)
			if err != nil {
				t.Fatal(err)
			}
			g, err := j.Growth(from, to)
			if err != nil {
				t.Fatal(err)
			}
			v := view{Growth: g, Trans: j.Transitions(from, to)}
			for i, bm := range j.Stages(to) {
				v.Stages[i] = bm.ToArray()
			}
			return v
		}
		if diff := gocmp.Diff(decode(c.whole(t, in)), decode(c.split(t, in))); diff != "" {
			t.Fatalf("split differs (-whole +split):\n%s", diff)
		}
	})
}

func TestHistoriesMergeAnySplit(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		txs := genTransactions(rapid.Uint64().Draw(t, "seed"), rapid.IntRange(0, 80).Draw(t, "profiles"))
		SortTransactions(txs)
		sums, err := scoring.Summarize(slices.Values(txs), &scoring.SummaryOptions{End: time.Date(2024, 12, 31, 0, 0, 0, 0, time.UTC)})
		if err != nil {
			t.Fatal(err)
		}
		var f historiesFn
		c := combiner[*histories, scoring.Summary, *histories]{f.CreateAccumulator,
			func(h *histories, s scoring.Summary) (*histories, error) { return f.AddInput(h, s), nil },
			func(a, b *histories) (*histories, error) { return f.MergeAccumulators(a, b), nil },
			func(h *histories) (*histories, error) { return h, nil },
			func(h *histories) ([]byte, error) { return encodeHistories(h), nil }, decodeHistories}
		want, got := c.whole(t, sums), c.split(t, sums)
		if !maps.Equal(want.H, got.H) || !maps.Equal(want.S, got.S) {
			t.Fatalf("split differs: %v %v versus %v %v", got.H, got.S, want.H, want.S)
		}
		wc, ws := want.rows()
		gc, gs := got.rows()
		if !slices.Equal(wc.Rows, gc.Rows) || !slices.Equal(wc.Weights, gc.Weights) || !slices.Equal(ws.Rows, gs.Rows) || !slices.Equal(ws.Weights, gs.Weights) {
			t.Fatal("weighted rows differ")
		}
		// The rows stand for every summary once and every repeat buyer's spend once.
		var buyers, wp, wsp float64
		for _, s := range sums {
			if s.Frequency > 0 {
				buyers++
			}
		}
		for _, w := range gc.Weights {
			wp += w
		}
		for _, w := range gs.Weights {
			wsp += w
		}
		if wp != float64(len(sums)) || wsp != buyers {
			t.Fatalf("rows weigh %v customers and %v buyers, want %d and %v", wp, wsp, len(sums), buyers)
		}
	})
}

func TestPathsMergeAnySplit(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		paths := genPaths(rapid.Uint64().Draw(t, "seed"), rapid.IntRange(0, 200).Draw(t, "paths"))
		var f pathsFn
		c := combiner[*pathSet, attribution.Path, []attribution.Path]{f.CreateAccumulator,
			f.AddInput,
			func(a, b *pathSet) (*pathSet, error) { return f.MergeAccumulators(a, b), nil },
			func(ps *pathSet) ([]attribution.Path, error) { return ps.sorted(), nil },
			func(ps *pathSet) ([]byte, error) { return encodePathSet(ps), nil }, decodePathSet}
		// Counts are whole numbers here, so that sums in any order are exact.
		if diff := gocmp.Diff(c.whole(t, paths), c.split(t, paths)); diff != "" {
			t.Fatalf("split differs (-whole +split):\n%s", diff)
		}
	})
}

func TestBitmapMergeAnySplit(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		ids := rapid.SliceOf(rapid.Uint32Range(1, 3<<ShardBits)).Draw(t, "profiles")
		var f orFn
		c := combiner[*roaring.Bitmap, uint32, []uint32]{f.CreateAccumulator,
			func(b *roaring.Bitmap, p uint32) (*roaring.Bitmap, error) { return f.AddInput(b, p), nil },
			func(a, b *roaring.Bitmap) (*roaring.Bitmap, error) { return f.MergeAccumulators(a, b), nil },
			func(b *roaring.Bitmap) ([]uint32, error) { return b.ToArray(), nil },
			encodeBitmap, decodeBitmap}
		want := slices.Compact(slices.Sorted(slices.Values(ids)))
		if got := c.split(t, ids); !slices.Equal(want, got) && !(len(want) == 0 && len(got) == 0) {
			t.Fatalf("split gives %v, want %v", got, want)
		}
	})
}

var _ = cmp.Compare[int]
