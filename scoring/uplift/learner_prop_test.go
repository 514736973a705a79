package uplift

import (
	"math"
	"testing"

	"github.com/clientele-go/clientele/scoring"
	"gonum.org/v1/gonum/mat"
	"pgregory.net/rapid"
)

// The learners' scores follow from their definitions, computed here with scoring's own
// FitLogistic and Predict on hand-split data: T-learner = P₁ - P₀; class
// transformation = 2 P(Z) - 1 with the arms reweighted to equal total weight;
// X-learner = clip(p τ₀ + (1-p) τ₁) with τ the ridge regressions of the imputed
// effects (Künzel et al. 2019, eqs. 8-9), solved here by QR.
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
		xl, err := Fit(x, tr, y, &FitOptions{Learner: XLearner})
		if err != nil {
			t.Fatal(err)
		}
		u2, _ := two.Uplift(x)
		uc, _ := ct.Uplift(x)
		ux, _ := xl.Uplift(x)
		// X-learner: each arm's imputed effects regressed on its standardised rows by
		// least squares on the ridge-augmented system, solved by QR.
		ridge := func(xs [][]float64, d []float64, mean, scale []float64) func([]float64) float64 {
			k := len(mean)
			a := mat.NewDense(len(xs)+k, k+1, nil)
			b := mat.NewVecDense(len(xs)+k, nil)
			for i, row := range xs {
				a.Set(i, 0, 1)
				for j, v := range row {
					a.Set(i, 1+j, (v-mean[j])/scale[j])
				}
				b.SetVec(i, d[i])
			}
			for j := range k {
				a.Set(len(xs)+j, 1+j, 1) // λ = 1
			}
			var beta mat.VecDense
			if err := beta.SolveVec(a, b); err != nil {
				t.Fatal(err)
			}
			return func(row []float64) float64 {
				s := beta.AtVec(0)
				for j, v := range row {
					s += beta.AtVec(1+j) * (v - mean[j]) / scale[j]
				}
				return s
			}
		}
		num := func(b bool) float64 {
			if b {
				return 1
			}
			return 0
		}
		var d1, d0 []float64
		for i, row := range x1 {
			c, _ := m0.Predict(row)
			d1 = append(d1, num(y1[i])-c)
		}
		for i, row := range x0 {
			c, _ := m1.Predict(row)
			d0 = append(d0, c-num(y0[i]))
		}
		tau1, tau0 := ridge(x1, d1, m1.Mean, m1.Scale), ridge(x0, d0, m0.Mean, m0.Scale)
		for i, row := range x {
			a, _ := m1.Predict(row)
			b, _ := m0.Predict(row)
			c, _ := mz.Predict(row)
			if math.Abs(u2[i]-(a-b)) > 1e-9 || math.Abs(uc[i]-(2*c-1)) > 1e-9 {
				t.Fatalf("row %d: two-model %v want %v, class transformation %v want %v", i, u2[i], a-b, uc[i], 2*c-1)
			}
			want := max(-1, min(1, p*tau0(row)+(1-p)*tau1(row)))
			if math.Abs(ux[i]-want) > 1e-8 {
				t.Fatalf("row %d: X-learner %v want %v", i, ux[i], want)
			}
		}
	})
}
