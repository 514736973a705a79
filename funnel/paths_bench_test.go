package funnel

import "testing"

// BenchmarkPathsBatch: the flows five deep after each profile's first visit, top 10
// names per depth, over the funnel benchmarks' batch (bench_test.go), beside
// FunnelBatch on the same batch (the target: paths to depth 5 ≤ 3× the funnel).
func BenchmarkPathsBatch(b *testing.B) {
	bt := loadBench(b)
	ps := Paths{From: Step{Name: "visit"}, Depth: 5, TopN: 10}
	b.ResetTimer()
	for b.Loop() {
		res, err := ps.RunBatch(bt)
		if err != nil {
			b.Fatal(err)
		}
		if res.Profiles == 0 {
			b.Fatal("no profile visited")
		}
	}
	reportRate(b, bt.Len())
}

// BenchmarkPathsNaive is the baseline: the first million events materialised as Events
// and walked by the slice form.
func BenchmarkPathsNaive(b *testing.B) {
	bt := loadBench(b)
	ps := Paths{From: Step{Name: "visit"}, Depth: 5, TopN: 10}
	benchSlice(b, bt, func(events []Event) error {
		_, err := ps.Run(events)
		return err
	})
}
