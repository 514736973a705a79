package uplift

import (
	"context"
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/clientele-go/clientele/internal/synth"
	"pgregory.net/rapid"
)

// bestSubset is the brute-force optimum of the targeting problem: the largest total
// profit over every subset within the bounds, the empty set included.
func bestSubset(u, r []float64, b Promotion) float64 {
	best := 0.0
	for mask := 0; mask < 1<<len(u); mask++ {
		var n int
		var profit, cost float64
		for i := range u {
			if mask&(1<<i) == 0 {
				continue
			}
			n++
			c := b.ContactCost + b.DiscountCost*r[i]
			cost += c
			profit += b.Value*u[i] - c
		}
		if (b.Contacts > 0 && n > b.Contacts) || (b.Spend > 0 && cost > b.Spend) {
			continue
		}
		best = math.Max(best, profit)
	}
	return best
}

func TestTargetAgainstBruteForce(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		n := rapid.IntRange(0, 10).Draw(t, "n")
		u, r := make([]float64, n), make([]float64, n)
		for i := range u {
			r[i] = rapid.Float64Range(0, 1).Draw(t, "response")
			u[i] = rapid.Float64Range(-r[i], r[i]).Draw(t, "uplift")
		}
		b := Promotion{
			Contacts:     rapid.IntRange(0, 5).Draw(t, "contacts"),
			ContactCost:  rapid.Float64Range(0, 0.2).Draw(t, "contact cost"),
			DiscountCost: rapid.Float64Range(0, 0.5).Draw(t, "discount"),
			Value:        rapid.Float64Range(0.5, 3).Draw(t, "value"),
		}
		spend := rapid.Bool().Draw(t, "spend bound")
		if spend {
			b.Contacts = 0
			b.Spend = rapid.Float64Range(0.01, 2).Draw(t, "spend")
		}
		p, err := Target(u, r, &b)
		if err != nil {
			t.Fatal(err)
		}
		var profit, cost, maxProfit float64
		seen := map[int]bool{}
		for _, i := range p.Send {
			if seen[i] {
				t.Fatalf("profile %d sent twice", i)
			}
			seen[i] = true
			c := b.ContactCost + b.DiscountCost*r[i]
			cost += c
			profit += b.Value*u[i] - c
		}
		for i := range u {
			maxProfit = math.Max(maxProfit, b.Value*u[i]-b.ContactCost-b.DiscountCost*r[i])
		}
		if math.Abs(profit-p.Profit) > 1e-9 || math.Abs(cost-p.Cost) > 1e-9 {
			t.Fatalf("plan says profit %v cost %v, its profiles add to %v, %v", p.Profit, p.Cost, profit, cost)
		}
		if (b.Contacts > 0 && len(p.Send) > b.Contacts) || (b.Spend > 0 && cost > b.Spend+1e-12) {
			t.Fatalf("plan of %d profiles costing %v breaks the budget %+v", len(p.Send), cost, b)
		}
		best := bestSubset(u, r, b)
		if !spend && math.Abs(profit-best) > 1e-9 {
			t.Fatalf("count bound: profit %v, optimum %v", profit, best)
		}
		if spend && profit < best-maxProfit-1e-9 {
			t.Fatalf("spend bound: profit %v, optimum %v, largest single profit %v", profit, best, maxProfit)
		}
	})
}

// The plan's holdout estimate of incremental conversions covers the truth (the sum of
// the simulator's true uplift over the profiles sent), and uplift targeting brings
// more than targeting by propensity at the same count.
func TestPlanCheck(t *testing.T) {
	train := synth.SimulateCampaign(synth.CampaignParams{People: scaled(50_000), Seed: 21})
	holdout := synth.SimulateCampaign(synth.CampaignParams{People: scaled(50_000), Seed: 22})
	pop := synth.SimulateCampaign(synth.CampaignParams{People: scaled(50_000), Seed: 23})
	m, err := Fit(train.X, train.Treated, train.Converted, nil)
	if err != nil {
		t.Fatal(err)
	}
	u, _ := m.Uplift(pop.X)
	r, _ := m.Response(pop.X)
	b := Promotion{Contacts: scaled(10_000), ContactCost: 0.05, DiscountCost: 2, Value: 20}
	p, err := Target(u, r, &b)
	if err != nil {
		t.Fatal(err)
	}
	hu, _ := m.Uplift(holdout.X)
	hr, _ := m.Response(holdout.X)
	iv, err := p.Check(context.Background(), hu, hr, holdout.Treated, holdout.Converted, nil)
	if err != nil {
		t.Fatal(err)
	}
	var truth float64
	for _, i := range p.Send {
		truth += pop.Uplift[i]
	}
	t.Logf("sent %d, model %.0f, holdout %.0f [%.0f, %.0f], truth %.0f", len(p.Send), p.Conversions, iv.Estimate, iv.Lo, iv.Hi, truth)
	if !iv.Contains(truth) {
		t.Errorf("holdout interval [%v, %v] misses the true %v", iv.Lo, iv.Hi, truth)
	}
	if len(p.Send) != b.Contacts {
		t.Errorf("sent %d, budget %d", len(p.Send), b.Contacts)
	}
}

