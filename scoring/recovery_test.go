package scoring

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/stat/distuv"
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

// recovered checks that the fit is consistent with the truth that generated the data
// by the likelihood-ratio test: 2(log L(fit) - log L(truth)) must stay below the
// chi-square quantile at 1 - 1e-6 with one degree of freedom per parameter (Wilks'
// theorem). The set of parameters that pass is the likelihood-ratio confidence region,
// whose size shrinks like 1/sqrt(n), so this is a recovery tolerance that shrinks with
// the sample. It is used rather than "within z standard errors" because at a few
// thousand customers the likelihood of a, b or s is visibly skewed: a fit 5 standard
// errors from the truth on the log scale can have an unremarkable likelihood ratio
// (p = 0.05), and on a flat ridge (a, b -> infinity together when a sample shows no
// spread in dropout) there are no standard errors at all.
// TestRecoveryErrorShrinksWithN checks the standard errors themselves and their 1/sqrt(n)
// rate at larger n.
func recovered(t *rapid.T, lk likelihood, truth, got []float64, ll float64, se []float64) {
	gap := 2 * (ll - lk.eval(truth, nil))
	crit := (distuv.ChiSquared{K: float64(len(truth))}).Quantile(1 - 1e-6)
	if !(gap <= crit) {
		t.Fatalf("%s: fit %v (se %v) is %.1f log-likelihood units above the truth %v: likelihood ratio %.1f > %.1f",
			lk.model, got, se, gap/2, truth, gap, crit)
	}
	if gap < -1e-6*math.Abs(ll) {
		t.Fatalf("%s: the truth %v is more likely than the fit %v by %.3g: the fit missed the maximum", lk.model, truth, got, -gap/2)
	}
}

// recovery tallies a property's cases, and the samples whose likelihood has no
// maximum inside the parameter space: a sample can rise without bound towards the
// boundary (a, b -> infinity together when it shows no spread in dropout; p -> infinity
// when it shows no spread of spend within customers), and the fit then rightly fails
// with ErrNoConvergence. Such a case passes if the truth is no less consistent with
// the data than where the parameters ran to, by the same likelihood-ratio test; done
// fails the test if they are more than a quarter of the cases, so that a fitter that
// always runs off cannot pass.
type recovery struct{ cases, boundary int }

func (rc *recovery) check(t *rapid.T, lk likelihood, truth []float64, fit func() ([]float64, float64, []float64, error)) {
	rc.cases++
	got, ll, se, err := fit()
	if err == nil {
		recovered(t, lk, truth, got, ll, se)
		return
	}
	var ce *ConvergenceError
	if errors.As(err, &ce) {
		for i, v := range ce.Params {
			if math.Abs(math.Log(v/truth[i])) > 4 {
				gap := 2 * (lk.eval(ce.Params, nil) - lk.eval(truth, nil))
				if crit := (distuv.ChiSquared{K: float64(len(truth))}).Quantile(1 - 1e-6); gap <= crit {
					rc.boundary++
					return
				}
				break
			}
		}
	}
	t.Fatalf("%s, truth %v: %v", lk.model, truth, err)
}

func (rc *recovery) done(t *testing.T) {
	if rc.boundary > max(1, rc.cases/4) {
		t.Errorf("%d of %d samples had no interior maximum", rc.boundary, rc.cases)
	}
	t.Logf("%d cases, %d with the maximum on the boundary", rc.cases, rc.boundary)
}

// ages draws each customer's age T uniformly between lo and hi, as for a cohort
// acquired over an interval.
func age(rng *rand.Rand, lo, hi float64) float64 { return lo + (hi-lo)*rng.Float64() }

// The z of standard-error checks at large n: two-sided 5 standard errors has a false
// alarm rate of 6e-7 per parameter.
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

