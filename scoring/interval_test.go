package scoring

import (
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"strings"
	"testing"

	"pgregory.net/rapid"
)

// longTests enables the on-demand, larger versions of the statistical tests.
var longTests = os.Getenv("CLIENTELE_LONG_TESTS") != ""

// True parameters of the interval tests: CDNOW's BG/NBD and Gamma-Gamma estimates
// (Fader, Hardie & Lee 2005), in weeks and dollars.
var (
	trueBG    = []float64{0.243, 4.414, 0.793, 2.426}
	truePNBD  = []float64{0.553, 10.58, 0.606, 11.67}
	trueSpend = []float64{6.25, 3.74, 15.44}
)

// simulateBase draws n customers of ages spread over 26 to 78 weeks from the model
// of fam at theta, with Gamma-Gamma spend at trueSpend.
func simulateBase(rng *rand.Rand, fam family, theta []float64, n int) []Customer {
	cs := make([]Customer, n)
	for i := range cs {
		T := 26 + 52*rng.Float64()
		x, tx := fam.simulate(theta, T, rng)
		cs[i] = Customer{Frequency: x, Recency: tx, T: T}
		if x > 0 {
			cs[i].Monetary = drawMeanSpend(rng, trueSpend[0], trueSpend[1], trueSpend[2], x)
		}
	}
	return cs
}

