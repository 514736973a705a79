package scoring

import (
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// For with all covariates 0 gives the model's own parameters, with the standard
// errors of the fit (the same information matrix): the interval of a prediction is
// then the plain delta interval in those parameters, and its variance comes from the
// base parameters' block of the covariance alone.
func TestCovariateIntervalsAtZeroUseTheBaseBlock(t *testing.T) {
	rng := rand.New(rand.NewPCG(41, 42))
	cs, zp, zd := simulateCovariateBase(rng, false, trueBG, []float64{0.6, -0.3}, 0.5, 1500)
	m, err := FitBGNBDCovariates(cs, zp, zd, &FitOptions{Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	civ, err := m.Intervals(cs, zp, zd, nil)
	if err != nil {
		t.Fatal(err)
	}
	iv, err := civ.For([]float64{0, 0}, []float64{0})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 4 {
		se := math.Exp(iv.u[i]) * math.Sqrt(iv.cov.At(i, i))
		if math.Abs(se/m.Fit.StdErr[i]-1) > 0.02 {
			t.Errorf("parameter %d: standard error %v from the intervals, %v from the fit", i, se, m.Fit.StdErr[i])
		}
	}
	// A customer with covariates: the parameters move by the effects, exactly.
	one, err := civ.For([]float64{1, 0.5}, []float64{1})
	if err != nil {
		t.Fatal(err)
	}
	want, _ := m.For([]float64{1, 0.5}, []float64{1})
	got := one.model.(*BGNBD)
	for i, p := range [][2]float64{{got.R, want.R}, {got.Alpha, want.Alpha}, {got.A, want.A}, {got.B, want.B}, {math.Exp(one.u[1]), want.Alpha}, {math.Exp(one.u[3]), want.B}} {
		if math.Abs(p[0]/p[1]-1) > 1e-12 {
			t.Errorf("parameter %d: %v, want %v", i, p[0], p[1])
		}
	}
	// Bad covariates are refused.
	if _, err := civ.For([]float64{1}, []float64{1}); !errors.Is(err, ErrInvalid) {
		t.Errorf("short purchase covariates: %v", err)
	}
	if _, err := (*BGNBDCovariates)(nil).Intervals(cs, zp, zd, nil); !errors.Is(err, ErrInvalid) {
		t.Errorf("nil model: %v", err)
	}
	if _, err := m.Intervals(cs, zp[:10], zd, nil); !errors.Is(err, ErrInvalid) {
		t.Errorf("short covariates: %v", err)
	}
	// The bootstrap is not offered for covariate models, and says so.
	if _, err := m.Intervals(cs, zp, zd, &IntervalOptions{Method: Bootstrap}); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "bootstrap intervals are not offered for covariate models") {
		t.Errorf("bootstrap of a covariate model: %v", err)
	}
	pm := &ParetoNBDCovariates{R: 1, Alpha: 5, S: 1, Beta: 10, Purchase: make([]float64, len(zp[0])), Dropout: make([]float64, len(zd[0]))}
	if _, err := pm.Intervals(cs, zp, zd, &IntervalOptions{Method: Bootstrap}); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "Pareto/NBD with covariates: bootstrap") {
		t.Errorf("bootstrap of a Pareto/NBD covariate model: %v", err)
	}
}

// TestCovariateIntervalsCoverage draws bases from BG/NBD with known covariate effects
// (two purchase covariates, one dropout covariate), fits each, and counts how often
// the 90% delta intervals of a covariate customer's predictions cover the values the
// true parameters give that customer. Counts are Binomial(bases, 0.9) if the intervals
// are right; the test fails below the count of lower-tail probability 0.002 (fixed
// seeds: it cannot flake), or if the median interval is wider than the value.
func TestCovariateIntervalsCoverage(t *testing.T) {
	bases, n := 40, 1000
	switch {
	case longTests:
		bases, n = 300, 2000
	case raceEnabled || testing.Short():
		bases = 12
	}
	gp, gd := []float64{0.6, -0.3}, 0.5
	zp, zd := []float64{1, 0.8}, []float64{1}
	trueM := &BGNBDCovariates{R: trueBG[0], Alpha: trueBG[1], A: trueBG[2], B: trueBG[3], Purchase: gp, Dropout: []float64{gd}}
	truth, _ := trueM.For(zp, zd)
	probe := Customer{Frequency: 3, Recency: 30, T: 52}
	preds := []struct {
		name string
		f    func(iv *Intervals) (Interval, error)
		want float64
	}{
		{"P(alive)", func(iv *Intervals) (Interval, error) { return iv.PAlive(probe) }, truth.PAlive(probe)},
		{"E[X(52) | c]", func(iv *Intervals) (Interval, error) { return iv.ExpectedPurchases(52, probe) }, truth.ExpectedPurchases(52, probe)},
		{"E[X(52)] new", func(iv *Intervals) (Interval, error) { return iv.ExpectedPurchasesNew(52) }, truth.ExpectedPurchasesNew(52)},
		{"P(X(26)=0) new", func(iv *Intervals) (Interval, error) { return iv.PurchaseProbNew(26, 0) }, truth.PurchaseProbNew(26, 0)},
	}
	covered := make([]int, len(preds))
	widths := make([][]float64, len(preds))
	used := 0
	rng := rand.New(rand.NewPCG(43, 44))
	for range bases {
		cs, zps, zds := simulateCovariateBase(rng, false, trueBG, gp, gd, n)
		m, err := FitBGNBDCovariates(cs, zps, zds, &FitOptions{Workers: 1})
		if err != nil {
			continue
		}
		civ, err := m.Intervals(cs, zps, zds, nil)
		if err != nil {
			continue
		}
		iv, err := civ.For(zp, zd)
		if err != nil {
			t.Fatal(err)
		}
		used++
		for i, p := range preds {
			in, err := p.f(iv)
			if err != nil {
				t.Fatal(err)
			}
			if in.Contains(p.want) {
				covered[i]++
			}
			widths[i] = append(widths[i], (in.Hi-in.Lo)/p.want)
		}
	}
	if used < bases*9/10 {
		t.Fatalf("only %d of %d bases gave intervals", used, bases)
	}
	least := binomialQuantile(used, 0.9, 0.002)
	for i, p := range preds {
		slices.Sort(widths[i])
		median := widths[i][len(widths[i])/2]
		t.Logf("%s: covered in %d of %d (least plausible %d), median width %.3f of the value", p.name, covered[i], used, least, median)
		if covered[i] < least {
			t.Errorf("%s: 90%% intervals covered the truth in %d of %d bases, fewer than %d", p.name, covered[i], used, least)
		}
		if !(median < 1) {
			t.Errorf("%s: median width %.2f of the value", p.name, median)
		}
	}
}

// Pareto/NBD with covariates: the intervals exist, contain their estimates, and a
// customer with a higher dropout covariate gets a lower P(alive).
func TestParetoCovariateIntervals(t *testing.T) {
	rng := rand.New(rand.NewPCG(45, 46))
	cs, zp, zd := simulateCovariateBase(rng, true, truePNBD, []float64{0.6, -0.3}, 0.5, 600)
	m, err := FitParetoNBDCovariates(cs, zp, zd, &FitOptions{Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	civ, err := m.Intervals(cs, zp, zd, nil)
	if err != nil {
		t.Fatal(err)
	}
	probe := Customer{Frequency: 2, Recency: 20, T: 52}
	var prev Interval
	for i, z := range []float64{0, 1} {
		iv, err := civ.For([]float64{0, 0}, []float64{z})
		if err != nil {
			t.Fatal(err)
		}
		in, err := iv.PAlive(probe)
		if err != nil {
			t.Fatal(err)
		}
		if !(in.Lo < in.Estimate && in.Estimate < in.Hi) || (i == 1 && !(in.Estimate < prev.Estimate)) {
			t.Errorf("dropout covariate %v: P(alive) %+v (at 0: %+v)", z, in, prev)
		}
		prev = in
	}
}
