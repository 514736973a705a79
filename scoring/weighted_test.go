package scoring

import (
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"pgregory.net/rapid"
)

// TestWeightedFitsMatchExpanded: a fit with FitOptions.Weights is the fit on the base
// with each history repeated Weights[i] times, for the three purchase models.
func TestWeightedFitsMatchExpanded(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		rng := rand.New(rand.NewPCG(rapid.Uint64().Draw(t, "seed"), 1))
		n := rapid.IntRange(30, 150).Draw(t, "rows")
		var rows []Customer
		var weights []float64
		var expanded []Customer
		for range n {
			T := float64(1 + rng.IntN(40))
			c := simBetaGeo(rng, 0.5, 5, 0.8, 2.5, false, T, 0).Customer
			c.Recency = math.Round(c.Recency)
			if c.Frequency > 0 && c.Recency == 0 {
				c.Recency = 1
			}
			w := rapid.IntRange(0, 4).Draw(t, "weight")
			rows, weights = append(rows, c), append(weights, float64(w))
			for range w {
				expanded = append(expanded, c)
			}
		}
		wo := &FitOptions{Weights: weights}
		type fit struct {
			theta []float64
			ll    float64
			err   error
		}
		compare := func(name string, got, want fit) {
			if (got.err == nil) != (want.err == nil) {
				t.Fatalf("%s: weighted error %v, expanded %v", name, got.err, want.err)
			}
			if got.err != nil {
				if errors.Is(want.err, ErrTooFew) != errors.Is(got.err, ErrTooFew) {
					t.Fatalf("%s: weighted error %v, expanded %v", name, got.err, want.err)
				}
				return
			}
			if math.Abs(got.ll-want.ll) > 1e-8*math.Abs(want.ll) {
				t.Fatalf("%s: log-likelihood %v weighted, %v expanded", name, got.ll, want.ll)
			}
			for i := range got.theta {
				if math.Abs(math.Log(got.theta[i]/want.theta[i])) > 1e-6 {
					t.Fatalf("%s: parameters %v weighted, %v expanded", name, got.theta, want.theta)
				}
			}
		}
		bw, errW := FitBGNBD(rows, wo)
		be, errE := FitBGNBD(expanded, nil)
		compare("BG/NBD", fit{bgParams(bw), bgLogLik(bw), errW}, fit{bgParams(be), bgLogLik(be), errE})
		mw, errW := FitMBGNBD(rows, wo)
		me, errE := FitMBGNBD(expanded, nil)
		var mwp, mep fit
		if mw != nil {
			mwp = fit{[]float64{mw.R, mw.Alpha, mw.A, mw.B}, mw.LogLik, nil}
		}
		if me != nil {
			mep = fit{[]float64{me.R, me.Alpha, me.A, me.B}, me.LogLik, nil}
		}
		mwp.err, mep.err = errW, errE
		compare("MBG/NBD", mwp, mep)
		pw, errW := FitParetoNBD(rows, wo)
		pe, errE := FitParetoNBD(expanded, nil)
		var pwp, pep fit
		if pw != nil {
			pwp = fit{[]float64{pw.R, pw.Alpha, pw.S, pw.Beta}, pw.LogLik, nil}
		}
		if pe != nil {
			pep = fit{[]float64{pe.R, pe.Alpha, pe.S, pe.Beta}, pe.LogLik, nil}
		}
		pwp.err, pep.err = errW, errE
		compare("Pareto/NBD", pwp, pep)
	})
}

func bgParams(m *BGNBD) []float64 {
	if m == nil {
		return nil
	}
	return []float64{m.R, m.Alpha, m.A, m.B}
}

func bgLogLik(m *BGNBD) float64 {
	if m == nil {
		return 0
	}
	return m.LogLik
}

