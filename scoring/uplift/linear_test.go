package uplift

import (
	"errors"
	"math"
	"testing"

	"gonum.org/v1/gonum/mat"
	"pgregory.net/rapid"
)

// fitLinear's normal equations give the least-squares solution of the augmented
// system [Z; √λ I'] β = [y; 0] (Hastie et al. 2009, ex. 3.12), solved here by QR on
// the explicit design: the same ridge estimate computed another way.
func TestLinearMatchesLeastSquares(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		n := rapid.IntRange(5, 60).Draw(t, "n")
		d := rapid.IntRange(1, 4).Draw(t, "d")
		lambda := rapid.SampledFrom([]float64{0.1, 1, 10}).Draw(t, "lambda")
		x := make([][]float64, n)
		y := make([]float64, n)
		idx := make([]int, n)
		for i := range x {
			idx[i] = i
			x[i] = make([]float64, d)
			for j := range x[i] {
				x[i][j] = rapid.Float64Range(-5, 5).Draw(t, "x")
			}
			y[i] = rapid.Float64Range(-3, 3).Draw(t, "y")
		}
		workers := rapid.IntRange(1, 3).Draw(t, "workers")
		l, err := fitLinear(x, idx, func(i int) float64 { return y[i] }, nil, nil, lambda, workers)
		if err != nil {
			t.Fatal(err)
		}
		mean, scale := standardise(x, idx)
		a := mat.NewDense(n+d, d+1, nil)
		b := mat.NewVecDense(n+d, nil)
		for i, row := range x {
			a.Set(i, 0, 1)
			for j, v := range row {
				a.Set(i, 1+j, (v-mean[j])/scale[j])
			}
			b.SetVec(i, y[i])
		}
		for j := range d {
			a.Set(n+j, 1+j, math.Sqrt(lambda))
		}
		var want mat.VecDense
		if err := want.SolveVec(a, b); err != nil {
			t.Skip(err)
		}
		got := append([]float64{l.Intercept}, l.Coef...)
		for j, g := range got {
			if w := want.AtVec(j); math.Abs(g-w) > 1e-8*math.Max(1, math.Abs(w)) {
				t.Fatalf("coefficient %d: %v, least squares %v", j, g, w)
			}
		}
		for i, row := range x {
			p, err := l.Predict(row)
			want := l.Intercept
			for j, v := range row {
				want += l.Coef[j] * (v - mean[j]) / scale[j]
			}
			if err != nil || math.Abs(p-want) > 1e-9*math.Max(1, math.Abs(want)) {
				t.Fatalf("row %d: Predict %v (%v), want %v", i, p, err, want)
			}
		}
	})
}

func TestLinearPredictInvalid(t *testing.T) {
	l := &Linear{Mean: []float64{0}, Scale: []float64{1}, Coef: []float64{2}}
	for _, x := range [][]float64{{1, 2}, {math.NaN()}} {
		if _, err := l.Predict(x); err == nil {
			t.Errorf("Predict(%v): no error", x)
		}
	}
}

// TestSpendLargeFeature: a feature of finite values near 1e200 once squared to +Inf in
// the standardisation and dropped out of the spend models without an error, so the
// uplift ignored it. The feature times 1e200 now scores as the feature does.
func TestSpendLargeFeature(t *testing.T) {
	const n = 40
	x, big := make([][]float64, n), make([][]float64, n)
	tr, sp := make([]bool, n), make([]float64, n)
	for i := range x {
		x[i] = []float64{float64(i % 5), float64(i % 3)}
		big[i] = []float64{x[i][0] * 1e200, x[i][1]}
		tr[i] = i%2 == 0
		sp[i] = float64(i%4) + float64(i%5)
	}
	for _, l := range []Learner{TwoModel, ClassTransformation, XLearner} {
		m, err := FitSpend(x, tr, sp, &FitOptions{Learner: l})
		if err != nil {
			t.Fatal(err)
		}
		mb, err := FitSpend(big, tr, sp, &FitOptions{Learner: l})
		if err != nil {
			t.Fatal(err)
		}
		u, err := m.Uplift(x)
		if err != nil {
			t.Fatal(err)
		}
		ub, err := mb.Uplift(big)
		if err != nil {
			t.Fatal(err)
		}
		for i := range u {
			if math.Abs(u[i]-ub[i]) > 1e-9*math.Max(1, math.Abs(u[i])) {
				t.Fatalf("%v: row %d: uplift %g with the feature times 1e200, want %g", l, i, ub[i], u[i])
			}
		}
	}
	huge := [][]float64{{1.7e308}, {1.7e308}, {1.7e308}, {-1.7e308}, {1.7e308}, {1.7e308}}
	if _, err := FitSpend(huge, []bool{true, true, true, false, false, false}, []float64{1, 2, 3, 1, 2, 3}, nil); !errors.Is(err, ErrInvalid) {
		t.Errorf("feature spanning 3.4e308: %v, want ErrInvalid", err)
	}
}
