package pgstore

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/clientele-go/clientele/identity"
	"github.com/clientele-go/clientele/internal/pg/pgtest"
	"github.com/google/go-cmp/cmp"
)

// TestSequenceSkips is the trap the store avoids, shown on a plain BIGSERIAL table: a
// value assigned at insert becomes visible at commit, so a reader that tails by "id
// greater than the last seen" skips a row whose transaction committed late.
func TestSequenceSkips(t *testing.T) {
	pool := pgtest.Pool(t)
	schema := pgtest.Schema(t, pool)
	ctx := context.Background()
	if _, err := pool.Exec(ctx, "CREATE SCHEMA "+schema+"; CREATE TABLE "+schema+".naive (id bigserial PRIMARY KEY, v text)"); err != nil {
		t.Fatal(err)
	}
	tx1, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	tx1.Exec(ctx, "INSERT INTO "+schema+".naive (v) VALUES ('first')")   // id 1, not committed
	pool.Exec(ctx, "INSERT INTO "+schema+".naive (v) VALUES ('second')") // id 2, committed
	tail := func(after int64) []int64 {
		var ids []int64
		rows, _ := pool.Query(ctx, "SELECT id FROM "+schema+".naive WHERE id > $1 ORDER BY id", after)
		for rows.Next() {
			var id int64
			rows.Scan(&id)
			ids = append(ids, id)
		}
		return ids
	}
	seen := tail(0)
	if err := tx1.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	seen = append(seen, tail(seen[len(seen)-1])...)
	if !slices.Equal(seen, []int64{2}) {
		t.Fatalf("naive reader saw %v; the demonstration expects it to skip 1 and see only [2]", seen)
	}
}

// TestNoSkipWithLateCommits appends from many goroutines, each holding its transaction
// open for a random while before commit, while a follower tails the log: it must see
// every record, once, at consecutive positions, and each writer's in its order.
func TestNoSkipWithLateCommits(t *testing.T) {
	pool := pgtest.Pool(t)
	schema := pgtest.Schema(t, pool)
	s := open(t, pool, schema)
	s.log.Hook = func(int64) { time.Sleep(time.Duration(rand.IntN(3000)) * time.Microsecond) }
	const writers, each = 6, 25
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				if err := s.Append([]byte(fmt.Sprintf("%d/%d", w, i))); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	var got []string
	stop := make(chan struct{})
	followed := make(chan struct{})
	go func() {
		defer close(followed)
		for {
			select {
			case <-stop:
				return
			default:
			}
			for rec, err := range s.Since(uint64(len(got))) {
				if err != nil {
					t.Error(err)
					return
				}
				got = append(got, string(rec))
			}
		}
	}()
	wg.Wait()
	close(stop)
	<-followed
	for rec, err := range s.Since(uint64(len(got))) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, string(rec))
	}
	if len(got) != writers*each {
		t.Fatalf("follower saw %d records, want %d", len(got), writers*each)
	}
	next := make([]int, writers)
	for i, rec := range got {
		var w, k int
		fmt.Sscanf(rec, "%d/%d", &w, &k)
		if k != next[w] {
			t.Fatalf("record %d is %s, want %d/%d: skipped or out of order", i, rec, w, next[w])
		}
		next[w]++
	}
	var all []string
	for rec, err := range s.Records() {
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, string(rec))
	}
	if diff := cmp.Diff(all, got); diff != "" {
		t.Fatalf("follower and a full read differ (-full +follower):\n%s", diff)
	}
}

// TestLateCommitBlocksFollowers holds one append's transaction open before commit: a
// second append cannot take the next position meanwhile, so a follower sees neither
// until the first commits.
func TestLateCommitBlocksFollowers(t *testing.T) {
	pool := pgtest.Pool(t)
	schema := pgtest.Schema(t, pool)
	s := open(t, pool, schema)
	release, held := make(chan struct{}), make(chan struct{})
	var once sync.Once
	s.log.Hook = func(int64) {
		once.Do(func() {
			close(held)
			<-release
		})
	}
	var wg sync.WaitGroup
	wg.Go(func() { s.Append([]byte("first")) })
	<-held
	wg.Go(func() { s.Append([]byte("second")) })
	time.Sleep(50 * time.Millisecond) // let the second reach the lock
	for rec := range s.Since(0) {
		t.Fatalf("follower saw %q before the first append committed", rec)
	}
	close(release)
	wg.Wait()
	var got []string
	for rec, err := range s.Since(0) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, string(rec))
	}
	if !slices.Equal(got, []string{"first", "second"}) {
		t.Fatalf("got %q", got)
	}
}

// TestTerminatedBackend kills the backend of the writer that leads the log, again and
// again, while callers link: no acknowledged link is lost, none is in the log twice, and
// the writer, once it has read the log again, holds the graph a fresh replica does.
func TestTerminatedBackend(t *testing.T) {
	const callers, events = 4, 600
	pool := pgtest.Pool(t)
	schema := pgtest.Schema(t, pool)
	ctx := context.Background()
	r := resolver(t, open(t, pgtest.Pool(t), schema))
	k1, k2 := s0key(schema)
	stop := pgtest.Terminator(t, pool, k1, k2, 0, func() time.Duration { return time.Duration(5+rand.IntN(20)) * time.Millisecond })
	acked := make([]bool, events)
	var failed atomic.Int32
	var wg sync.WaitGroup
	for c := range callers {
		wg.Go(func() {
			for i := c; i < events; i += callers {
				if err := link(ctx, r, 0, i); err != nil {
					failed.Add(1)
					continue
				}
				acked[i] = true
			}
		})
	}
	wg.Wait()
	kills := stop()
	if kills == 0 || failed.Load() == 0 {
		t.Logf("kills %d, failed links %d: the schedule did not interrupt an append", kills, failed.Load())
	}
	fresh := resolver(t, open(t, pool, schema))
	onceEach(t, fresh, acked)
	if _, err := r.CatchUp(ctx); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(answers(fresh, events), answers(r, events)); diff != "" {
		t.Fatalf("the writer differs from a fresh replica (-fresh +writer):\n%s", diff)
	}
	t.Logf("%d backends terminated, %d links failed and were not acknowledged", kills, failed.Load())
}

// onceEach fails t unless the log fresh replayed holds each event acknowledged (acked[i]
// for the event linked at base + i seconds) exactly once, and none twice.
func onceEach(t *testing.T, fresh *identity.Resolver, acked []bool) {
	t.Helper()
	count := make([]int, len(acked))
	for e := range fresh.History() {
		if e.Op == identity.OpLink {
			count[int(e.At.Sub(base)/time.Second)]++
		}
	}
	for i := range acked {
		if count[i] > 1 || acked[i] && count[i] != 1 {
			t.Fatalf("event %d (acknowledged %v) is in the log %d times", i, acked[i], count[i])
		}
	}
}
