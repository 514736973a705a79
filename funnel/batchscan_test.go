package funnel

import (
	"errors"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"pgregory.net/rapid"
)

// bigBatch returns a batch of 6,000 profiles with three events each, in ascending
// profile order: enough for the scan to split it between workers.
func bigBatch() *Batch {
	b := &Batch{Names: []string{"a", "b", "other"}}
	for p := range uint32(6000) {
		for k, name := range []uint32{0, 2, 1} {
			b.Profile = append(b.Profile, p)
			b.Time = append(b.Time, at(int64(p%50+uint32(k))).UnixNano())
			b.Event = append(b.Event, name)
		}
	}
	return b
}

// TestBatchScanChecks: the checks folded into the parallel scan name the first bad
// event whichever worker meets it, find a profile split across two workers' ranges,
// and accept profiles grouped in any order.
func TestBatchScanChecks(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(4))
	s := Spec{Steps: named("a", "b")}
	want, err := s.RunBatch(bigBatch())
	if err != nil {
		t.Fatal(err)
	}
	if want.Steps[1].Unique != 6000 {
		t.Fatalf("%d converted, want 6000", want.Steps[1].Unique)
	}
	for _, tc := range []struct {
		name   string
		damage func(b *Batch)
		want   error
		where  string
	}{
		{"name id", func(b *Batch) { b.Event[17000] = 3 }, ErrCorrupt, "batch event 17000"},
		{"time", func(b *Batch) { b.Time[16001] = math.MaxInt64 }, ErrTimeRange, "batch event 16001"},
		{"first of two", func(b *Batch) { b.Time[15000] = math.MinInt64; b.Event[3] = 9 }, ErrCorrupt, "batch event 3"},
		{"regrouped", func(b *Batch) { b.Profile[17999] = 1 }, ErrUnsorted, "profile 1"},
		// Rows 9000 on repeat profiles 0-2999: at 4 workers a cut between ranges falls at
		// row 9000, so every range ascends and only the check across cuts sees it.
		{"repeated across a cut", func(b *Batch) {
			for i := 9000; i < b.Len(); i++ {
				b.Profile[i] -= 3000
			}
		}, ErrUnsorted, "profile 0"},
		{"columns", func(b *Batch) { b.Time = b.Time[:10] }, ErrInvalid, "different lengths"},
	} {
		b := bigBatch()
		tc.damage(b)
		_, err := s.RunBatch(b)
		if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.where) {
			t.Errorf("%s: err = %v, want %v naming %q", tc.name, err, tc.want, tc.where)
		}
	}
	// Descending profile order, each profile's events still together: accepted.
	b, rev := bigBatch(), &Batch{Names: []string{"a", "b", "other"}}
	for i := b.Len() - 3; i >= 0; i -= 3 {
		rev.Profile = append(rev.Profile, b.Profile[i:i+3]...)
		rev.Time = append(rev.Time, b.Time[i:i+3]...)
		rev.Event = append(rev.Event, b.Event[i:i+3]...)
	}
	got, err := s.RunBatch(rev)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got, resultOpts...); diff != "" {
		t.Errorf("descending profiles (-ascending +descending):\n%s", diff)
	}
}

// With several workers taking ranges in turn, and the Result's sorts and bitmaps run as
// parallel jobs, a large batch gives the result of the slice form on the same events
// (durations in the same ascending order, the same profiles at each step).
func TestBatchScanWorkersEqualSlice(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(4))
	rapid.Check(t, func(t *rapid.T) {
		rng := rand.New(rand.NewPCG(rapid.Uint64().Draw(t, "seed"), 1))
		b := &Batch{Names: []string{"a", "b", "c", "other"}}
		var events []Event
		for p := uint32(1); b.Len() < 4096+rng.IntN(8000); p++ {
			tm := int64(rng.IntN(1000))
			for range 1 + rng.IntN(12) {
				tm += int64(rng.IntN(40))
				e := Event{Profile: p, Time: at(tm), Name: b.Names[rng.IntN(4)]}
				events = append(events, e)
				b.Append(e)
			}
		}
		s := Spec{Steps: named("a", "b", "c"), Window: time.Duration(rapid.IntRange(0, 200).Draw(t, "window")) * time.Second}
		want, err := s.Run(events)
		if err != nil {
			t.Fatal(err)
		}
		got, err := s.RunBatch(b)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, got, resultOpts...); diff != "" {
			t.Fatalf("batch against slice (-slice +batch):\n%s", diff)
		}
		for _, st := range got.Steps {
			if !slices.IsSorted(st.TimeFromPrevious) || !slices.IsSorted(st.TimeFromFirst) {
				t.Fatalf("step %s: durations out of order", st.Name)
			}
		}
	})
}

