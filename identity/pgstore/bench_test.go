package pgstore

import (
	"context"
	"path/filepath"
	"slices"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/clientele-go/clientele"
	"github.com/clientele-go/clientele/identity"
	"github.com/clientele-go/clientele/internal/benchsize"
	"github.com/clientele-go/clientele/internal/pg"
	"github.com/clientele-go/clientele/internal/pg/pgtest"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// benchEvent is event i of the benchmarks: a new anonymous id seen with one of a
// million e-mails, so most events join an existing profile and some merge.
func benchEvent(i int64) []identity.ID {
	return []identity.ID{
		{Kind: "anonymous_id", Value: "a" + strconv.FormatInt(i, 10)},
		{Kind: "email", Value: "e" + strconv.FormatInt(i*7919%1_000_000, 10) + "@example.com"},
	}
}

// benchLinks links b.N events through the resolvers, callers goroutines per resolver
// (the concurrency a service's request handlers give), and reports acknowledged links
// per second.
func benchLinks(b *testing.B, rs []*identity.Resolver, callers int) {
	ctx := context.Background()
	pgtest.Drive(b, rs, callers, func(r *identity.Resolver, i int64) error {
		_, err := r.Link(ctx, base.Add(time.Duration(i)), "web", benchEvent(i)...)
		return err
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "links/s")
}

// BenchmarkLinkPostgres: links through PostgreSQL with one and four writers (each its
// own pool, store and resolver, as separate replicas would be), 256 callers each.
func BenchmarkLinkPostgres(b *testing.B) {
	pgtest.Replicas(b, "links/flush", func(b *testing.B, pool *pgxpool.Pool, schema string) (*identity.Resolver, *pg.Log) {
		s := open(b, pool, schema)
		return resolver(b, s), s.log
	}, func(b *testing.B, rs []*identity.Resolver) { benchLinks(b, rs, 256) })
}

// BenchmarkLinkFile is the baseline beside BenchmarkLinkPostgres: the same links through
// one resolver on a FileStore (fsync per group commit).
func BenchmarkLinkFile(b *testing.B) {
	fs, err := identity.OpenFileStore(filepath.Join(b.TempDir(), "log"), nil)
	if err != nil {
		b.Fatal(err)
	}
	defer fs.Close()
	r := resolver(b, fs)
	benchLinks(b, []*identity.Resolver{r}, 256)
}

// replayRecords returns the records of a resolver that linked n events, in memory.
func replayRecords(b *testing.B, n int) *identity.MemStore {
	var ms identity.MemStore
	r := resolver(b, &ms)
	for i := range int64(n) {
		if _, err := r.Link(context.Background(), base.Add(time.Duration(i)), "web", benchEvent(i)...); err != nil {
			b.Fatal(err)
		}
	}
	return &ms
}

// replayN is the replay benchmarks' log: a million records, 20,000 under -short (CI's
// benchmark smoke).
func replayN() int { return benchsize.Of(1_000_000, 20_000) }

// BenchmarkReplayPostgres opens a resolver on a log of a million records in PostgreSQL
// and reports records replayed per second; BenchmarkReplayFile is its baseline.
func BenchmarkReplayPostgres(b *testing.B) {
	pool := pgtest.Pool(b)
	schema := pgtest.Schema(b, pool)
	s := open(b, pool, schema)
	ms := replayRecords(b, replayN())
	var rows [][]any
	pos := int64(0)
	for rec := range ms.Records() {
		rows = append(rows, []any{pos, slices.Clone(rec)})
		pos++
	}
	if _, err := pool.CopyFrom(context.Background(), pgx.Identifier{schema, "identity_log"}, []string{"pos", "rec"}, pgx.CopyFromRows(rows)); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	cpu := cpuTime()
	for range b.N {
		if _, err := identity.New(identity.DefaultRules(), identity.WithStore(s)); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*len(rows))/b.Elapsed().Seconds(), "records/s")
	b.ReportMetric(float64(cpuTime()-cpu)/float64(b.N*len(rows)), "cpu-ns/record")
}

// cpuTime is the process's CPU time, user and system, all threads: a replay's cost that
// the other work of a shared machine does not inflate as it does the wall time (the
// server's own work is not in it).
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func BenchmarkReplayFile(b *testing.B) {
	path := filepath.Join(b.TempDir(), "log")
	fs, err := identity.OpenFileStore(path, &identity.FileOptions{NoSync: true})
	if err != nil {
		b.Fatal(err)
	}
	ms := replayRecords(b, replayN())
	n := 0
	for rec := range ms.Records() {
		fs.Append(rec)
		n++
	}
	fs.Close()
	b.ResetTimer()
	cpu := cpuTime()
	for range b.N {
		fs, err := identity.OpenFileStore(path, nil)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := identity.New(identity.DefaultRules(), identity.WithStore(fs)); err != nil {
			b.Fatal(err)
		}
		fs.Close()
	}
	b.ReportMetric(float64(b.N*n)/b.Elapsed().Seconds(), "records/s")
	b.ReportMetric(float64(cpuTime()-cpu)/float64(b.N*n), "cpu-ns/record")
}

// BenchmarkFollowerLag links on one replica and measures how long until another,
// following with Follow, finds the new identifier: p50 and p99 in milliseconds.
func BenchmarkFollowerLag(b *testing.B) {
	pool := pgtest.Pool(b)
	schema := pgtest.Schema(b, pool)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	w := resolver(b, open(b, pool, schema))
	fs := open(b, pgtest.Pool(b), schema)
	f := resolver(b, fs)
	go fs.Follow(ctx, f, &FollowOptions{Poll: time.Second})
	clock := clientele.SystemClock{}
	lags := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := range int64(b.N) {
		ids := benchEvent(i)
		t0 := clock.Now()
		if _, err := w.Link(ctx, base.Add(time.Duration(i)), "web", ids...); err != nil {
			b.Fatal(err)
		}
		for {
			if _, ok := f.Lookup(ids[0]); ok {
				break
			}
			time.Sleep(20 * time.Microsecond)
		}
		lags = append(lags, clock.Now().Sub(t0))
	}
	slices.Sort(lags)
	ms := func(q float64) float64 { return float64(lags[int(q*float64(len(lags)-1))]) / 1e6 }
	b.ReportMetric(ms(0.5), "p50-ms")
	b.ReportMetric(ms(0.99), "p99-ms")
}

// BenchmarkLinkBatchPostgres bulk-loads b.N events into a PostgreSQL log through one
// resolver's LinkSeq: each group of a few hundred events is led once and flushed in one
// INSERT. BenchmarkLinkBatchPostgresNaive is the loader without it: Link per event from
// one caller, a flush (a round trip and a commit) each.
func BenchmarkLinkBatchPostgres(b *testing.B) { benchBulk(b, true) }

func BenchmarkLinkBatchPostgresNaive(b *testing.B) { benchBulk(b, false) }

func benchBulk(b *testing.B, batch bool) {
	pool := pgtest.Pool(b)
	s := open(b, pool, pgtest.Schema(b, pool))
	r := resolver(b, s)
	ctx := context.Background()
	b.ResetTimer()
	cpu := cpuTime()
	if batch {
		n, err := r.LinkSeq(ctx, func(yield func(identity.Event) bool) {
			for i := range int64(b.N) {
				if !yield(identity.Event{At: base.Add(time.Duration(i)), Source: "web", IDs: benchEvent(i)}) {
					return
				}
			}
		})
		if err != nil || n != b.N {
			b.Fatalf("linked %d of %d: %v", n, b.N, err)
		}
	} else {
		for i := range int64(b.N) {
			if _, err := r.Link(ctx, base.Add(time.Duration(i)), "web", benchEvent(i)...); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(float64(cpuTime()-cpu)/float64(b.N), "cpu-ns/event")
	b.ReportMetric(float64(b.N)/float64(max(s.log.Flushes(), 1)), "events/flush")
}
