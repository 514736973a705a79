package funnel

import (
	"testing"
	"time"
)

var benchTrend = Trend{Spec: benchSteps, By: Week, Location: time.UTC}

// BenchmarkTrendBatch: the 5-step funnel's weekly trend over the funnel benchmarks'
// batch (bench_test.go), beside FunnelBatch on the same batch (the target:
// ≤ 1.5× the funnel).
func BenchmarkTrendBatch(b *testing.B) {
	bt := loadBench(b)
	b.ResetTimer()
	for b.Loop() {
		res, err := benchTrend.RunBatch(bt)
		if err != nil {
			b.Fatal(err)
		}
		if len(res.Periods) < 40 {
			b.Fatalf("%d weeks", len(res.Periods))
		}
	}
	reportRate(b, bt.Len())
}

// BenchmarkTrendNaive is the baseline: the first million events materialised as Events
// and trended by the slice form.
func BenchmarkTrendNaive(b *testing.B) {
	bt := loadBench(b)
	benchSlice(b, bt, func(events []Event) error {
		_, err := benchTrend.Run(events)
		return err
	})
}
