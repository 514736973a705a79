package scoring

import (
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"pgregory.net/rapid"
)

// weightedFit is what the scale property compares of a fit: its parameters, its
// log-likelihood, its total weight, its standard errors (nil if none) and where it
// rests on the boundary.
type weightedFit struct {
	theta, se []float64
	ll, n     float64
	boundary  *Boundary
}

// scaledFits are the weighted fits of the property, each on rows whose weights are
// multiplied by c: the four that read FitOptions.Weights, BG/BB's Opportunities.Weight,
// sBG's survivor counts and an unpenalised logistic fit's LogisticOptions.Weights.
func scaledFits(cs []Customer, w []float64, opp []Opportunities, surv []float64, x [][]float64, y []bool) map[string]func(c float64) (weightedFit, error) {
	scale := func(v []float64, c float64) []float64 {
		out := make([]float64, len(v))
		for i := range v {
			out[i] = v[i] * c
		}
		return out
	}
	fo := func(c float64) *FitOptions { return &FitOptions{Weights: scale(w, c)} }
	return map[string]func(c float64) (weightedFit, error){
		"BG/NBD": func(c float64) (weightedFit, error) {
			m, err := FitBGNBD(cs, fo(c))
			if err != nil {
				return weightedFit{}, err
			}
			return weightedFit{[]float64{m.R, m.Alpha, m.A, m.B}, m.Fit.StdErr, m.LogLik, m.Fit.Customers, m.Fit.Boundary}, nil
		},
		"MBG/NBD": func(c float64) (weightedFit, error) {
			m, err := FitMBGNBD(cs, fo(c))
			if err != nil {
				return weightedFit{}, err
			}
			return weightedFit{[]float64{m.R, m.Alpha, m.A, m.B}, m.Fit.StdErr, m.LogLik, m.Fit.Customers, m.Fit.Boundary}, nil
		},
		"Pareto/NBD": func(c float64) (weightedFit, error) {
			m, err := FitParetoNBD(cs, fo(c))
			if err != nil {
				return weightedFit{}, err
			}
			return weightedFit{[]float64{m.R, m.Alpha, m.S, m.Beta}, m.Fit.StdErr, m.LogLik, m.Fit.Customers, m.Fit.Boundary}, nil
		},
		"Gamma-Gamma": func(c float64) (weightedFit, error) {
			m, err := FitGammaGamma(cs, fo(c))
			if err != nil {
				return weightedFit{}, err
			}
			return weightedFit{[]float64{m.P, m.Q, m.Gamma}, m.Fit.StdErr, m.LogLik, m.Fit.Customers, m.Fit.Boundary}, nil
		},
		"BG/BB": func(c float64) (weightedFit, error) {
			rows := make([]Opportunities, len(opp))
			for i, o := range opp {
				o.Weight *= c
				rows[i] = o
			}
			m, err := FitBGBB(rows, nil)
			if err != nil {
				return weightedFit{}, err
			}
			return weightedFit{[]float64{m.Alpha, m.Beta, m.Gamma, m.Delta}, m.Fit.StdErr, m.LogLik, m.Fit.Customers, m.Fit.Boundary}, nil
		},
		"sBG": func(c float64) (weightedFit, error) {
			m, err := FitSBG(scale(surv, c), nil)
			if err != nil {
				return weightedFit{}, err
			}
			return weightedFit{[]float64{m.Gamma, m.Delta}, m.Fit.StdErr, m.LogLik, m.Fit.Customers, m.Fit.Boundary}, nil
		},
		"logistic": func(c float64) (weightedFit, error) {
			m, err := FitLogistic(x, y, &LogisticOptions{Unpenalized: true, Weights: scale(w, c)})
			if err != nil {
				return weightedFit{}, err
			}
			return weightedFit{append([]float64{m.Intercept}, m.Coef...), m.StdErr, m.LogLik, m.N, nil}, nil
		},
	}
}

