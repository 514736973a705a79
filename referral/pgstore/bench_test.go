package pgstore

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/clientele-go/clientele/internal/pg"
	"github.com/clientele-go/clientele/internal/pg/pgtest"
	"github.com/clientele-go/clientele/referral"
	"github.com/jackc/pgx/v5/pgxpool"
)

// benchEvents sends b.N events through the programmes, callers goroutines each: person
// i signs up with a referrer's code, then orders, so that most events decide a referral
// or pay rewards. It reports acknowledged events per second.
func benchEvents(b *testing.B, ps []*referral.Program, callers int) {
	for r := 1; r <= referrers; r++ {
		if err := ps[0].Apply(context.Background(), referral.Record{Kind: referral.KindCode, Key: fmt.Sprint("code", r), At: base, Profile: uint32(r), Code: code(r)}); err != nil {
			b.Fatal(err)
		}
	}
	pgtest.Drive(b, ps, callers, func(p *referral.Program, i int64) error {
		j := i / 2
		at := base.Add(time.Duration(j) * time.Second)
		ev := referral.Record{Kind: referral.KindSignup, Key: fmt.Sprint("signup", j), At: at, Profile: uint32(1000 + j), Code: code(1 + int(j)%referrers)}
		if i%2 == 1 {
			ev = referral.Record{Kind: referral.KindOrder, Key: fmt.Sprint("order", j), At: at.Add(time.Minute), Profile: uint32(1000 + j), Order: fmt.Sprint("O", j), Amount: 5000}
		}
		if err := p.Apply(context.Background(), ev); err != nil && !refused(ev, err) {
			return err
		}
		return nil
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

func benchConfig() referral.Rules {
	return referral.Rules{ReferrerReward: 1000, ReferredReward: 500}
}

// BenchmarkEventsPostgres: events through one ledger in PostgreSQL with one and four
// writers (each its own pool, store and programme, as replicas are), 256 callers each;
// BenchmarkEventsFile is the baseline, one programme on a FileStore.
func BenchmarkEventsPostgres(b *testing.B) {
	pgtest.Replicas(b, "events/flush", func(b *testing.B, pool *pgxpool.Pool, schema string) (*referral.Program, *pg.Log) {
		s := openStore(b, pool, schema)
		p, err := referral.Open(s, benchConfig())
		if err != nil {
			b.Fatal(err)
		}
		return p, s.log.Log
	}, func(b *testing.B, ps []*referral.Program) { benchEvents(b, ps, 256) })
}

func BenchmarkEventsFile(b *testing.B) {
	fs, err := referral.OpenFileStore(filepath.Join(b.TempDir(), "ledger"), nil)
	if err != nil {
		b.Fatal(err)
	}
	defer fs.Close()
	p, err := referral.Open(fs, benchConfig())
	if err != nil {
		b.Fatal(err)
	}
	benchEvents(b, []*referral.Program{p}, 256)
}
