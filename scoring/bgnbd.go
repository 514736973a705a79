package scoring

import (
	"fmt"
	"math"
	"time"
)

// BGNBD is a fitted BG/NBD model (Fader, Hardie & Lee 2005, "Counting your customers
// the easy way"): while active a customer buys at rate λ ~ Gamma(R, Alpha), and after
// each repeat purchase drops out for good with probability p ~ Beta(A, B). Alpha is in
// the time unit of the data (Unit, when recorded). A BGNBD is safe for concurrent use
// once fitted.
type BGNBD struct {
	R, Alpha, A, B float64
	LogLik         float64       // log-likelihood at the estimates
	Unit           time.Duration // time unit of Alpha, Recency and T; 0 if unrecorded
	Fit            Diagnostics   // standard errors in the order R, Alpha, A, B
}

var bgnbdNames = []string{"r", "alpha", "a", "b"}

// betaGeoLimits are the limiting models of BG/NBD and MBG/NBD at the boundary of the
// parameter space (Diagnostics.Boundary). A Gamma or Beta mixing distribution whose
// shapes grow without bound at a fixed mean degenerates to a point mass at the mean;
// Beta(a, b) with a, b → 0 at a fixed a/(a+b) degenerates to mass at 0 and 1.
// Repeat purchases at recency 0 are not among them: towards those the likelihood
// grows without bound (a singularity, see ErrBurst).
var betaGeoLimits = map[string]string{
	"r+":   "r, alpha → ∞: every customer buys at the same rate r/alpha (Poisson purchasing)",
	"r-":   "r → 0: purchase rates dispersed without bound",
	"a+":   "a → ∞: dropout probability → 1 (every customer drops out at the first chance)",
	"a,b+": "a, b → ∞: every customer has the same dropout probability a/(a+b)",
	"a,b-": "a, b → 0: dropout probability 0 or 1 (a customer drops out at the first chance or never)",
	"b+":   "b → ∞: dropout probability → 0 (no dropout: the NBD model)",
	"a-":   "a → 0: dropout probability → 0 for nearly every customer (no dropout: the NBD model)",
	"b-":   "b → 0: dropout probability → 1 for nearly every customer",
	// alpha held below the data's time scale: repeat purchases moments after the
	// first (Recency near 0) pull the purchase rates up without bound.
	"alpha-": "alpha → 0: purchase rates without bound, as repeat purchases moments after the first (Recency near 0) pull them",
	// a and b running off in opposite directions: the mean a/(a+b) goes to 0 or 1.
	"a-,b+": "a → 0, b → ∞: dropout probability → 0 (no dropout: the NBD model)",
	"a+,b-": "a → ∞, b → 0: dropout probability → 1 (every customer drops out at the first chance)",
}

// FitBGNBD fits BG/NBD by maximum likelihood (Fader, Hardie & Lee 2005, eq. 6).
// Customers with identical (x, t_x, T) are grouped and the likelihood is evaluated in
// parallel over the groups. On more than 2,000 distinct histories the fit
// starts from the maximum of a pilot fit on the histories with recency and age
// rounded to a coarse grid (Diagnostics.PilotRows), which is within a few per cent of
// the full maximum and halves the full fit's iterations. It needs at least
// MinCustomers customers, one of them with a repeat purchase; customers whose repeat
// purchases are all at recency 0 may make it fail with ErrBurst. With
// FitOptions.Weights row i stands for Weights[i] customers.
func FitBGNBD(cs []Customer, opt *FitOptions) (*BGNBD, error) {
	o := opt.withDefaults()
	unit, err := unitOf(cs, customerUnit)
	if err != nil {
		return nil, err
	}
	g, err := groupForFit("BG/NBD", cs, o.Weights)
	if err != nil {
		return nil, err
	}
	b := findBursts("BG/NBD", cs, o.Weights)
	if err := b.before(); err != nil {
		return nil, err
	}
	theta, ll, d, err := fitGrouped(g, betaGeoBuild("BG/NBD", 0, o.Workers), o)
	if err := b.after(err, []string{"alpha"}, scalesOf(theta, 1)...); err != nil {
		return nil, err
	}
	return &BGNBD{R: theta[0], Alpha: theta[1], A: theta[2], B: theta[3], LogLik: ll, Unit: unit, Fit: d}, nil
}

// betaGeoProblem validates and groups the customers and returns the BG/NBD (shift 0)
// or MBG/NBD (shift 1) likelihood with its starting points.
func betaGeoProblem(model string, cs []Customer, shift, workers int) (likelihood, [][]float64, error) {
	g, err := groupForFit(model, cs, nil)
	if err != nil {
		return likelihood{}, nil, err
	}
	lk, starts := betaGeoGrouped(model, g, shift, workers)
	return lk, starts, nil
}

// betaGeoGrouped is betaGeoProblem on customers already grouped.
func betaGeoGrouped(model string, g *grouped, shift, workers int) (likelihood, [][]float64) {
	l := newBetaGeoLikelihood(g, shift, workers)
	lk := likelihood{model: model, names: bgnbdNames, n: g.total, rows: g.rows(), eval: l.eval, analytic: true, hess: l.evalHess,
		scale: []bool{false, true, false, false}, shapeOf: []int{-1, 0, -1, -1}, twin: []int{-1, -1, 3, 2}, limits: betaGeoLimits}
	return lk, betaGeoStarts(g)
}

