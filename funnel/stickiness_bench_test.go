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
	benchSlice(b, bt, func(events []Event) error {
		_, err := benchSticky.Run(events)
		return err
	})
}
