package funnel

import (
	"math/rand/v2"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"
)

// Benchmarks run on a columnar batch of FUNNEL_BENCH_EVENTS events (default 10
// million) from a tenth as many profiles, each profile's events in time order over a
// year: a 5-step funnel with a 7-day window, and a 12-week cohort table. Each sits
// beside a naive per-profile baseline. Run with -cpu 1 for per-core figures.

var benchNames = []string{"visit", "view", "cart", "checkout", "purchase", "other"}

var benchSteps = Spec{Steps: named("visit", "view", "cart", "checkout", "purchase"), Window: 7 * 24 * time.Hour}

var (
	benchOnce  sync.Once
	benchBatch *Batch
)

func loadBench(b *testing.B) *Batch {
	benchOnce.Do(func() {
		n := 10_000_000
		if v, err := strconv.Atoi(os.Getenv("FUNNEL_BENCH_EVENTS")); err == nil && v > 0 {
			n = v
		}
		rng := rand.New(rand.NewPCG(1, 2))
		bt := &Batch{Names: benchNames, Profile: make([]uint32, 0, n), Time: make([]int64, 0, n), Event: make([]uint32, 0, n)}
		start := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano()
		weights := []float64{0.45, 0.22, 0.13, 0.09, 0.06, 0.05}
		for p := uint32(1); bt.Len() < n; p++ {
			m := 1 + rng.IntN(19)
			t := start + rng.Int64N(300*nsPerDay)
			for range m {
				u, id := rng.Float64(), 0
				for id < len(weights)-1 && u > weights[id] {
					u -= weights[id]
					id++
				}
				bt.Profile = append(bt.Profile, p)
				bt.Time = append(bt.Time, t)
				bt.Event = append(bt.Event, uint32(id))
				t += int64(rng.ExpFloat64() * float64(nsPerDay))
			}
		}
		benchBatch = bt
	})
	return benchBatch
}

func reportRate(b *testing.B, events int) {
	b.ReportMetric(float64(events)*float64(b.N)/b.Elapsed().Seconds()/1e6, "Mevents/s")
}

// BenchmarkFunnelBatch: RunBatch, the fast matcher, all cores GOMAXPROCS allows.
func BenchmarkFunnelBatch(b *testing.B) {
	bt := loadBench(b)
	b.ResetTimer()
	for b.Loop() {
		if _, err := benchSteps.RunBatch(bt); err != nil {
			b.Fatal(err)
		}
	}
	reportRate(b, bt.Len())
}

// BenchmarkFunnelBatchExact forces the exact (Pareto) matcher on the same funnel, to
// show what the fast matcher saves.
func BenchmarkFunnelBatchExact(b *testing.B) {
	bt := loadBench(b)
	s := benchSteps
	s.Steps = append([]Step(nil), s.Steps...)
	s.Steps[4].Within = s.Window // a no-op bound that disqualifies the fast matcher
	b.ResetTimer()
	for b.Loop() {
		if _, err := s.RunBatch(bt); err != nil {
			b.Fatal(err)
		}
	}
	reportRate(b, bt.Len())
}

// BenchmarkFunnelNaive is the baseline: per profile, materialise Events with names and
// times, then from every first-step event scan forward for the deepest step within the
// window, comparing names as strings. One core.
func BenchmarkFunnelNaive(b *testing.B) {
	bt := loadBench(b)
	names := []string{"visit", "view", "cart", "checkout", "purchase"}
	w := benchSteps.Window
	b.ResetTimer()
	for b.Loop() {
		counts := make([]int, len(names)+1)
		var evs []Event
		for i := 0; i < bt.Len(); {
			j := i
			evs = evs[:0]
			for ; j < bt.Len() && bt.Profile[j] == bt.Profile[i]; j++ {
				evs = append(evs, bt.At(j))
			}
			best := 0
			for a, e := range evs {
				if e.Name != names[0] {
					continue
				}
				level := 1
				for _, f := range evs[a+1:] {
					if f.Time.Sub(e.Time) > w || level == len(names) {
						break
					}
					if f.Name == names[level] {
						level++
					}
				}
				best = max(best, level)
			}
			counts[best]++
			i = j
		}
	}
	reportRate(b, bt.Len())
}

var twelveWeeks = Cohorts{Start: Step{Name: "visit"}, Return: Step{Name: "visit"}, By: Week, Periods: 12}

// BenchmarkCohortBatch: the 12-week cohort table over the batch.
func BenchmarkCohortBatch(b *testing.B) {
	bt := loadBench(b)
	b.ResetTimer()
	for b.Loop() {
		if _, err := twelveWeeks.RunBatch(bt); err != nil {
			b.Fatal(err)
		}
	}
	reportRate(b, bt.Len())
}

// BenchmarkCohortNaive is the baseline: events as time.Time, a map from profile to its
// first visit and a map of return weeks, weeks by calendar arithmetic.
func BenchmarkCohortNaive(b *testing.B) {
	bt := loadBench(b)
	b.ResetTimer()
	for b.Loop() {
		first := map[uint32]time.Time{}
		for i := range bt.Len() {
			e := bt.At(i)
			if e.Name == "visit" {
				if f, ok := first[e.Profile]; !ok || e.Time.Before(f) {
					first[e.Profile] = e.Time
				}
			}
		}
		week := func(t time.Time) int {
			return int(t.Sub(time.Date(2024, 12, 30, 0, 0, 0, 0, time.UTC)) / (7 * 24 * time.Hour))
		}
		table := map[int][]int{}
		seen := map[[2]int]bool{}
		for i := range bt.Len() {
			e := bt.At(i)
			f, ok := first[e.Profile]
			if !ok || e.Name != "visit" {
				continue
			}
			c, k := week(f), week(e.Time)-week(f)
			if table[c] == nil {
				table[c] = make([]int, 13)
			}
			if k >= 0 && k <= 12 && !seen[[2]int{int(e.Profile), k}] {
				seen[[2]int{int(e.Profile), k}] = true
				table[c][k]++
			}
		}
	}
	reportRate(b, bt.Len())
}

// BenchmarkLevel: one profile's Level from a slice of Events (the per-call path).
func BenchmarkLevel(b *testing.B) {
	bt := loadBench(b)
	var evs []Event
	for i := 0; i < 20; i++ {
		evs = append(evs, bt.At(i))
	}
	for b.Loop() {
		benchSteps.Level(evs)
	}
}
