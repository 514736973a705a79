package scoring

import (
	"math"
	"math/rand/v2"
	"testing"

	"pgregory.net/rapid"
)

// limitChecks runs prop on the first k cases rapid draws and lets the rest pass
// without work, for properties whose every case is a full maximum-likelihood fit: rapid
// draws 100 cases per property, too slow for a race-enabled test run. Once a case has
// failed every later case runs again, so rapid can still shrink a failure.
func limitChecks(k int, prop func(*rapid.T)) func(*rapid.T) {
	runs, failed := 0, false
	return func(t *rapid.T) {
		runs++
		if runs > k && !failed {
			return
		}
		ok := false
		defer func() {
			if !ok {
				failed = true
			}
		}()
		prop(t)
		ok = !t.Failed()
	}
}

// recovered checks that every fitted parameter is within z standard errors of the
// truth, on the log scale the fit works in (where the sampling distribution of a
// positive parameter is closer to normal at moderate n): |log θ̂ - log θ| <= z·se(θ̂)/θ̂.
// Standard errors shrink as 1/sqrt(n), so the tolerance does too
// (TestRecoveryErrorShrinksWithN checks that rate).
func recovered(t *rapid.T, model string, names []string, truth, got, se []float64, z float64) {
	if len(se) != len(truth) {
		t.Fatalf("%s: no standard errors at %v (truth %v)", model, got, truth)
	}
	for i := range truth {
		off := math.Abs(math.Log(got[i]/truth[i])) / (se[i] / got[i])
		if off > z {
			t.Fatalf("%s: %s = %.4g ± %.2g, truth %.4g (%.1f standard errors off); fit %v, truth %v",
				model, names[i], got[i], se[i], truth[i], off, got, truth)
		}
	}
}

// ages draws each customer's age T uniformly between lo and hi, as for a cohort
// acquired over an interval.
func age(rng *rand.Rand, lo, hi float64) float64 { return lo + (hi-lo)*rng.Float64() }

// The z of recovery checks: two-sided 5 standard errors has a false alarm rate of
// 6e-7 per parameter, so a few hundred checks per run rarely raise a false alarm.
const recoveryZ = 5

// The parameter ranges keep the models identifiable at the sample sizes drawn: the
// mean purchase rate r/alpha is 0.05 to 0.5 a week over ages of 20 to 52 weeks, so
// that repeat purchases are numerous enough to tell the purchase and dropout
// processes apart. (Outside them a sample's likelihood can peak at the boundary, for
// example a, b -> infinity with a/(a+b) fixed; the fit then rightly reports
// ErrNoConvergence, see TestFitReportsRidge.)
func drawRate(t *rapid.T) (r, alpha float64) {
	r = rapid.Float64Range(0.3, 2).Draw(t, "r")
	return r, r / rapid.Float64Range(0.05, 0.5).Draw(t, "rate")
}

func TestBGNBDRecoversSimulatedParameters(t *testing.T) {
	rapid.Check(t, limitChecks(checksFor(25), func(t *rapid.T) {
		r, alpha := drawRate(t)
		truth := []float64{
			r, alpha,
			rapid.Float64Range(0.5, 3).Draw(t, "a"),
			rapid.Float64Range(1, 6).Draw(t, "b"),
		}
		n := rapid.SampledFrom([]int{1000, 4000, 16000}).Draw(t, "n")
		rng := rand.New(rand.NewPCG(rapid.Uint64().Draw(t, "seed"), 1))
		cs := make([]Customer, n)
		for i := range cs {
			cs[i] = simBetaGeo(rng, truth[0], truth[1], truth[2], truth[3], false, math.Round(age(rng, 20, 52)), 0).Customer
		}
		m, err := FitBGNBD(cs, nil)
		if err != nil {
			t.Fatalf("n=%d truth %v: %v", n, truth, err)
		}
		recovered(t, "BG/NBD", bgnbdNames, truth, []float64{m.R, m.Alpha, m.A, m.B}, m.Fit.StdErr, recoveryZ)
	}))
}

func TestMBGNBDRecoversSimulatedParameters(t *testing.T) {
	rapid.Check(t, limitChecks(checksFor(15), func(t *rapid.T) {
		r, alpha := drawRate(t)
		truth := []float64{
			r, alpha,
			rapid.Float64Range(0.5, 3).Draw(t, "a"),
			rapid.Float64Range(1, 6).Draw(t, "b"),
		}
		n := rapid.SampledFrom([]int{2000, 8000}).Draw(t, "n")
		rng := rand.New(rand.NewPCG(rapid.Uint64().Draw(t, "seed"), 2))
		cs := make([]Customer, n)
		for i := range cs {
			cs[i] = simBetaGeo(rng, truth[0], truth[1], truth[2], truth[3], true, math.Round(age(rng, 20, 52)), 0).Customer
		}
		m, err := FitMBGNBD(cs, nil)
		if err != nil {
			t.Fatalf("n=%d truth %v: %v", n, truth, err)
		}
		recovered(t, "MBG/NBD", bgnbdNames, truth, []float64{m.R, m.Alpha, m.A, m.B}, m.Fit.StdErr, recoveryZ)
	}))
}

