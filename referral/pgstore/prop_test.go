package pgstore

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"testing"
	"time"

	"github.com/clientele-go/clientele/internal/pg/pgtest"
	"github.com/clientele-go/clientele/referral"
	"github.com/jackc/pgx/v5/pgxpool"
	"pgregory.net/rapid"
)

// delivery is one event handed to one writer: a webhook may reach several replicas, or
// the same one twice.
type delivery = pgtest.Delivery[referral.Record]

// genDeliveries draws a small programme's events (codes for referrers 1..3, people
// 1000+j signing up with one of the codes on one of three devices, orders, whole or
// partial refunds, payouts to referrers) and hands each to one of writers, some a
// second time (to another writer or the same), some again under their key with another
// amount (a reused key, which every replica refuses), in an order drawn at random.
func genDeliveries(t *rapid.T, writers int) ([]delivery, int) {
	var evs []referral.Record
	nref := rapid.IntRange(1, 3).Draw(t, "referrers")
	for r := 1; r <= nref; r++ {
		evs = append(evs, referral.Record{Kind: referral.KindCode, Key: fmt.Sprint("code", r), At: base, Profile: uint32(r), Code: code(r)})
	}
	m := rapid.IntRange(1, 6).Draw(t, "people")
	for j := range m {
		p := uint32(1000 + j)
		at := base.Add(time.Duration(j+1) * time.Hour)
		evs = append(evs, referral.Record{Kind: referral.KindSignup, Key: fmt.Sprint("signup", j), At: at, Profile: p,
			Code:    code(1 + rapid.IntRange(0, nref-1).Draw(t, "code")),
			Signals: referral.Signals{Device: fmt.Sprint("dev", rapid.IntRange(0, 2).Draw(t, "device"))}})
		if rapid.Bool().Draw(t, "orders") {
			evs = append(evs, referral.Record{Kind: referral.KindOrder, Key: fmt.Sprint("order", j), At: at.Add(time.Minute), Profile: p,
				Order: fmt.Sprint("O", j), Amount: int64(rapid.IntRange(1, 3).Draw(t, "amount")) * 2000})
			if rapid.Bool().Draw(t, "refunds") {
				evs = append(evs, referral.Record{Kind: referral.KindRefund, Key: fmt.Sprint("refund", j), At: at.Add(2 * time.Minute),
					Order: fmt.Sprint("O", j), Amount: int64(rapid.IntRange(0, 1).Draw(t, "part")) * 1000})
			}
		}
	}
	for i := range rapid.IntRange(0, 2).Draw(t, "payouts") {
		evs = append(evs, referral.Record{Kind: referral.KindPayout, Key: fmt.Sprint("payout", i), At: base.Add(time.Duration(m+1+i) * time.Hour),
			Profile: uint32(1 + rapid.IntRange(0, nref-1).Draw(t, "payee")), Amount: int64(rapid.IntRange(1, 3).Draw(t, "paid")) * 500})
	}
	var ds []delivery
	for _, ev := range evs {
		ds = append(ds, delivery{Ev: ev, Writer: rapid.IntRange(0, writers-1).Draw(t, "writer")})
		switch rapid.IntRange(0, 5).Draw(t, "again") {
		case 0, 1:
			ds = append(ds, delivery{Ev: ev, Writer: rapid.IntRange(0, writers-1).Draw(t, "writer")})
		case 2:
			if ev.Kind == referral.KindOrder || ev.Kind == referral.KindPayout {
				other := ev
				other.Amount += 100
				ds = append(ds, delivery{Ev: other, Writer: rapid.IntRange(0, writers-1).Draw(t, "writer")})
			}
		}
	}
	return rapid.Permutation(ds).Draw(t, "schedule"), m
}

// outcome names what an event's Apply answered: ok, the sentinel of a refusal, or the
// error itself (which no refusal of the programme's is).
func outcome(err error) string {
	if err == nil {
		return "ok"
	}
	for _, e := range []error{referral.ErrInvalid, referral.ErrNotFound, referral.ErrCode, referral.ErrKeyReused,
		referral.ErrConflict, referral.ErrRefundBeforeOrder, referral.ErrRefundExceeds, referral.ErrInsufficient, referral.ErrCycle} {
		if errors.Is(err, e) {
			return e.Error()
		}
	}
	return "unexpected: " + err.Error()
}

// checkOnce checks, from the definition of an idempotent ledger, that no referral pays
// either side twice (one reward per earner and other side; a refund claws back, it does
// not pay again). pgtest.MatchesSingle checks that no key is in the ledger twice.
func checkOnce(t pgtest.T, recs []referral.Record) {
	paid := map[[2]uint32]bool{}
	for _, r := range recs {
		if r.Kind == referral.KindReward {
			k := [2]uint32{r.Profile, r.Other}
			if paid[k] {
				t.Fatalf("profile %d paid twice for its referral with %d", r.Profile, r.Other)
			}
			paid[k] = true
		}
	}
}

// TestSharedMatchesSingle: several Programs, each on its own pool and Store over one
// ledger, receive random events, some more than once and some under a reused key. Run
// one after another in a random schedule, each delivery gets the answer one in-memory
// Program fed the same schedule gives, and the ledger holds exactly its records. Run
// concurrently (each writer its deliveries in schedule order, in a goroutine of its own),
// the ledger holds exactly the records of one in-memory Program fed the ledger's input
// events in the ledger's order. Either way no key is recorded twice, no referral paid
// twice, and every replica, caught up, answers as the single Program does.
func TestSharedMatchesSingle(t *testing.T) {
	pool := pgtest.Pool(t)
	pools := []*pgxpool.Pool{pgtest.Pool(t), pgtest.Pool(t), pgtest.Pool(t)} // the writers'
	rapid.Check(t, func(t *rapid.T) {
		ds, m := genDeliveries(t, len(pools))
		pgtest.MatchesSingle(t, pool, pools, ds, rapid.Bool().Draw(t, "concurrent"), property(m))
	})
}

// property is what pgtest.MatchesSingle needs of the programmes, m people's answers
// rendered.
func property(m int) pgtest.Single[*referral.Program, referral.Record, *Store] {
	return pgtest.Single[*referral.Program, referral.Record, *Store]{
		Store: func(ctx context.Context, pool *pgxpool.Pool, schema string) (*Store, error) {
			return Open(ctx, pool, &Options{Schema: schema})
		},
		Owner: func(s *Store) (*referral.Program, error) { return referral.Open(s, config()) },
		Memory: func() (*referral.Program, func() iter.Seq2[referral.Record, error], error) {
			var s referral.MemStore
			p, err := referral.Open(&s, config())
			return p, s.Records, err
		},
		Outcome: func(ctx context.Context, p *referral.Program, ev referral.Record) string {
			return outcome(p.Apply(ctx, ev))
		},
		Name: func(ev referral.Record) string { return fmt.Sprintf("%s %q", ev.Kind, ev.Key) },
		Key:  func(r referral.Record) string { return r.Key },
		// From KindAttribution on: attributions, blocks, rewards and claw-backs are the
		// programme's decisions, not events (and the workload forgets no one).
		Input:   func(r referral.Record) (referral.Record, bool) { return r, r.Kind < referral.KindAttribution },
		Check:   checkOnce,
		Answers: func(p *referral.Program) string { return answers(p, m) },
	}
}
