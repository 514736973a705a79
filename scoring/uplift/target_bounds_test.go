package uplift

import (
	"math"
	"slices"
	"testing"

	"pgregory.net/rapid"
)

// A Spend bound that binds nothing changed the plan: Target then ordered by profit per
// unit of cost, so under Contacts 2 and Spend 10 it sent the two cheap profiles of
// profit 0.04 (plan profit 0.08) where Contacts 2 alone sent the two of profit 0.44
// (0.88), all four costing 0.94 in all.
func TestTargetSlackSpendKeepsBestProfits(t *testing.T) {
	u, r := []float64{0.9, 0.9, 0.05, 0.05}, []float64{0.9, 0.9, 0, 0}
	count := Promotion{Contacts: 2, ContactCost: 0.01, DiscountCost: 0.5}
	both := count
	both.Spend = 10
	for _, b := range []Promotion{count, both} {
		p, err := Target(u, r, &b)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(p.Send, []int{0, 1}) || math.Abs(p.Profit-0.88) > 1e-12 {
			t.Errorf("%+v: sent %v, profit %v; want [0 1], 0.88", b, p.Send, p.Profit)
		}
	}
}

// Under both bounds the plan keeps within them, is the optimum wherever the Spend bound
// does not bind on the best profits (the count bound's optimum fits within it), and is
// never worse than sending by profit per unit of cost alone, which it was before.
func TestTargetBothBoundsAgainstBruteForce(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		n := rapid.IntRange(0, 10).Draw(t, "n")
		u, r := make([]float64, n), make([]float64, n)
		for i := range u {
			r[i] = rapid.Float64Range(0, 1).Draw(t, "response")
			u[i] = rapid.Float64Range(-r[i], r[i]).Draw(t, "uplift")
		}
		b := Promotion{
			Contacts:     rapid.IntRange(1, 5).Draw(t, "contacts"),
			Spend:        rapid.Float64Range(0.01, 3).Draw(t, "spend"),
			ContactCost:  rapid.Float64Range(0, 0.2).Draw(t, "contact cost"),
			DiscountCost: rapid.Float64Range(0, 0.5).Draw(t, "discount"),
			Value:        rapid.Float64Range(0.5, 3).Draw(t, "value"),
		}
		p, err := Target(u, r, &b)
		if err != nil {
			t.Fatal(err)
		}
		var profit, cost float64
		for _, i := range p.Send {
			c := b.ContactCost + b.DiscountCost*r[i]
			cost += c
			profit += b.Value*u[i] - c
		}
		if len(p.Send) > b.Contacts || cost > b.Spend+1e-12 {
			t.Fatalf("plan of %d profiles costing %v breaks the budget %+v", len(p.Send), cost, b)
		}
		if math.Abs(profit-p.Profit) > 1e-9 {
			t.Fatalf("plan says profit %v, its profiles add to %v", p.Profit, profit)
		}
		countOnly := b
		countOnly.Spend = 0
		best := bestSubset(u, r, countOnly)
		if bestCost := costOfBest(u, r, countOnly); bestCost <= b.Spend && math.Abs(profit-best) > 1e-9 {
			t.Fatalf("the count optimum %v costs %v, within Spend %v; plan profit %v", best, bestCost, b.Spend, profit)
		}
		ratio := ratioGreedy(u, r, b)
		if profit < ratio-1e-9 {
			t.Fatalf("profit %v, below the greedy by ratio's %v", profit, ratio)
		}
	})
}

// costOfBest is the cost of the count bound's optimum: the Contacts largest positive
// profits.
func costOfBest(u, r []float64, b Promotion) float64 {
	var pos []int
	for i := range u {
		if b.Value*u[i]-b.ContactCost-b.DiscountCost*r[i] > 0 {
			pos = append(pos, i)
		}
	}
	profit := func(i int) float64 { return b.Value*u[i] - b.ContactCost - b.DiscountCost*r[i] }
	slices.SortStableFunc(pos, func(i, j int) int {
		switch {
		case profit(i) > profit(j):
			return -1
		case profit(i) < profit(j):
			return 1
		}
		return 0
	})
	var cost float64
	for _, i := range pos[:min(len(pos), b.Contacts)] {
		cost += b.ContactCost + b.DiscountCost*r[i]
	}
	return cost
}

// ratioGreedy is the profit of the plan by profit per unit of cost (free profiles
// first, by profit), skipping profiles that no longer fit, up to Contacts.
func ratioGreedy(u, r []float64, b Promotion) float64 {
	type row struct{ profit, cost float64 }
	var rows []row
	for i := range u {
		c := b.ContactCost + b.DiscountCost*r[i]
		if p := b.Value*u[i] - c; p > 0 {
			rows = append(rows, row{p, c})
		}
	}
	key := func(x row) float64 {
		if x.cost == 0 {
			return math.Inf(1)
		}
		return x.profit / x.cost
	}
	slices.SortStableFunc(rows, func(x, y row) int {
		kx, ky := key(x), key(y)
		switch {
		case kx > ky || kx == ky && x.profit > y.profit:
			return -1
		case kx < ky || kx == ky && x.profit < y.profit:
			return 1
		}
		return 0
	})
	var n int
	var cost, profit float64
	for _, x := range rows {
		if n == b.Contacts {
			break
		}
		if cost+x.cost > b.Spend {
			continue
		}
		n++
		cost += x.cost
		profit += x.profit
	}
	return profit
}
