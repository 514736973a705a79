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

// refTiers is the reference model of the tier rules, from their definition: time is
// stepped hour by hour (every instant of the generated histories is a whole hour), and
// at each hour the qualifying total is summed afresh over the orders in the window of
// the member that owns them then. A merge (ApplyMerge's definition) makes the survivor
// own the absorbed member's orders from its instant on, and drops the absorbed member
// to the base tier at once, for good.
type refTiers struct {
	rules  loyalty.Rules
	orders []*refTierOrder
	merges []refTierMerge // in ledger order
}

type refTierOrder struct {
	id      string
	member  uint32 // the member it was recorded for (an absorbed member's events go to its survivor)
	at      time.Time
	amount  int64
	points  int64
	refunds []refTierRefund
}

type refTierRefund struct {
	at             time.Time
	amount, points int64
}

type refTierMerge struct {
	at                 time.Time
	survivor, absorbed uint32
}

func (r *refTiers) value(o *refTierOrder, h time.Time) int64 {
	v := o.points
	if r.rules.QualifyBy == loyalty.BySpend {
		v = o.amount
	}
	for _, f := range o.refunds {
		if !f.at.After(h) {
			if r.rules.QualifyBy == loyalty.BySpend {
				v -= f.amount
			} else {
				v -= f.points
			}
		}
	}
	return v
}

// owner returns the member that member m's orders belong to at h: m, or the member
// that absorbed it (through every merge dated no later than h).
func (r *refTiers) owner(m uint32, h time.Time) uint32 {
	for _, mg := range r.merges {
		if mg.absorbed == m && !mg.at.After(h) {
			m = mg.survivor
		}
	}
	return m
}

// absorbedAt returns the instant member m was absorbed, if it was.
func (r *refTiers) absorbedAt(m uint32) (time.Time, bool) {
	for _, mg := range r.merges {
		if mg.absorbed == m {
			return mg.at, true
		}
	}
	return time.Time{}, false
}

// levels returns member m's tier at every hour from t0 for n hours.
func (r *refTiers) levels(m uint32, n int) []int {
	out := make([]int, n)
	level, below := 0, false
	var belowAt time.Time
	gone, absorbed := r.absorbedAt(m)
	for i := range n {
		h := t0.Add(time.Duration(i) * time.Hour)
		if absorbed && !h.Before(gone) {
			level, below = 0, false
			continue
		}
		var total int64
		for _, o := range r.orders {
			if r.owner(o.member, h) == m && !o.at.After(h) && h.Before(o.at.Add(r.rules.Window)) {
				total += r.value(o, h)
			}
		}
		q := 0
		for k, t := range r.rules.Tiers {
			if total >= t.Threshold {
				q = k
			}
		}
		if q >= level {
			level, below = q, false
		} else {
			if !below {
				below, belowAt = true, h
			}
			if !h.Before(belowAt.Add(r.rules.Grace)) {
				level, below = q, false
			}
		}
		out[i] = level
	}
	return out
}

