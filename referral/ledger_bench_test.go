package referral

import (
	"context"
	"fmt"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/clientele-go/clientele/internal/benchsize"
)

// orderEvent is the i-th order of the benchmarks: 50,000 customers buying in turn.
func orderEvent(i int) Record {
	return Record{Kind: KindOrder, Key: fmt.Sprint("o", i), At: day(1), Profile: uint32(i%50000 + 1), Order: fmt.Sprint("O", i), Amount: 1000}
}

func benchProgram(b *testing.B) (*Program, *FileStore) {
	fs, err := OpenFileStore(filepath.Join(b.TempDir(), "ledger.wal"), nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { fs.Close() })
	p, err := Open(fs, Rules{ReferrerReward: 100})
	if err != nil {
		b.Fatal(err)
	}
	return p, fs
}

// BenchmarkLedgerOrdersConcurrent is the target: order events from many
// concurrent callers (128 per CPU), each call durable on return, to the file store.
// Group commit gathers the events decided while one fsync runs into the next.
func BenchmarkLedgerOrdersConcurrent(b *testing.B) {
	p, _ := benchProgram(b)
	var n atomic.Int64
	b.SetParallelism(128)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := n.Add(1)
			if err := p.Order(context.Background(), day(1), fmt.Sprint("o", i), uint32(i%50000+1), fmt.Sprint("O", i), 1000); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkLedgerApplyBatch hands 8192 events at a time to one Apply (a bulk import or
// a queue consumer), which commits them in chunks while it decides the next.
func BenchmarkLedgerApplyBatch(b *testing.B) {
	p, _ := benchProgram(b)
	applyOrders(b, p)
}

// applyOrders hands b.N order events to p.Apply, 8192 at a time.
func applyOrders(b *testing.B, p *Program) {
	const size = 8192
	batch := make([]Record, size)
	i := 0
	b.ResetTimer()
	for done := 0; done < b.N; done += size {
		for k := range batch {
			i++
			batch[k] = orderEvent(i)
		}
		if err := p.Apply(context.Background(), batch[:min(size, b.N-done)]...); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkLedgerOrdersFsyncEach is the naive baseline: one caller, so every event
// waits for its own fsync.
func BenchmarkLedgerOrdersFsyncEach(b *testing.B) {
	p, _ := benchProgram(b)
	b.ResetTimer()
	for i := range b.N {
		if err := p.Order(context.Background(), day(1), fmt.Sprint("o", i), uint32(i%50000+1), fmt.Sprint("O", i), 1000); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkLedgerReplay measures Open over a file of 200,000 events (5,000 under -short,
// CI's benchmark smoke).
func BenchmarkLedgerReplay(b *testing.B) {
	p, fs := benchProgram(b)
	batch := make([]Record, 1000)
	n := benchsize.Of(200_000, 5_000)
	for i := 0; i < n; i += len(batch) {
		for k := range batch {
			j := i + k
			batch[k] = orderEvent(j)
		}
		if err := p.Apply(context.Background(), batch...); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	for b.Loop() {
		if _, err := Open(fs, Rules{}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkLedgerDecideMemory is the programme's own cost per event, without a disk:
// Apply into a MemStore.
func BenchmarkLedgerDecideMemory(b *testing.B) {
	p, err := Open(&MemStore{}, Rules{ReferrerReward: 100})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	applyOrders(b, p)
}
