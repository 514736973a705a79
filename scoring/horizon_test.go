package scoring

import (
	"math"
	"testing"
)

// TestBGNBDLongHorizon: fitted on identical customers, BG/NBD holds r and a, b at the
// boundary (thousands each). There (1-z)^(a-1) in the mean underflows while its 2F1
// overflows once the horizon passes a few thousand purchase intervals, and the 0·∞
// read as 0 purchases: a new customer's expected purchases fell from 2.69 at 1,000
// weeks to 0 at 100,000. The mean now stays at its limit (a+b-1)/(a-1), for a new
// customer and, through the posterior, for one with a history.
func TestBGNBDLongHorizon(t *testing.T) {
	m := &BGNBD{R: 2980.96, Alpha: 18706, A: 1769.36, B: 2980.96}
	c := Customer{Frequency: 2, Recency: 10, T: 20}
	limit := (m.A + m.B - 1) / (m.A - 1)
	newAt, histAt := m.ExpectedPurchasesNew(1000), m.ExpectedPurchases(1000, c)
	if math.Abs(newAt-limit) > 1e-6*limit {
		t.Fatalf("E[X(1000)] = %v, want about its limit %v", newAt, limit)
	}
	for _, h := range []float64{1e4, 1e5, 1e7, 1e9, 1e12, 1e300} {
		if got := m.ExpectedPurchasesNew(h); math.Abs(got-newAt) > 1e-6*newAt {
			t.Errorf("new customer: E[X(%g)] = %v, want %v as at 1,000 weeks", h, got, newAt)
		}
		if got := m.ExpectedPurchases(h, c); math.Abs(got-histAt) > 1e-6*histAt {
			t.Errorf("customer %+v: E[X(T, T+%g)] = %v, want %v as at 1,000 weeks", c, h, got, histAt)
		}
	}
}

// TestBetaGeoMeanOverDropout: the fallback integral agrees with the closed form where
// both hold and the dropout probability's Beta is not spread towards 0 (a large, the
// only case where the closed form fails).
func TestBetaGeoMeanOverDropout(t *testing.T) {
	for _, g := range []betaGeo{{2980.96, 18706, 1769.36, 2980.96}, {50, 100, 30, 200}, {2980.96, 18706, 800, 1e6}, {10, 40, 60, 90}} {
		for _, h := range []float64{1, 52, 1000, 1e4} {
			want := g.mean(h)
			if got := g.meanOverDropout(h / g.alpha); math.Abs(got-want) > 1e-6*want {
				t.Errorf("%+v at %g: integral %v, closed form %v", g, h, got, want)
			}
		}
	}
}

// TestParetoNBDLongHorizonPMF: with a large s·L (a base whose lifetimes end long
// before the horizon) the density of the moment of death is squeezed near 0, where
// the quadrature's nodes over the whole range missed it: P(X(t) = 0) of a new
// customer drifted from 0.232 at 1e5 weeks to 0.047 at 1e12 though nothing happens
// after everyone has died, and the probabilities no longer added up to the mean. They
// now stay put and agree with the mean.
func TestParetoNBDLongHorizonPMF(t *testing.T) {
	m := &ParetoNBD{R: 87.37, Alpha: 1164.8, S: 2605, Beta: 115720}
	settled := make([]float64, 4)
	for n := range settled {
		settled[n] = m.PurchaseProbNew(1e5, n)
	}
	for _, h := range []float64{1e7, 1e9, 1e12, 1e300} {
		for n, want := range settled {
			if got := m.PurchaseProbNew(h, n); math.Abs(got-want) > 1e-9 {
				t.Errorf("P(X(%g) = %d) = %v, want %v as at 1e5", h, n, got, want)
			}
		}
		var sum, mean float64
		for n := range 200 {
			p := m.PurchaseProbNew(h, n)
			sum, mean = sum+p, mean+float64(n)*p
		}
		if e := m.ExpectedPurchasesNew(h); math.Abs(sum-1) > 1e-9 || math.Abs(mean-e) > 1e-6*e {
			t.Errorf("at %g the probabilities add up to %v with mean %v; want 1 and E[X] = %v", h, sum, mean, e)
		}
	}
}