func fitBoth(t testing.TB, cs []Customer) (*BGNBD, *GammaGamma) {
	m, err := FitBGNBD(cs, &FitOptions{Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	g, err := FitGammaGamma(cs, &FitOptions{Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	return m, g
}

// Predictions compared across methods and checked for coverage, for a customer with
// a history and for the base.
var probe = Customer{Frequency: 3, Recency: 30, T: 52, Monetary: 40}

type namedPrediction struct {
	name string
	f    func(iv *Intervals, cs []Customer) (Interval, error)
}

var predictions = []namedPrediction{
	{"E[X(52)] new", func(iv *Intervals, _ []Customer) (Interval, error) { return iv.ExpectedPurchasesNew(52) }},
	{"P(X(26)=0) new", func(iv *Intervals, _ []Customer) (Interval, error) { return iv.PurchaseProbNew(26, 0) }},
	{"P(alive)", func(iv *Intervals, _ []Customer) (Interval, error) { return iv.PAlive(probe) }},
	{"E[X(52) | c]", func(iv *Intervals, _ []Customer) (Interval, error) { return iv.ExpectedPurchases(52, probe) }},
	{"P(X(52)=1 | c)", func(iv *Intervals, _ []Customer) (Interval, error) { return iv.PurchaseProb(52, 1, probe) }},
	{"E[spend | c]", func(iv *Intervals, _ []Customer) (Interval, error) { return iv.ExpectedSpend(probe) }},
	{"base purchases", func(iv *Intervals, cs []Customer) (Interval, error) { return iv.BasePurchases(52, cs) }},
	{"base alive", func(iv *Intervals, cs []Customer) (Interval, error) { return iv.BaseAlive(cs) }},
	{"base CLV", func(iv *Intervals, cs []Customer) (Interval, error) {
		return iv.BaseCLV(cs, &CLVOptions{Horizon: 52, Period: 4, DiscountRate: 0.01})
	}},
	{"CLV of c", func(iv *Intervals, _ []Customer) (Interval, error) {
		v, err := iv.CLV([]Customer{probe}, &CLVOptions{Horizon: 52, Period: 4, DiscountRate: 0.01})
		if err != nil {
			return Interval{}, err
		}
		return v[0], nil
	}},
}

// TestIntervalsDeltaAgreesWithBootstrap fits BG/NBD and Gamma-Gamma to a base drawn
// from the models and compares the two methods' 90% intervals for each prediction.
// Stated tolerance: with 400 replicates (CLIENTELE_LONG_TESTS=1) the widths agree
// within 30% and the midpoints within 30% of the delta width; the bootstrap's own
// percentile noise is about 7% of the width there, and grows as 1/√replicates in the
// smaller default and race runs, whose tolerance is wider.
func TestIntervalsDeltaAgreesWithBootstrap(t *testing.T) {
	n, reps, tol := 1000, 100, 0.4
	switch {
	case longTests:
		n, reps, tol = 2000, 400, 0.3
	case raceEnabled || testing.Short():
		n, reps, tol = 600, 50, 0.5
	}
	rng := rand.New(rand.NewPCG(1, 2))
	cs := simulateBase(rng, betaGeoFamily(0), trueBG, n)
	m, g := fitBoth(t, cs)
	delta, err := NewIntervals(m, g, cs, nil)
	if err != nil {
		t.Fatal(err)
	}
	boot, err := NewIntervals(m, g, cs, &IntervalOptions{Method: Bootstrap, Replicates: reps, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	if boot.Replicates+boot.Failed != reps || boot.Failed > reps/20 {
		t.Errorf("bootstrap: %d replicates refitted, %d failed", boot.Replicates, boot.Failed)
	}
	for _, p := range predictions {
		d, err1 := p.f(delta, cs)
		b, err2 := p.f(boot, cs)
		if err1 != nil || err2 != nil {
			t.Fatalf("%s: %v, %v", p.name, err1, err2)
		}
		if d.Estimate != b.Estimate {
			t.Errorf("%s: estimates differ: %v, %v", p.name, d.Estimate, b.Estimate)
		}
		wd, wb := d.Hi-d.Lo, b.Hi-b.Lo
		mid := math.Abs((d.Hi+d.Lo)/2-(b.Hi+b.Lo)/2) / wd
		t.Logf("%-16s %.4g  delta [%.4g, %.4g]  bootstrap [%.4g, %.4g]", p.name, d.Estimate, d.Lo, d.Hi, b.Lo, b.Hi)
		if !(wd > 0) || math.Abs(wb/wd-1) > tol || mid > tol {
			t.Errorf("%s: delta [%.4g, %.4g], bootstrap [%.4g, %.4g]: widths %.3g and %.3g, midpoints %.2f widths apart",
				p.name, d.Lo, d.Hi, b.Lo, b.Hi, wd, wb, mid)
		}
	}
}

// TestIntervalsCoverage draws many bases from known parameters, fits each, and counts
// how often the 90% interval of each prediction (a function of the parameters only)
// covers its true value. With k bases the rate's standard deviation is sqrt(0.09/k);
// the bounds allow three of them and 0.02 more. The default run is small (a check for
// gross failure); CLIENTELE_LONG_TESTS=1 runs 400 bases of 1,000 customers.
func TestIntervalsCoverage(t *testing.T) {
	for _, tc := range []struct {
		name  string
		fam   family
		theta []float64
		fit   func(cs []Customer) (Model, error)
	}{
		{"BG/NBD", betaGeoFamily(0), trueBG, func(cs []Customer) (Model, error) { return FitBGNBD(cs, &FitOptions{Workers: 1}) }},
		{"Pareto/NBD", paretoFamily(), truePNBD, func(cs []Customer) (Model, error) { return FitParetoNBD(cs, &FitOptions{Workers: 1}) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bases, n := 60, 500
			if tc.name == "Pareto/NBD" {
				bases, n = 16, 300
			}
			switch {
			case longTests:
				bases, n = 400, 1000
			case raceEnabled || testing.Short():
				bases /= 3
			}
			truth := tc.fam.build(tc.theta, map[string]Model{"BG/NBD": &BGNBD{}, "Pareto/NBD": &ParetoNBD{}}[tc.name])
			trueSpendModel := &GammaGamma{P: trueSpend[0], Q: trueSpend[1], Gamma: trueSpend[2]}
			covered := make([]int, len(predictions))
			rng := rand.New(rand.NewPCG(11, uint64(len(tc.name))))
			used := 0
			for range bases {
				cs := simulateBase(rng, tc.fam, tc.theta, n)
				m, err := tc.fit(cs)
				if err != nil {
					continue // a base whose fit fails says nothing of coverage
				}
				g, err := FitGammaGamma(cs, &FitOptions{Workers: 1})
				if err != nil {
					continue
				}
				iv, err := NewIntervals(m, g, cs, nil)
				if err != nil {
					continue
				}
				used++
				// The true value of each prediction, on this base.
				tv := &Intervals{Level: 0.9, model: truth, spend: trueSpendModel}
				for i, p := range predictions {
					est, err1 := p.f(iv, cs)
					want, err2 := p.f(tv, cs)
					if err1 != nil || err2 != nil {
						t.Fatal(err1, err2)
					}
					if est.Contains(want.Estimate) {
						covered[i]++
					}
				}
			}
			if used < bases*3/4 {
				t.Fatalf("only %d of %d bases gave intervals", used, bases)
			}
			sd := math.Sqrt(0.09 / float64(used))
			for i, p := range predictions {
				rate := float64(covered[i]) / float64(used)
				t.Logf("%-16s coverage %.3f of %d", p.name, rate, used)
				if math.Abs(rate-0.9) > 3*sd+0.02 {
					t.Errorf("%s: 90%% intervals covered the truth in %.3f of %d bases", p.name, rate, used)
				}
			}
		})
	}
}

// TestIntervalsContainEstimate: for any customer and horizon, a delta interval lies
// in the prediction's range and contains the estimate.
func TestIntervalsContainEstimate(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	cs := simulateBase(rng, betaGeoFamily(0), trueBG, 1000)
	m, g := fitBoth(t, cs)
	iv, err := NewIntervals(m, g, cs, &IntervalOptions{Level: 0.95})
	if err != nil {
		t.Fatal(err)
	}
	rapid.Check(t, func(t *rapid.T) {
		T := rapid.Float64Range(0, 200).Draw(t, "T")
		x := rapid.IntRange(0, 40).Draw(t, "x")
		c := Customer{Frequency: x, T: T}
		if x > 0 {
			c.Recency = rapid.Float64Range(0, T).Draw(t, "tx")
			c.Monetary = rapid.Float64Range(0.01, 500).Draw(t, "m")
		}
		h := rapid.Float64Range(0, 500).Draw(t, "horizon")
		n := rapid.IntRange(0, 10).Draw(t, "n")
		check := func(name string, v Interval, err error, hi float64) {
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if !(v.Lo <= v.Estimate && v.Estimate <= v.Hi && v.Lo >= 0 && v.Hi <= hi) {
				t.Fatalf("%s: estimate %v, interval [%v, %v]", name, v.Estimate, v.Lo, v.Hi)
			}
		}
		v, err := iv.PAlive(c)
		check("P(alive)", v, err, 1)
		v, err = iv.ExpectedPurchases(h, c)
		check("E[X]", v, err, math.Inf(1))
		v, err = iv.PurchaseProb(h, n, c)
		check("P(X=n)", v, err, 1)
		v, err = iv.ExpectedSpend(c)
		check("spend", v, err, math.Inf(1))
		v, err = iv.PurchaseProbNew(h, n)
		check("P(X=n) new", v, err, 1)
	})
}

func TestIntervalsBadInput(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 9))
	cs := simulateBase(rng, betaGeoFamily(0), trueBG, 300)
	m, g := fitBoth(t, cs)
	if _, err := NewIntervals(nil, g, cs, nil); !errors.Is(err, ErrInvalid) {
		t.Errorf("nil model: %v", err)
	}
	if _, err := NewIntervals((*BGNBD)(nil), g, cs, nil); !errors.Is(err, ErrInvalid) {
		t.Errorf("typed nil model: %v", err)
	}
	for _, o := range []*IntervalOptions{{Level: 1}, {Level: -0.1}, {Level: math.NaN()}, {Replicates: 3}, {Method: -1}, {Method: 2}} {
		for _, method := range []IntervalMethod{Delta, Bootstrap} {
			o := *o
			if o.Method == Delta {
				o.Method = method
			}
			if _, err := NewIntervals(m, g, cs, &o); !errors.Is(err, ErrInvalid) {
				t.Errorf("options %+v: %v", o, err)
			}
		}
	}
	// A bad method is named in the error, whichever model's intervals are asked for.
	sbg, err := FitSBG(sbgRegular, nil)
	if err != nil {
		t.Fatal(err)
	}
	bgbb, err := FitBGBB([]Opportunities{{Frequency: 3, Recency: 4, N: 6, Weight: 40}, {Frequency: 1, Recency: 2, N: 6, Weight: 30}, {N: 6, Weight: 50}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	bad7 := &IntervalOptions{Method: 7}
	for name, err := range map[string]error{
		"NewIntervals":   second(NewIntervals(m, g, cs, bad7)),
		"SBG.Intervals":  second(sbg.Intervals(sbgRegular, bad7)),
		"BGBB.Intervals": second(bgbb.Intervals([]Opportunities{{Frequency: 3, Recency: 4, N: 6, Weight: 40}, {Frequency: 1, Recency: 2, N: 6, Weight: 30}, {N: 6, Weight: 50}}, bad7)),
	} {
		if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "interval method 7") {
			t.Errorf("%s with method 7: %v", name, err)
		}
	}
	bad := append([]Customer{}, cs...)
	bad[7].Recency = bad[7].T + 1
	if _, err := NewIntervals(m, g, bad, nil); !errors.Is(err, ErrInvalid) {
		t.Errorf("bad customer: %v", err)
	}
	pen, err := FitBGNBD(cs, &FitOptions{Penalizer: 0.1})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := NewIntervals(pen, nil, cs, nil); !errors.Is(err, ErrInvalid) {
		t.Errorf("delta intervals of a penalised fit: %v", err)
	}
	iv, err := NewIntervals(m, nil, cs, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := iv.ExpectedSpend(probe); !errors.Is(err, ErrInvalid) {
		t.Errorf("spend without a spend model: %v", err)
	}
	if _, err := iv.CLV(cs, &CLVOptions{Horizon: 52}); !errors.Is(err, ErrInvalid) {
		t.Errorf("CLV without a spend model: %v", err)
	}
	if _, err := iv.ExpectedPurchases(-1, probe); !errors.Is(err, ErrInvalid) {
		t.Errorf("negative horizon: %v", err)
	}
	if _, err := iv.PurchaseProb(1, -1, probe); !errors.Is(err, ErrInvalid) {
		t.Errorf("negative count: %v", err)
	}
	if _, err := iv.PAlive(Customer{Frequency: -1}); !errors.Is(err, ErrInvalid) {
		t.Errorf("bad customer: %v", err)
	}
}

// TestIntervalsDeltaAtBoundary: for a fit at the boundary (Pareto/NBD on a base
// without dropout, Gamma-Gamma on spends around one common mean) the held parameters
// are taken as known and the others still give proper intervals.
func TestIntervalsDeltaAtBoundary(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	var cs []Customer
	for range 500 {
		x, tx := drawPareto(rng, 0.8, 10, 1, 1e12, 52) // μ ~ Gamma(1, 1e12): no dropout
		c := Customer{Frequency: x, Recency: tx, T: 52}
		if x > 0 {
			var sum float64
			for range x {
				sum += gammaRand(rng, 4, 0.1) // mean 40 for everyone
			}
			c.Monetary = sum / float64(x)
		}
		cs = append(cs, c)
	}
	m, err := FitParetoNBD(cs, nil)
	if err != nil {
		t.Fatal(err)
	}
	g, err := FitGammaGamma(cs, nil)
	if err != nil {
		t.Fatal(err)
	}
	if m.Fit.Boundary == nil {
		t.Fatalf("Pareto/NBD without dropout not at the boundary: %+v", m)
	}
	t.Logf("boundaries: %+v; %+v", m.Fit.Boundary, g.Fit.Boundary)
	iv, err := NewIntervals(m, g, cs, nil)
	if err != nil {
		t.Fatal(err)
	}
	e, err := iv.ExpectedPurchasesNew(52)
	if err != nil || !(e.Lo < e.Estimate && e.Estimate < e.Hi) || e.Hi-e.Lo > e.Estimate {
		t.Errorf("E[X(52)] at the boundary: %+v, %v", e, err)
	}
	v, err := iv.BaseCLV(cs, &CLVOptions{Horizon: 52})
	if err != nil || !(v.Lo < v.Estimate && v.Estimate < v.Hi) {
		t.Errorf("base CLV at the boundary: %+v, %v", v, err)
	}
}