func TestParetoNBDRecoversSimulatedParameters(t *testing.T) {
	rapid.Check(t, limitChecks(checksFor(4), func(t *rapid.T) {
		r, alpha := drawRate(t)
		truth := []float64{
			r, alpha,
			rapid.Float64Range(0.3, 2).Draw(t, "s"),
			rapid.Float64Range(5, 40).Draw(t, "beta"),
		}
		n := rapid.SampledFrom([]int{1500, 4000}).Draw(t, "n")
		rng := rand.New(rand.NewPCG(rapid.Uint64().Draw(t, "seed"), 3))
		cs := make([]Customer, n)
		for i := range cs {
			// Whole days in weeks keep the number of distinct (x, t_x, T) rows, and so
			// the cost of the 2F1 terms, realistic.
			cs[i] = simPareto(rng, truth[0], truth[1], truth[2], truth[3], math.Round(age(rng, 20, 52)*7)/7, 0).Customer
			cs[i].Recency = math.Floor(cs[i].Recency*7) / 7
		}
		m, err := FitParetoNBD(cs, nil)
		if err != nil {
			t.Fatalf("n=%d truth %v: %v", n, truth, err)
		}
		recovered(t, "Pareto/NBD", paretoNames, truth, []float64{m.R, m.Alpha, m.S, m.Beta}, m.Fit.StdErr, recoveryZ)
	}))
}

func TestBGBBRecoversSimulatedParameters(t *testing.T) {
	rapid.Check(t, limitChecks(checksFor(15), func(t *rapid.T) {
		truth := []float64{
			rapid.Float64Range(0.5, 3).Draw(t, "alpha"),
			rapid.Float64Range(0.5, 3).Draw(t, "beta"),
			rapid.Float64Range(0.3, 2).Draw(t, "gamma"),
			rapid.Float64Range(1, 6).Draw(t, "delta"),
		}
		n := rapid.SampledFrom([]int{2000, 8000}).Draw(t, "n")
		opportunities := rapid.IntRange(6, 12).Draw(t, "opportunities")
		rng := rand.New(rand.NewPCG(rapid.Uint64().Draw(t, "seed"), 4))
		rows := make([]Opportunities, n)
		for i := range rows {
			rows[i], _, _ = simBGBB(rng, truth[0], truth[1], truth[2], truth[3], opportunities, 0)
		}
		m, err := FitBGBB(rows, nil)
		if err != nil {
			t.Fatalf("n=%d truth %v: %v", n, truth, err)
		}
		recovered(t, "BG/BB", bgbbNames, truth, []float64{m.Alpha, m.Beta, m.Gamma, m.Delta}, m.Fit.StdErr, recoveryZ)
	}))
}

func TestGammaGammaRecoversSimulatedParameters(t *testing.T) {
	rapid.Check(t, limitChecks(checksFor(25), func(t *rapid.T) {
		truth := []float64{
			rapid.Float64Range(1, 10).Draw(t, "p"),
			rapid.Float64Range(2, 8).Draw(t, "q"),
			rapid.Float64Range(5, 50).Draw(t, "gamma"),
		}
		n := rapid.SampledFrom([]int{1000, 4000}).Draw(t, "n")
		rng := rand.New(rand.NewPCG(rapid.Uint64().Draw(t, "seed"), 5))
		cs := make([]Customer, n)
		for i := range cs {
			x := 1 + rng.IntN(8)
			cs[i] = Customer{Frequency: x, Recency: 1, T: 2, Monetary: simSpend(rng, truth[0], truth[1], truth[2], x)}
		}
		m, err := FitGammaGamma(cs, nil)
		if err != nil {
			t.Fatalf("n=%d truth %v: %v", n, truth, err)
		}
		recovered(t, "Gamma-Gamma", gammaGammaNames, truth, []float64{m.P, m.Q, m.Gamma}, m.Fit.StdErr, recoveryZ)
	}))
}

// TestRecoveryErrorShrinksWithN fits BG/NBD on nested samples of growing size and
// checks that the standard errors, and so the recovery tolerance, shrink like 1/sqrt(n).
func TestRecoveryErrorShrinksWithN(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	truth := []float64{0.5, 8, 0.9, 3}
	all := make([]Customer, 64000)
	for i := range all {
		all[i] = simBetaGeo(rng, truth[0], truth[1], truth[2], truth[3], false, math.Round(age(rng, 20, 52)), 0).Customer
	}
	var prev []float64
	for _, n := range []int{4000, 16000, 64000} {
		m, err := FitBGNBD(all[:n], nil)
		if err != nil {
			t.Fatal(err)
		}
		got := []float64{m.R, m.Alpha, m.A, m.B}
		for i := range truth {
			if d := math.Abs(math.Log(got[i] / truth[i])); d > recoveryZ*m.Fit.StdErr[i]/got[i] {
				t.Errorf("n=%d: %s = %.4f, truth %.4f, se %.4f", n, bgnbdNames[i], got[i], truth[i], m.Fit.StdErr[i])
			}
			if prev != nil {
				// Four times the data halves the standard error (within sampling noise).
				if ratio := m.Fit.StdErr[i] / prev[i]; ratio < 0.35 || ratio > 0.75 {
					t.Errorf("n=%d: se(%s) shrank by %.2f, want about 0.5", n, bgnbdNames[i], ratio)
				}
			}
		}
		prev = m.Fit.StdErr
	}
}

// checksFor scales the number of fits a property runs: the race detector slows fits
// about tenfold, and the whole package must test in about a minute.
func checksFor(k int) int {
	if raceEnabled {
		return max(2, k/4)
	}
	return k
}