// TestWeightedRejects: bad weights and too little weight are refused with the
// package's sentinels, by each fit that reads FitOptions.Weights; the fits that do
// not read them refuse them, naming the fit.
func TestWeightedRejects(t *testing.T) {
	good := Customer{Frequency: 2, Recency: 5, T: 10}
	for _, c := range []struct {
		rows    []Customer
		weights []float64
		want    error
	}{
		{[]Customer{good, {T: 3}}, []float64{20, -1}, ErrInvalid},
		{[]Customer{good, {T: 3}}, []float64{20, math.NaN()}, ErrInvalid},
		{[]Customer{good, {T: 3}}, []float64{20, math.Inf(1)}, ErrInvalid},
		{[]Customer{good, {Recency: 4, T: 3}}, []float64{20, 1}, ErrInvalid},
		{[]Customer{good, {T: 3}}, []float64{20}, ErrInvalid},
		{[]Customer{good}, []float64{}, ErrInvalid},
		{[]Customer{good}, []float64{9}, ErrTooFew},
		{[]Customer{{T: 3}}, []float64{50}, ErrTooFew},
	} {
		o := &FitOptions{Weights: c.weights}
		for name, err := range map[string]error{
			"BG/NBD":     second(FitBGNBD(c.rows, o)),
			"MBG/NBD":    second(FitMBGNBD(c.rows, o)),
			"Pareto/NBD": second(FitParetoNBD(c.rows, o)),
		} {
			if !errors.Is(err, c.want) {
				t.Errorf("%s of %+v weighted %v: error %v, want %v", name, c.rows, c.weights, err, c.want)
			}
		}
	}
	one := &FitOptions{Weights: []float64{1}}
	for fit, err := range map[string]error{
		"FitBGBB":                second(FitBGBB([]Opportunities{{N: 3, Weight: 20}}, one)),
		"FitSBG":                 second(FitSBG([]float64{100, 80, 70}, one)),
		"FitSBGCohorts":          second(FitSBGCohorts([][]float64{{100, 80, 70}}, one)),
		"FitBGNBDCovariates":     second(FitBGNBDCovariates([]Customer{good}, nil, nil, one)),
		"FitParetoNBDCovariates": second(FitParetoNBDCovariates([]Customer{good}, nil, nil, one)),
		"IntervalOptions.Fit":    second(NewIntervals(&BGNBD{R: 1, Alpha: 1, A: 1, B: 1}, nil, []Customer{good}, &IntervalOptions{Fit: one})),
	} {
		if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), fit) || !strings.Contains(err.Error(), "Weights") {
			t.Errorf("%s with FitOptions.Weights: %v", fit, err)
		}
	}
}

// TestGammaGammaWeightedMatchesExpanded: the weighted Gamma-Gamma likelihood is the
// expanded base's at any parameters, and the weighted fit is the fit on the base with
// each row repeated Weights[i] times, non-buyers and weight-0 rows included. Spend is
// drawn from the model (CDNOW's estimates), so that the maximum is identified.
func TestGammaGammaWeightedMatchesExpanded(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		rng := rand.New(rand.NewPCG(rapid.Uint64().Draw(t, "seed"), 2))
		n := rapid.IntRange(5, 120).Draw(t, "rows")
		var rows []Customer
		var weights []float64
		var expanded []Customer
		var xs, zs, ws []float64
		for range n {
			c := Customer{T: 30}
			if rng.IntN(4) > 0 {
				c.Frequency = 1 + rng.IntN(8)
				c.Recency = float64(1 + rng.IntN(30))
				c.Monetary = simSpend(rng, 6.25, 3.74, 15.45, c.Frequency)
			}
			w := rapid.IntRange(0, 5).Draw(t, "weight")
			rows, weights = append(rows, c), append(weights, float64(w))
			for range w {
				expanded = append(expanded, c)
			}
			if c.Frequency > 0 {
				xs, zs, ws = append(xs, float64(c.Frequency)), append(zs, c.Monetary), append(ws, float64(w))
			}
		}
		lw, _, errW := gammaGammaLikelihood(xs, zs, ws)
		le, _, errE := gammaGammaProblem(expanded, nil)
		// The path FitGammaGamma takes with FitOptions.Weights gives the same
		// likelihood as the weighted rows gathered by hand.
		lo, _, errO := gammaGammaProblem(rows, weights)
		if (errO == nil) != (errW == nil) {
			t.Fatalf("weights through the options: error %v, by hand %v", errO, errW)
		}
		if errW == nil && errE == nil {
			theta := []float64{rng.ExpFloat64() * 10, rng.ExpFloat64() * 5, rng.ExpFloat64() * 30}
			gw, ge := make([]float64, 3), make([]float64, 3)
			a, b := lw.eval(theta, gw), le.eval(theta, ge)
			if math.Abs(a-b) > 1e-10*math.Abs(b) {
				t.Fatalf("log-likelihood at %v: %v weighted, %v expanded", theta, a, b)
			}
			if c := lo.eval(theta, nil); c != a {
				t.Fatalf("log-likelihood at %v: %v through the options, %v by hand", theta, c, a)
			}
			for i := range gw {
				if math.Abs(gw[i]-ge[i]) > 1e-9*(math.Abs(ge[i])+math.Abs(b)) {
					t.Fatalf("gradient at %v: %v weighted, %v expanded", theta, gw, ge)
				}
			}
		}
		gw, errW := FitGammaGamma(rows, &FitOptions{Weights: weights})
		ge, errE := FitGammaGamma(expanded, nil)
		if (errW == nil) != (errE == nil) || errors.Is(errW, ErrTooFew) != errors.Is(errE, ErrTooFew) {
			t.Fatalf("weighted error %v, expanded %v", errW, errE)
		}
		if errW != nil {
			return
		}
		// Where the likelihood rises towards the edge of the space (p → ∞ when a
		// few customers' spends barely vary) one fit may hold p at the boundary and
		// the other stop far out on the still-rising slope: the likelihoods were
		// shown equal above, and which stop the optimiser makes there is decided in
		// the last digits, so such fits are not compared. The same holds on the
		// ridge short of the edge, where a parameter's standard error exceeds the
		// parameter itself (seed 12182637777969900148: p 1073 and 2597, each with a
		// standard error above 277000, one log-likelihood to 2e-5 nats).
		atEdge := func(m *GammaGamma) bool {
			if m.Fit.Boundary != nil || math.Abs(math.Log(m.P)) >= boundLog || math.Abs(math.Log(m.Q)) >= boundLog {
				return true
			}
			for i, v := range []float64{m.P, m.Q, m.Gamma} {
				if m.Fit.StdErr != nil && m.Fit.StdErr[i] > v {
					return true
				}
			}
			return false
		}
		if atEdge(gw) || atEdge(ge) {
			return
		}
		// The maxima agree to a millionth of a nat per customer: on a flat maximum
		// the optimiser stops within its tolerance at points the sums' order moves.
		if math.Abs(gw.LogLik-ge.LogLik) > 1e-6*ge.Fit.Customers {
			t.Fatalf("log-likelihood %v weighted, %v expanded", gw.LogLik, ge.LogLik)
		}
		if gw.Fit.Customers != ge.Fit.Customers {
			t.Fatalf("customers %v weighted, %v expanded", gw.Fit.Customers, ge.Fit.Customers)
		}
		// A small sample's maximum can be so flat (p's standard error a third of p)
		// that the order of the sums moves where the optimiser stops; a hundredth of
		// a standard error is still the same maximum. Without standard errors the
		// parameters are not identified and only the log-likelihood is compared.
		if se := ge.Fit.StdErr; se != nil {
			for i, p := range [][2]float64{{gw.P, ge.P}, {gw.Q, ge.Q}, {gw.Gamma, ge.Gamma}} {
				if math.Abs(p[0]-p[1]) > 1e-6*math.Abs(p[1])+1e-2*se[i] {
					t.Fatalf("parameter %d: %v weighted, %v expanded (standard error %v)", i, p[0], p[1], se[i])
				}
			}
		}
	})
}

