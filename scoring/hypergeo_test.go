package scoring

import (
	"math"
	"strconv"
	"testing"
)

// logSeries2F1 is log 2F1(a, b; c; z) for a, b, c > 0 and 0 <= z < 1 by its defining
// power series, whose terms are then all positive: no cancellation, only scaling to
// keep them in range. A reference for TestMeanWhere2F1HasAnIntegerGap.
func logSeries2F1(a, b, c, z float64) float64 {
	sum, term, scale := 1.0, 1.0, 0.0
	for k := 0.0; k < 1e7; k++ {
		term *= (a + k) * (b + k) / ((c + k) * (k + 1)) * z
		sum += term
		if sum > 1e250 {
			sum, term, scale = sum*1e-250, term*1e-250, scale+250*math.Ln10
		}
		if term < 1e-17*sum && (a+k)*(b+k)*z < (c+k)*(k+1) {
			break
		}
	}
	return math.Log(sum) + scale
}

// seriesMean is betaGeo.mean by the transformed closed form with the series 2F1.
func seriesMean(g betaGeo, t float64) float64 {
	u := t / g.alpha
	c := g.a + g.b - 1
	scaled := math.Exp(-(g.a-1)*math.Log1p(u) + logSeries2F1(c-g.r, g.a-1, c, u/(1+u)))
	return c / (g.a - 1) * (1 - scaled)
}

// TestMeanWhere2F1HasAnIntegerGap: gonum's 2F1 loops for ever beyond z = 0.9 where
// c-a-b is an integer and either a·b·(1-z) is large or c-a-b passes 170 (see
// hypergeo). BG/NBD's expected purchases met that at the boundary fit of 60 customers
// who all bought again at week 26 (r and a both held at e^8, so r+x-a+1 is an
// integer): 10^6 weeks ahead it did not return in 12 minutes; with R 2, A 2 a
// customer of 500 purchases, 5,000 weeks ahead, did not return either; and sBG's
// DERL at γ = 2 was NaN after 1,000 renewals. Each now returns the closed form's
// value, computed here by the positive series of its 2F1 (which agrees with mpmath's
// to 1e-12).
func TestMeanWhere2F1HasAnIntegerGap(t *testing.T) {
	cs := make([]Customer, 60)
	for i := range cs {
		cs[i] = Customer{Frequency: 1 + i%2, Recency: 26, T: 52}
	}
	m, err := FitBGNBD(cs, nil)
	if err != nil {
		t.Fatal(err)
	}
	close := func(name string, got, want, tol float64) {
		t.Helper()
		if !(math.Abs(got-want) <= tol*want) {
			t.Errorf("%s: %v, want %v", name, got, want)
		}
	}
	g := m.posterior(cs[0])
	if d := g.r - g.a + 1; d != math.Round(d) {
		t.Fatalf("r %v, a %v: the case is no longer r+x-a+1 an integer", g.r, g.a)
	}
	close("boundary fit, 10^6 weeks ahead", g.mean(1e6), seriesMean(g, 1e6), 1e-6)
	if e := m.ExpectedPurchases(1e6, cs[0]); !(e > 0) || math.IsInf(e, 0) {
		t.Errorf("boundary fit, 10^6 weeks ahead: %v", e)
	}
	// Here the answers are 3e-5 off (checked against mpmath's 2F1): gonum's psi
	// expansion where it returns (x 100), and the integral over the dropout
	// probability, whose nodes barely reach the sharp rise of its integrand near 0,
	// where it does not (x 500, 2000).
	for _, x := range []int{10, 100, 500, 2000} {
		m := &BGNBD{R: 2, Alpha: 5, A: 2, B: 3}
		g := m.posterior(Customer{Frequency: x, Recency: 50, T: 52})
		close("R 2, A 2, x "+strconv.Itoa(x), g.mean(5000), seriesMean(g, 5000), 1e-4)
	}
	for _, n := range []int{0, 100, 1000, 100000} {
		s := &SBG{Gamma: 2, Delta: 3}
		b, c := s.Delta+float64(n)+1, s.Gamma+s.Delta+float64(n)+1
		want := (b - 1) / (c - 1) * math.Exp(logSeries2F1(1, b, c, 1/1.05))
		close("DERL at γ 2 after "+strconv.Itoa(n)+" renewals", s.DERL(0.05, n), want, 1e-6)
	}
}
