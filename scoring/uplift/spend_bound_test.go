package uplift

import (
	"context"
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/clientele-go/clientele/scoring"
	"pgregory.net/rapid"
)

// TestSpendOverMaxAmount: five spends of 1e307 in 2,000 rows overflowed the curves'
// sums, and EvaluateSpend returned a Qini coefficient and AUUC of NaN [NaN, NaN]
// without an error. Every entry point that takes spends refuses one over
// scoring.MaxAmount, naming the row, as scoring refuses such an amount; so does Target
// a spend score or a Promotion figure past it.
func TestSpendOverMaxAmount(t *testing.T) {
	n := 2000
	score, tr, sp := make([]float64, n), make([]bool, n), make([]float64, n)
	for i := range n {
		score[i], tr[i] = float64(i%17), i%2 == 0
		if i%400 == 0 {
			sp[i] = 1e307
		}
	}
	refused := func(what string, err error, want string) {
		t.Helper()
		if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), want) || strings.Count(err.Error(), "uplift:") != 1 {
			t.Errorf("%s: %v, want ErrInvalid saying %q", what, err, want)
		}
	}
	ev, err := EvaluateSpend(context.Background(), score, tr, sp, nil)
	if err == nil {
		t.Errorf("EvaluateSpend of spends 1e307: no error, Qini %v, AUUC %v", ev.QiniCoefficient, ev.AUUC)
	}
	refused("EvaluateSpend", err, "spend 0 is 1e+307, over scoring.MaxAmount, 1e+15: not a money figure")

	x := [][]float64{{0}, {1}, {2}, {3}, {4}, {5}}
	tr6 := []bool{true, true, true, false, false, false}
	over := []float64{3, 0, 5, 0, scoring.MaxAmount * 1.5, 0}
	_, err = FitSpend(x, tr6, over, nil)
	refused("FitSpend", err, "spend 4 is 1.5e+15, over scoring.MaxAmount")
	m, err := FitSpend(x, tr6, []float64{3, 0, 5, 0, 1, 0}, nil)
	if err != nil {
		t.Fatal(err)
	}
	u, _ := m.Uplift(x)
	p, err := Target(u, nil, &Promotion{Outcome: Spend})
	if err != nil {
		t.Fatal(err)
	}
	_, err = p.CheckSpend(context.Background(), u, nil, tr6, over, nil)
	refused("CheckSpend", err, "spend 4 is 1.5e+15, over scoring.MaxAmount")

	// Target: a spend uplift of 1e308 at a Value of 2 was a profit of +Inf.
	big := []float64{1, 1e308, 2}
	if pl, err := Target(big, nil, &Promotion{Outcome: Spend, Value: 2}); err == nil {
		t.Errorf("Target of a spend uplift of 1e308: no error, profit %v", pl.Profit)
	}
	_, err = Target(big, nil, &Promotion{Outcome: Spend, Value: 2})
	refused("Target uplift", err, "spend uplift 1 is 1e+308, over scoring.MaxAmount")
	_, err = Target([]float64{1, 2}, []float64{3, 2e15}, &Promotion{Outcome: Spend, DiscountCost: 0.1})
	refused("Target response", err, "expected spend 1 is 2e+15, over scoring.MaxAmount")
	_, err = Target([]float64{0.5}, nil, &Promotion{Value: 1e300})
	refused("Target Value", err, "Promotion.Value 1e+300 is over scoring.MaxAmount")
	_, err = p.CheckSpend(context.Background(), big, nil, []bool{true, false, true}, []float64{1, 2, 3}, nil)
	refused("CheckSpend uplift", err, "spend uplift 1 is 1e+308")

	// MaxAmount itself is a money figure.
	at := []float64{3, 0, 5, 0, scoring.MaxAmount, 0}
	if _, err := FitSpend(x, tr6, at, nil); err != nil {
		t.Errorf("FitSpend of a spend of MaxAmount: %v", err)
	}
	if _, err := EvaluateSpend(context.Background(), u, tr6, at, nil); err != nil {
		t.Errorf("EvaluateSpend of a spend of MaxAmount: %v", err)
	}
}

// TestEvaluateSpendScaleToMaxAmount: the Qini coefficient and AUUC are ratios of
// areas, so scaling every spend by c changes none of the figures but uplift@k (times
// c), up to rounding. Spends scaled up to MaxAmount, the largest taken, must give the
// figures of the unscaled campaign: the bound keeps every sum finite.
func TestEvaluateSpendScaleToMaxAmount(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		n := rapid.IntRange(2, 40).Draw(t, "n")
		score, tr, y := make([]float64, n), make([]bool, n), make([]float64, n)
		top := 0.0
		for i := range n {
			score[i] = float64(rapid.IntRange(-4, 4).Draw(t, "score"))
			tr[i] = rapid.Bool().Draw(t, "treated")
			y[i] = float64(rapid.IntRange(0, 9).Draw(t, "spend"))
			top = max(top, y[i])
		}
		if top == 0 {
			t.Skip("no spend")
		}
		c := scoring.MaxAmount / top
		scaled := make([]float64, n)
		for i, v := range y {
			scaled[i] = v * c
		}
		o := &EvalOptions{Replicates: 20}
		a, err := EvaluateSpend(context.Background(), score, tr, y, o)
		if err != nil {
			t.Skip(err)
		}
		b, err := EvaluateSpend(context.Background(), score, tr, scaled, o)
		if err != nil {
			t.Fatalf("scaled to MaxAmount: %v", err)
		}
		same := func(what string, x, y float64) {
			if math.IsNaN(x) != math.IsNaN(y) || !math.IsNaN(x) && math.Abs(x-y) > 1e-9*(1+math.Abs(x)) {
				t.Fatalf("%s: %v unscaled, %v scaled by %g", what, x, y, c)
			}
		}
		for _, f := range []struct {
			name string
			x, y scoring.Interval
		}{{"Qini", a.QiniCoefficient, b.QiniCoefficient}, {"AUUC", a.AUUC, b.AUUC}} {
			same(f.name, f.x.Estimate, f.y.Estimate)
			same(f.name+" lo", f.x.Lo, f.y.Lo)
			same(f.name+" hi", f.x.Hi, f.y.Hi)
		}
		same("uplift@k", a.UpliftAtK.Estimate, b.UpliftAtK.Estimate/c)
	})
}
