package main

import (
	"context"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/clientele-go/clientele"
	"github.com/clientele-go/clientele/identity"
	"github.com/clientele-go/clientele/internal/benchsize"
	"github.com/clientele-go/clientele/internal/pg/pgtest"
	"github.com/clientele-go/clientele/internal/wal"
	"github.com/jackc/pgx/v5"
)

// The restart benchmarks' storage: restartProfiles people, each linked once (one
// identity record each), and restartEvents events among them; under -short (CI's
// benchmark smoke, which only checks that the benchmarks run) 2,000 and 20,000.
var (
	restartProfiles = func() int { return benchsize.Of(100_000, 2_000) }
	restartEvents   = func() int { return benchsize.Of(1_000_000, 20_000) }
)

var restartBase = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

var restartNames = []string{"Page Viewed", "Product Viewed", "Product Added", "Checkout Started", "Order Completed"}

// restartFixture links the people through a resolver in memory and returns its records
// and each person's profile key.
func restartFixture(b *testing.B) (*identity.MemStore, []uint32) {
	var ms identity.MemStore
	r, err := identity.New(identity.DefaultRules(), identity.WithStore(&ms))
	if err != nil {
		b.Fatal(err)
	}
	keys := make([]uint32, restartProfiles())
	for i := range keys {
		k, err := r.Link(context.Background(), restartBase.Add(time.Duration(i)), "web",
			identity.ID{Kind: "anonymous_id", Value: "a" + strconv.Itoa(i)},
			identity.ID{Kind: "email", Value: "p" + strconv.Itoa(i) + "@example.com"})
		if err != nil {
			b.Fatal(err)
		}
		keys[i] = k
	}
	return &ms, keys
}

// restartEvent is event j of the log: a person drawn by a multiplicative hash, one of
// five names, a second after the one before; keyed, with the de-duplication key of a
// call whose messageId is j (as every call of Segment's libraries has one).
func restartEvent(j int, keys []uint32, keyed bool) event {
	e := event{At: restartBase.Add(time.Duration(j) * time.Second), Name: restartNames[j*7%len(restartNames)],
		Profile: keys[j*7919%len(keys)]}
	if keyed {
		e.Key, e.Keyed = dedupKey("bench", strconv.Itoa(j)), true
	}
	return e
}

// BenchmarkRestart measures how long a replica of the example server takes to start
// (newServerOn: the resolver replays the identity log, the referral ledger is read,
// the segment index is loaded and funnels' events read) on storage holding 100,000
// linked people and 1,000,000 events (fewer under -short), file and PostgreSQL. "snapshot" starts from a
// segment snapshot that holds every event (what -snapshot-every leaves, give or take its
// period), "naive" from none: the index is rebuilt from every event. The event log is
// read whole either way, since funnels answer from every event kept. "keys=messageId"
// has every event carry its call's de-duplication key, which a start reads back into
// the ring of remembered messageIds; "keys=none" has none (calls without a messageId, or
// stored before keys were).
func BenchmarkRestart(b *testing.B) {
	ms, keys := restartFixture(b)
	for _, keyed := range []bool{false, true} {
		name := map[bool]string{false: "keys=none", true: "keys=messageId"}[keyed]
		b.Run(name, func(b *testing.B) { benchRestartStores(b, ms, keys, keyed) })
	}
}