// betaGeoRecovery simulates BG/NBD (mbg false) or MBG/NBD (mbg true) customers from
// drawn parameters, fits the same model and checks the recovery.
func betaGeoRecovery(rc *recovery, checks int, sizes []int, mbg bool) func(*rapid.T) {
	model, shift, fit := "BG/NBD", 0, func(cs []Customer) (*BGNBD, error) { return FitBGNBD(cs, nil) }
	if mbg {
		model, shift = "MBG/NBD", 1
		fit = func(cs []Customer) (*BGNBD, error) {
			m, err := FitMBGNBD(cs, nil)
			if err != nil {
				return nil, err
			}
			return &BGNBD{R: m.R, Alpha: m.Alpha, A: m.A, B: m.B, LogLik: m.LogLik, Fit: m.Fit}, nil
		}
	}
	return limitChecks(checks, func(t *rapid.T) {
		r, alpha := drawRate(t)
		truth := []float64{r, alpha, rapid.Float64Range(0.5, 3).Draw(t, "a"), rapid.Float64Range(1, 6).Draw(t, "b")}
		n := rapid.SampledFrom(sizes).Draw(t, "n")
		rng := rand.New(rand.NewPCG(rapid.Uint64().Draw(t, "seed"), uint64(shift)))
		cs := make([]Customer, n)
		for i := range cs {
			cs[i] = simBetaGeo(rng, truth[0], truth[1], truth[2], truth[3], mbg, math.Round(age(rng, 20, 52)), 0).Customer
		}
		lk, _, _ := betaGeoProblem(model, cs, shift, 1)
		rc.check(t, lk, truth, func() ([]float64, float64, []float64, error) {
			m, err := fit(cs)
			if err != nil {
				return nil, 0, nil, err
			}
			return []float64{m.R, m.Alpha, m.A, m.B}, m.LogLik, m.Fit.StdErr, nil
		})
	})
}

func TestBGNBDRecoversSimulatedParameters(t *testing.T) {
	var rc recovery
	rapid.Check(t, betaGeoRecovery(&rc, checksFor(25), []int{2000, 8000, 32000}, false))
	rc.done(t)
}

func TestMBGNBDRecoversSimulatedParameters(t *testing.T) {
	var rc recovery
	rapid.Check(t, betaGeoRecovery(&rc, checksFor(15), []int{2000, 8000}, true))
	rc.done(t)
}

func TestParetoNBDRecoversSimulatedParameters(t *testing.T) {
	// Under the race detector 2F1 is about thirty times slower; one small fit still
	// runs the parallel Pareto/NBD likelihood under it.
	checks, sizes := 4, []int{1500, 4000}
	if raceEnabled {
		checks, sizes = 1, []int{800}
	}
	var rc recovery
	defer rc.done(t)
	rapid.Check(t, limitChecks(checks, func(t *rapid.T) {
		r, alpha := drawRate(t)
		truth := []float64{
			r, alpha,
			rapid.Float64Range(0.3, 2).Draw(t, "s"),
			rapid.Float64Range(5, 40).Draw(t, "beta"),
		}
		n := rapid.SampledFrom(sizes).Draw(t, "n")
		rng := rand.New(rand.NewPCG(rapid.Uint64().Draw(t, "seed"), 3))
		cs := make([]Customer, n)
		for i := range cs {
			// Whole days in weeks keep the number of distinct (x, t_x, T) rows, and so
			// the cost of the 2F1 terms, realistic.
			cs[i] = simPareto(rng, truth[0], truth[1], truth[2], truth[3], math.Round(age(rng, 20, 52)*7)/7, 0).Customer
			cs[i].Recency = math.Floor(cs[i].Recency*7) / 7
		}
		lk, _, _ := paretoProblem(cs, 1)
		rc.check(t, lk, truth, func() ([]float64, float64, []float64, error) {
			m, err := FitParetoNBD(cs, nil)
			if err != nil {
				return nil, 0, nil, err
			}
			return []float64{m.R, m.Alpha, m.S, m.Beta}, m.LogLik, m.Fit.StdErr, nil
		})
	}))
}

func TestBGBBRecoversSimulatedParameters(t *testing.T) {
	var rc recovery
	defer rc.done(t)
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
		lk, _, _ := bgbbProblem(rows)
		rc.check(t, lk, truth, func() ([]float64, float64, []float64, error) {
			m, err := FitBGBB(rows, nil)
			if err != nil {
				return nil, 0, nil, err
			}
			return []float64{m.Alpha, m.Beta, m.Gamma, m.Delta}, m.LogLik, m.Fit.StdErr, nil
		})
	}))
}

func TestGammaGammaRecoversSimulatedParameters(t *testing.T) {
	var rc recovery
	defer rc.done(t)
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
		lk, _, _ := gammaGammaProblem(cs, nil)
		rc.check(t, lk, truth, func() ([]float64, float64, []float64, error) {
			m, err := FitGammaGamma(cs, nil)
			if err != nil {
				return nil, 0, nil, err
			}
			return []float64{m.P, m.Q, m.Gamma}, m.LogLik, m.Fit.StdErr, nil
		})
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
