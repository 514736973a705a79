package uplift

import (
	"math"
	"testing"

	"github.com/clientele-go/clientele/scoring"
	"pgregory.net/rapid"
)

// The learners' scores follow from their definitions, computed here with scoring's own
// FitLogistic and Predict on hand-split data: T-learner = P₁ - P₀; class
// transformation = 2 P(Z) - 1 with the arms reweighted to equal total weight.
func TestLearnersMatchDefinitions(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		n := rapid.IntRange(40, 120).Draw(t, "n")
		d := rapid.IntRange(1, 3).Draw(t, "d")
		x := make([][]float64, n)
		tr, y := make([]bool, n), make([]bool, n)
		for i := range x {
			x[i] = make([]float64, d)
			for j := range x[i] {
				x[i][j] = rapid.Float64Range(-3, 3).Draw(t, "x")
			}
			tr[i] = i%3 != 0 // a treated share of 2/3
			y[i] = i%2 == 0 || rapid.Bool().Draw(t, "y")
			if i < 4 {
				y[i] = i%2 == 0 // both arms have buyers and non-buyers
			}
		}
		var x1, x0 [][]float64
		var y1, y0 []bool
		z, w := make([]bool, n), make([]float64, n)
		p := 0.0
		for i := range x {
			if tr[i] {
				x1, y1 = append(x1, x[i]), append(y1, y[i])
				p++
			} else {
				x0, y0 = append(x0, x[i]), append(y0, y[i])
			}
		}
		p /= float64(n)
		for i := range x {
			z[i] = (tr[i] && y[i]) || (!tr[i] && !y[i])
			if tr[i] {
				w[i] = 1 / (2 * p)
			} else {
				w[i] = 1 / (2 * (1 - p))
			}
		}
		m1, err1 := scoring.FitLogistic(x1, y1, nil)
		m0, err0 := scoring.FitLogistic(x0, y0, nil)
		mz, errz := scoring.FitLogistic(x, z, &scoring.LogisticOptions{Weights: w})
		if err1 != nil || err0 != nil || errz != nil {
			t.Skip(err1, err0, errz)
		}
		two, err := Fit(x, tr, y, nil)
		if err != nil {
			t.Fatal(err)
		}
		ct, err := Fit(x, tr, y, &FitOptions{Learner: ClassTransformation})
		if err != nil {
			t.Fatal(err)
		}
		u2, _ := two.Uplift(x)
		uc, _ := ct.Uplift(x)
		for i, row := range x {
			a, _ := m1.Predict(row)
			b, _ := m0.Predict(row)
			c, _ := mz.Predict(row)
			if math.Abs(u2[i]-(a-b)) > 1e-9 || math.Abs(uc[i]-(2*c-1)) > 1e-9 {
				t.Fatalf("row %d: two-model %v want %v, class transformation %v want %v", i, u2[i], a-b, uc[i], 2*c-1)
			}
		}
	})
}
