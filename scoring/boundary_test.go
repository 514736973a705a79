package scoring

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// TestBoundaryGammaGamma: every customer's transactions drawn around the same mean
// (ν the same for all) is the Gamma-Gamma limit q, gamma → ∞. On such data the maximum
// is at that boundary or, by chance, inside at a large q; either way the fit must
// succeed and predict, and on most seeds it must name the limit.
func TestBoundaryGammaGamma(t *testing.T) {
	boundaries := 0
	const seeds = 6
	for seed := range uint64(seeds) {
		rng := rand.New(rand.NewPCG(seed, 2))
		var cs []Customer
		for range 400 {
			x := 1 + rng.IntN(6)
			var sum float64
			for range x {
				sum += gammaRand(rng, 4, 0.1) // mean 40 for everyone
			}
			cs = append(cs, Customer{Frequency: x, Recency: 10, T: 20, Monetary: sum / float64(x)})
		}
		m, err := FitGammaGamma(cs, nil)
		if err != nil {
			t.Fatal(err)
		}
		if got := m.MeanSpend(); math.Abs(got-40) > 3 {
			t.Errorf("seed %d: mean spend %v, want about 40", seed, got)
		}
		if got := m.ExpectedSpend(Customer{Frequency: 1, Recency: 1, T: 2, Monetary: 400}); got > 80 {
			t.Errorf("seed %d: expected spend of a one-off big spender %v: near the limit it shrinks to the common mean", seed, got)
		}
		b := m.Fit.Boundary
		if b == nil {
			continue
		}
		boundaries++
		if !strings.Contains(b.Limit, "same mean spend") {
			t.Errorf("seed %d: boundary %+v, want the constant-mean-spend limit", seed, b)
		}
		// The boundary travels with the model's JSON.
		data, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		var back GammaGamma
		if err := json.Unmarshal(data, &back); err != nil {
			t.Fatal(err)
		}
		if back.Fit.Boundary == nil || back.Fit.Boundary.Limit != b.Limit {
			t.Errorf("boundary lost in JSON: %s", data)
		}
	}
	if boundaries < 2 {
		t.Errorf("%d of %d seeds at the boundary, want most", boundaries, seeds)
	}
}

// TestBoundaryParetoNoDropout: nobody ever drops out (Pareto/NBD with μ = 0, that is
// the NBD model). The fit returns the no-dropout limit.
func TestBoundaryParetoNoDropout(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	var cs []Customer
	for range 500 {
		c := simPareto(rng, 0.8, 10, 1, 1e12, 52, 0) // μ ~ Gamma(1, 1e12): no dropout
		cs = append(cs, c.Customer)
	}
	m, err := FitParetoNBD(cs, nil)
	if err != nil {
		t.Fatal(err)
	}
	b := m.Fit.Boundary
	if b == nil || !strings.Contains(b.Limit, "no dropout") {
		t.Fatalf("boundary %+v (r %v alpha %v s %v beta %v), want the no-dropout limit", b, m.R, m.Alpha, m.S, m.Beta)
	}
	if p := m.PAlive(cs[0]); !(p > 0.95) {
		t.Errorf("P(alive) %v without dropout", p)
	}
}

// TestBoundaryInwardRejected: a boundary is only reported where the likelihood rises
// towards it; inward checks the sign.
func TestBoundaryInwardRejected(t *testing.T) {
	// A concave likelihood in one log-parameter with its maximum at u = 0, held at
	// u = -8: the likelihood falls towards the boundary.
	lk := likelihood{model: "test", names: []string{"a"}, n: 1, analytic: true,
		eval: func(theta, grad []float64) float64 {
			u := math.Log(theta[0])
			if grad != nil {
				grad[0] = -2 * u
			}
			return -u * u
		}}
	if i, _ := lk.inward([]float64{-boundLog}, []float64{-boundLog}, []float64{0}); i != 0 {
		t.Errorf("inward = %d, want 0 (likelihood falls towards the boundary)", i)
	}
}

