package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/clientele-go/clientele/internal/synth"
	"github.com/clientele-go/clientele/referral/loyalty"
)

const secLoyalty = "Loyalty points, tiers and their liability"

// loyaltyRules: one point per 1.00 spent (two on orders of 100.00 or more is left to
// tiers: silver earns 1.25×, gold 1.5×), points locked for the 14-day returns window
// and expiring at the end of the sixth month after the month they were earned; tiers
// by points over a rolling year, with 30 days of grace.
var loyaltyRules = loyalty.Rules{
	Lock:   14 * day,
	Expiry: loyalty.Expiry{Rule: loyalty.EndOfMonth, N: 6},
	Tiers: []loyalty.Tier{
		{Name: "member"},
		{Name: "silver", Threshold: 300, Multiplier: 125},
		{Name: "gold", Threshold: 1000, Multiplier: 150},
	},
	Window: 365 * day,
	Grace:  30 * day,
}

// Redemption behaviour the generator does not model: at a purchase, a customer with at
// least voucherPoints available redeems a voucher with probability redeemShare.
const (
	voucherPoints = 200
	redeemShare   = 0.5
	costPerPoint  = 1.0 // cents: a 200-point voucher is worth 2.00
)

// reportLoyalty runs the purchases and refunds of the base through a loyalty ledger
// and reports points, tiers and the liability of the points outstanding at the end.
func reportLoyalty(w *reportWriter, r *resolved, end time.Time) error {
	ctx := context.Background()
	changes := map[string]int{}
	l, err := loyalty.Open(&loyalty.MemStore{}, loyaltyRules, loyalty.WithOnTier(func(c loyalty.TierChange) {
		changes[c.From+" -> "+c.To]++
	}))
	if err != nil {
		return err
	}
	idx := make([]int, len(r.events))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int { return r.events[a].at.Compare(r.events[b].at) })
	rng := rand.New(rand.NewPCG(20, 1))
	var orders, refunds, vouchers int
	var earned, reversed int64
	members := map[uint32]bool{}
	for n, i := range idx {
		e := r.events[i]
		key := fmt.Sprint("ev", n)
		switch e.kind {
		case synth.Purchase:
			if b := l.Balance(e.at, e.profile); b.Available >= voucherPoints && rng.Float64() < redeemShare {
				if _, err := l.Spend(ctx, e.at, key+"-voucher", e.profile, voucherPoints); err != nil {
					return err
				}
				vouchers++
			}
			rec, err := l.Earn(ctx, e.at, key, e.profile, e.order, int64(100*e.amount+0.5))
			if errors.Is(err, loyalty.ErrConflict) || errors.Is(err, loyalty.ErrInvalid) {
				continue // an order id seen twice, or an amount of zero
			}
			if err != nil {
				return err
			}
			orders++
			earned += rec.Points
			members[e.profile] = true
		case synth.Refund:
			rec, err := l.Refund(ctx, e.at, key, e.order, 0)
			if errors.Is(err, loyalty.ErrNotFound) || errors.Is(err, loyalty.ErrRefundExceeds) || errors.Is(err, loyalty.ErrInvalid) {
				continue
			}
			if err != nil {
				return err
			}
			refunds++
			reversed += rec.Points
		}
	}
	w.section(secLoyalty)
	w.line("a simulated programme: 1 point per 1.00 spent (silver 1.25x, gold 1.5x), locked for the 14-day returns window,")
	w.line("expiring at the end of the sixth month after earning; customers redeem a %d-point voucher at a purchase half the time", voucherPoints)
	w.line("%s earned %s on %s; %s reversed %s; %s redeemed",
		plural(len(members), "member"), plural(earned, "point"), plural(orders, "order"), plural(refunds, "refund"), plural(reversed, "point"), plural(vouchers, "voucher"))
	tiers := map[string]int{}
	var bal loyalty.Balance
	for m := range members {
		tiers[l.Tier(end, m).Name]++
		b := l.Balance(end, m)
		bal.Available += b.Available
		bal.Locked += b.Locked
		bal.Debt += b.Debt
	}
	w.line("tiers at the end: %s member, %s silver, %s gold; tier changes over the year: %s",
		thousands(tiers["member"]), thousands(tiers["silver"]), thousands(tiers["gold"]), changeText(changes))
	w.line("points at the end: %s available, %s locked, %s owed (debt: refunds that reversed points already spent)",
		thousands(bal.Available), thousands(bal.Locked), thousands(bal.Debt))
	for q := 3; q >= 0; q-- {
		at := end.AddDate(0, -3*q, 0)
		li, err := l.Liability(at, &loyalty.LiabilityOptions{CostPerPoint: costPerPoint})
		if err != nil {
			return err
		}
		if li.Outstanding == 0 {
			// Breakage is that of the points outstanding: with none, its 0 is no
			// figure (it read "breakage 0.0% (from 1 settled month)" above a month
			// whose own breakage was 100%).
			w.line("liability at %s: no points outstanding", at.Format(time.DateOnly))
			continue
		}
		if unknownBreakage(li) {
			w.line("liability at %s: %s points outstanding, breakage unknown (no point redeemed or expired yet), so valued as if all are redeemed: %s",
				at.Format(time.DateOnly), thousands(li.Outstanding), money(li.Value))
			continue
		}
		from := "from " + plural(li.SettledVintages, "settled month")
		if li.SettledVintages == 0 {
			from = "no month settled yet: from points of known fate, biased low"
		}
		w.line("liability at %s: %s points outstanding, breakage %.1f%% (%s), expected cost %s (%s to %s)",
			at.Format(time.DateOnly), thousands(li.Outstanding), 100*li.Breakage, from, money(li.Value), money(li.ValueLo), money(li.ValueHi))
	}
	li, _ := l.Liability(end, &loyalty.LiabilityOptions{CostPerPoint: costPerPoint})
	if len(li.Vintages) == 0 {
		w.line("breakage by earn month at the end: none, no points were earned")
		return nil
	}
	w.line("breakage by earn month at the end (expired / (redeemed + expired), 95%% interval):")
	for _, c := range li.Vintages {
		// A settled month whose points were all taken back has no breakage of its own.
		if c.Borrowed && unknownBreakage(li) || !c.Borrowed && c.Spent+c.Expired == 0 {
			w.line("  %s  %8s earned  %8s redeemed  %8s reversed  %8s expired  %8s outstanding  breakage unknown: no point of known fate yet",
				c.Month.Format("2006-01"), thousands(c.Credited), thousands(c.Spent), thousands(c.Taken), thousands(c.Expired), thousands(c.Outstanding))
			continue
		}
		pooled := ""
		switch {
		case c.Borrowed && li.SettledVintages > 0:
			pooled = " (points outstanding: the settled months' breakage)"
		case c.Borrowed:
			pooled = " (points outstanding: the breakage of all points of known fate)"
		}
		// Every column is shown, reversed included, so that each row adds up: earned =
		// redeemed + reversed + expired + outstanding (a month with refunds lost points
		// to no visible column).
		w.line("  %s  %8s earned  %8s redeemed  %8s reversed  %8s expired  %8s outstanding  %5.1f%% [%4.1f, %4.1f]%s",
			c.Month.Format("2006-01"), thousands(c.Credited), thousands(c.Spent), thousands(c.Taken), thousands(c.Expired), thousands(c.Outstanding),
			100*c.Breakage, 100*c.Lo, 100*c.Hi, pooled)
	}
	return nil
}

// unknownBreakage reports whether the vintages li borrows its breakage from (the
// settled ones, or all when none is) hold no point of known fate, redeemed or expired:
// Liability then gives 0 in [0, 1] and values every point as redeemed, which the report
// must not print as a measured breakage of 0%.
func unknownBreakage(li loyalty.Liability) bool {
	for _, v := range li.Vintages {
		if (li.SettledVintages == 0 || v.Outstanding == 0) && v.Spent+v.Expired > 0 {
			return false
		}
	}
	return true
}

func changeText(m map[string]int) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b string) int { return cmp.Or(cmp.Compare(m[b], m[a]), cmp.Compare(a, b)) })
	s := ""
	for i, k := range keys {
		if i > 0 {
			s += ", "
		}
		s += fmt.Sprintf("%s %s", k, thousands(m[k]))
	}
	if s == "" {
		return "none"
	}
	return s
}

// money writes cents as currency units with two decimals.
func money(cents float64) string {
	return fmt.Sprintf("%s.%02d", thousands(int64(cents)/100), int64(cents)%100)
}
