package pgstore

import (
	"context"
	"fmt"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/clientele-go/clientele/internal/pg"
	"github.com/clientele-go/clientele/internal/pg/pgtest"
	"github.com/clientele-go/clientele/referral/loyalty"
	"github.com/jackc/pgx/v5/pgxpool"
)

// benchEarns sends b.N earns through the ledgers, callers goroutines each: 50,000
// members buying in turn, a second apart. It reports acknowledged events per second
// and this process's CPU time per event (PostgreSQL's is not counted).
func benchEarns(b *testing.B, ls []*loyalty.Ledger, callers int) {
	var refused atomic.Int64
	cpu := cpuTime()
	pgtest.Drive(b, ls, callers, func(l *loyalty.Ledger, i int64) error {
		at := base.Add(time.Duration(i) * time.Second)
		_, err := l.Earn(context.Background(), at, fmt.Sprint("e", i), uint32(i%50000+1), fmt.Sprint("O", i), 1000+i%5000)
		if refusedErr(err) {
			refused.Add(1) // a member's earlier order stalled behind its later one
			return nil
		}
		return err
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(float64(cpuTime()-cpu)/float64(b.N), "cpu-ns/event")
	b.ReportMetric(float64(refused.Load()), "refused")
}

func refusedErr(err error) bool { return err != nil && refused(err) }

// BenchmarkEarnPostgres: earns through one shared log in PostgreSQL with one and four
// writers (each its own pool, store and ledger, as replicas are), 256 callers each,
// every event committed before its call returns; BenchmarkEarnFile is the baseline,
// one ledger on a FileStore (an fsync per group commit).
func BenchmarkEarnPostgres(b *testing.B) {
	pgtest.Replicas(b, "events/flush", func(b *testing.B, pool *pgxpool.Pool, schema string) (*loyalty.Ledger, *pg.Log) {
		s := openStore(b, pool, schema)
		return openLedger(b, s), s.log.Log
	}, func(b *testing.B, ls []*loyalty.Ledger) { benchEarns(b, ls, 256) })
}

func BenchmarkEarnFile(b *testing.B) {
	fs, err := loyalty.OpenFileStore(filepath.Join(b.TempDir(), "ledger"), nil)
	if err != nil {
		b.Fatal(err)
	}
	defer fs.Close()
	benchEarns(b, []*loyalty.Ledger{openLedger(b, fs)}, 256)
}