// TestWeightScaleInvariance: multiplying every weight by a constant c does not move a
// maximum of the likelihood, so every weighted fit gives the same parameters for
// weights w and c·w, c from 1e-12 to 1e18, with the log-likelihood and the total
// weight multiplied by c and the standard errors divided by √c; weights are numbers
// of customers, so where c·w totals fewer than MinCustomers the fits that need that
// many refuse it (ErrTooFew). The base weights are themselves 1 to 1e13 times small
// counts, so that the whole range of c is compared. Before the fits ran on weights
// scaled to one or two per row, Pareto/NBD and Gamma-Gamma failed to converge with
// every row weighted 1e16, BG/BB with 1e12, BG/NBD and MBG/NBD with 1e30; Pareto/NBD
// on a ridge (s, beta running off together) stopped at s = 2017, 2981 or 1009 by
// scale; and an unpenalised logistic fit weighted 1e-12 per row stopped at its start,
// every slope 0.
func TestWeightScaleInvariance(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		rng := rand.New(rand.NewPCG(rapid.Uint64().Draw(t, "seed"), 7))
		n := rapid.IntRange(20, 80).Draw(t, "rows")
		base := math.Pow(10, rapid.Float64Range(0, 13).Draw(t, "log10 base"))
		c := math.Pow(10, rapid.Float64Range(-12, 18).Draw(t, "log10 c"))
		cs := make([]Customer, n)
		w := make([]float64, n)
		x := make([][]float64, n)
		y := make([]bool, n)
		for i := range cs {
			cs[i] = simBetaGeo(rng, 0.5, 5, 0.8, 2.5, false, float64(1+rng.IntN(40)), 0).Customer
			if cs[i].Frequency > 0 {
				cs[i].Recency = math.Max(cs[i].Recency, 0.5) // no bursts (ErrBurst)
				cs[i].Monetary = simSpend(rng, 6.25, 3.74, 15.45, cs[i].Frequency)
			}
			w[i] = base * float64(rng.IntN(5))
			x[i] = []float64{cs[i].T, float64(cs[i].Frequency)}
			y[i] = rng.Float64() < sigmoid(-1+0.05*cs[i].T)
		}
		y[0], y[1], w[0], w[1] = true, false, base, base // both classes
		var opp []Opportunities
		for i, r := range simulateBGBBRows(rng, 200) {
			r.Weight *= base
			if i%3 != 0 || len(opp) < 3 {
				opp = append(opp, r)
			}
		}
		surv := []float64{base * 1000}
		for range 6 {
			surv = append(surv, math.Floor(surv[len(surv)-1]*(0.6+0.35*rng.Float64())/base)*base)
		}
		positive := 0
		for _, v := range w {
			if v > 0 {
				positive++
			}
		}
		rows := map[string]int{"BG/NBD": positive, "MBG/NBD": positive, "Pareto/NBD": positive, "Gamma-Gamma": positive,
			"logistic": positive, "BG/BB": len(opp), "sBG": len(surv) - 1}
		for name, fit := range scaledFits(cs, w, opp, surv, x, y) {
			want, errW := fit(1)
			got, errG := fit(c)
			if errW != nil {
				// Too few customers, or (logistic) classes the features separate.
				if errors.Is(errW, ErrTooFew) || name == "logistic" && errors.Is(errW, ErrNoConvergence) && errors.Is(errG, ErrNoConvergence) {
					continue
				}
				t.Fatalf("%s: %v", name, errW)
			}
			if errG != nil {
				if errors.Is(errG, ErrTooFew) && want.n*c < MinCustomers {
					continue
				}
				t.Fatalf("%s, weights times %g: %v (times 1: %v)", name, c, errG, want.theta)
			}
			positiveRows := float64(rows[name])
			// On a ridge towards the boundary (a shape and its twin or scale running
			// off together, the likelihood rising by less than rounding along it)
			// one fit may hold the pair at the boundary and the other stop short of
			// it, decided by the last digits of the weights: both are then the same
			// maximum, their log-likelihoods per row (the fits' canonical scale)
			// within the optimality check's flatGain of each other.
			sameHeight := math.Abs(got.ll/c-want.ll)*positiveRows/want.n <= 2*flatGain
			if (got.boundary == nil) != (want.boundary == nil) || got.boundary != nil && got.boundary.Limit != want.boundary.Limit {
				if !sameHeight {
					t.Fatalf("%s, weights times %g: boundary %+v at %v, times 1 %+v at %v; log-likelihoods %v, %v", name, c, got.boundary, got.theta, want.boundary, want.theta, got.ll/c, want.ll)
				}
				continue
			}
			// The same maximum: each parameter within a millionth of itself or, where
			// the likelihood is nearly flat along it (a boundary fit's large shape), as
			// close as the fit's optimality check puts it to the maximum: 0.045 of a
			// standard error of a base of one customer per row (the fits' canonical
			// scale), twice for two fits. The last digits of the weights move where
			// Newton's method stops on such a flat stretch. Without standard errors
			// the likelihood is flat somewhere, and only its height is compared.
			perRow := math.Sqrt(want.n / positiveRows)
			for i := range want.theta {
				tol := math.Max(1e-6*math.Abs(want.theta[i]), 1e-9)
				if want.se == nil {
					tol = math.Inf(1)
				} else if want.se[i] > 0 {
					tol = math.Max(tol, 0.09*want.se[i]*perRow)
				}
				if d := math.Abs(got.theta[i] - want.theta[i]); d > tol {
					t.Fatalf("%s, weights times %g: parameters %v, times 1 %v (standard errors %v)", name, c, got.theta, want.theta, want.se)
				}
			}
			if !sameHeight {
				t.Fatalf("%s, weights times %g: log-likelihood per row %v, times 1 %v", name, c, got.ll/c*positiveRows/want.n, want.ll*positiveRows/want.n)
			}
			if math.Abs(got.n/c-want.n) > 1e-12*want.n {
				t.Fatalf("%s, weights times %g: %v customers, times 1 %v", name, c, got.n, want.n)
			}
			if (got.se == nil) != (want.se == nil) {
				// One fit has standard errors, the other none (its information matrix
				// not positive definite): on a ridge whose parameters are not
				// determined, the side with them gives one a standard error as large as
				// itself, and whether the other's matrix came out positive definite was
				// decided by the last digits of the weights (seed 4233326574496505841:
				// MBG/NBD's r and alpha at 5e8 and 4e9 times 66, none times 1).
				se, theta := got.se, got.theta
				if se == nil {
					se, theta = want.se, want.theta
				}
				flat := false
				for i := range se {
					flat = flat || se[i] >= math.Abs(theta[i])
				}
				if !flat {
					t.Fatalf("%s, weights times %g: standard errors %v, times 1 %v", name, c, got.se, want.se)
				}
				continue
			}
			// The standard errors, where the two fits stopped at the same point (to a
			// millionth): on a flat stretch they change with where the fit stopped.
			same := true
			for i := range want.theta {
				same = same && math.Abs(got.theta[i]-want.theta[i]) <= 1e-6*math.Abs(want.theta[i])
			}
			for i := range want.se {
				if same && math.Abs(got.se[i]*math.Sqrt(c)-want.se[i]) > 1e-2*want.se[i] {
					t.Fatalf("%s, weights times %g: standard errors %v, times 1 %v", name, c, got.se, want.se)
				}
			}
		}
	})
}

