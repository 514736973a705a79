package funnel

import "testing"

var benchSticky = Stickiness{Event: Step{Name: "visit"}, By: Week}

// BenchmarkStickinessBatch: days a week with a visit, per week and per cohort, over the
// funnel benchmarks' batch (bench_test.go).
func BenchmarkStickinessBatch(b *testing.B) {
	bt := loadBench(b)
	b.ResetTimer()
	for b.Loop() {
		res, err := benchSticky.RunBatch(bt)
		if err != nil {
			b.Fatal(err)
		}
		if len(res.Periods) == 0 {
			b.Fatal("no weeks")
		}
	}
	reportRate(b, bt.Len())
}

// BenchmarkStickinessNaive is the baseline: the first million events materialised as
// Events and run by the slice form.
func BenchmarkStickinessNaive(b *testing.B) {
	bt := loadBench(b)
	n := min(bt.Len(), 1_000_000)
	events := make([]Event, n)
	for i := range events {
		events[i] = bt.At(i)
	}
	b.ResetTimer()
	for b.Loop() {
		if _, err := benchSticky.Run(events); err != nil {
			b.Fatal(err)
		}
	}
	reportRate(b, n)
}