// netChanges collapses a tier history to one change per instant, from the tier held
// before it to the tier held after every change at that instant, leaving out the
// instants where the two are the same (a merge dated at an event's instant may lift or
// drop a tier the event had just changed).
func netChanges(cs []loyalty.TierChange) []loyalty.TierChange {
	var out []loyalty.TierChange
	for _, c := range cs {
		if n := len(out); n > 0 && out[n-1].At.Equal(c.At) {
			out[n-1].To = c.To
			if out[n-1].From == out[n-1].To {
				out = out[:n-1]
			}
			continue
		}
		out = append(out, c)
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// TestTiersMatchReference: the tier of every member at every hour, its tier history,
// and the multiplier its orders earn at, equal the hour-by-hour reference, for tiers by
// points or spend, any window and grace, with refunds inside and outside the window,
// merges (events naming an absorbed member, refunds of its orders, merges into a member
// already merged), and spends, bonuses and expiring points between them, which change
// no tier.
func TestTiersMatchReference(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		ctx := context.Background()
		rules := loyalty.Rules{
			Tiers:     []loyalty.Tier{{Name: "member"}, {Name: "silver", Threshold: 100, Multiplier: 150}, {Name: "gold", Threshold: 300, Multiplier: 200}},
			QualifyBy: loyalty.Measure(rapid.IntRange(0, 1).Draw(t, "by")),
			Window:    time.Duration(rapid.IntRange(1, 20*24).Draw(t, "window hours")) * time.Hour,
			Grace:     time.Duration(rapid.IntRange(0, 5*24).Draw(t, "grace hours")) * time.Hour,
			Expiry:    loyalty.Expiry{Rule: loyalty.AfterDays, N: rapid.IntRange(1, 10).Draw(t, "expiry days")},
		}
		if rules.QualifyBy == loyalty.BySpend {
			rules.Tiers[1].Threshold, rules.Tiers[2].Threshold = 10000, 30000
		}
		store := &loyalty.MemStore{}
		l, err := loyalty.Open(store, rules)
		if err != nil {
			t.Fatal(err)
		}
		ref := &refTiers{rules: rules}
		last := map[uint32]time.Time{} // each member's last event, by the member that owns it
		var lastAny time.Time
		resolve := func(m uint32) uint32 { return ref.owner(m, time.Unix(1<<40, 0)) }
		const members = 3
		now := t0
		n := rapid.IntRange(1, 40).Draw(t, "events")
		for i := range n {
			now = now.Add(time.Duration(rapid.IntRange(1, 4*24).Draw(t, "hours")) * time.Hour)
			m := uint32(rapid.IntRange(1, members).Draw(t, "member"))
			switch kind := rapid.IntRange(0, 9).Draw(t, "kind"); {
			case kind == 0: // a merge
				a := uint32(rapid.IntRange(1, members).Draw(t, "absorbed"))
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
				sv, ab := resolve(m), resolve(a)
				if sv == ab {
					continue // already one member: nothing recorded
				}
				// Dated at the later of the two members' last events, else the ledger's.
				at := last[sv]
				if last[ab].After(at) {
					at = last[ab]
				}
				if at.IsZero() {
					at = lastAny
				}
				if at.IsZero() {
					at = time.Unix(0, 0).UTC()
				}
				ref.merges = append(ref.merges, refTierMerge{at: at, survivor: sv, absorbed: ab})
				last[sv] = at
				continue
			case kind <= 2 && len(ref.orders) > 0: // a refund
				o := rapid.SampledFrom(ref.orders).Draw(t, "order")
				left := o.amount
				for _, f := range o.refunds {
					left -= f.amount
				}
				if left == 0 {
					continue
				}
				amt := rapid.Int64Range(1, left).Draw(t, "refund")
				rec, err := l.Refund(ctx, now, fmt.Sprint("r", i), o.id, amt)
				if err != nil {
					t.Fatal(err)
				}
				var before int64
				for _, f := range o.refunds {
					before += f.points
				}
				refunded := o.amount - left + amt
				want := o.points*refunded/o.amount - before
				if rec.Points != want {
					t.Fatalf("refund of %d: %d points reversed, want %d", amt, rec.Points, want)
				}
				if owner := resolve(o.member); rec.Member != owner {
					t.Fatalf("refund of order %s recorded for member %d, which belongs to member %d", o.id, rec.Member, owner)
				}
				o.refunds = append(o.refunds, refTierRefund{at: now, amount: amt, points: want})
				last[resolve(o.member)], lastAny = now, now
				continue
			case kind == 3: // a spend, covered or not: it changes no tier
				_, err := l.Spend(ctx, now, fmt.Sprint("s", i), m, int64(rapid.IntRange(1, 200).Draw(t, "spend")))
				if err != nil && !errors.Is(err, loyalty.ErrInsufficient) {
					t.Fatal(err)
				}
				if err == nil {
					last[resolve(m)], lastAny = now, now
				}
				continue
			case kind == 4: // a bonus: no tier value either
				if _, err := l.Bonus(ctx, now, fmt.Sprint("b", i), m, 500, "promo"); err != nil {
					t.Fatal(err)
				}
				last[resolve(m)], lastAny = now, now
				continue
			}
			owner := resolve(m)
			amount := int64(rapid.IntRange(100, 20000).Draw(t, "amount"))
			hour := int(now.Sub(t0) / time.Hour)
			lv := 0
			if hour > 0 {
				lv = ref.levels(owner, hour)[hour-1]
			}
			mult := []int64{100, 150, 200}[lv]
			want := amount * mult / (100 * 100)
			id := fmt.Sprint("O", i)
			rec, err := l.Earn(ctx, now, fmt.Sprint("e", i), m, id, amount)
			if err != nil {
				t.Fatal(err)
			}
			if rec.Points != want || rec.Member != owner {
				t.Fatalf("order %d of member %d (member %d's) at tier %d: %d points for member %d, want %d", i, m, owner, lv, rec.Points, rec.Member, want)
			}
			ref.orders = append(ref.orders, &refTierOrder{id: id, member: owner, at: now, amount: amount, points: want})
			last[owner], lastAny = now, now
		}
		hours := int(now.Sub(t0)/time.Hour) + int((rules.Window+rules.Grace)/time.Hour) + 48
		check := func(what string, l *loyalty.Ledger) {
			for m := uint32(1); m <= members; m++ {
				want := ref.levels(m, hours)
				for h := range hours {
					at := t0.Add(time.Duration(h) * time.Hour)
					if got := l.Tier(at, m); got.Level != want[h] {
						t.Fatalf("%s: member %d at hour %d: tier %+v, reference %d", what, m, h, got, want[h])
					}
				}
				// The history lists exactly the reference's changes, collapsed per instant.
				var changes []loyalty.TierChange
				for h := range hours {
					from := 0
					if h > 0 {
						from = want[h-1]
					}
					if want[h] != from {
						changes = append(changes, loyalty.TierChange{Member: m, At: t0.Add(time.Duration(h) * time.Hour),
							From: rules.Tiers[from].Name, To: rules.Tiers[want[h]].Name})
					}
				}
				got := netChanges(l.TierHistory(t0.Add(time.Duration(hours)*time.Hour), m))
				if diff := cmp.Diff(changes, got); diff != "" {
					t.Fatalf("%s: member %d: tier history (-reference +ledger):\n%s", what, m, diff)
				}
			}
		}
		check("live", l)
		replayed, err := loyalty.Open(store, rules)
		if err != nil {
			t.Fatal(err)
		}
		check("replay", replayed)
	})
}