// Run, RunSeq and RunBatch hand their partials' duration blocks and sort buffers to
// the next computation (blockPool, scratchPool): a Result must own everything it
// reads, so later computations that refill those blocks leave it as it was.
func TestRecycledBlocksLeaveResultsAlone(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(4))
	batch := func(seed uint64) *Batch {
		rng := rand.New(rand.NewPCG(seed, 3))
		b := &Batch{Names: []string{"a", "b", "c", "other"}}
		for p := range uint32(30_000) { // several blocks of durations per step
			tm := int64(rng.IntN(1000))
			for range 2 + rng.IntN(5) {
				tm += int64(1 + rng.IntN(60))
				b.Profile = append(b.Profile, p)
				b.Time = append(b.Time, at(tm).UnixNano())
				b.Event = append(b.Event, uint32(rng.IntN(4)))
			}
		}
		return b
	}
	s := Spec{Steps: named("a", "b", "c"), Window: 90 * time.Second}
	first := batch(1)
	kept, err := s.RunBatch(first)
	if err != nil {
		t.Fatal(err)
	}
	keptSurvival, err := kept.TimeToConvert(0.95)
	if err != nil {
		t.Fatal(err)
	}
	for seed := range uint64(4) {
		if _, err := s.RunBatch(batch(seed + 2)); err != nil {
			t.Fatal(err)
		}
	}
	again, err := s.RunBatch(first)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(again, kept, resultOpts...); diff != "" {
		t.Fatalf("a kept Result changed after later runs (-recomputed +kept):\n%s", diff)
	}
	survival, err := kept.TimeToConvert(0.95)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(keptSurvival, survival); diff != "" {
		t.Fatalf("time to convert changed after later runs:\n%s", diff)
	}
}

// TestBatchScanBreakdownIdleWorker: a worker of the parallel scan that gets no range of
// profiles (the others took them all before it started, as on a batch of a few
// thousand events and many cores) has no "" group, and RunBatch and PartialBatch with
// a Breakdown dereferenced that missing group and panicked. The smaller batch of CI's
// benchmark smoke found it (BenchmarkPartialMergeBreakdown). With 64 workers sharing
// 512 ranges of 8 events, some start only after the ranges are gone.
func TestBatchScanBreakdownIdleWorker(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(64))
	var events []Event
	for p := range uint32(2048) {
		ch := []string{"web", "app", "store"}[p%3]
		for k, name := range []string{"visit", "buy"} {
			events = append(events, Event{Profile: p, Time: at(int64(p%50 + uint32(k))), Name: name, Props: map[string]string{"ch": ch}})
		}
	}
	bt := batchOf(t, events)
	s := Spec{Steps: named("visit", "buy"), Breakdown: &Breakdown{Prop: "ch", Attribution: FirstStep}}
	want, err := s.Run(events)
	if err != nil {
		t.Fatal(err)
	}
	// cmp.Diff of a whole Result takes tens of milliseconds: the first run is compared in
	// full, every run by its counts per breakdown group.
	counts := func(r *Result) map[string][]int64 {
		m := map[string][]int64{}
		for k, g := range r.Breakdown {
			for _, st := range g.Steps {
				m[k] = append(m[k], st.Unique, st.Total)
			}
		}
		return m
	}
	for i := range 20 {
		got, err := func() (res *Result, err error) {
			defer func() {
				if r := recover(); r != nil {
					t.Fatalf("run %d: RunBatch panicked: %v", i, r)
				}
			}()
			return s.RunBatch(bt)
		}()
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			if diff := cmp.Diff(want, got, resultOpts...); diff != "" {
				t.Fatal("batch differs from slice (-slice +batch):\n" + diff)
			}
		}
		if diff := cmp.Diff(counts(want), counts(got)); diff != "" {
			t.Fatalf("run %d: batch's counts differ from slice's (-slice +batch):\n%s", i, diff)
		}
	}
}
