package funnel

import (
	"cmp"
	"iter"
	"math/rand/v2"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/clientele-go/clientele/internal/benchsize"
	"pgregory.net/rapid"
)

// sortedByProfileNaive is sortedByProfile as it was: one comparison sort of the event
// indices by (profile, time, index). It is the reference the property test holds the
// radix form to, and the baseline of BenchmarkSortedByProfile.
func sortedByProfileNaive(events []Event, asOf time.Time) (iter.Seq2[Event, int64], error) {
	order := make([]int32, len(events))
	times := make([]int64, len(events))
	for i, e := range events {
		t, err := instant(i, e, asOf)
		if err != nil {
			return nil, err
		}
		order[i], times[i] = int32(i), t
	}
	slices.SortFunc(order, func(a, b int32) int {
		return cmp.Or(cmp.Compare(events[a].Profile, events[b].Profile), cmp.Compare(times[a], times[b]), cmp.Compare(a, b))
	})
	return func(yield func(Event, int64) bool) {
		for _, i := range order {
			if !yield(events[i], times[i]) {
				return
			}
		}
	}, nil
}

var (
	sliceBenchOnce   sync.Once
	sliceBenchEvents []Event
)

// loadSliceBench is a quickstart-like slice of events: 200,000 profiles (2,000 under
// -short) with about ten events each over a year, in time order across profiles (the order a log has), names
// of the funnel's steps and a few others, a channel property on some.
func loadSliceBench(testing.TB) []Event {
	sliceBenchOnce.Do(func() {
		rng := rand.New(rand.NewPCG(1, 2))
		names := []string{"visit", "view", "cart", "checkout", "purchase", "touch", "signup", "search"}
		channels := []string{"email", "search", "social", "display", "direct"}
		start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		people := benchsize.Of(200_000, 2_000)
		var events []Event
		for p := range people {
			n := 1 + rng.IntN(20)
			at := start.Add(time.Duration(rng.Int64N(int64(300 * 24 * time.Hour))))
			for range n {
				e := Event{Profile: uint32(p) * 7, Time: at, Name: names[rng.IntN(len(names))]}
				if rng.IntN(3) == 0 {
					e.Props = map[string]string{"channel": channels[rng.IntN(len(channels))]}
				}
				events = append(events, e)
				at = at.Add(time.Duration(rng.Int64N(int64(3 * 24 * time.Hour))))
			}
		}
		slices.SortStableFunc(events, func(a, b Event) int { return a.Time.Compare(b.Time) })
		sliceBenchEvents = events
	})
	benchCPU = cpuTime()
	return sliceBenchEvents
}

func benchSorted(b *testing.B, sort func([]Event, time.Time) (iter.Seq2[Event, int64], error)) {
	events := loadSliceBench(b)
	b.ResetTimer()
	for b.Loop() {
		seq, err := sort(events, time.Time{})
		if err != nil {
			b.Fatal(err)
		}
		var sum int64
		for _, t := range seq {
			sum += t
		}
	}
	reportRate(b, len(events))
}

// BenchmarkSortedByProfile: the order Correlate.Run, Paths.Run and Stickiness.Run read
// a slice in, about two million events.
func BenchmarkSortedByProfile(b *testing.B) { benchSorted(b, sortedByProfile) }

// BenchmarkSortedByProfileNaive is the baseline: the comparison sort it replaced.
func BenchmarkSortedByProfileNaive(b *testing.B) { benchSorted(b, sortedByProfileNaive) }

// BenchmarkCorrelateSlice: Correlate.Run over the same slice with a property, the
// quickstart's insight stage in small.
func BenchmarkCorrelateSlice(b *testing.B) {
	events := loadSliceBench(b)
	c := Correlate{Spec: benchSteps, Props: []string{"channel"}}
	b.ResetTimer()
	for b.Loop() {
		if _, err := c.Run(events); err != nil {
			b.Fatal(err)
		}
	}
	reportRate(b, len(events))
}

// TestSortedByProfileMatchesNaive holds the radix form to the comparison sort it
// replaced: the same events in the same order with the same times, or the same error,
// over few or many profiles (sparse ids up to the largest), times with many ties,
// profiles in and out of time order, bad timestamps and an AsOf.
func TestSortedByProfileMatchesNaive(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		events, asOf := genGroupEvents(t)
		got, gerr := sortedByProfile(events, asOf)
		want, werr := sortedByProfileNaive(events, asOf)
		if (gerr == nil) != (werr == nil) || gerr != nil && gerr.Error() != werr.Error() {
			t.Fatalf("error %v, the naive sort's %v", gerr, werr)
		}
		if gerr != nil {
			return
		}
		type item struct {
			name string
			t    int64
		}
		var g, w []item
		for e, ts := range got {
			g = append(g, item{e.Name, ts})
		}
		for e, ts := range want {
			w = append(w, item{e.Name, ts})
		}
		if !slices.Equal(g, w) {
			t.Fatalf("order differs from the naive sort's")
		}
		// Stopping early stops both at the same event.
		stop := rapid.IntRange(0, len(events)).Draw(t, "stop")
		var gs, ws []string
		for e := range got {
			if len(gs) == stop {
				break
			}
			gs = append(gs, e.Name)
		}
		for e := range want {
			if len(ws) == stop {
				break
			}
			ws = append(ws, e.Name)
		}
		if !slices.Equal(gs, ws) {
			t.Fatalf("early stop differs")
		}
	})
}

// genGroupEvents draws events for the grouping tests: few or many profiles (sparse ids
// up to the largest), times with many ties, profiles in and out of time order, now and
// then a bad timestamp, and maybe an AsOf.
func genGroupEvents(t *rapid.T) ([]Event, time.Time) {
	n := rapid.IntRange(0, 3000).Draw(t, "n")
	if rapid.Bool().Draw(t, "long") {
		n = rapid.IntRange(1024, 5000).Draw(t, "n") // past radix.Sort's pdqsort cutoff
	}
	profiles := rapid.Uint32Range(1, 1<<32-1).Draw(t, "profiles")
	spread := rapid.IntRange(0, 40).Draw(t, "spread")
	bad := rapid.IntRange(0, 2000).Draw(t, "bad") // one event in bad has a bad time (0: none)
	rng := rand.New(rand.NewPCG(rapid.Uint64().Draw(t, "seed"), 3))
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	events := make([]Event, n)
	for i := range events {
		p := rng.Uint32N(profiles)
		if rng.IntN(8) == 0 {
			p = 1<<32 - 1 - rng.Uint32N(3) // near the top of the id range
		}
		e := Event{Profile: p, Time: base.Add(time.Duration(rng.Int64N(1 << spread))), Name: strconv.Itoa(i)}
		if bad > 0 && rng.IntN(bad) == 0 {
			switch rng.IntN(3) {
			case 0:
				e.Time = time.Time{}
			case 1:
				e.Time = time.Date(1800, 1, 1, 0, 0, 0, 0, time.UTC)
			}
			// case 2: a good time, after AsOf when AsOf is set below it
		}
		events[i] = e
	}
	var asOf time.Time
	if rapid.Bool().Draw(t, "asOf") {
		asOf = base.Add(time.Duration(rng.Int64N(1<<spread + 1)))
	}
	return events, asOf
}

// BenchmarkSpecRunSlice: Spec.Run over the same slice.
func BenchmarkSpecRunSlice(b *testing.B) {
	events := loadSliceBench(b)
	b.ResetTimer()
	for b.Loop() {
		if _, err := benchSteps.Run(events); err != nil {
			b.Fatal(err)
		}
	}
	reportRate(b, len(events))
}
