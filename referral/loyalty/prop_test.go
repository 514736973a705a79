package loyalty_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/clientele-go/clientele/referral/loyalty"
	"github.com/google/go-cmp/cmp"
	"pgregory.net/rapid"
)

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func genRules(t *rapid.T) loyalty.Rules {
	r := loyalty.Rules{
		Rate:       int64(rapid.IntRange(1, 3).Draw(t, "rate")),
		Categories: map[string]int64{"wine": 5, "gift": 0},
		Lock:       time.Duration(rapid.IntRange(0, 4).Draw(t, "lock days")) * 24 * time.Hour,
		Location:   time.FixedZone("zone", 3600*rapid.SampledFrom([]int{0, 9, -5}).Draw(t, "zone hours")),
	}
	switch rapid.IntRange(0, 3).Draw(t, "expiry") {
	case 0:
		r.Expiry = loyalty.Expiry{Rule: loyalty.AfterDays, N: rapid.IntRange(2, 15).Draw(t, "days")}
	case 1:
		r.Expiry = loyalty.Expiry{Rule: loyalty.EndOfMonth, N: rapid.IntRange(0, 1).Draw(t, "months")}
	case 2:
		r.Expiry = loyalty.Expiry{Rule: loyalty.EndOfYear}
	}
	return r
}

