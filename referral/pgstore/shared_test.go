package pgstore

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/clientele-go/clientele/internal/pg/pgtest"
	"github.com/clientele-go/clientele/referral"
	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5/pgxpool"
)

var base = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func TestMain(m *testing.M) { pgtest.Main(m, "REFERRAL_WRITER", writerProcess) }

// The workload: referrers 1..referrers hold codes; person j (profile 1000+j) signs up
// with a referrer's code on some device, orders, and now and then refunds; referrers ask
// for payouts. A cap per referrer, a per-device velocity limit and the payouts' balance
// checks make decisions depend on what every replica recorded before.
const referrers = 6

func config() referral.Rules {
	return referral.Rules{
		ReferrerReward: 1000, ReferredReward: 500, CapPerReferrer: 6000,
		Guards: referral.Guards{Velocity: referral.Block, PerDevice: referral.RateLimit{Max: 5, Period: 30 * 24 * time.Hour}},
	}
}

// code returns referrer's code: drawn from a source seeded by the referrer, so that every
// replica that receives the event draws the same one.
func code(referrer int) referral.Code {
	c, err := referral.NewCode(rand.NewChaCha8([32]byte{byte(referrer)}))
	if err != nil {
		panic(err)
	}
	return c
}

// events returns the workload's input events for n people, in the order a single
// source would emit them.
func events(n int) []referral.Record {
	var evs []referral.Record
	for r := 1; r <= referrers; r++ {
		evs = append(evs, referral.Record{Kind: referral.KindCode, Key: fmt.Sprint("code", r), At: base, Profile: uint32(r), Code: code(r)})
	}
	for j := range n {
		p := uint32(1000 + j)
		at := base.Add(time.Duration(j) * time.Hour)
		evs = append(evs,
			referral.Record{Kind: referral.KindSignup, Key: fmt.Sprint("signup", j), At: at, Profile: p,
				Code: code(1 + j%referrers), Signals: referral.Signals{Device: fmt.Sprint("dev", j%9)}},
			referral.Record{Kind: referral.KindOrder, Key: fmt.Sprint("order", j), At: at.Add(time.Minute), Profile: p,
				Order: fmt.Sprint("O", j), Amount: 5000})
		if j%5 == 0 {
			evs = append(evs, referral.Record{Kind: referral.KindRefund, Key: fmt.Sprint("refund", j), At: at.Add(2 * time.Minute), Order: fmt.Sprint("O", j)})
		}
		if j%7 == 6 {
			evs = append(evs, referral.Record{Kind: referral.KindPayout, Key: fmt.Sprint("payout", j), At: at.Add(3 * time.Minute),
				Profile: uint32(1 + j%referrers), Amount: 700})
		}
	}
	return evs
}

