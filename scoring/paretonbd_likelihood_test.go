package scoring

import (
	"math"
	"testing"

	"pgregory.net/rapid"
)

// TestParetoQuadMatches2F1: the quadrature likelihood of the fits agrees with the
// note's 2F1 form (paretoLogLik) customer by customer, on random bases and parameters
// away from the no-dropout corner where the 2F1 series is not used.
func TestParetoQuadMatches2F1(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		cs := paretoTestBase(t)
		theta := []float64{math.Exp(rapid.Float64Range(-3, 2).Draw(t, "log r")), math.Exp(rapid.Float64Range(-2, 4).Draw(t, "log alpha")),
			math.Exp(rapid.Float64Range(-3, 2).Draw(t, "log s")), math.Exp(rapid.Float64Range(-2, 4).Draw(t, "log beta"))}
		r, alpha, s, beta := theta[0], theta[1], theta[2], theta[3]
		var want float64
		for _, c := range cs {
			want += paretoLogLik(r, alpha, s, beta, c.Frequency, c.Recency, c.T,
				paretoTerm(r, alpha, s, beta, c.Frequency, c.Recency), paretoTerm(r, alpha, s, beta, c.Frequency, c.T))
		}
		got := newParetoQuadLikelihood(groupCustomers(cs, nil), 2).eval(theta, nil)
		if math.Abs(got-want) > 1e-8*math.Max(1, math.Abs(want)) {
			t.Fatalf("quadrature log-likelihood %.12g, 2F1 form %.12g", got, want)
		}
	})
}

func paretoTestBase(t *rapid.T) []Customer {
	n := rapid.IntRange(1, 100).Draw(t, "n")
	cs := make([]Customer, n)
	for i := range cs {
		T := rapid.Float64Range(0, 80).Draw(t, "T")
		cs[i] = Customer{T: T}
		if x := rapid.IntRange(0, 30).Draw(t, "x"); x > 0 && T > 0 {
			cs[i].Frequency, cs[i].Recency = x, T*rapid.Float64Range(0, 1).Draw(t, "tx/T")
		}
	}
	return cs
}

// TestParetoHessianMatchesFD holds the gradient and Hessian from the quadrature's
// moments against gonum's central differences of the log-likelihood and of the
// gradient.
func TestParetoHessianMatchesFD(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		cs := paretoTestBase(t)
		l := newParetoQuadLikelihood(groupCustomers(cs, nil), rapid.IntRange(1, 3).Draw(t, "workers"))
		u := []float64{rapid.Float64Range(-3, 2).Draw(t, "log r"), rapid.Float64Range(-2, 5).Draw(t, "log alpha"),
			rapid.Float64Range(-3, 3).Draw(t, "log s"), rapid.Float64Range(-2, 7).Draw(t, "log beta")}
		checkHessian(t, u, l.eval, l.evalHess)
	})
}
