package pgstore

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/clientele-go/clientele/internal/pg/pgtest"
	"github.com/clientele-go/clientele/referral/loyalty"
	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5/pgxpool"
)

var base = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func TestMain(m *testing.M) { pgtest.Main(m, "LOYALTY_WRITER", writerProcess) }

// The workload: members 1..members place orders, spend, get refunds and bonuses, and two
// of them are merged half-way. Events come in blocks of 40 sharing one instant, so that
// replicas seldom refuse an event for coming before its member's last (the rule that a
// member's events are recorded in time order): which spends are covered and which
// refunds find their order depends on the other replicas' events before them.
const members = 8

func rules() loyalty.Rules {
	return loyalty.Rules{
		Expiry: loyalty.Expiry{Rule: loyalty.AfterDays, N: 20},
		Tiers:  []loyalty.Tier{{Name: "member"}, {Name: "silver", Threshold: 300, Multiplier: 150}, {Name: "gold", Threshold: 900, Multiplier: 200}},
		Window: 10 * 24 * time.Hour, Grace: 2 * 24 * time.Hour,
	}
}

// events returns the workload's events for n orders, in the order a single source
// would emit them.
func events(n int) []loyalty.Record {
	var evs []loyalty.Record
	for j := range n {
		m := uint32(1 + j%members)
		at := base.Add(time.Duration(j/40) * 24 * time.Hour)
		evs = append(evs, loyalty.Record{Kind: loyalty.KindEarn, Key: fmt.Sprint("earn", j), At: at, Member: m,
			Order: fmt.Sprint("O", j), Amount: int64(5000 + 977*j%20000)})
		if j%3 == 1 {
			evs = append(evs, loyalty.Record{Kind: loyalty.KindSpend, Key: fmt.Sprint("spend", j), At: at, Member: uint32(1 + (j+3)%members), Points: 120})
		}
		if j%5 == 0 {
			evs = append(evs, loyalty.Record{Kind: loyalty.KindRefund, Key: fmt.Sprint("refund", j), At: at, Order: fmt.Sprint("O", j-5), Amount: 3000})
		}
		if j%11 == 3 {
			evs = append(evs, loyalty.Record{Kind: loyalty.KindBonus, Key: fmt.Sprint("bonus", j), At: at, Member: m, Points: 50, Reason: "promo"})
		}
		if j == n/2 {
			evs = append(evs, loyalty.Record{Kind: loyalty.KindMerge, Key: "merge:1<[2]", Member: 1, Absorbed: 2})
		}
	}
	return evs
}

// workload is the kinds of record the workload must have recorded to test anything.
var workload = []loyalty.Kind{loyalty.KindEarn, loyalty.KindSpend, loyalty.KindRefund, loyalty.KindBonus, loyalty.KindMerge}

