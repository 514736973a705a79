package loyalty_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/clientele-go/clientele/referral/loyalty"
	"pgregory.net/rapid"
)

// refTiers is the reference model of the tier rules, from their definition: time is
// stepped hour by hour (every instant of the generated histories is a whole hour), and
// at each hour the qualifying total is summed afresh over the orders in the window.
type refTiers struct {
	rules  loyalty.Rules
	orders []*refTierOrder
}

type refTierOrder struct {
	member  uint32
	at      time.Time
	amount  int64
	points  int64
	refunds []refTierRefund
}

type refTierRefund struct {
	at             time.Time
	amount, points int64
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

// levels returns member m's tier at every hour from t0 for n hours.
func (r *refTiers) levels(m uint32, n int) []int {
	out := make([]int, n)
	level, below := 0, false
	var belowAt time.Time
	for i := range n {
		h := t0.Add(time.Duration(i) * time.Hour)
		var total int64
		for _, o := range r.orders {
			if o.member == m && !o.at.After(h) && h.Before(o.at.Add(r.rules.Window)) {
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

// TestTiersMatchReference: the tier of every member at every hour, and the multiplier
// its orders earn at, equal the hour-by-hour reference, for tiers by points or spend,
// any window and grace, with refunds inside and outside the window.
func TestTiersMatchReference(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		ctx := context.Background()
		rules := loyalty.Rules{
			Tiers:     []loyalty.Tier{{Name: "member"}, {Name: "silver", Threshold: 100, Multiplier: 150}, {Name: "gold", Threshold: 300, Multiplier: 200}},
			QualifyBy: loyalty.Measure(rapid.IntRange(0, 1).Draw(t, "by")),
			Window:    time.Duration(rapid.IntRange(1, 20*24).Draw(t, "window hours")) * time.Hour,
			Grace:     time.Duration(rapid.IntRange(0, 5*24).Draw(t, "grace hours")) * time.Hour,
		}
		if rules.QualifyBy == loyalty.BySpend {
			rules.Tiers[1].Threshold, rules.Tiers[2].Threshold = 10000, 30000
		}
		l, err := loyalty.Open(&loyalty.MemStore{}, rules)
		if err != nil {
			t.Fatal(err)
		}
		ref := &refTiers{rules: rules}
		now := t0
		n := rapid.IntRange(1, 30).Draw(t, "events")
		for i := range n {
			now = now.Add(time.Duration(rapid.IntRange(1, 4*24).Draw(t, "hours")) * time.Hour)
			m := uint32(rapid.IntRange(1, 2).Draw(t, "member"))
			if len(ref.orders) > 0 && rapid.IntRange(0, 3).Draw(t, "refund?") == 0 {
				o := rapid.SampledFrom(ref.orders).Draw(t, "order")
				var left int64 = o.amount
				for _, f := range o.refunds {
					left -= f.amount
				}
				if left == 0 {
					continue
				}
				amt := rapid.Int64Range(1, left).Draw(t, "refund")
				k := ref.orders[0]
				_ = k
				idx := 0
				for j, x := range ref.orders {
					if x == o {
						idx = j
					}
				}
				rec, err := l.Refund(ctx, now, fmt.Sprint("r", i), fmt.Sprint("O", idx), amt)
				if err != nil {
					t.Fatal(err)
				}
				var before int64
				for _, f := range o.refunds {
					before += f.points
				}
				var refunded int64 = o.amount - left + amt
				want := o.points*refunded/o.amount - before
				if rec.Points != want {
					t.Fatalf("refund of %d: %d points reversed, want %d", amt, rec.Points, want)
				}
				o.refunds = append(o.refunds, refTierRefund{at: now, amount: amt, points: want})
				continue
			}
			amount := int64(rapid.IntRange(100, 20000).Draw(t, "amount"))
			hour := int(now.Sub(t0) / time.Hour)
			lv := 0
			if hour > 0 {
				lv = ref.levels(m, hour)[hour-1]
			}
			mult := []int64{100, 150, 200}[lv]
			want := amount * mult / (100 * 100)
			rec, err := l.Earn(ctx, now, fmt.Sprint("e", i), m, fmt.Sprint("O", len(ref.orders)), amount)
			if err != nil {
				t.Fatal(err)
			}
			if rec.Points != want {
				t.Fatalf("order %d of member %d at tier %d: %d points, want %d", i, m, lv, rec.Points, want)
			}
			ref.orders = append(ref.orders, &refTierOrder{member: m, at: now, amount: amount, points: want})
		}
		hours := int(now.Sub(t0)/time.Hour) + int((rules.Window+rules.Grace)/time.Hour) + 48
		for m := uint32(1); m <= 2; m++ {
			want := ref.levels(m, hours)
			for h := range hours {
				at := t0.Add(time.Duration(h) * time.Hour)
				if got := l.Tier(m, at); got.Level != want[h] {
					t.Fatalf("member %d at hour %d: tier %+v, reference %d", m, h, got, want[h])
				}
			}
			// The history lists exactly the reference's changes.
			var changes int
			for h := 1; h < hours; h++ {
				if want[h] != want[h-1] {
					changes++
				}
			}
			if want[0] != 0 {
				changes++
			}
			if got := l.TierHistory(m, t0.Add(time.Duration(hours)*time.Hour)); len(got) != changes {
				t.Fatalf("member %d: %d changes in the history %v, reference %d", m, len(got), got, changes)
			}
		}
	})
}
