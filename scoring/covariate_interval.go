package scoring

import (
	"fmt"
	"math"
	"time"

	"gonum.org/v1/gonum/mat"
)

// CovariateIntervals gives the predictions of a model with covariates
// (BGNBDCovariates, ParetoNBDCovariates) confidence intervals that reflect the
// uncertainty of all its parameters, the effects included, by the delta method: the
// covariance of (log r, log α, log a or s, log b or β, γ_p..., γ_d...) is the inverse
// of the observed information of the covariate likelihood at the estimates, and a
// customer's log-parameters are a linear function of those,
//
//	BG/NBD:     log α_i = log α - γ_p·z_p,  log a_i = log a + γ_d·z_d,  log b_i = log b + γ_d·z_d
//	Pareto/NBD: log α_i = log α - γ_p·z_p,  log β_i = log β - γ_d·z_d
//
// (the forms of covariates.go), so their covariance is A Σ Aᵀ exactly, and For hands
// back the customer's model with it as an ordinary Intervals.
//
// Why the delta method and no bootstrap (IntervalOptions.Method Bootstrap is
// ErrInvalid here): a bootstrap replicate would refit the covariate model (the
// Pareto/NBD one by finite differences over every customer), two hundred times; the
// delta method needs one information matrix, and the coverage of its intervals is
// checked by simulation (TestCovariateIntervalsCoverage). It is safe for concurrent
// use.
type CovariateIntervals struct {
	Level float64 // confidence level

	pareto bool
	gp, gd []float64     // the effects
	v      []float64     // the fitted parameters as the engine carries them
	cov    *mat.SymDense // their covariance
	forZ   func(zp, zd []float64) (Model, error)
}

// Intervals returns the delta-method intervals of m, fitted on cs with the
// covariates purchase and dropout (the same as the fit's). opt.Method Bootstrap is
// ErrInvalid: see CovariateIntervals for why only the delta method is offered.
func (m *BGNBDCovariates) Intervals(cs []Customer, purchase, dropout [][]float64, opt *IntervalOptions) (*CovariateIntervals, error) {
	if m == nil {
		return nil, fmt.Errorf("%w: nil model", ErrInvalid)
	}
	if err := covariateUnit(m.Unit, cs); err != nil {
		return nil, err
	}
	d, err := newCovariateData("BG/NBD", cs, purchase, dropout)
	if err != nil {
		return nil, err
	}
	// The limits of the base parameters are BG/NBD's, checked as for the plain
	// model (logParamCovariance); shapeOf pairs alpha with r for "r, alpha → ∞".
	lk := likelihood{model: "BG/NBD with covariates", names: d.names(bgnbdNames), n: float64(len(cs)), rows: len(cs), eval: d.betaGeoEval(1), analytic: true,
		shapeOf: []int{-1, 0, -1, -1}, limits: betaGeoLimits}
	return newCovariateIntervals(lk, d, []float64{m.R, m.Alpha, m.A, m.B}, m.Purchase, m.Dropout, m.Fit, false,
		func(zp, zd []float64) (Model, error) { return m.For(zp, zd) }, opt)
}

// Intervals returns the delta-method intervals of m, fitted on cs with the
// covariates purchase and dropout (the same as the fit's). The information matrix is
// by second differences of the likelihood, one pass over the customers per entry.
// opt.Method Bootstrap is ErrInvalid: see CovariateIntervals for why only the delta
// method is offered.
func (m *ParetoNBDCovariates) Intervals(cs []Customer, purchase, dropout [][]float64, opt *IntervalOptions) (*CovariateIntervals, error) {
	if m == nil {
		return nil, fmt.Errorf("%w: nil model", ErrInvalid)
	}
	if err := covariateUnit(m.Unit, cs); err != nil {
		return nil, err
	}
	d, err := newCovariateData("Pareto/NBD", cs, purchase, dropout)
	if err != nil {
		return nil, err
	}
	lk := likelihood{model: "Pareto/NBD with covariates", names: d.names(paretoNames), n: float64(len(cs)), rows: len(cs), eval: d.paretoEval(1),
		shapeOf: []int{-1, 0, -1, 2}, limits: paretoLimits}
	return newCovariateIntervals(lk, d, []float64{m.R, m.Alpha, m.S, m.Beta}, m.Purchase, m.Dropout, m.Fit, true,
		func(zp, zd []float64) (Model, error) { return m.For(zp, zd) }, opt)
}