// TestBoundaryScaleDirection: a scale parameter held at the boundary is named by the
// way it ran off from the data's time scale, not by the sign of its logarithm. Bursts
// of repeat purchases a few minutes after the first (recency 0.001 weeks) pull
// BG/NBD's alpha to 0.0026, 3,000 times below the time scale, which was reported as
// "alpha → ∞"; and a scale held above a reference below 1 stays "→ ∞".
func TestBoundaryScaleDirection(t *testing.T) {
	cs, _ := burstShop()
	for i, c := range cs {
		if c.Frequency > 0 && c.Recency == 0 {
			cs[i].Recency = 0.001
		}
	}
	m, err := FitBGNBD(cs, nil)
	if err != nil {
		t.Fatal(err)
	}
	if b := m.Fit.Boundary; b == nil || !slices.Contains(b.Params, "alpha") || !strings.Contains(b.Limit, "alpha → 0") || strings.Contains(b.Limit, "∞") {
		t.Errorf("alpha %v held at %+v, want the limit alpha → 0", m.Alpha, b)
	}
	lk := likelihood{names: paretoNames, scale: []bool{false, true, false, true}, limits: paretoLimits}
	nan := math.NaN()
	b := lk.boundary([]float64{nan, nan, nan, -2}, []float64{0, -10, 0, -2}, []float64{0, -10, 0, -10})
	if b.Limit != paretoLimits["beta+"] {
		t.Errorf("beta held at e^-2 above a reference of e^-10: %q", b.Limit)
	}
	b = lk.boundary([]float64{nan, 1, nan, nan}, []float64{0, 1, 0, 0}, []float64{0, 9, 0, 0})
	if b.Limit != paretoLimits["alpha-"] {
		t.Errorf("alpha held at e below a reference of e^9: %q", b.Limit)
	}
}

// ExampleBoundary: customers who all bought again at the very end of observation show
// no dropout; BG/NBD then rests on a limiting model, and says which.
func ExampleBoundary() {
	cs := make([]Customer, 40)
	for i := range cs {
		cs[i] = Customer{Frequency: 1 + i%3, Recency: 20, T: 20}
	}
	m, err := FitBGNBD(cs, nil)
	if errors.Is(err, ErrNoConvergence) {
		fmt.Println("no maximum:", err)
		return
	}
	if m.Fit.Boundary != nil {
		fmt.Println(m.Fit.Boundary.Params, m.Fit.Boundary.Limit)
	}
	fmt.Printf("P(alive) %.3f\n", m.PAlive(cs[0]))
	// Output:
	// [r a b] r, alpha → ∞: every customer buys at the same rate r/alpha (Poisson purchasing); a → 0, b → ∞: dropout probability → 0 (no dropout: the NBD model)
	// P(alive) 1.000
}

// TestParetoA0Quadrature: the quadrature of A0 agrees with the 2F1 form where both
// apply.
func TestParetoA0Quadrature(t *testing.T) {
	for _, c := range []struct {
		r, alpha, s, beta float64
		x                 int
		tx, T             float64
	}{
		{0.55, 10.6, 0.61, 11.7, 2, 30, 38}, {0.55, 10.6, 0.61, 11.7, 0, 0, 38}, {2, 1, 3, 40, 7, 12, 50},
		{0.3, 50, 5, 20, 1, 0.5, 100}, {30, 2, 0.2, 9, 40, 70, 71}, {0.8, 10, 1, 200, 3, 20, 52},
	} {
		tTx, tT := paretoTerm(c.r, c.alpha, c.s, c.beta, c.x, c.tx), paretoTerm(c.r, c.alpha, c.s, c.beta, c.x, c.T)
		if math.IsNaN(tTx) || math.IsNaN(tT) {
			t.Fatalf("%+v: case meant for the series", c)
		}
		want := tTx + log1mexp(tT-tTx)
		got := paretoLogA0Quad(c.r, c.alpha, c.s, c.beta, c.x, c.tx, c.T)
		if math.Abs(got-want) > 1e-9*math.Max(1, math.Abs(want)) {
			t.Errorf("%+v: quadrature log A0 %.15g, series %.15g", c, got, want)
		}
	}
}