// TestLotsMatchReference: after any interleaving of earns, spends, refunds (whole and
// partial), bonuses, adjustments, merges (events naming an absorbed member, and
// refunds of its orders, included) and the passing of time (so that lots unlock and
// expire, also at the exact instant of an event), every member's balance and lots as of
// any instant equal the reference model's; no lot goes negative; the ledger accepts
// exactly the events the model accepts; a replay of the store equals the live ledger;
// and a retried event changes nothing.
func TestLotsMatchReference(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		ctx := context.Background()
		rules := genRules(t)
		store := &loyalty.MemStore{}
		l, err := loyalty.Open(store, rules)
		if err != nil {
			t.Fatal(err)
		}
		ref := &refLedger{rules: rules}
		now := t0
		var orders []string
		var accepted []loyalty.Record
		probes := []time.Time{t0}
		n := rapid.IntRange(1, 40).Draw(t, "events")
		for i := range n {
			// Whole hours, so that events often fall exactly on an expiry or unlock.
			now = now.Add(time.Duration(rapid.IntRange(0, 5*24).Draw(t, "hours")) * time.Hour)
			m := uint32(rapid.IntRange(1, 3).Draw(t, "member"))
			key := fmt.Sprint("k", i)
			var ev loyalty.Record
			switch rapid.IntRange(0, 6).Draw(t, "kind") {
			case 6:
				a := uint32(rapid.IntRange(1, 3).Draw(t, "absorbed"))
				err := l.ApplyMerge(m, a)
				if m == a {
					if !errors.Is(err, loyalty.ErrInvalid) {
						t.Fatalf("self-merge of %d: %v", m, err)
					}
					continue
				}
				if err != nil {
					t.Fatalf("merge %d<%d: %v", m, a, err)
				}
				st, _ := ref.run(now, nil)
				ev = loyalty.Record{Kind: loyalty.KindMerge, Key: fmt.Sprintf("merge:%d<[%d]", m, a), At: st.mergeDate(m, a), Member: m, Absorbed: a}
				if st.resolve(m) != st.resolve(a) {
					var rec loyalty.Record
					for r := range store.Records() {
						if r.Key == ev.Key {
							rec = r
						}
					}
					if !rec.At.Equal(ev.At) {
						t.Fatalf("merge %d<%d dated %v, reference %v", m, a, rec.At, ev.At)
					}
				}
				ref.events = append(ref.events, ev)
				accepted = append(accepted, ev)
				probes = append(probes, ev.At, ev.At.Add(-time.Nanosecond), now)
				continue
			case 0, 1:
				ev = loyalty.Record{Kind: loyalty.KindEarn, Key: key, At: now, Member: m, Order: fmt.Sprint("o", i),
					Amount: int64(rapid.IntRange(1, 50000).Draw(t, "amount"))}
				if rapid.Bool().Draw(t, "lines") {
					a := rapid.Int64Range(0, ev.Amount).Draw(t, "line")
					ev.Lines = []loyalty.Line{{Product: "p", Category: rapid.SampledFrom([]string{"wine", "gift", "other"}).Draw(t, "cat"), Amount: a}}
				}
				orders = append(orders, ev.Order)
			case 2:
				ev = loyalty.Record{Kind: loyalty.KindSpend, Key: key, At: now, Member: m, Points: int64(rapid.IntRange(1, 400).Draw(t, "spend"))}
			case 3:
				if len(orders) == 0 {
					continue
				}
				ev = loyalty.Record{Kind: loyalty.KindRefund, Key: key, At: now, Order: rapid.SampledFrom(orders).Draw(t, "order")}
				if rapid.Bool().Draw(t, "partial") {
					ev.Amount = int64(rapid.IntRange(1, 30000).Draw(t, "refund"))
				}
			case 4:
				ev = loyalty.Record{Kind: loyalty.KindBonus, Key: key, At: now, Member: m, Points: int64(rapid.IntRange(1, 300).Draw(t, "bonus")), Reason: "promo"}
			case 5:
				p := int64(rapid.IntRange(-300, 300).Draw(t, "adjust"))
				if p == 0 {
					continue
				}
				ev = loyalty.Record{Kind: loyalty.KindAdjust, Key: key, At: now, Member: m, Points: p, Reason: "fix"}
			}
			_, ok := ref.run(now, &ev)
			err := l.Apply(ctx, ev)
			if ok != (err == nil) {
				t.Fatalf("event %d %+v: ledger error %v, reference accepts %v", i, ev, err, ok)
			}
			if err != nil {
				if !errors.Is(err, loyalty.ErrInsufficient) && !errors.Is(err, loyalty.ErrRefundExceeds) {
					t.Fatalf("event %d: unexpected error %v", i, err)
				}
				continue
			}
			ref.events = append(ref.events, ev)
			accepted = append(accepted, ev)
			probes = append(probes, now, now.Add(-time.Nanosecond), now.Add(36*time.Hour))
		}
		compare := func(what string, l *loyalty.Ledger) {
			for _, p := range probes {
				li, err := l.Liability(p, nil)
				if err != nil {
					t.Fatal(err)
				}
				got := map[int64][3]int64{}
				for _, c := range li.Vintages {
					got[c.Month.Unix()] = [3]int64{c.Spent, c.Expired, c.Outstanding}
				}
				if diff := cmp.Diff(ref.cohorts(p), got); diff != "" {
					t.Fatalf("%s: at %v: cohorts (spent, expired, outstanding) (-reference +ledger):\n%s", what, p, diff)
				}
				for m := uint32(1); m <= 3; m++ {
					want, got := ref.balance(m, p), l.Balance(p, m)
					if want != got {
						t.Fatalf("%s: member %d at %v: balance %+v, reference %+v", what, m, p, got, want)
					}
					wl, gl := ref.lots(m, p), l.Lots(p, m)
					if diff := cmp.Diff(wl, gl); diff != "" {
						t.Fatalf("%s: member %d at %v: lots (-reference +ledger):\n%s", what, m, p, diff)
					}
					for _, x := range gl {
						if x.Remaining <= 0 || x.Remaining > x.Points {
							t.Fatalf("%s: lot %+v", what, x)
						}
					}
					if got.Available < 0 || got.Locked < 0 || got.Debt < 0 || got.Expired < 0 {
						t.Fatalf("%s: member %d at %v: a negative part of the balance %+v", what, m, p, got)
					}
					if got.Debt > 0 && got.Available+got.Locked > 0 {
						t.Fatalf("%s: member %d in debt with points: %+v", what, m, got)
					}
				}
			}
		}
		compare("live", l)
		// Idempotency: every accepted event again is a no-op returning the first record.
		for _, ev := range accepted {
			if ev.Kind == loyalty.KindMerge {
				if err := l.ApplyMerge(ev.Member, ev.Absorbed); err != nil {
					t.Fatalf("retry of %q: %v", ev.Key, err)
				}
				continue
			}
			if err := l.Apply(ctx, ev); err != nil {
				t.Fatalf("retry of %q: %v", ev.Key, err)
			}
		}
		compare("after retries", l)
		replayed, err := loyalty.Open(store, rules)
		if err != nil {
			t.Fatalf("replay: %v", err)
		}
		compare("replay", replayed)
	})
}
