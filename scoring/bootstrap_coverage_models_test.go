package scoring

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// TestBootstrapCoverageParetoAndSpend is TestBootstrapCoverage for Pareto/NBD and
// Gamma-Gamma: bases drawn from Pareto/NBD (CDNOW's estimates) with Gamma-Gamma
// spends (trueSpend) are fitted, and the nominal 90% parametric-bootstrap intervals
// of a new customer's purchases, of P(alive) of a fixed history and of the expected
// spend of a fixed history must cover the true values in a plausible share of the
// bases: at least the count of lower-tail probability 0.002 under Binomial(bases,
// 0.9), with fixed seeds, so the test cannot flake; and the median interval must be
// narrower than the value. (BG/BB's bootstrap coverage is in bgbb_interval_test.go,
// BG/NBD's in bootstrap_coverage_test.go.) CLIENTELE_LONG_TESTS=1 runs 100 bases of
// 1,000 customers with 200 replicates.
func TestBootstrapCoverageParetoAndSpend(t *testing.T) {
	bases, n, reps := 20, 400, 30
	switch {
	case longTests:
		bases, n, reps = 100, 1000, 200
	case raceEnabled || testing.Short():
		bases, n, reps = 6, 300, 15
	}
	truth := &ParetoNBD{R: truePNBD[0], Alpha: truePNBD[1], S: truePNBD[2], Beta: truePNBD[3]}
	spend := &GammaGamma{P: trueSpend[0], Q: trueSpend[1], Gamma: trueSpend[2]}
	hist := Customer{Frequency: 2, Recency: 20, T: 52, Monetary: 30}
	quantities := []struct {
		name  string
		truth float64
		get   func(iv *Intervals) (Interval, error)
	}{
		{"Pareto/NBD E[X(26)] of a new customer", truth.ExpectedPurchasesNew(26), func(iv *Intervals) (Interval, error) { return iv.ExpectedPurchasesNew(26) }},
		{"Pareto/NBD P(alive) of x=2, t_x=20, T=52", truth.PAlive(hist), func(iv *Intervals) (Interval, error) { return iv.PAlive(hist) }},
		{"Gamma-Gamma E[spend] of x=2, mean $30", spend.ExpectedSpend(hist), func(iv *Intervals) (Interval, error) { return iv.ExpectedSpend(hist) }},
	}
	covered := make([]int, len(quantities))
	widths := make([][]float64, len(quantities))
	used := 0
	rng := rand.New(rand.NewPCG(51, 52))
	for b := range bases {
		cs := simulateBase(rng, paretoFamily(), truePNBD, n)
		m, err := FitParetoNBD(cs, &FitOptions{Workers: 1})
		if err != nil {
			continue
		}
		g, err := FitGammaGamma(cs, &FitOptions{Workers: 1})
		if err != nil {
			continue
		}
		iv, err := NewIntervals(m, g, cs, &IntervalOptions{Method: Bootstrap, Replicates: reps, Seed: uint64(b)})
		if err != nil {
			continue
		}
		used++
		for k, q := range quantities {
			in, err := q.get(iv)
			if err != nil {
				t.Fatal(err)
			}
			if in.Contains(q.truth) {
				covered[k]++
			}
			widths[k] = append(widths[k], (in.Hi-in.Lo)/q.truth)
		}
	}
	if used < bases*3/4 {
		t.Fatalf("only %d of %d bases gave bootstrap intervals", used, bases)
	}
	least := binomialQuantile(used, 0.9, 0.002)
	for k, q := range quantities {
		slices.Sort(widths[k])
		median := widths[k][len(widths[k])/2]
		t.Logf("%s: covered in %d of %d bases (least plausible %d); median width %.2f of the true value", q.name, covered[k], used, least, median)
		if covered[k] < least {
			t.Errorf("%s: 90%% bootstrap intervals covered the truth in %d of %d bases, fewer than %d", q.name, covered[k], used, least)
		}
		if !(median < 1) {
			t.Errorf("%s: median interval width %.2f of the true value", q.name, median)
		}
	}
}