// TestWeightsRefused: a negative, NaN or infinite weight, or weights totalling more
// than a fit can sum, are refused by every weighted fit with ErrInvalid naming the
// fit; the last says that dividing them by a constant changes nothing.
func TestWeightsRefused(t *testing.T) {
	cs := []Customer{{Frequency: 2, Recency: 5, T: 10, Monetary: 12}, {Frequency: 1, Recency: 1, T: 3, Monetary: 5}, {T: 4}}
	x, y := [][]float64{{1}, {2}, {3}}, []bool{true, false, true}
	fits := map[string]func(w []float64) error{
		"BG/NBD":      func(w []float64) error { return second(FitBGNBD(cs, &FitOptions{Weights: w})) },
		"MBG/NBD":     func(w []float64) error { return second(FitMBGNBD(cs, &FitOptions{Weights: w})) },
		"Pareto/NBD":  func(w []float64) error { return second(FitParetoNBD(cs, &FitOptions{Weights: w})) },
		"Gamma-Gamma": func(w []float64) error { return second(FitGammaGamma(cs, &FitOptions{Weights: w})) },
		"BG/BB": func(w []float64) error {
			return second(FitBGBB([]Opportunities{{Frequency: 2, Recency: 3, N: 5, Weight: w[0]}, {Frequency: 1, Recency: 1, N: 5, Weight: w[1]}, {N: 5, Weight: w[2]}}, nil))
		},
		"sBG":      func(w []float64) error { return second(FitSBG([]float64{w[0] + w[1] + w[2], w[1] + w[2], w[2]}, nil)) },
		"logistic": func(w []float64) error { return second(FitLogistic(x, y, &LogisticOptions{Weights: w})) },
	}
	for _, bad := range [][]float64{{20, -1, 5}, {20, math.NaN(), 5}, {20, math.Inf(1), 5}, {1e300, 1e300, 1e300}, {math.MaxFloat64, math.MaxFloat64, 1}} {
		for name, fit := range fits {
			err := fit(bad)
			if !errors.Is(err, ErrInvalid) || strings.Count(err.Error(), "scoring:") != 1 {
				t.Errorf("%s weighted %v: %v, want ErrInvalid", name, bad, err)
				continue
			}
			if bad[0] >= 1e300 && !(name == "sBG" && math.IsInf(bad[0]+bad[1], 1)) && (!strings.Contains(err.Error(), "divide them by a constant") || !strings.Contains(err.Error(), name)) {
				t.Errorf("%s weighted %v: %v", name, bad, err)
			}
		}
	}
}