// TestGammaGammaWeightedRejects: bad rows and too little repeat-buyer weight are
// refused with the package's sentinels.
func TestGammaGammaWeightedRejects(t *testing.T) {
	good := Customer{Frequency: 2, Recency: 5, T: 10, Monetary: 12}
	for _, c := range []struct {
		rows    []Customer
		weights []float64
		want    error
	}{
		{[]Customer{good, {Frequency: 1, Recency: 1, T: 3, Monetary: 5}}, []float64{20, -1}, ErrInvalid},
		{[]Customer{good, {Frequency: 1, Recency: 1, T: 3, Monetary: 5}}, []float64{20, math.NaN()}, ErrInvalid},
		// A free repeat buyer's weight is left out with them: 9 paying are too few.
		{[]Customer{good, {Frequency: 1, Recency: 1, T: 3}}, []float64{9, 5}, ErrTooFew},
		{[]Customer{good, {Frequency: 1, Recency: 4, T: 3, Monetary: 5}}, []float64{20, 1}, ErrInvalid},
		{[]Customer{good, good}, []float64{20}, ErrInvalid},
		{[]Customer{good}, []float64{9}, ErrTooFew},
		{[]Customer{{T: 3}, good}, []float64{50, 1}, ErrTooFew},
	} {
		if _, err := FitGammaGamma(c.rows, &FitOptions{Weights: c.weights}); !errors.Is(err, c.want) {
			t.Errorf("%+v weighted %v: error %v, want %v", c.rows, c.weights, err, c.want)
		}
	}
}

// A large weighted base is written as a number of customers, not in %v's exponent
// form ("none of 1e+06 customers").
func TestWeightedTotalsReadAsCounts(t *testing.T) {
	_, err := FitBGNBD([]Customer{{T: 10}}, &FitOptions{Weights: []float64{1e6}})
	if !errors.Is(err, ErrTooFew) || !strings.Contains(err.Error(), "none of 1000000 customers made a repeat purchase") {
		t.Errorf("a million one-time buyers: %v", err)
	}
	_, err = FitBGNBD([]Customer{{Frequency: 1, Recency: 2, T: 10}}, &FitOptions{Weights: []float64{9.5}})
	if !errors.Is(err, ErrTooFew) || !strings.Contains(err.Error(), "got 9.5") {
		t.Errorf("9.5 customers: %v", err)
	}
}