// refused reports whether err is the programme refusing ev on the ledger's state (a
// refund of an order not yet recorded, a payout above the balance or dated before the
// person's last payout): a decision, recorded by nothing, that a single writer fed the
// same order would take too.
func refused(ev referral.Record, err error) bool {
	if ev.Kind == referral.KindPayout && errors.Is(err, referral.ErrInvalid) {
		return true
	}
	for _, e := range []error{referral.ErrInsufficient, referral.ErrConflict, referral.ErrNotFound,
		referral.ErrRefundBeforeOrder, referral.ErrRefundExceeds, referral.ErrCode} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// send submits ev to p, retrying while the ledger's append fails (a lost connection):
// an event is recorded once per key however often it is sent.
func send(t testing.TB, p *referral.Program, ev referral.Record) {
	pgtest.Retry(t, ev.Key, func() error { return p.Apply(context.Background(), ev) }, func(err error) bool { return refused(ev, err) })
}

// share returns the events writer w of writers receives: its share, and every order
// also sent to the next writer (a webhook delivered to two replicas).
func share(evs []referral.Record, w, writers int) []referral.Record {
	var out []referral.Record
	for i, ev := range evs {
		if i%writers == w || ev.Kind == referral.KindOrder && (i+1)%writers == w {
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

func openProgram(t testing.TB, s referral.Store) *referral.Program {
	t.Helper()
	p, err := referral.Open(s, config())
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// answers renders what a host reads of the programme: every person's referrer and
// balance, and the payout run.
func answers(p *referral.Program, n int) string {
	var b strings.Builder
	end := base.Add(time.Duration(n+1000) * time.Hour)
	for _, prof := range profiles(n) {
		r, ok := p.Referrer(prof)
		fmt.Fprintf(&b, "%d: referrer %d %v, %+v\n", prof, r, ok, p.Balance(end, prof))
	}
	fmt.Fprintf(&b, "payables %v\n", p.Payables(end))
	return b.String()
}

func profiles(n int) []uint32 {
	var ps []uint32
	for r := 1; r <= referrers; r++ {
		ps = append(ps, uint32(r))
	}
	for j := range n {
		ps = append(ps, uint32(1000+j))
	}
	return ps
}

// checkLedger checks the shared ledger against one writer fed its input events in the
// ledger's order: the same records, in the same order (every decision, rewards
// included, is the one a single writer takes); no event key and no reward twice; and
// the programme's answers. It returns the answers.
func checkLedger(t *testing.T, s *Store, n int) string {
	t.Helper()
	got := pgtest.Collect(t, s.Records())
	var single referral.MemStore
	ref := openProgram(t, &single)
	keys := map[string]int{}
	rewards := map[string]int{}
	for _, r := range got {
		keys[r.Key]++
		if r.Kind == referral.KindReward {
			rewards[r.Order+"/"+r.Reasons[0]]++
		}
		if r.Kind < referral.KindAttribution {
			if err := ref.Apply(context.Background(), r); err != nil {
				t.Fatalf("the single writer refuses %s %q, which the ledger holds: %v", r.Kind, r.Key, err)
			}
		}
	}
	for k, c := range keys {
		if c > 1 {
			t.Fatalf("key %q is in the ledger %d times", k, c)
		}
	}
	for k, c := range rewards {
		if c > 1 {
			t.Fatalf("reward %s paid %d times", k, c)
		}
	}
	want := pgtest.Collect(t, single.Records())
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("the shared ledger differs from one writer fed its events in its order (-single +shared):\n%s", diff)
	}
	if len(rewards) == 0 {
		t.Fatal("no reward paid: the workload tests nothing")
	}
	return answers(ref, n)
}

// TestManyWriters runs writers in goroutines, each with its own pool, store and
// programme on one schema and two callers, every order sent to two of them (see
// pgtest.ManyWriters).
func TestManyWriters(t *testing.T) { pgtest.ManyWriters(t, 4, shared(240)) }

// shared is the workload of n people for the tests of many writers.
func shared(n int) pgtest.Workload[*referral.Program, referral.Record] {
	evs := events(n)
	return pgtest.Workload[*referral.Program, referral.Record]{
		Open: func(t *testing.T, pool *pgxpool.Pool, schema string) *referral.Program {
			return openProgram(t, openStore(t, pool, schema))
		},
		Lock: func(t *testing.T, pool *pgxpool.Pool, schema string) (int32, int32) {
			return openStore(t, pool, schema).log.Lock()
		},
		Share: func(w, writers int) []referral.Record { return share(evs, w, writers) },
		Send:  func(t *testing.T, p *referral.Program, ev referral.Record) { send(t, p, ev) },
		Check: func(t *testing.T, pool *pgxpool.Pool, schema string) string {
			return checkLedger(t, openStore(t, pool, schema), n)
		},
		Answers: func(p *referral.Program) string { return answers(p, n) },
	}
}

// writerProcess is the body of a writer re-executed from the test binary: it sends its
// share of the events, says so, waits to be told every writer is done, catches up and
// prints the digest of its answers.
func writerProcess(arg string) int {
	return pgtest.RunWriter(arg, "sent", func(ctx context.Context, pool *pgxpool.Pool, part pgtest.Part) (func() (string, error), error) {
		s, err := Open(ctx, pool, &Options{Schema: part.Schema})
		if err != nil {
			return nil, err
		}
		p, err := referral.Open(s, config())
		if err != nil {
			return nil, err
		}
		mine := share(events(part.N), part.W, part.Writers)
		err = pgtest.Callers(len(mine), 2, func(i int) error {
			if err := p.Apply(ctx, mine[i]); err != nil && !refused(mine[i], err) {
				return err
			}
			return nil
		})
		return func() (string, error) {
			_, err := p.CatchUp(ctx)
			return answers(p, part.N), err
		}, err
	})
}

// TestManyWriterProcesses runs the writers as separate processes (the test binary run
// again) on one schema.
func TestManyWriterProcesses(t *testing.T) {
	const writers, n = 3, 150
	pool := pgtest.Pool(t)
	schema := pgtest.Schema(t, pool)
	cs := pgtest.StartWriters(t, "REFERRAL_WRITER", schema, writers, n)
	pgtest.Agree(t, cs, "sent", func() string { return pgtest.Digest(checkLedger(t, openStore(t, pool, schema), n)) })
}

// TestTerminatedBackend kills the backend that holds the ledger's lock, again and
// again, while two replicas take events, each order sent to both: events whose append
// failed are sent again, as a webhook would be. No event is recorded twice, no reward
// paid twice, the ledger is the single writer's, and both replicas, once caught up,
// answer as it does (see pgtest.TerminatedBackend).
func TestTerminatedBackend(t *testing.T) { pgtest.TerminatedBackend(t, 2, shared(160)) }

// TestFollow: a programme that follows the ledger sees another replica's events within
// a notification, without calling CatchUp.
func TestFollow(t *testing.T) {
	pool := pgtest.Pool(t)
	schema := pgtest.Schema(t, pool)
	writer := openProgram(t, openStore(t, pgtest.Pool(t), schema))
	s := openStore(t, pgtest.Pool(t), schema)
	follower := openProgram(t, s)
	pgtest.Follows(t, writer, follower, func(ctx context.Context) error {
		return s.Follow(ctx, follower, &FollowOptions{Poll: time.Hour})
	}, func() {
		for _, ev := range events(3) {
			send(t, writer, ev)
		}
	})
	if diff := cmp.Diff(answers(writer, 3), answers(follower, 3)); diff != "" {
		t.Fatalf("the follower differs (-writer +follower):\n%s", diff)
	}
}