// covariateUnit refuses customers of two units, or of another unit than the
// model's: the information would be of their likelihood read in the model's unit.
func covariateUnit(mu time.Duration, cs []Customer) error {
	unit, err := unitOf(cs, customerUnit)
	if err == nil {
		err = sameUnit(mu, unit, "summarise in the model's unit (SummaryOptions.Unit)")
	}
	if err != nil {
		return errorf("customers: %w", err)
	}
	return nil
}

func newCovariateIntervals(lk likelihood, d *covariateData, base, gp, gd []float64, diag Diagnostics, pareto bool,
	forZ func(zp, zd []float64) (Model, error), opt *IntervalOptions) (*CovariateIntervals, error) {
	o, err := opt.withDefaults()
	if err != nil {
		return nil, err
	}
	if o.Method == Bootstrap {
		return nil, fmt.Errorf("%w: %s: bootstrap intervals are not offered for covariate models (each replicate would refit every effect); use Delta", ErrInvalid, lk.model)
	}
	if len(gp) != d.np || len(gd) != d.nd {
		return nil, fmt.Errorf("%w: a model of %d purchase and %d dropout effects, covariates of %d and %d", ErrInvalid, len(gp), len(gd), d.np, d.nd)
	}
	v := make([]float64, 0, len(base)+len(gp)+len(gd))
	for i, p := range base {
		if !(p > 0) || math.IsInf(p, 1) {
			return nil, fmt.Errorf("%w: parameter %s = %v", ErrInvalid, lk.names[i], p)
		}
		v = append(v, math.Log(p))
	}
	for _, g := range append(append([]float64(nil), gp...), gd...) {
		if !finite(g) {
			return nil, fmt.Errorf("%w: effect %v", ErrInvalid, g)
		}
		v = append(v, g)
	}
	cov := mat.NewSymDense(len(v), nil)
	if err := logParamCovariance(cov, 0, lk, v, diag, o.Level); err != nil {
		return nil, err
	}
	return &CovariateIntervals{Level: o.Level, pareto: pareto, gp: gp, gd: gd, v: v, cov: cov, forZ: forZ}, nil
}

// For returns the intervals of the predictions of a customer with the given
// covariates (nil for a process without covariates): an Intervals whose purchase
// model is the customer's (what the model's For returns), so that its
// ExpectedPurchases, PAlive, PurchaseProb, their New forms, and Forecast and the base
// sums over customers who share these covariates, all have intervals. It carries no
// spend model.
func (iv *CovariateIntervals) For(purchase, dropout []float64) (*Intervals, error) {
	if iv == nil || iv.forZ == nil {
		return nil, fmt.Errorf("%w: nil or zero CovariateIntervals; make them with the model's Intervals", ErrInvalid)
	}
	m, err := iv.forZ(purchase, dropout)
	if err != nil {
		return nil, err
	}
	k := len(iv.v)
	a := mat.NewDense(4, k, nil)
	for i := range 4 {
		a.Set(i, i, 1)
	}
	np := len(iv.gp)
	for j, z := range purchase {
		a.Set(1, 4+j, -z)
	}
	for j, z := range dropout {
		if iv.pareto {
			a.Set(3, 4+np+j, -z)
		} else {
			a.Set(2, 4+np+j, z)
			a.Set(3, 4+np+j, z)
		}
	}
	var ui mat.VecDense
	ui.MulVec(a, mat.NewVecDense(k, append([]float64(nil), iv.v...)))
	var tmp mat.Dense
	tmp.Mul(a, iv.cov)
	var ci mat.Dense
	ci.Mul(&tmp, a.T())
	cov := mat.NewSymDense(4, nil)
	for i := range 4 {
		for j := i; j < 4; j++ {
			cov.SetSym(i, j, (ci.At(i, j)+ci.At(j, i))/2)
		}
	}
	fam := betaGeoFamily(0)
	if iv.pareto {
		fam = paretoFamily()
	}
	return &Intervals{Level: iv.Level, model: m, fam: fam, u: ui.RawVector().Data, cov: cov}, nil
}