// betaGeoBuild is betaGeoGrouped as fitGrouped takes it.
func betaGeoBuild(model string, shift, workers int) func(*grouped) (likelihood, [][]float64) {
	return func(g *grouped) (likelihood, [][]float64) { return betaGeoGrouped(model, g, shift, workers) }
}

// groupForFit validates customers (and their weights, nil meaning one each) and
// groups them, checking that there is enough data. Customers of weight 0 are left
// out.
func groupForFit(model string, cs []Customer, weights []float64) (*grouped, error) {
	if err := validateAll(cs); err != nil {
		return nil, err
	}
	if err := checkTimeScale(model, cs); err != nil {
		return nil, err
	}
	if weights != nil {
		return groupWeighted(model, cs, weights)
	}
	if len(cs) < MinCustomers {
		return nil, fmt.Errorf("%w: %s needs at least %d customers, got %d", ErrTooFew, model, MinCustomers, len(cs))
	}
	g := groupCustomers(cs, nil)
	if g.repeat == 0 {
		return nil, fmt.Errorf("%w: %s: none of %d customers made a repeat purchase", ErrTooFew, model, len(cs))
	}
	return g, nil
}

// maxTimeScale bounds the customers' oldest age T a fit takes, in their unit: the
// likelihoods' derivatives square (alpha+T), which overflows past about 1e154 (and
// underflows below 1e-154), and a fit of ages of 1e155 units failed with
// "likelihood not finite at the starting point". The fits are the same in any unit
// (alpha scales with it), so the caller can choose one in range.
const maxTimeScale = 1e150

// checkTimeScale refuses customers whose oldest age is beyond maxTimeScale or, if
// positive, below 1/maxTimeScale, with ErrInvalid naming the unit to choose.
func checkTimeScale(model string, cs []Customer) error {
	var oldest float64
	for _, c := range cs {
		oldest = math.Max(oldest, c.T)
	}
	switch {
	case oldest > maxTimeScale:
		return fmt.Errorf("%w: %s: the oldest customer is %g units old, beyond the %g the fit can take; measure time in a larger unit (the fit is the same in any)", ErrInvalid, model, oldest, maxTimeScale)
	case oldest > 0 && oldest < 1/maxTimeScale:
		return fmt.Errorf("%w: %s: the oldest customer is %g units old, below the %g the fit can take; measure time in a smaller unit (the fit is the same in any)", ErrInvalid, model, oldest, 1/maxTimeScale)
	}
	return nil
}

// posterior is the process of c from its age T on, given that c is alive then.
func (m *BGNBD) posterior(c Customer) betaGeo {
	x := float64(c.Frequency)
	return betaGeo{m.R + x, m.Alpha + c.T, m.A, m.B + x}
}

// PAlive returns P(alive | x, t_x, T) (Fader, Hardie & Lee 2005, eq. 11 as corrected
// in their note on the BG/NBD): 1 for x = 0, since BG/NBD only lets a customer drop out
// after a repeat purchase.
func (m *BGNBD) PAlive(c Customer) float64 {
	if !m.usable() {
		return 0
	}
	if !usable(0, c) {
		return 0
	}
	if c.Frequency == 0 {
		return 1
	}
	x := float64(c.Frequency)
	d := math.Log(m.A) - math.Log(m.B+x-1) + (m.R+x)*(math.Log(m.Alpha+c.T)-math.Log(m.Alpha+c.Recency))
	return sigmoid(-d)
}

// ExpectedPurchases returns E[X(T, T+t) | x, t_x, T] (Fader, Hardie & Lee 2005,
// eq. 10): P(alive) times the mean of the posterior process.
func (m *BGNBD) ExpectedPurchases(t float64, c Customer) float64 {
	if !m.usable() {
		return 0
	}
	return expectedGiven[betaGeo](m, t, c)
}

// PurchaseProb returns P(X(T, T+t) = n | x, t_x, T): a customer who has dropped out
// buys nothing; one who is alive continues as a new BG/NBD customer with the posterior
// parameters (r+x, alpha+T, a, b+x).
func (m *BGNBD) PurchaseProb(t float64, n int, c Customer) float64 {
	if !m.usable() {
		return 0
	}
	return probGiven[betaGeo](m, t, n, c)
}

// ExpectedPurchasesNew returns E[X(t)] for a new customer (eq. 9).
func (m *BGNBD) ExpectedPurchasesNew(t float64) float64 {
	if !m.usable() {
		return 0
	}
	return expectedNew[betaGeo](m, t)
}

// PurchaseProbNew returns P(X(t) = n) for a new customer (eq. 8).
func (m *BGNBD) PurchaseProbNew(t float64, n int) float64 {
	if !m.usable() {
		return 0
	}
	return probNew[betaGeo](m, t, n)
}

func (m *BGNBD) newCustomer() process { return betaGeo{m.R, m.Alpha, m.A, m.B} }
