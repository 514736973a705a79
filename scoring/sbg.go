package scoring

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/integrate/quad"
	"gonum.org/v1/gonum/mathext"
	"gonum.org/v1/gonum/stat/distuv"
)

// SBG is a fitted shifted-beta-geometric model of a contractual business
// (subscriptions, memberships) with discrete renewal periods (Fader & Hardie 2007,
// "How to project customer retention"): at the end of each period a customer cancels
// with probability θ, constant for the customer, and θ ~ Beta(Gamma, Delta) across
// customers. Heterogeneity makes the retention rate of a cohort rise with its age
// even though no individual's does. An SBG is safe for concurrent use once fitted.
// The methods of a nil *SBG, or of one whose parameters are not positive numbers,
// return NaN (no model, no figure); its Intervals are ErrInvalid.
type SBG struct {
	Gamma, Delta float64
	LogLik       float64
	Fit          Diagnostics // standard errors in the order Gamma, Delta
}

var sbgNames = []string{"gamma", "delta"}

// sbgLimits names the limits of θ ~ Beta(γ, δ), as BG/BB's dropout does.
var sbgLimits = map[string]string{
	"gamma,delta+": "gamma, delta → ∞: every customer has the same churn probability (a geometric lifetime)",
	"gamma,delta-": "gamma, delta → 0: churn probability 0 or 1",
	"delta+":       "delta → ∞: churn probability → 0 (no churn)",
	"gamma-":       "gamma → 0: churn probability → 0 for nearly every customer",
}

// FitSBG fits the model to one cohort's survivor counts by maximum likelihood (Fader
// & Hardie 2007, eq. 5): survivors[0] customers acquired at time 0, survivors[t] of
// them still active after t renewal opportunities. Counts may be fractional (shares
// of a cohort) but must be finite, non-negative and non-increasing, with
// survivors[0] > 0, and there must be at least two periods (three counts): one
// period's churn cannot tell the mean of θ from its spread. FitOptions.Weights is
// ErrInvalid here: survivor counts are counts already.
func FitSBG(survivors []float64, opt *FitOptions) (*SBG, error) {
	if err := opt.refuseWeights("FitSBG", "survivor counts are counts already"); err != nil {
		return nil, err
	}
	o := opt.withDefaults()
	if err := checkSurvivors(survivors); err != nil {
		return nil, err
	}
	lk := sbgProblem(survivors)
	starts := [][]float64{{1, 1}, {0.5, 2}, {2, 5}, {0.2, 0.5}, {5, 20}}
	theta, ll, d, err := maximise(lk, starts, o)
	if err != nil {
		return nil, err
	}
	return &SBG{Gamma: theta[0], Delta: theta[1], LogLik: ll, Fit: d}, nil
}

// FitSBGCohorts fits one model per cohort (each a survivor series as for FitSBG),
// for instance one per acquisition month, so that cohorts can be compared. The error
// names the first cohort that cannot be fitted.
func FitSBGCohorts(cohorts [][]float64, opt *FitOptions) ([]*SBG, error) {
	if err := opt.refuseWeights("FitSBGCohorts", "survivor counts are counts already"); err != nil {
		return nil, err
	}
	out := make([]*SBG, len(cohorts))
	for i, s := range cohorts {
		m, err := FitSBG(s, opt)
		if err != nil {
			return nil, errorf("cohort %d: %w", i, err)
		}
		out[i] = m
	}
	return out, nil
}

func checkSurvivors(s []float64) error {
	if len(s) < 3 {
		return fmt.Errorf("%w: sBG needs survivor counts for at least 2 periods (3 counts), got %d", ErrInvalid, len(s))
	}
	if !finite(s[0]) || !(s[0] > 0) {
		return fmt.Errorf("%w: sBG survivors[0] = %v, want a finite count > 0", ErrInvalid, s[0])
	}
	if err := checkTotalWeight("sBG", "counts", s[0]); err != nil {
		return err
	}
	for t := 1; t < len(s); t++ {
		if !finite(s[t]) || s[t] < 0 || s[t] > s[t-1] {
			return fmt.Errorf("%w: sBG survivors[%d] = %v after %v, want finite, >= 0 and non-increasing", ErrInvalid, t, s[t], s[t-1])
		}
	}
	if s[len(s)-1] == s[0] {
		return fmt.Errorf("%w: sBG: no customer of %v churned in %d periods", ErrTooFew, s[0], len(s)-1)
	}
	return nil
}

