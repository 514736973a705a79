package funnel

import (
	"bufio"
	"math/rand/v2"
	"os"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/clientele-go/clientele/internal/benchsize"
)

// Benchmarks run on a columnar batch of FUNNEL_BENCH_EVENTS events (default 10
// million, 100,000 under -short: CI's benchmark smoke) from a tenth as many profiles,
// each profile's events in time order over a year: a 5-step funnel with a 7-day
// window, and a 12-week cohort table. Each sits beside a naive per-profile baseline.
// Run with -cpu 1 for per-core figures.

var benchNames = []string{"visit", "view", "cart", "checkout", "purchase", "other"}

var benchSteps = Spec{Steps: named("visit", "view", "cart", "checkout", "purchase"), Window: 7 * 24 * time.Hour}

var (
	benchOnce  sync.Once
	benchBatch *Batch
)

func loadBench(testing.TB) *Batch {
	benchOnce.Do(func() {
		n := benchsize.Of(10_000_000, 100_000)
		if v, err := strconv.Atoi(os.Getenv("FUNNEL_BENCH_EVENTS")); err == nil && v > 0 {
			n = v
		}
		rng := rand.New(rand.NewPCG(1, 2))
		bt := &Batch{Names: benchNames, Profile: make([]uint32, 0, n+20), Time: make([]int64, 0, n+20), Event: make([]uint32, 0, n+20)}
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
	// Collect the generator's garbage now, so that the first benchmark to run does not
	// pay for it in its CPU time.
	runtime.GC()
	benchCPU = cpuTime()
	return benchBatch
}

// benchCPU is the process's CPU time when the running benchmark loaded its batch.
var benchCPU time.Duration

// benchSlice is the baseline of a batch benchmark: the first million events of bt,
// materialised as Events before the timer, run by the slice form run.
func benchSlice(b *testing.B, bt *Batch, run func([]Event) error) {
	events := make([]Event, min(bt.Len(), 1_000_000))
	for i := range events {
		events[i] = bt.At(i)
	}
	b.ResetTimer()
	for b.Loop() {
		if err := run(events); err != nil {
			b.Fatal(err)
		}
	}
	reportRate(b, len(events))
}

// reportRate reports events per second of wall time and, beside it, CPU nanoseconds
// per event (since loadBench returned: a benchmark's setup after it is counted) and
// cores kept busy (CPU time over wall time).
func reportRate(b *testing.B, events int) {
	b.ReportMetric(float64(events)*float64(b.N)/b.Elapsed().Seconds()/1e6, "Mevents/s")
	if cpu := cpuTime() - benchCPU; cpu > 0 {
		b.ReportMetric(float64(cpu.Nanoseconds())/float64(events*b.N), "cpu-ns/event")
		b.ReportMetric(cpu.Seconds()/b.Elapsed().Seconds(), "cores")
	}
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

// BenchmarkColumnsRead is the memory's bound on any scan of a batch: it only reads the
// three columns RunBatch reads (16 bytes an event), summing them, on every core
// GOMAXPROCS allows. RunBatch's rate over this one is how far it is from the memory
// bandwidth (the issue asks for within 10x).
func BenchmarkColumnsRead(b *testing.B) {
	bt := loadBench(b)
	var sink atomic.Uint64
	b.ResetTimer()
	for b.Loop() {
		sums := split(bt.Len(), workersFor(bt.Len()), func(lo, hi int) uint64 {
			var s uint64
			for i, p := range bt.Profile[lo:hi] {
				s += uint64(p) + uint64(bt.Time[lo+i]) + uint64(bt.Event[lo+i])
			}
			return s
		})
		for _, s := range sums {
			sink.Add(s)
		}
	}
	reportRate(b, bt.Len())
	b.ReportMetric(float64(16*bt.Len())*float64(b.N)/b.Elapsed().Seconds()/1e9, "GB/s")
}

// BenchmarkFunnelBatchScan is RunBatch's parallel part alone: the matching, into a
// Partial. RunBatch less this is the serial part (merging the workers' partials and
// building the Result), which bounds what a second core can give.
func BenchmarkFunnelBatchScan(b *testing.B) {
	bt := loadBench(b)
	b.ResetTimer()
	for b.Loop() {
		if _, err := benchSteps.PartialBatch(bt); err != nil {
			b.Fatal(err)
		}
	}
	reportRate(b, bt.Len())
}

// BenchmarkFunnelResult is RunBatch's last part alone: the Result of the merged
// partial (bitmaps of the profiles at each step, sorted durations).
func BenchmarkFunnelResult(b *testing.B) {
	bt := loadBench(b)
	pt, err := benchSteps.PartialBatch(bt)
	if err != nil {
		b.Fatal(err)
	}
	benchCPU = cpuTime()
	b.ResetTimer()
	for b.Loop() {
		pt.Result()
	}
	reportRate(b, bt.Len())
}

// BenchmarkFunnelBatchSurvival adds what RunBatch leaves until asked: the Kaplan-Meier
// curve of time to convert, which sorts the follow-up time of every profile that
// entered and did not convert.
func BenchmarkFunnelBatchSurvival(b *testing.B) {
	bt := loadBench(b)
	b.ResetTimer()
	for b.Loop() {
		res, err := benchSteps.RunBatch(bt)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := res.TimeToConvert(0.95); err != nil {
			b.Fatal(err)
		}
	}
	reportRate(b, bt.Len())
}

// BenchmarkFunnelBatchBreakdown is FunnelBatch split by a channel property column
// (six values, first touch), what a breakdown costs on the columnar form.
func BenchmarkFunnelBatchBreakdown(b *testing.B) {
	bt := loadBench(b)
	withCh := *bt
	withCh.Values = []string{"", "web", "app", "store", "email", "social", "search"}
	col := make([]uint32, bt.Len())
	for i, p := range bt.Profile {
		col[i] = 1 + (p+uint32(i))%6
	}
	withCh.Props = map[string][]uint32{"ch": col}
	s := benchSteps
	s.Breakdown = &Breakdown{Prop: "ch", Attribution: FirstStep}
	b.ResetTimer()
	for b.Loop() {
		if _, err := s.RunBatch(&withCh); err != nil {
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

// benchLife groups the benchmark's activity by week; one profile in ten was brought by
// the profile half its number.
var benchLife = Lifecycle{By: Week}

func benchReferrals(bt *Batch) map[uint32]uint32 {
	refs := map[uint32]uint32{}
	for i := 0; i < bt.Len(); i++ {
		if p := bt.Profile[i]; p%10 == 0 {
			refs[p] = p / 2
		}
	}
	return refs
}

// BenchmarkLifecycleBatch: RunBatch over the batch, all cores GOMAXPROCS allows.
func BenchmarkLifecycleBatch(b *testing.B) {
	bt := loadBench(b)
	refs := benchReferrals(bt)
	b.ResetTimer()
	for b.Loop() {
		if _, err := benchLife.RunBatch(bt, refs); err != nil {
			b.Fatal(err)
		}
	}
	reportRate(b, bt.Len())
}

// BenchmarkLifecycleSlice: Run over a slice of Events (the first million events of
// the batch, materialised before the timer), whose grouping sort is the main cost.
func BenchmarkLifecycleSlice(b *testing.B) {
	bt := loadBench(b)
	n := min(bt.Len(), 1_000_000)
	evs := make([]Event, n)
	for i := range evs {
		evs[i] = bt.At(i)
		if p := evs[i].Profile; p%10 == 0 {
			evs[i].Props = map[string]string{"referrer": strconv.Itoa(int(p / 2))}
		}
	}
	b.ResetTimer()
	for b.Loop() {
		if _, err := benchLife.Run(evs); err != nil {
			b.Fatal(err)
		}
	}
	reportRate(b, n)
}

// BenchmarkLifecycleNaive is the baseline: events as time.Time and names, a map from
// profile to its visits, purchases and activity, then each profile's milestones from
// those lists and a map of referrers for the advocates. One core.
func BenchmarkLifecycleNaive(b *testing.B) {
	bt := loadBench(b)
	refs := benchReferrals(bt)
	type hist struct{ visits, buys, active []time.Time }
	type miles struct {
		visit, user, customer, repeat time.Time
		streaks                       [][2]time.Time
		weeks                         map[int]bool
	}
	b.ResetTimer()
	for b.Loop() {
		hs := map[uint32]*hist{}
		for i := range bt.Len() {
			e := bt.At(i)
			h := hs[e.Profile]
			if h == nil {
				h = &hist{}
				hs[e.Profile] = h
			}
			switch e.Name {
			case "visit":
				h.visits = append(h.visits, e.Time)
				h.active = append(h.active, e.Time)
			case "purchase":
				h.buys = append(h.buys, e.Time)
				h.active = append(h.active, e.Time)
			}
		}
		ms := make(map[uint32]*miles, len(hs))
		for p, h := range hs {
			m := &miles{weeks: map[int]bool{}}
			if len(h.visits) > 0 {
				m.visit = h.visits[0]
			}
			for i := 1; i < len(h.visits); i++ {
				if h.visits[i].Sub(h.visits[i-1]) <= 30*day {
					m.user = h.visits[i]
					break
				}
			}
			if len(h.buys) > 0 {
				m.customer = h.buys[0]
			}
			if len(h.buys) > 1 {
				m.repeat = h.buys[1]
			}
			for _, t := range h.active {
				if n := len(m.streaks); n > 0 && t.Sub(m.streaks[n-1][1]) < 30*day {
					m.streaks[n-1][1] = t
				} else {
					m.streaks = append(m.streaks, [2]time.Time{t, t})
				}
				y, w := t.ISOWeek()
				m.weeks[y*100+w] = true
			}
			ms[p] = m
		}
		advocates := 0
		for q, p := range refs {
			if mq, mp := ms[q], ms[p]; mq != nil && mp != nil && !mq.user.IsZero() && !mp.customer.IsZero() {
				advocates++
			}
		}
	}
	reportRate(b, bt.Len())
}

// BenchmarkJourneysGrowth: a 52-week growth accounting table and a transition matrix
// over the journeys of the batch (built before the timer); per profile and period.
func BenchmarkJourneysGrowth(b *testing.B) {
	bt := loadBench(b)
	j, err := benchLife.RunBatch(bt, benchReferrals(bt))
	if err != nil {
		b.Fatal(err)
	}
	from := time.Date(2025, 1, 6, 0, 0, 0, 0, time.UTC)
	b.ResetTimer()
	for b.Loop() {
		if _, err := j.Growth(from, from.Add(51*7*day)); err != nil {
			b.Fatal(err)
		}
		j.Transitions(from.Add(90*day), from.Add(180*day))
	}
	b.ReportMetric(float64(j.Profiles())*52*float64(b.N)/b.Elapsed().Seconds()/1e6, "Mprofile-weeks/s")
}

// BenchmarkJourneysShards: the journeys of two halves of the batch sent through bytes
// and merged, as a sharded computation would; the halves are built before the timer.
func BenchmarkJourneysShards(b *testing.B) {
	bt := loadBench(b)
	refs := benchReferrals(bt)
	cut := bt.Len() / 2
	for cut < bt.Len() && bt.Profile[cut] == bt.Profile[cut-1] {
		cut++
	}
	half := func(lo, hi int) *Journeys {
		h := &Batch{Profile: bt.Profile[lo:hi], Time: bt.Time[lo:hi], Event: bt.Event[lo:hi], Names: bt.Names}
		j, err := benchLife.RunBatch(h, refs)
		if err != nil {
			b.Fatal(err)
		}
		return j
	}
	parts := []*Journeys{half(0, cut), half(cut, bt.Len())}
	b.ResetTimer()
	var size int
	for b.Loop() {
		var back []*Journeys
		size = 0
		for _, p := range parts {
			data, err := p.MarshalBinary()
			if err != nil {
				b.Fatal(err)
			}
			size += len(data)
			q, err := decodeJourneys(benchLife, data)
			if err != nil {
				b.Fatal(err)
			}
			back = append(back, q)
		}
		if _, err := MergeJourneys(back...); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(size)/float64(parts[0].Profiles()+parts[1].Profiles()), "bytes/profile")
}

// TestWriteBenchEvents writes the benchmarks' batch, one event a line (profile, time
// in nanoseconds, name id: 0 visit, 1 view, 2 cart, 3 checkout, 4 purchase, 5 other),
// to the CSV file $FUNNEL_BENCH_CSV, for bench/duckdb/funnel.mjs to time DuckDB on the
// same events; without the variable it is skipped.
func TestWriteBenchEvents(t *testing.T) {
	path := os.Getenv("FUNNEL_BENCH_CSV")
	if path == "" {
		t.Skip("FUNNEL_BENCH_CSV is not set")
	}
	bt := loadBench(t)
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	w.WriteString("profile,t,event\n")
	var line []byte
	for i := range bt.Len() {
		line = strconv.AppendUint(line[:0], uint64(bt.Profile[i]), 10)
		line = append(line, ',')
		line = strconv.AppendInt(line, bt.Time[i], 10)
		line = append(line, ',')
		line = strconv.AppendUint(line, uint64(bt.Event[i]), 10)
		line = append(line, '\n')
		w.Write(line)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}
