package wal

import (
	"path/filepath"
	"testing"

	"github.com/clientele-go/clientele/internal/benchsize"
)

var benchRecord = make([]byte, 64) // a typical identity or ledger record

// BenchmarkAppendFsyncEach is the naive baseline: one writer, one fsync per record.
func BenchmarkAppendFsyncEach(b *testing.B) {
	l := mustOpen(b, filepath.Join(b.TempDir(), "log"), nil)
	defer l.Close()
	b.SetBytes(int64(len(benchRecord)))
	for b.Loop() {
		if err := l.Append(benchRecord); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAppendGroupCommit: many concurrent writers, each Append durable on return,
// sharing fsyncs.
func BenchmarkAppendGroupCommit(b *testing.B) {
	l := mustOpen(b, filepath.Join(b.TempDir(), "log"), nil)
	defer l.Close()
	b.SetBytes(int64(len(benchRecord)))
	b.SetParallelism(64)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := l.Append(benchRecord); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkAppendBatch256: one writer, 256 records per durable Append.
func BenchmarkAppendBatch256(b *testing.B) {
	l := mustOpen(b, filepath.Join(b.TempDir(), "log"), nil)
	defer l.Close()
	batch := make([][]byte, 256)
	for i := range batch {
		batch[i] = benchRecord
	}
	b.SetBytes(int64(len(benchRecord) * len(batch)))
	for b.Loop() {
		if err := l.Append(batch...); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*len(batch))/b.Elapsed().Seconds(), "records/s")
}

// BenchmarkReplay reads back a log of one million records (10,000 under -short, CI's
// benchmark smoke).
func BenchmarkReplay(b *testing.B) {
	l := mustOpen(b, filepath.Join(b.TempDir(), "log"), &Options{Sync: SyncManual})
	defer l.Close()
	n := benchsize.Of(1_000_000, 10_000)
	batch := make([][]byte, 1000)
	for i := range batch {
		batch[i] = benchRecord
	}
	for range n / len(batch) {
		if err := l.Append(batch...); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(l.Size())
	for b.Loop() {
		count := 0
		for _, err := range l.Records() {
			if err != nil {
				b.Fatal(err)
			}
			count++
		}
		if count != n {
			b.Fatalf("replayed %d records, want %d", count, n)
		}
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "records/s")
}