// TestBetaGeoMeanLargeA: E[X(t)] at a boundary fit's large a and b (a dropout
// probability the same for everyone) is finite and agrees with the transformed series
// where both forms are finite.
func TestBetaGeoMeanLargeA(t *testing.T) {
	for _, g := range []betaGeo{{0.5, 4, 3, 5}, {2, 10, 4, 40}, {0.03, 4.1, 30, 25}} {
		u := 10 / g.alpha
		z := u / (1 + u)
		c := g.a + g.b - 1
		euler := c / (g.a - 1) * (1 - math.Exp(-(g.a-1)*math.Log1p(u))*hypergeo(c-g.r, g.a-1, c, z))
		if got := g.mean(10); math.Abs(got-euler) > 1e-10*math.Max(1, euler) {
			t.Errorf("%+v: mean %v, transformed series %v", g, got, euler)
		}
	}
	g := betaGeo{0.028, 4.14, 2981, 2239}
	if m := g.mean(10); math.IsNaN(m) || !(m > 0) || m > 10 {
		t.Errorf("mean at a, b in the thousands: %v", m)
	}
}

// A shop that sells one product at one price, or whose customers all repeat as often,
// is an ordinary shop: SpendIndependence reports Constant, with no correlation, where
// it failed with ErrInvalid and stopped examples/clv after its fits. One price's mean
// spend, summed and divided over different numbers of purchases, differs from customer
// to customer in its last bits, which must not pass for a correlation.
func TestSpendIndependenceConstant(t *testing.T) {
	mean := func(price float64, k int) float64 {
		s := 0.0
		for range k {
			s += price
		}
		return s / float64(k)
	}
	var onePrice, oneFrequency, both []Customer
	for i := range 40 {
		k := 1 + i%7
		onePrice = append(onePrice, Customer{Frequency: k, Recency: 10, T: 20, Monetary: mean(0.1, k)})
		oneFrequency = append(oneFrequency, Customer{Frequency: 3, Recency: 10, T: 20, Monetary: 5 + float64(i)})
		both = append(both, Customer{Frequency: k, Recency: 10, T: 20, Monetary: 5 + float64(i)})
	}
	if mean(0.1, 1) == mean(0.1, 3) {
		t.Fatal("the test's means are equal to the bit: it would not test rounding")
	}
	for name, cs := range map[string][]Customer{"one price": onePrice, "one frequency": oneFrequency} {
		ind, err := SpendIndependence(cs)
		if err != nil || !ind.Constant || ind.Pearson != 0 || ind.Spearman != 0 || ind.PValue != 1 || ind.N != 40 {
			t.Errorf("%s: %+v, %v; want Constant over 40 customers, correlations 0, p-value 1", name, ind, err)
		}
	}
	ind, err := SpendIndependence(both)
	if err != nil || ind.Constant || ind.Pearson == 0 {
		t.Errorf("varying both: %+v, %v; want a correlation, not Constant", ind, err)
	}
	if _, err := SpendIndependence(onePrice[:2]); !errors.Is(err, ErrTooFew) {
		t.Errorf("two repeat customers: %v, want ErrTooFew", err)
	}
}

// Repeat buyers whose repeat purchases were all free (Monetary 0) are left out of the
// Gamma-Gamma fit, which is then the fit of the others, and still valued; one of them
// failed the fit of the whole base (ErrInvalid, "mean repeat spend must be positive").
func TestGammaGammaFreeRepeatBuyers(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 1))
	var paid []Customer
	for range 200 {
		paid = append(paid, Customer{Frequency: 1 + rng.IntN(6), Recency: 10, T: 20, Monetary: 5 + 50*rng.Float64()})
	}
	free := []Customer{{Frequency: 2, Recency: 10, T: 20}, {Frequency: 5, Recency: 12, T: 20}}
	want, err := FitGammaGamma(paid, nil)
	if err != nil {
		t.Fatal(err)
	}
	got, err := FitGammaGamma(append(slices.Clone(paid), free...), nil)
	if err != nil {
		t.Fatalf("with two free repeat buyers: %v", err)
	}
	if got.P != want.P || got.Q != want.Q || got.Gamma != want.Gamma || got.Fit.Customers != 200 {
		t.Errorf("with two free repeat buyers: p %v q %v gamma %v over %v customers, want the fit of the 200 others: %v %v %v",
			got.P, got.Q, got.Gamma, got.Fit.Customers, want.P, want.Q, want.Gamma)
	}
	for _, c := range free {
		if s := got.ExpectedSpend(c); !(s > 0) || math.IsInf(s, 0) || !(s < got.MeanSpend()) {
			t.Errorf("expected spend of %+v: %v, want positive and below the mean %v", c, s, got.MeanSpend())
		}
	}
}