func TestTargetInvalid(t *testing.T) {
	u, r := []float64{0.1, 0.2}, []float64{0.3, 0.4}
	for _, c := range []struct {
		name string
		u, r []float64
		b    *Promotion
	}{
		{"lengths", u, r[:1], nil},
		{"uplift range", []float64{0.1, 2}, r, nil},
		{"uplift nan", []float64{0.1, math.NaN()}, r, nil},
		{"response range", u, []float64{0.3, -0.1}, nil},
		{"discount without response", u, nil, &Promotion{DiscountCost: 1}},
		{"negative cost", u, r, &Promotion{ContactCost: -1}},
		{"infinite spend", u, r, &Promotion{Spend: math.Inf(1)}},
		{"negative count", u, r, &Promotion{Contacts: -3}},
	} {
		if _, err := Target(c.u, c.r, c.b); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: %v, want ErrInvalid", c.name, err)
		}
	}
	p, _ := Target(u, nil, nil)
	if _, err := p.Check(context.Background(), u, nil, []bool{true}, []bool{true, false}, nil); !errors.Is(err, ErrInvalid) {
		t.Errorf("Check lengths: %v", err)
	}
}

// Under a Spend bound, profiles that cost nothing (no contact cost, and a response of 0
// where the discount is priced) all have the priority +Inf; among them the larger
// profit goes first, so a count bound keeps the best of them, and Check picks the
// holdout rows that rank at least as high as the last one sent.
func TestTargetFreeProfilesByProfit(t *testing.T) {
	u, r := []float64{0.1, 0.3, 0.2}, []float64{0, 0, 0}
	b := Promotion{Contacts: 2, Spend: 1, DiscountCost: 0.5}
	p, err := Target(u, r, &b)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Send) != 2 || p.Send[0] != 1 || p.Send[1] != 2 {
		t.Fatalf("sent %v, want the two largest profits, [1 2]", p.Send)
	}
	if math.Abs(p.Profit-0.5) > 1e-12 {
		t.Errorf("profit %v, want 0.5", p.Profit)
	}
	// The holdout: row 0 ranks below the last profile sent (profit 0.1 < 0.2), rows 1
	// and 2 at or above it. Treated row 1 bought and control row 2 did not: uplift 1 per
	// profile sent, 2 in all; row 0, a control buyer, would halve it if picked.
	iv, err := p.Check(context.Background(), u, r, []bool{false, true, false}, []bool{true, true, false}, &EvalOptions{Replicates: 10})
	if err != nil {
		t.Fatal(err)
	}
	if iv.Estimate != 2 {
		t.Errorf("Check estimates %v, want 2 (rows 1 and 2 picked, not row 0)", iv.Estimate)
	}
}

// Messages count in English: "1 uplift score, 2 treatment flags", never "1 uplift scores".
func TestCheckCountsInEnglish(t *testing.T) {
	p, err := Target([]float64{0.1}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = p.Check(context.Background(), []float64{0.1}, nil, []bool{true, false}, []bool{true}, nil)
	if err == nil || !strings.Contains(err.Error(), "1 uplift score, 2 treatment flags") {
		t.Errorf("Check of 1 score and 2 flags: %v", err)
	}
}

// A nil *Promotion is the zero Promotion, as Target's doc says: every profile with a
// positive uplift, best first, a conversion worth 1.
func TestTargetNilPromotion(t *testing.T) {
	u := []float64{0.1, -0.2, 0.3, 0}
	p, err := Target(u, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	z, err := Target(u, nil, &Promotion{})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Send) != 2 || p.Send[0] != 2 || p.Send[1] != 0 || math.Abs(p.Profit-0.4) > 1e-12 {
		t.Errorf("nil promotion: sent %v, profit %v; want [2 0], 0.4", p.Send, p.Profit)
	}
	if len(z.Send) != len(p.Send) || z.Profit != p.Profit {
		t.Errorf("nil promotion %+v, zero promotion %+v", p, z)
	}
}
