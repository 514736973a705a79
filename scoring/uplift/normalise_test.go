package uplift

import (
	"context"
	"math"
	"math/big"
	"slices"
	"testing"

	"pgregory.net/rapid"
)

// A spend campaign whose treated arm spent nothing has a perfect Qini curve (of the
// score y·t - y·(1-t)) that need not lie above the random line. The values below are
// exact, in fractions, from /usr/bin/python3 with NumPy's (sklift's) figure beside
// them:
//
//	def curve(score, t, y):  # the Qini curve, a point after each group of equal scores
//	    order = sorted(range(len(y)), key=lambda i: score[i])[::-1]
//	    xs, vs, n, nt, yt, yc = [F(0)], [F(0)], 0, 0, F(0), F(0)
//	    for k, i in enumerate(order):
//	        n += 1
//	        if t[i]: nt += 1; yt += y[i]
//	        else: yc += y[i]
//	        if k == len(order) - 1 or score[order[k + 1]] != score[i]:
//	            xs.append(F(n)); vs.append(yt - (yc * F(nt, n - nt) if n - nt else 0))
//	    return xs, vs
//
// with F = fractions.Fraction, the area by the trapezoidal rule, and NumPy's figure
// from testdata/golden.py's normalised(qini_curve(...), qini_curve(y, y*t - y*(1-t), t)):
//
//	score [4 4 3 1 3 2], t [0 0 1 0 0 0], y [2 3 0 4 1 2]:
//	    A = -31/5, A_perfect = -36/5, A_random = -36/5: A_perfect - A_random = 0
//	    NumPy: 1125899906842625.0 (a rounding residue of 6.4e-15 divided into 1)
//	score [1 2 3 4 5], t [1 0 0 0 0], y [0 2 2 3 3]:
//	    A = -5/4, A_perfect = -13/2, A_random = -25/4: A_perfect - A_random = -1/4
//	    NumPy: -20.0 (a ranking above the random line called worse than random)
//
// Neither is a coefficient: the first divides by zero, the second by a "perfect"
// curve below the line. Both are NaN, as an undefined figure is.
func TestQiniUndefinedWhenPerfectNotAboveRandom(t *testing.T) {
	for _, c := range []struct {
		s, y []float64
		t    []bool
	}{
		{[]float64{4, 4, 3, 1, 3, 2}, []float64{2, 3, 0, 4, 1, 2}, []bool{false, false, true, false, false, false}},
		{[]float64{1, 2, 3, 4, 5}, []float64{0, 2, 2, 3, 3}, []bool{true, false, false, false, false}},
	} {
		ev, err := EvaluateSpend(context.Background(), c.s, c.t, c.y, &EvalOptions{Replicates: 2})
		if err != nil {
			t.Fatal(err)
		}
		if q := ev.QiniCoefficient.Estimate; !math.IsNaN(q) {
			t.Errorf("score %v, treated %v, spend %v: Qini coefficient %v, want NaN", c.s, c.t, c.y, q)
		}
	}
}

// exactQini is the Qini coefficient of a spend campaign in exact arithmetic (big.Rat),
// the perfect curve that of the score y·t - y·(1-t) as sklift defines it; ok is false
// where the perfect curve has no area above the random line.
func exactQini(s []float64, tr []bool, y []int64) (coef float64, ok bool) {
	curve := func(score []float64) (xs, vs []*big.Rat) {
		order := naiveRankOrder(score) // a stable ascending sort reversed, as sklift ranks
		xs, vs = []*big.Rat{new(big.Rat)}, []*big.Rat{new(big.Rat)}
		var n, nt int64
		yt, yc := new(big.Rat), new(big.Rat)
		for k, i := range order {
			n++
			if tr[i] {
				nt++
				yt.Add(yt, big.NewRat(y[i], 1))
			} else {
				yc.Add(yc, big.NewRat(y[i], 1))
			}
			if k == len(order)-1 || score[order[k+1]] != score[i] {
				v := new(big.Rat).Set(yt)
				if n > nt {
					v.Sub(v, new(big.Rat).Mul(yc, big.NewRat(nt, n-nt)))
				}
				xs, vs = append(xs, big.NewRat(n, 1)), append(vs, v)
			}
		}
		return xs, vs
	}
	area := func(xs, vs []*big.Rat) *big.Rat {
		a := new(big.Rat)
		for k := 1; k < len(xs); k++ {
			dx := new(big.Rat).Sub(xs[k], xs[k-1])
			h := new(big.Rat).Add(vs[k], vs[k-1])
			a.Add(a, dx.Mul(dx, h.Mul(h, big.NewRat(1, 2))))
		}
		return a
	}
	perfect := make([]float64, len(s))
	for i, v := range y {
		perfect[i] = float64(-v)
		if tr[i] {
			perfect[i] = float64(v)
		}
	}
	px, pv := curve(perfect)
	random := new(big.Rat).Mul(px[len(px)-1], pv[len(pv)-1])
	random.Mul(random, big.NewRat(1, 2))
	den := new(big.Rat).Sub(area(px, pv), random)
	if den.Sign() <= 0 {
		return math.NaN(), false
	}
	num := new(big.Rat).Sub(area(curve(s)), random)
	f, _ := num.Quo(num, den).Float64()
	return f, true
}

// The Qini coefficient of any small spend campaign is the exact one to 1e-9, and NaN
// exactly where the perfect curve has no area above the random line.
func TestQiniCoefficientMatchesExact(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		n := rapid.IntRange(2, 12).Draw(t, "n")
		s, tr, y, yf := make([]float64, n), make([]bool, n), make([]int64, n), make([]float64, n)
		// Small integer scores tie often; an arm often spends nothing.
		noTreatedSpend := rapid.Bool().Draw(t, "noTreatedSpend")
		for i := range n {
			s[i] = float64(rapid.IntRange(0, 4).Draw(t, "s"))
			tr[i] = rapid.Bool().Draw(t, "t")
			if !(noTreatedSpend && tr[i]) {
				y[i] = int64(rapid.IntRange(0, 4).Draw(t, "y"))
			}
			yf[i] = float64(y[i])
		}
		if !slices.Contains(tr, true) || !slices.Contains(tr, false) || !slices.ContainsFunc(y, func(v int64) bool { return v > 0 }) {
			t.Skip("Evaluate refuses a campaign without both arms or any spend")
		}
		ev, err := EvaluateSpend(context.Background(), s, tr, yf, &EvalOptions{Replicates: 2})
		if err != nil {
			t.Fatal(err)
		}
		got := ev.QiniCoefficient.Estimate
		want, ok := exactQini(s, tr, y)
		if !ok {
			if !math.IsNaN(got) {
				t.Fatalf("Qini coefficient %v, want NaN (the perfect curve is not above the random line)", got)
			}
			return
		}
		if !same(got, want) {
			t.Fatalf("Qini coefficient %v, exact %v", got, want)
		}
	})
}
