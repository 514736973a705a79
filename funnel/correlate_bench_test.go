package funnel

import (
	"fmt"
	"sync"
	"testing"

	"github.com/clientele-go/clientele/internal/benchsize"
)

// Correlation benchmarks: the funnel benchmarks' batch (bench_test.go) with its
// "other" events (5%) spread over 1,000 names, so that 1,000 event names are
// candidates; FunnelBatch1000 is the funnel alone on the same batch, the cost the
// issue's target (correlation ≤ 3× the funnel) is measured against.

var (
	corrBenchOnce  sync.Once
	corrBenchBatch *Batch
)

func loadCorrBench(b *testing.B) *Batch {
	bt := loadBench(b)
	corrBenchOnce.Do(func() {
		names := append([]string(nil), benchNames[:5]...)
		for i := range 1000 {
			names = append(names, fmt.Sprintf("feature%03d", i))
		}
		ev := make([]uint32, bt.Len())
		for i, id := range bt.Event {
			if id == 5 {
				id = 5 + uint32(uint64(i)*2654435761%1000)
			}
			ev[i] = id
		}
		corrBenchBatch = &Batch{Profile: bt.Profile, Time: bt.Time, Event: ev, Names: names}
	})
	return corrBenchBatch
}

func BenchmarkFunnelBatch1000(b *testing.B) {
	bt := loadCorrBench(b)
	b.ResetTimer()
	for b.Loop() {
		if _, err := benchSteps.RunBatch(bt); err != nil {
			b.Fatal(err)
		}
	}
	reportRate(b, bt.Len())
}

// BenchmarkCorrelateBatch: every one of the 1,000 names tested among converters and
// non-converters of the 5-step funnel.
func BenchmarkCorrelateBatch(b *testing.B) {
	bt := loadCorrBench(b)
	b.ResetTimer()
	for b.Loop() {
		res, err := Correlate{Spec: benchSteps}.RunBatch(bt)
		if err != nil {
			b.Fatal(err)
		}
		// At full size every one of the 1,000 names occurs among the funnel's entrants;
		// the batch of -short (about 5 events a name) misses a tenth of them.
		if want := benchsize.Of(1000, 800); res.Tested < want {
			b.Fatalf("%d candidates tested, want at least %d", res.Tested, want)
		}
	}
	reportRate(b, bt.Len())
}

// BenchmarkCorrelateNaive is the baseline: the first million events materialised as
// Events and correlated by the slice form (string names, a map per event).
func BenchmarkCorrelateNaive(b *testing.B) {
	bt := loadCorrBench(b)
	benchSlice(b, bt, func(events []Event) error {
		_, err := Correlate{Spec: benchSteps}.Run(events)
		return err
	})
}