// benchRestartStores runs benchRestart on a file store and on PostgreSQL, each filled
// with the fixture's records and restartEvents events, keyed or not.
func benchRestartStores(b *testing.B, ms *identity.MemStore, keys []uint32, keyed bool) {
	b.Run("store=file", func(b *testing.B) {
		dir := filepath.Join(b.TempDir(), "data")
		st, err := openStorage(context.Background(), "file:"+dir, "", 0)
		if err != nil {
			b.Fatal(err)
		}
		st.close() // the logs are written below without an fsync per record
		fs, err := identity.OpenFileStore(filepath.Join(dir, "identity.log"), &identity.FileOptions{NoSync: true})
		if err != nil {
			b.Fatal(err)
		}
		for rec := range ms.Records() {
			if err := fs.Append(rec); err != nil {
				b.Fatal(err)
			}
		}
		if err := fs.Close(); err != nil {
			b.Fatal(err)
		}
		l, err := wal.Open(filepath.Join(dir, "events.log"), &wal.Options{Sync: wal.SyncManual})
		if err != nil {
			b.Fatal(err)
		}
		n := restartEvents()
		for j := 0; j < n; j += 10_000 {
			recs := make([][]byte, 0, 10_000)
			for k := j; k < min(j+10_000, n); k++ {
				recs = append(recs, encodeEvent(restartEvent(k, keys, keyed)))
			}
			if err := l.Append(recs...); err != nil {
				b.Fatal(err)
			}
		}
		if err := l.Sync(); err != nil {
			b.Fatal(err)
		}
		l.Close()
		if st, err = openStorage(context.Background(), "file:"+dir, "", 0); err != nil {
			b.Fatal(err)
		}
		defer st.close()
		benchRestart(b, st, keyed)
	})
	b.Run("store=postgres", func(b *testing.B) {
		ctx := context.Background()
		pool := pgtest.Pool(b)
		schema := pgtest.Schema(b, pool)
		st, err := openStorage(ctx, pgtest.URL(b), schema, defaultPGTimeout)
		if err != nil {
			b.Fatal(err)
		}
		defer st.close()
		var ids [][]any
		for rec := range ms.Records() {
			ids = append(ids, []any{int64(len(ids)), append([]byte(nil), rec...)})
		}
		if _, err := pool.CopyFrom(ctx, pgx.Identifier{schema, "identity_log"}, []string{"pos", "rec"}, pgx.CopyFromRows(ids)); err != nil {
			b.Fatal(err)
		}
		evs := make([][]any, restartEvents())
		for j := range evs {
			e := restartEvent(j, keys, keyed)
			var key []byte // NULL without a key
			if e.Keyed {
				key = e.Key[:]
			}
			evs[j] = []any{int64(j), e.At.UnixNano(), e.Name, int64(e.Profile), key}
		}
		if _, err := pool.CopyFrom(ctx, pgx.Identifier{schema, "server_event"}, []string{"pos", "at", "name", "profile", "dedup"}, pgx.CopyFromRows(evs)); err != nil {
			b.Fatal(err)
		}
		if _, err := pool.Exec(ctx, "ANALYZE "+schema+".identity_log; ANALYZE "+schema+".server_event"); err != nil {
			b.Fatal(err)
		}
		benchRestart(b, st, keyed)
	})
}

// benchRestart starts servers on st: first without a segment snapshot (naive), then,
// once one server has written a snapshot of every event, from it; each start must
// remember the log's last keys if it is keyed, and none if not.
func benchRestart(b *testing.B, st *storage, keyed bool) {
	ctx := context.Background()
	clock := clientele.FixedClock(restartBase)
	start := func(b *testing.B) *server {
		cpu := cpuTime()
		var s *server
		for b.Loop() {
			var err error
			if s, err = newServerOn(ctx, clock, st); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/start")
		b.ReportMetric((cpuTime()-cpu).Seconds()/float64(b.N), "cpu-s/start")
		if s.applied != uint64(restartEvents()) {
			b.Fatalf("the server applied %d events, want %d", s.applied, restartEvents())
		}
		s.seen.mu.Lock()
		remembered := len(s.seen.seen)
		s.seen.mu.Unlock()
		if want := map[bool]int{false: 0, true: min(restartEvents(), s.seen.capacity())}[keyed]; remembered != want {
			b.Fatalf("the server remembers %d messageIds, want %d", remembered, want)
		}
		return s
	}
	var last *server
	b.Run("naive", func(b *testing.B) { last = start(b) })
	if last == nil { // -bench chose the snapshot start alone: start once unmeasured
		var err error
		if last, err = newServerOn(ctx, clock, st); err != nil {
			b.Fatal(err)
		}
	}
	if err := last.snapshot(context.Background()); err != nil {
		b.Fatal(err)
	}
	b.Run("snapshot", func(b *testing.B) {
		if s := start(b); s.snapPos != uint64(restartEvents()) {
			b.Fatalf("the server started from a snapshot at %d, want %d", s.snapPos, restartEvents())
		}
	})
}

// cpuTime is the process's CPU time, user and system, all threads (getrusage): the cost
// of a start that the shared machine's other work inflates less than the wall time.
// The database's own CPU is not in it.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
