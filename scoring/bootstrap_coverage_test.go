package scoring

import (
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"testing"
)

// TestBootstrapCoverage checks the parametric bootstrap by simulation: bases drawn
// from BG/NBD with known parameters are fitted, and the nominal 90% bootstrap
// intervals of quantities that depend on the parameters alone (a new customer's
// purchases in the next 26 weeks; P(alive) of a fixed history) must cover the true
// values in a plausible share of the bases. With D bases the number covered is
// Binomial(D, 0.9) if the intervals are right; the test fails below the share that
// has probability about 0.002 under that binomial, so it catches intervals that are
// much too narrow (a bootstrap that ignored the refit's variation would cover far
// less), and it fails too if the median interval is wider than the quantity itself
// (intervals that cover by being useless). Small sizes for -race in CI; CLV_STRESS=1
// runs 200 bases of 1,000 customers with 200 replicates each.
func TestBootstrapCoverage(t *testing.T) {
	bases, customers, replicates := 40, 300, 60
	if raceEnabled {
		bases, customers, replicates = 16, 200, 30
	}
	if os.Getenv("CLV_STRESS") != "" {
		bases, customers, replicates = 200, 1000, 200
	}
	truth := &BGNBD{R: 0.5, Alpha: 5, A: 0.8, B: 2.5}
	probe := Customer{Frequency: 2, Recency: 10, T: 40}
	quantities := []struct {
		name  string
		truth float64
		get   func(iv *Intervals) (Interval, error)
	}{
		{"E[X(26)] of a new customer", truth.ExpectedPurchasesNew(26), func(iv *Intervals) (Interval, error) { return iv.ExpectedPurchasesNew(26) }},
		{"P(alive) of x=2, t_x=10, T=40", truth.PAlive(probe), func(iv *Intervals) (Interval, error) { return iv.PAlive(probe) }},
	}
	covered := make([]int, len(quantities))
	widths := make([][]float64, len(quantities))
	fitted := 0
	for d := range bases {
		rng := rand.New(rand.NewPCG(uint64(d), 15))
		cs := make([]Customer, customers)
		for i := range cs {
			T := 20 + float64(rng.IntN(33))
			cs[i] = simBetaGeo(rng, truth.R, truth.Alpha, truth.A, truth.B, false, T, 0).Customer
		}
		m, err := FitBGNBD(cs, nil)
		if err != nil {
			t.Logf("base %d: %v", d, err)
			continue
		}
		iv, err := NewIntervals(m, nil, cs, &IntervalOptions{Method: Bootstrap, Replicates: replicates, Seed: uint64(d)})
		if err != nil {
			t.Logf("base %d: %v", d, err)
			continue
		}
		fitted++
		for k, q := range quantities {
			in, err := q.get(iv)
			if err != nil {
				t.Fatalf("base %d, %s: %v", d, q.name, err)
			}
			if in.Contains(q.truth) {
				covered[k]++
			}
			widths[k] = append(widths[k], (in.Hi-in.Lo)/q.truth)
		}
	}
	if fitted < bases*9/10 {
		t.Fatalf("%d of %d bases fitted with a bootstrap", fitted, bases)
	}
	// The smallest count with lower-tail probability above 0.002 under Binomial(n, 0.9).
	least := binomialQuantile(fitted, 0.9, 0.002)
	for k, q := range quantities {
		slices.Sort(widths[k])
		median := widths[k][len(widths[k])/2]
		t.Logf("%s: covered in %d of %d bases (nominal 90%%, least plausible %d); median width %.2f of the true value", q.name, covered[k], fitted, least, median)
		if covered[k] < least {
			t.Errorf("%s: 90%% bootstrap intervals covered the truth in %d of %d bases, fewer than %d", q.name, covered[k], fitted, least)
		}
		if !(median < 1) {
			t.Errorf("%s: median interval width %.2f of the true value, too wide to mean anything", q.name, median)
		}
	}
}

// binomialQuantile returns the largest k with P(X < k) <= alpha for X ~ Binomial(n, p).
func binomialQuantile(n int, p, alpha float64) int {
	var cdf float64
	for k := 0; k <= n; k++ {
		pk := math.Exp(lgamma(float64(n+1)) - lgamma(float64(k+1)) - lgamma(float64(n-k+1)) + float64(k)*math.Log(p) + float64(n-k)*math.Log1p(-p))
		if cdf+pk > alpha {
			return k
		}
		cdf += pk
	}
	return n
}
