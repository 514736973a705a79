package uplift

import (
	"errors"
	"math"
	"strings"
	"testing"

	"pgregory.net/rapid"
)

// TestPropensityRuledOutByTreatedCount: FitOptions.Propensity 1e-9 on a half-treated
// campaign was taken as given (the class transformation then weighs the treated rows
// 5e8 times the control ones). Fit and FitSpend refuse it, saying both numbers; a
// propensity the count allows (0.45 for 500 of 1,000) is kept.
func TestPropensityRuledOutByTreatedCount(t *testing.T) {
	n := 1000
	x, tr, conv, spend := make([][]float64, n), make([]bool, n), make([]bool, n), make([]float64, n)
	for i := range n {
		x[i] = []float64{float64(i%10) / 10}
		tr[i] = i%2 == 0
		conv[i] = i%3 == 0 || tr[i] && i%7 == 0
		if conv[i] {
			spend[i] = 20
		}
	}
	want := "FitOptions.Propensity 1e-09, but 500 of 1000 rows are treated (a share of 0.5)"
	for _, l := range []Learner{TwoModel, ClassTransformation, XLearner} {
		o := &FitOptions{Learner: l, Propensity: 1e-9}
		if m, err := Fit(x, tr, conv, o); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), want) || strings.Count(err.Error(), "uplift:") != 1 {
			t.Errorf("Fit %s: model %v, error %v, want ErrInvalid saying %q", l, m != nil, err, want)
		}
		if m, err := FitSpend(x, tr, spend, o); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), want) {
			t.Errorf("FitSpend %s: model %v, error %v, want ErrInvalid saying %q", l, m != nil, err, want)
		}
		o.Propensity = 0.45
		m, err := Fit(x, tr, conv, o)
		if err != nil || m.Propensity != 0.45 {
			t.Errorf("Fit %s of propensity 0.45: %v", l, err)
		}
		if _, err := FitSpend(x, tr, spend, o); err != nil {
			t.Errorf("FitSpend %s of propensity 0.45: %v", l, err)
		}
	}
}

// TestPropensityRefusedOnlyWhenImplausible: checkPropensity refuses p only if the
// exact binomial chance of a treated count at least as far from n·p, on the side
// observed, is below 1e-9; and it refuses p whenever that chance is below 1e-9 times
// the Chernoff bound's slack, (n+1)⁻² (Cover & Thomas 2006, Theorem 11.1.4: the
// count's own probability, and so its tail, is at least exp(-n·D)/(n+1)²).
func TestPropensityRefusedOnlyWhenImplausible(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		n := rapid.IntRange(4, 200).Draw(t, "n")
		k := rapid.IntRange(2, n-2).Draw(t, "treated")
		p := math.Pow(10, -rapid.Float64Range(0, 12).Draw(t, "-log10 p"))
		if rapid.Bool().Draw(t, "upper") {
			p = 1 - p
		}
		if !(p > 0 && p < 1) {
			t.Skip("p rounds to 0 or 1")
		}
		tail := binomialTail(n, k, p)
		err := checkPropensity(p, k, n)
		if err != nil && !(tail < implausible) {
			t.Fatalf("p %v refused for %d of %d treated, whose chance is %v", p, k, n, tail)
		}
		if err == nil && tail < implausible/float64((n+1)*(n+1)) {
			t.Fatalf("p %v kept for %d of %d treated, whose chance is %v", p, k, n, tail)
		}
	})
}

// binomialTail is P(T ≥ k) if k ≥ n·p, else P(T ≤ k), T ~ Binomial(n, p), summed from
// log-probabilities.
func binomialTail(n, k int, p float64) float64 {
	logPMF := func(j int) float64 {
		a, _ := math.Lgamma(float64(n + 1))
		b, _ := math.Lgamma(float64(j + 1))
		c, _ := math.Lgamma(float64(n - j + 1))
		return a - b - c + float64(j)*math.Log(p) + float64(n-j)*math.Log1p(-p)
	}
	lo, hi := k, n
	if float64(k) < float64(n)*p {
		lo, hi = 0, k
	}
	s := 0.0
	for j := lo; j <= hi; j++ {
		s += math.Exp(logPMF(j))
	}
	return s
}