// sbgProblem is the log-likelihood of one cohort (Fader & Hardie 2007, eq. 5): the
// n_{t-1} - n_t customers lost in period t contribute log P(T = t), the n_k still
// active at the end log S(k), with
//
//	P(T = t) = B(γ+1, δ+t-1) / B(γ, δ),   S(t) = B(γ, δ+t) / B(γ, δ)
//
// (eqs. 1 and 2 in beta-function form). The gradient in the log-parameters is
// analytic, from ∂ log B(x, y)/∂x = ψ(x) - ψ(x+y).
func sbgProblem(s []float64) likelihood {
	k := len(s) - 1
	eval := func(theta, grad []float64) float64 {
		g, d := theta[0], theta[1]
		lb := mathext.Lbeta(g, d)
		psiGD := mathext.Digamma(g + d)
		var ll, dg, dd float64
		for t := 1; t <= k; t++ {
			lost := s[t-1] - s[t]
			if lost == 0 {
				continue
			}
			tf := float64(t)
			ll += lost * (mathext.Lbeta(g+1, d+tf-1) - lb)
			if grad != nil {
				psiS := mathext.Digamma(g + d + tf)
				dg += lost * (mathext.Digamma(g+1) - psiS - mathext.Digamma(g) + psiGD)
				dd += lost * (mathext.Digamma(d+tf-1) - psiS - mathext.Digamma(d) + psiGD)
			}
		}
		if nk := s[k]; nk > 0 {
			kf := float64(k)
			ll += nk * (mathext.Lbeta(g, d+kf) - lb)
			if grad != nil {
				psiS := mathext.Digamma(g + d + kf)
				dg += nk * (mathext.Digamma(g) - psiS - mathext.Digamma(g) + psiGD)
				dd += nk * (mathext.Digamma(d+kf) - psiS - mathext.Digamma(d) + psiGD)
			}
		}
		if grad != nil {
			grad[0], grad[1] = g*dg, d*dd
		}
		return ll
	}
	return likelihood{model: "sBG", names: sbgNames, n: s[0], rows: k, eval: eval, analytic: true, twin: []int{1, 0}, limits: sbgLimits}
}

// Survival returns S(t), the probability that a customer acquired at time 0 is still
// active after t renewal opportunities (Fader & Hardie 2007, eq. 2); S(0) = 1. The
// expected survivors of a cohort of n are n·S(t). Negative t gives 1.
func (m *SBG) Survival(t int) float64 {
	if !m.usable() {
		return math.NaN()
	}
	if t <= 0 {
		return 1
	}
	return math.Exp(mathext.Lbeta(m.Gamma, m.Delta+float64(t)) - mathext.Lbeta(m.Gamma, m.Delta))
}

// Retention returns the retention rate in period t >= 1, S(t)/S(t-1) = (δ+t-1)/(γ+δ+t-1)
// (Fader & Hardie 2007, eq. 4): the share of the customers active after t-1 periods
// who renew once more. It rises with t. For t < 1 it returns 0.
func (m *SBG) Retention(t int) float64 {
	if !m.usable() {
		return math.NaN()
	}
	if t < 1 {
		return 0
	}
	tf := float64(t)
	return (m.Delta + tf - 1) / (m.Gamma + m.Delta + tf - 1)
}

// DERL returns the discounted expected residual lifetime of a customer who has
// renewed renewals times, evaluated just before the next renewal decision (Fader &
// Hardie 2010, "Customer-base valuation in a contractual setting: the perils of
// ignoring heterogeneity"): the expected number of further payments, each
// discounted by (1+d) per period, the first (if the customer renews) undiscounted,
//
//	DERL = (δ+n)/(γ+δ+n) · 2F1(1, δ+n+1; γ+δ+n+1; 1/(1+d)),  n = renewals.
//
// Multiplied by the margin per period it is the customer's residual value. A new
// customer's discounted expected lifetime at acquisition, its first payment included,
// is 1 + DERL(d, 0)/(1+d).
// It needs d > 0 (at d = 0 the sum diverges when γ <= 1) and renewals >= 0; otherwise
// it returns NaN.
func (m *SBG) DERL(d float64, renewals int) float64 {
	if !m.usable() {
		return math.NaN()
	}
	if !(d > 0) || math.IsInf(d, 1) || renewals < 0 {
		return math.NaN()
	}
	n := float64(renewals)
	v := (m.Delta + n) / (m.Gamma + m.Delta + n) * hypergeo(1, m.Delta+n+1, m.Gamma+m.Delta+n+1, 1/(1+d))
	if math.IsNaN(v) {
		// gonum's 2F1 fails where γ-1 is an integer and the renewals many (see
		// hypergeo): DERL at γ = 2 was NaN after 1,000 renewals.
		return m.derlOverChurn(d, n)
	}
	return v
}

// derlOverChurn returns DERL from its definition as an expectation over the churn
// probability θ ~ Beta(γ, δ+n) of a customer who has renewed n times, the sum Fader &
// Hardie (2010) put in closed form: given θ the payments Σ_t (1-θ)^(t+1)/(1+d)^t, the
// first on renewal, sum to (1-θ)(1+d)/(d+θ). The integrand is positive and bounded by
// (1+d)/d, so Gauss-Legendre over the quantiles of θ cannot cancel or overflow; it
// costs a Beta quantile per node, so DERL uses it only where the 2F1 fails.
func (m *SBG) derlOverChurn(d, n float64) float64 {
	const nodes = 256
	x, w := make([]float64, nodes), make([]float64, nodes)
	quad.Legendre{}.FixedLocations(x, w, 0, 1)
	beta := distuv.Beta{Alpha: m.Gamma, Beta: m.Delta + n}
	var v float64
	for i, q := range x {
		theta := beta.Quantile(q)
		v += w[i] * (1 - theta) * (1 + d) / (d + theta)
	}
	return v
}
