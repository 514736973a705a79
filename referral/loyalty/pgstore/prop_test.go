package pgstore

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"testing"
	"time"

	"github.com/clientele-go/clientele/internal/pg/pgtest"
	"github.com/clientele-go/clientele/referral/loyalty"
	"github.com/jackc/pgx/v5/pgxpool"
	"pgregory.net/rapid"
)

// delivery is one event handed to one writer: a webhook may reach several replicas, or
// the same one twice.
type delivery = pgtest.Delivery[loyalty.Record]

// genDeliveries draws a small ledger's events (earns of members 1..3, spends, whole and
// partial refunds, bonuses, negative adjustments, merges), a few hours apart, and hands
// each to one of writers, some a second time (to another writer or the same), some
// again under their key with another amount (a reused key, which every replica
// refuses), in an order drawn at random that keeps most of each member's events in
// time order.
func genDeliveries(t *rapid.T, writers int) []delivery {
	var evs []loyalty.Record
	var orders []string
	at := base
	for i := range rapid.IntRange(1, 16).Draw(t, "events") {
		at = at.Add(time.Duration(rapid.IntRange(0, 48).Draw(t, "hours")) * time.Hour)
		m := uint32(rapid.IntRange(1, 3).Draw(t, "member"))
		key := fmt.Sprint("k", i)
		switch rapid.IntRange(0, 6).Draw(t, "kind") {
		case 0, 1:
			o := fmt.Sprint("O", i)
			orders = append(orders, o)
			evs = append(evs, loyalty.Record{Kind: loyalty.KindEarn, Key: key, At: at, Member: m, Order: o, Amount: int64(rapid.IntRange(1, 40).Draw(t, "amount")) * 1000})
		case 2:
			evs = append(evs, loyalty.Record{Kind: loyalty.KindSpend, Key: key, At: at, Member: m, Points: int64(rapid.IntRange(1, 30).Draw(t, "spend")) * 10})
		case 3:
			if len(orders) > 0 {
				evs = append(evs, loyalty.Record{Kind: loyalty.KindRefund, Key: key, At: at, Order: rapid.SampledFrom(orders).Draw(t, "order"),
					Amount: int64(rapid.IntRange(0, 2).Draw(t, "part")) * 1000})
			}
		case 4:
			evs = append(evs, loyalty.Record{Kind: loyalty.KindBonus, Key: key, At: at, Member: m, Points: 100, Reason: "promo"})
		case 5:
			evs = append(evs, loyalty.Record{Kind: loyalty.KindAdjust, Key: key, At: at, Member: m, Points: -int64(rapid.IntRange(1, 200).Draw(t, "take")), Reason: "fix"})
		case 6:
			if a := uint32(rapid.IntRange(1, 3).Draw(t, "absorbed")); a != m {
				evs = append(evs, loyalty.Record{Kind: loyalty.KindMerge, Key: fmt.Sprintf("merge:%d<[%d]", m, a), Member: m, Absorbed: a})
			}
		}
	}
	var ds []delivery
	for _, ev := range evs {
		ds = append(ds, delivery{Ev: ev, Writer: rapid.IntRange(0, writers-1).Draw(t, "writer")})
		switch rapid.IntRange(0, 5).Draw(t, "again") {
		case 0, 1:
			ds = append(ds, delivery{Ev: ev, Writer: rapid.IntRange(0, writers-1).Draw(t, "writer")})
		case 2:
			other := ev
			switch ev.Kind {
			case loyalty.KindEarn:
				other.Amount += 1000
			case loyalty.KindSpend:
				other.Points += 10
			default:
				continue
			}
			ds = append(ds, delivery{Ev: other, Writer: rapid.IntRange(0, writers-1).Draw(t, "writer")})
		}
	}
	// Swap a few neighbours: deliveries arrive a little out of order.
	for range rapid.IntRange(0, len(ds)/2).Draw(t, "swaps") {
		if i := rapid.IntRange(0, len(ds)-1).Draw(t, "swap"); i+1 < len(ds) {
			ds[i], ds[i+1] = ds[i+1], ds[i]
		}
	}
	return ds
}

// outcome names what an Apply answered: ok, the sentinel of a refusal, or the error
// itself (which no refusal of the ledger's is).
func outcome(err error) string {
	if err == nil {
		return "ok"
	}
	for _, e := range []error{loyalty.ErrInvalid, loyalty.ErrNotFound, loyalty.ErrKeyReused, loyalty.ErrConflict,
		loyalty.ErrInsufficient, loyalty.ErrRefundExceeds} {
		if errors.Is(err, e) {
			return e.Error()
		}
	}
	return "unexpected: " + err.Error()
}

// TestSharedMatchesSingle: three Ledgers, each on its own pool and Store over one log,
// receive random events, some more than once and some under a reused key. Run one after
// another in a drawn schedule, each delivery gets the answer one in-memory Ledger fed
// the same schedule gives, and the log holds exactly its records. Run concurrently (each
// writer its deliveries in schedule order, in a goroutine of its own), the log holds
// exactly the records of one in-memory Ledger fed the log's input events in its order.
// Either way no key is in the log twice, and every replica, caught up, answers as the
// single Ledger does.
func TestSharedMatchesSingle(t *testing.T) {
	pool := pgtest.Pool(t)
	pools := []*pgxpool.Pool{pgtest.Pool(t), pgtest.Pool(t), pgtest.Pool(t)} // the writers'
	rapid.Check(t, func(t *rapid.T) {
		ds := genDeliveries(t, len(pools))
		pgtest.MatchesSingle(t, pool, pools, ds, rapid.Bool().Draw(t, "concurrent"), property)
	})
}

// property is what pgtest.MatchesSingle needs of the ledgers.
var property = pgtest.Single[*loyalty.Ledger, loyalty.Record, *Store]{
	Store: func(ctx context.Context, pool *pgxpool.Pool, schema string) (*Store, error) {
		return Open(ctx, pool, &Options{Schema: schema})
	},
	Owner: func(s *Store) (*loyalty.Ledger, error) { return loyalty.Open(s, rules()) },
	Memory: func() (*loyalty.Ledger, func() iter.Seq2[loyalty.Record, error], error) {
		var s loyalty.MemStore
		l, err := loyalty.Open(&s, rules())
		return l, s.Records, err
	},
	Outcome: func(ctx context.Context, l *loyalty.Ledger, ev loyalty.Record) string {
		return outcome(l.Apply(ctx, ev))
	},
	Name:    func(ev loyalty.Record) string { return fmt.Sprintf("%s %q", ev.Kind, ev.Key) },
	Key:     func(r loyalty.Record) string { return r.Key },
	Input:   func(r loyalty.Record) (loyalty.Record, bool) { return input(r), true },
	Answers: answers,
}
