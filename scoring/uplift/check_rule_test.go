package uplift

import (
	"context"
	"math"
	"slices"
	"testing"

	"pgregory.net/rapid"
)

// TestCheckUnboundPlanPicksEveryPositiveProfit: a plan that no bound stopped sends
// every profile of positive profit, and that is its rule on the holdout. Check picked
// only the holdout rows with a profit at least the smallest one sent: the plan for
// uplifts 0.5 and 0.3 sends both, and the holdout rows of uplift 0.1 and 0.2 were
// left out, so the estimate stood for the better half of the people the rule sends.
func TestCheckUnboundPlanPicksEveryPositiveProfit(t *testing.T) {
	p, err := Target([]float64{0.5, 0.3, -0.1}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	hu := []float64{0.1, 0.1, 0.2, 0.2, 0.4, 0.4, -0.2, -0.2}
	tr := []bool{true, false, true, false, true, false, true, false}
	conv := []bool{true, false, true, false, false, false, true, false}
	// The rule picks rows 0 to 5: treated rate 2/3, control 0, times 2 sent.
	got, err := p.Check(context.Background(), hu, nil, tr, conv, &EvalOptions{Replicates: 20})
	if err != nil {
		t.Fatal(err)
	}
	if want := (2.0/3 - 0) * 2; math.Abs(got.Estimate-want) > 1e-12 {
		t.Errorf("Check of the plan sending every positive profit: %v, want %v (holdout rows 0 to 5)", got.Estimate, want)
	}
}

// TestCheckPicksAgainstBruteForce: for a plan that sent every profile of positive
// profit of its audience (no bound, or bounds that cut nothing), the holdout rows
// Check picks are those Target, with no bound, sends from the holdout, and Check's
// estimate is their treated rate minus their control rate, times len(Send).
func TestCheckPicksAgainstBruteForce(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		draw := func(n int, name string) ([]float64, []float64) {
			u, r := make([]float64, n), make([]float64, n)
			for i := range n {
				u[i] = float64(rapid.IntRange(-4, 8).Draw(t, name+" uplift")) / 8
				r[i] = float64(rapid.IntRange(0, 8).Draw(t, name+" response")) / 8
			}
			return u, r
		}
		au, ar := draw(rapid.IntRange(1, 8).Draw(t, "audience"), "audience")
		promo := Promotion{
			ContactCost:  float64(rapid.IntRange(0, 2).Draw(t, "contact cost")) / 8,
			DiscountCost: float64(rapid.IntRange(0, 2).Draw(t, "discount cost")) / 8,
		}
		free := promo
		// A bound that cuts nothing: at least the positive profits, or more than all
		// of their cost.
		if rapid.Bool().Draw(t, "count bound") {
			promo.Contacts = len(au) + rapid.IntRange(0, 2).Draw(t, "spare contacts")
		}
		if rapid.Bool().Draw(t, "spend bound") {
			promo.Spend = 1 + float64(len(au))*(promo.ContactCost+promo.DiscountCost)
		}
		p, err := Target(au, ar, &promo)
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Send) == 0 {
			t.Skip("nobody sent")
		}
		hn := rapid.IntRange(1, 12).Draw(t, "holdout")
		hu, hr := draw(hn, "holdout")
		tr, conv := make([]bool, hn), make([]bool, hn)
		for i := range hn {
			tr[i] = rapid.Bool().Draw(t, "treated")
			conv[i] = rapid.Bool().Draw(t, "converted")
		}
		ref, err := Target(hu, hr, &free)
		if err != nil {
			t.Fatal(err)
		}
		want := slices.Clone(ref.Send)
		slices.Sort(want)
		var got []int
		for i := range hn {
			if p.picks(hu, hr, i) {
				got = append(got, i)
			}
		}
		if !slices.Equal(got, want) {
			t.Fatalf("plan %v of %+v picks holdout rows %v, want %v (every positive profit)", p.Send, promo, got, want)
		}
		var nt, nc, yt, yc float64
		for _, i := range want {
			b := 0.0
			if conv[i] {
				b = 1
			}
			if tr[i] {
				nt, yt = nt+1, yt+b
			} else {
				nc, yc = nc+1, yc+b
			}
		}
		iv, err := p.Check(context.Background(), hu, hr, tr, conv, &EvalOptions{Replicates: 2})
		if err != nil {
			t.Fatal(err)
		}
		wantEst := (yt/nt - yc/nc) * float64(len(p.Send))
		if math.IsNaN(wantEst) != math.IsNaN(iv.Estimate) || !math.IsNaN(wantEst) && math.Abs(iv.Estimate-wantEst) > 1e-12 {
			t.Fatalf("Check estimate %v, want %v", iv.Estimate, wantEst)
		}
	})
}