// refused reports whether err is the ledger refusing ev on the log's state: a spend not
// covered, a refund of an order not yet recorded or already refunded, an event dated
// before its member's last. A decision, recording nothing, that a single writer fed
// the same order would take too.
func refused(err error) bool {
	for _, e := range []error{loyalty.ErrInsufficient, loyalty.ErrNotFound, loyalty.ErrRefundExceeds, loyalty.ErrConflict, loyalty.ErrInvalid} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// send submits ev to l, retrying while the log's append fails (a lost connection): an
// event is recorded once per key however often it is sent.
func send(t testing.TB, l *loyalty.Ledger, ev loyalty.Record) {
	pgtest.Retry(t, ev.Key, func() error { return l.Apply(context.Background(), ev) }, refused)
}

// share returns the events writer w of writers receives: its share, and every earn also
// sent to the next writer (an order webhook delivered to two replicas).
func share(evs []loyalty.Record, w, writers int) []loyalty.Record {
	var out []loyalty.Record
	for i, ev := range evs {
		if i%writers == w || ev.Kind == loyalty.KindEarn && (i+1)%writers == w {
			out = append(out, ev)
		}
	}
	return out
}

// openStore opens a store over schema with no Timeout, closed when t ends.
func openStore(t testing.TB, pool *pgxpool.Pool, schema string) *Store {
	t.Helper()
	return openTimeout(t, pool, schema, 0)
}

func openLedger(t testing.TB, s loyalty.Store, opts ...loyalty.Option) *loyalty.Ledger {
	t.Helper()
	l, err := loyalty.Open(s, rules(), opts...)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// answers renders what a host reads of the ledger: every member's balance, lots, tier
// and tier history, and the liability.
func answers(l *loyalty.Ledger) string {
	var b strings.Builder
	end := base.AddDate(0, 2, 0)
	for m := uint32(1); m <= members; m++ {
		for _, at := range []time.Time{base.AddDate(0, 0, 3), base.AddDate(0, 0, 9), end} {
			fmt.Fprintf(&b, "%d at %s: %+v %+v %+v\n", m, at.Format(time.DateOnly), l.Balance(at, m), l.Lots(at, m), l.Tier(at, m))
		}
		fmt.Fprintf(&b, "%d history %+v\n", m, l.TierHistory(end, m))
	}
	li, err := l.Liability(base.AddDate(0, 0, 9), nil)
	fmt.Fprintf(&b, "liability %+v %v\n", li, err)
	return b.String()
}

// input returns the event a record was decided from: the record without the fields
// the ledger sets.
func input(r loyalty.Record) loyalty.Record {
	switch r.Kind {
	case loyalty.KindEarn, loyalty.KindRefund:
		r.Points = 0
	case loyalty.KindMerge:
		r.At = time.Time{}
	}
	r.UnlockAt, r.ExpiresAt = time.Time{}, time.Time{}
	return r
}

// checkLedger checks the shared log against one writer fed its input events in the
// log's order: the same records, in the same order (every decision, the points of
// every earn and refund and every spend's cover, is the one a single writer takes); no
// event key twice; no member's balance ever negative without its debt; a record of each
// of kinds. It returns the single writer's answers.
func checkLedger(t *testing.T, s *Store, kinds ...loyalty.Kind) string {
	t.Helper()
	got := pgtest.Collect(t, s.Records())
	var single loyalty.MemStore
	ref := openLedger(t, &single)
	keys := map[string]int{}
	count := map[loyalty.Kind]int{}
	for _, r := range got {
		keys[r.Key]++
		count[r.Kind]++
		if err := ref.Apply(context.Background(), input(r)); err != nil {
			t.Fatalf("the single writer refuses %s %q, which the log holds: %v", r.Kind, r.Key, err)
		}
	}
	for k, c := range keys {
		if c > 1 {
			t.Fatalf("key %q is in the log %d times", k, c)
		}
	}
	want := pgtest.Collect(t, single.Records())
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("the shared log differs from one writer fed its events in its order (-single +shared):\n%s", diff)
	}
	for _, k := range kinds {
		if count[k] == 0 {
			t.Fatalf("no %s recorded: the workload tests nothing (%v)", k, count)
		}
	}
	for m := uint32(1); m <= members; m++ {
		for d := range 70 {
			b := ref.Balance(base.AddDate(0, 0, d), m)
			if b.Available < 0 || b.Locked < 0 || b.Debt < 0 || b.Debt > 0 && b.Available+b.Locked > 0 {
				t.Fatalf("member %d on day %d: %+v", m, d, b)
			}
		}
	}
	t.Logf("log: %d records %v", len(got), count)
	return answers(ref)
}

// TestManyWriters runs writers in goroutines, each with its own pool, store and
// ledger on one schema and two callers, every earn sent to two of them (see
// pgtest.ManyWriters).
func TestManyWriters(t *testing.T) { pgtest.ManyWriters(t, 4, shared(240)) }

// shared is the workload of n orders for the tests of many writers.
func shared(n int) pgtest.Workload[*loyalty.Ledger, loyalty.Record] {
	evs := events(n)
	return pgtest.Workload[*loyalty.Ledger, loyalty.Record]{
		Open: func(t *testing.T, pool *pgxpool.Pool, schema string) *loyalty.Ledger {
			return openLedger(t, openStore(t, pool, schema))
		},
		Lock: func(t *testing.T, pool *pgxpool.Pool, schema string) (int32, int32) {
			return openStore(t, pool, schema).log.Lock()
		},
		Share: func(w, writers int) []loyalty.Record { return share(evs, w, writers) },
		Send:  func(t *testing.T, l *loyalty.Ledger, ev loyalty.Record) { send(t, l, ev) },
		Check: func(t *testing.T, pool *pgxpool.Pool, schema string) string {
			return checkLedger(t, openStore(t, pool, schema), workload...)
		},
		Answers: answers,
	}
}

// TestNoOverdraw: replicas race to spend one member's points, each spend under its own
// key. Exactly as many spends succeed as the points cover, the rest fail with
// ErrInsufficient, and every replica ends with the same balance, never below zero.
func TestNoOverdraw(t *testing.T) {
	const writers, callers, tries = 3, 3, 8
	pool := pgtest.Pool(t)
	schema := pgtest.Schema(t, pool)
	ctx := context.Background()
	ls := pgtest.OpenReplicas(t, writers, func(pool *pgxpool.Pool) *loyalty.Ledger { return openLedger(t, openStore(t, pool, schema)) })
	if _, err := ls[0].Bonus(ctx, base, "bonus", 1, 1000, "welcome"); err != nil {
		t.Fatal(err)
	}
	var ok, short atomic.Int32
	var wg sync.WaitGroup
	for w := range writers {
		for c := range callers {
			wg.Go(func() {
				for i := range tries {
					_, err := ls[w].Spend(ctx, base.Add(time.Hour), fmt.Sprintf("spend %d/%d/%d", w, c, i), 1, 60)
					switch {
					case err == nil:
						ok.Add(1)
					case errors.Is(err, loyalty.ErrInsufficient):
						short.Add(1)
					default:
						t.Error(err)
					}
				}
			})
		}
	}
	wg.Wait()
	if ok.Load() != 1000/60 || short.Load() != writers*callers*tries-1000/60 {
		t.Fatalf("%d spends of 60 of 1000 points succeeded and %d were short, want %d and %d", ok.Load(), short.Load(), 1000/60, writers*callers*tries-1000/60)
	}
	want := loyalty.Balance{Available: 1000 - 60*(1000/60)}
	for w, l := range ls {
		if _, err := l.CatchUp(ctx); err != nil {
			t.Fatal(err)
		}
		if got := l.Balance(base.Add(2*time.Hour), 1); got != want {
			t.Fatalf("replica %d: %+v, want %+v", w, got, want)
		}
	}
	checkLedger(t, openStore(t, pool, schema), loyalty.KindBonus, loyalty.KindSpend)
}

// writerProcess is the body of a writer re-executed from the test binary: it says it
// started, sends its share of the events, says so, waits to be told every writer is
// done, catches up and prints the digest of its answers.
func writerProcess(arg string) int {
	return pgtest.RunWriter(arg, "sent", func(ctx context.Context, pool *pgxpool.Pool, p pgtest.Part) (func() (string, error), error) {
		s, err := Open(ctx, pool, &Options{Schema: p.Schema})
		if err != nil {
			return nil, err
		}
		l, err := loyalty.Open(s, rules())
		if err != nil {
			return nil, err
		}
		fmt.Println("started")
		mine := share(events(p.N), p.W, p.Writers)
		err = pgtest.Callers(len(mine), 2, func(i int) error {
			if err := l.Apply(ctx, mine[i]); err != nil && !refused(err) {
				return err
			}
			return nil
		})
		return func() (string, error) {
			_, err := l.CatchUp(ctx)
			return answers(l), err
		}, err
	})
}

// startWriter starts writer process w, which prints "started" once it has opened its
// ledger.
func startWriter(t *testing.T, schema string, w, writers, n int) *pgtest.Child {
	c := pgtest.Start(t, pgtest.Part{Schema: schema, W: w, Writers: writers, N: n}.Env("LOYALTY_WRITER"))
	c.Expect(t, "started")
	return c
}

// TestManyWriterProcesses runs the writers as separate processes (the test binary run
// again) on one schema, and kills one of them with SIGKILL while it writes. Its share
// is then delivered again to a process started afresh (a webhook retried): the log is
// still the single writer's, no key is in it twice, and every writer answers as the
// single writer does.
func TestManyWriterProcesses(t *testing.T) {
	const writers, n = 3, 150
	pool := pgtest.Pool(t)
	schema := pgtest.Schema(t, pool)
	var cs []*pgtest.Child
	for w := range writers {
		cs = append(cs, startWriter(t, schema, w, writers, n))
	}
	time.Sleep(time.Duration(20+rand.IntN(60)) * time.Millisecond)
	if err := cs[0].Kill(); err == nil {
		t.Log("writer 0 finished before it was killed")
	}
	var before int
	for range openStore(t, pool, schema).Records() {
		before++
	}
	t.Logf("writer 0 killed; the log holds %d records", before)
	cs[0] = startWriter(t, schema, 0, writers, n)
	pgtest.Agree(t, cs, "sent", func() string { return pgtest.Digest(checkLedger(t, openStore(t, pool, schema), workload...)) })
}

// TestTerminatedBackend kills the backend that holds the log's lock, again and again,
// while two replicas take events, each earn sent to both: events whose append failed
// are sent again, as a webhook would be. No event is recorded twice, the log is the
// single writer's, and both replicas, once caught up, answer as it does (see
// pgtest.TerminatedBackend).
func TestTerminatedBackend(t *testing.T) { pgtest.TerminatedBackend(t, 2, shared(160)) }

// TestFollow: a ledger that follows the log sees another replica's events within a
// notification, without calling CatchUp, and its tier hook hears the tier changes they
// make, in log order, once each.
func TestFollow(t *testing.T) {
	pool := pgtest.Pool(t)
	schema := pgtest.Schema(t, pool)
	var heard []loyalty.TierChange
	var mu sync.Mutex
	writer := openLedger(t, openStore(t, pgtest.Pool(t), schema))
	s := openStore(t, pgtest.Pool(t), schema)
	follower := openLedger(t, s, loyalty.WithOnTier(func(c loyalty.TierChange) {
		mu.Lock()
		heard = append(heard, c)
		mu.Unlock()
	}))
	pgtest.Follows(t, writer, follower, func(ctx context.Context) error {
		return s.Follow(ctx, follower, &FollowOptions{Poll: time.Hour})
	}, func() {
		for _, ev := range events(60) {
			send(t, writer, ev)
		}
	})
	if diff := cmp.Diff(answers(writer), answers(follower)); diff != "" {
		t.Fatalf("the follower differs (-writer +follower):\n%s", diff)
	}
	// The changes the events made, as a ledger that records them all itself is told.
	var told []loyalty.TierChange
	var single loyalty.MemStore
	ref := openLedger(t, &single, loyalty.WithOnTier(func(c loyalty.TierChange) { told = append(told, c) }))
	for r := range s.Records() {
		if err := ref.Apply(context.Background(), input(r)); err != nil {
			t.Fatal(err)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if len(told) == 0 {
		t.Fatal("the events changed no tier: the hook is not tested")
	}
	if diff := cmp.Diff(told, heard); diff != "" {
		t.Fatalf("the follower's hook heard (-single writer's +follower's):\n%s", diff)
	}
}
