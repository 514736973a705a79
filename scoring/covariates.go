package scoring

import (
	"fmt"
	"math"
	"slices"
	"time"

	"gonum.org/v1/gonum/mathext"

	"github.com/clientele-go/clientele/internal/english"
)

// Time-invariant covariates on BG/NBD and Pareto/NBD, in the form of CLVTools
// (Bachmann, Meierer & Näf 2021, "The role of time-varying contextual factors in
// latent attrition models for customer base analysis", Marketing Science 40(4), with
// the static case of Fader & Hardie 2007, "Incorporating time-invariant covariates
// into the Pareto/NBD and BG/NBD models"): a customer with purchase covariates z_p and
// dropout covariates z_d has
//
//	BG/NBD:     α_i = α·exp(-γ_p·z_p),  a_i = a·exp(γ_d·z_d),  b_i = b·exp(γ_d·z_d)
//	Pareto/NBD: α_i = α·exp(-γ_p·z_p),  β_i = β·exp(-γ_d·z_d)
//
// and is otherwise an ordinary customer of the model with those parameters. A
// positive purchase effect raises the purchase rate (its mean r/α_i). For Pareto/NBD a
// positive dropout effect raises the dropout rate (s/β_i); for BG/NBD, as in CLVTools,
// the dropout effect scales a and b together, which keeps the mean dropout
// probability a/(a+b) and changes its spread across customers.
//
// Covariates should be centred and scaled (a covariate in the thousands needs an
// effect in the thousandths); the effects' standard errors come from the same
// information matrix as the other parameters'.

// BGNBDCovariates is a fitted BG/NBD model with time-invariant covariates. R, Alpha,
// A and B are the parameters of a customer whose covariates are all 0. It is safe for
// concurrent use once fitted.
type BGNBDCovariates struct {
	R, Alpha, A, B float64
	Purchase       []float64 // γ_p, one effect per purchase covariate
	Dropout        []float64 // γ_d, one effect per dropout covariate
	LogLik         float64
	Unit           time.Duration
	// Fit's standard errors are in the order R, Alpha, A, B, Purchase..., Dropout...
	Fit Diagnostics
}

// ParetoNBDCovariates is a fitted Pareto/NBD model with time-invariant covariates. R,
// Alpha, S and Beta are the parameters of a customer whose covariates are all 0. It is
// safe for concurrent use once fitted.
type ParetoNBDCovariates struct {
	R, Alpha, S, Beta float64
	Purchase          []float64 // γ_p, one effect per purchase covariate
	Dropout           []float64 // γ_d, one effect per dropout covariate
	LogLik            float64
	Unit              time.Duration
	// Fit's standard errors are in the order R, Alpha, S, Beta, Purchase...,
	// Dropout...
	Fit Diagnostics
}

// For returns the BG/NBD model of a customer with the given covariates (nil for a
// process without covariates), whose methods give that customer's predictions.
func (m *BGNBDCovariates) For(purchase, dropout []float64) (*BGNBD, error) {
	if m == nil {
		return nil, fmt.Errorf("%w: nil BG/NBD model", ErrInvalid)
	}
	ep, ed, err := effects(m.Purchase, m.Dropout, purchase, dropout)
	if err != nil {
		return nil, err
	}
	return &BGNBD{R: m.R, Alpha: m.Alpha * math.Exp(-ep), A: m.A * math.Exp(ed), B: m.B * math.Exp(ed), Unit: m.Unit}, nil
}

// For returns the Pareto/NBD model of a customer with the given covariates (nil for a
// process without covariates), whose methods give that customer's predictions.
func (m *ParetoNBDCovariates) For(purchase, dropout []float64) (*ParetoNBD, error) {
	if m == nil {
		return nil, fmt.Errorf("%w: nil Pareto/NBD model", ErrInvalid)
	}
	ep, ed, err := effects(m.Purchase, m.Dropout, purchase, dropout)
	if err != nil {
		return nil, err
	}
	return &ParetoNBD{R: m.R, Alpha: m.Alpha * math.Exp(-ep), S: m.S, Beta: m.Beta * math.Exp(-ed), Unit: m.Unit}, nil
}

// effects returns γ_p·z_p and γ_d·z_d, checking the covariates.
func effects(gp, gd, zp, zd []float64) (float64, float64, error) {
	if len(zp) != len(gp) || len(zd) != len(gd) {
		return 0, 0, fmt.Errorf("%w: %d purchase and %d dropout covariates for a model of %d and %d", ErrInvalid, len(zp), len(zd), len(gp), len(gd))
	}
	var ep, ed float64
	for i, z := range zp {
		ep += gp[i] * z
	}
	for i, z := range zd {
		ed += gd[i] * z
	}
	if !finite(ep) || !finite(ed) || math.Abs(ep) > 700 || math.Abs(ed) > 700 {
		return 0, 0, fmt.Errorf("%w: covariates %v, %v: not finite or out of range", ErrInvalid, zp, zd)
	}
	return ep, ed, nil
}

// covariateData is the customers with their covariates flattened: row i's purchase
// covariates are zp[i*np : (i+1)*np].
type covariateData struct {
	cs     []Customer
	zp, zd []float64
	np, nd int
}

// newCovariateData validates customers and covariates: one row per customer (or nil
// for none), every row of a process the same length, every value finite.
func newCovariateData(model string, cs []Customer, purchase, dropout [][]float64) (*covariateData, error) {
	if _, err := groupForFit(model, cs, nil); err != nil {
		return nil, err
	}
	d := &covariateData{cs: cs}
	var err error
	if d.zp, d.np, err = flatten("purchase", purchase, len(cs)); err != nil {
		return nil, err
	}
	if d.zd, d.nd, err = flatten("dropout", dropout, len(cs)); err != nil {
		return nil, err
	}
	if d.np+d.nd > 50 {
		return nil, fmt.Errorf("%w: %d covariates, at most 50", ErrInvalid, d.np+d.nd)
	}
	return d, nil
}

func flatten(name string, z [][]float64, n int) ([]float64, int, error) {
	if z == nil {
		return nil, 0, nil
	}
	if len(z) != n {
		return nil, 0, fmt.Errorf("%w: %s of %s covariates for %s", ErrInvalid, english.Count(len(z), "row"), name, english.Count(n, "customer"))
	}
	k := len(z[0])
	out := make([]float64, 0, n*k)
	for i, row := range z {
		if len(row) != k {
			return nil, 0, fmt.Errorf("%w: customer %d has %d %s covariates, customer 0 has %d", ErrInvalid, i, len(row), name, k)
		}
		for j, v := range row {
			if !finite(v) {
				return nil, 0, fmt.Errorf("%w: customer %d: %s covariate %d is %v", ErrInvalid, i, name, j, v)
			}
		}
		out = append(out, row...)
	}
	return out, k, nil
}

// names returns the parameter names: the model's, then one per effect.
func (d *covariateData) names(base []string) []string {
	out := slices.Clone(base)
	for j := range d.np {
		out = append(out, fmt.Sprintf("purchase[%d]", j))
	}
	for j := range d.nd {
		out = append(out, fmt.Sprintf("dropout[%d]", j))
	}
	return out
}

// linear returns γ_p·z_p and γ_d·z_d of customer i, with the effects read from
// theta[4:] as logarithms: the fitting engine works in log-parameters and hands the
// likelihood exp(u), so an effect γ (of any sign) is carried as θ = e^γ, and
// ∂LL/∂u = ∂LL/∂γ.
func (d *covariateData) linear(theta []float64, i int) (float64, float64) {
	var ep, ed float64
	for j := range d.np {
		ep += math.Log(theta[4+j]) * d.zp[i*d.np+j]
	}
	for j := range d.nd {
		ed += math.Log(theta[4+d.np+j]) * d.zd[i*d.nd+j]
	}
	return ep, ed
}

// FitBGNBDCovariates fits BG/NBD with time-invariant covariates by maximum likelihood
// (Fader, Hardie & Lee 2005, eq. 6, with each customer's α_i, a_i, b_i as above).
// purchase[i] and dropout[i] are customer i's covariates; either may be nil. The fit
// starts from the plain BG/NBD fit with all effects 0. FitOptions.Penalizer must be 0.
func FitBGNBDCovariates(cs []Customer, purchase, dropout [][]float64, opt *FitOptions) (*BGNBDCovariates, error) {
	if err := opt.refuseWeights("FitBGNBDCovariates", "the covariate likelihood is per customer"); err != nil {
		return nil, err
	}
	o := opt.withDefaults()
	unit, err := unitOf(cs, customerUnit)
	if err != nil {
		return nil, err
	}
	d, err := newCovariateData("BG/NBD", cs, purchase, dropout)
	if err != nil {
		return nil, err
	}
	if o.Penalizer != 0 {
		return nil, fmt.Errorf("%w: covariate fits take no penalizer", ErrInvalid)
	}
	b := findBursts("BG/NBD with covariates", cs, nil)
	if err := b.before(); err != nil {
		return nil, err
	}
	lk := likelihood{model: "BG/NBD with covariates", names: d.names(bgnbdNames), n: float64(len(cs)), rows: len(cs), eval: d.betaGeoEval(o.Workers), analytic: true}
	starts := covariateStarts(d, func() ([]float64, [][]float64) {
		g := groupCustomers(cs, nil)
		m, err := FitBGNBD(cs, &FitOptions{Workers: o.Workers, MaxIterations: o.MaxIterations, Progress: o.Progress})
		if err != nil {
			return nil, betaGeoStarts(g)
		}
		return []float64{m.R, m.Alpha, m.A, m.B}, betaGeoStarts(g)
	})
	theta, ll, diag, err := maximise(lk, starts, o)
	if err := b.after(err, []string{"alpha"}, scalesOf(theta, 1)...); err != nil {
		return nil, err
	}
	gp, gd := d.split(theta, &diag)
	return &BGNBDCovariates{R: theta[0], Alpha: theta[1], A: theta[2], B: theta[3], Purchase: gp, Dropout: gd, LogLik: ll, Unit: unit, Fit: diag}, nil
}

// FitParetoNBDCovariates fits Pareto/NBD with time-invariant covariates by maximum
// likelihood (Fader & Hardie's 2005 note, eq. 22, with each customer's α_i and β_i as
// above). purchase[i] and dropout[i] are customer i's covariates; either may be nil.
// The fit starts from the plain Pareto/NBD fit with all effects 0; the gradient is by
// central differences and the 2F1 terms cannot be shared between customers whose
// covariates differ, so it costs far more than the plain fit. FitOptions.Penalizer
// must be 0.
func FitParetoNBDCovariates(cs []Customer, purchase, dropout [][]float64, opt *FitOptions) (*ParetoNBDCovariates, error) {
	if err := opt.refuseWeights("FitParetoNBDCovariates", "the covariate likelihood is per customer"); err != nil {
		return nil, err
	}
	o := opt.withDefaults()
	unit, err := unitOf(cs, customerUnit)
	if err != nil {
		return nil, err
	}
	d, err := newCovariateData("Pareto/NBD", cs, purchase, dropout)
	if err != nil {
		return nil, err
	}
	if o.Penalizer != 0 {
		return nil, fmt.Errorf("%w: covariate fits take no penalizer", ErrInvalid)
	}
	b := findBursts("Pareto/NBD with covariates", cs, nil)
	if err := b.before(); err != nil {
		return nil, err
	}
	lk := likelihood{model: "Pareto/NBD with covariates", names: d.names(paretoNames), n: float64(len(cs)), rows: len(cs), eval: d.paretoEval(o.Workers)}
	starts := covariateStarts(d, func() ([]float64, [][]float64) {
		g := groupCustomers(cs, nil)
		m, err := FitParetoNBD(cs, &FitOptions{Workers: o.Workers, MaxIterations: o.MaxIterations, Progress: o.Progress})
		if err != nil {
			return nil, paretoStarts(g)
		}
		return []float64{m.R, m.Alpha, m.S, m.Beta}, paretoStarts(g)
	})
	theta, ll, diag, err := maximise(lk, starts, o)
	if err := b.after(err, []string{"alpha", "beta"}, scalesOf(theta, 1, 3)...); err != nil {
		return nil, err
	}
	gp, gd := d.split(theta, &diag)
	return &ParetoNBDCovariates{R: theta[0], Alpha: theta[1], S: theta[2], Beta: theta[3], Purchase: gp, Dropout: gd, LogLik: ll, Unit: unit, Fit: diag}, nil
}

// covariateStarts returns the starting points: the plain model's estimate with every
// effect 0 (θ = e^0 = 1), then the plain model's own starts, likewise.
func covariateStarts(d *covariateData, plain func() ([]float64, [][]float64)) [][]float64 {
	best, others := plain()
	var starts [][]float64
	extend := func(s []float64) []float64 {
		out := slices.Clone(s)
		for range d.np + d.nd {
			out = append(out, 1)
		}
		return out
	}
	if best != nil {
		starts = append(starts, extend(best))
	}
	for _, s := range others {
		starts = append(starts, extend(s))
	}
	return starts
}

// split turns the fitted θ = e^γ of the effects back into γ, and their standard
// errors, which the engine reports for θ (se(θ) = θ·se(γ)), into those of γ.
func (d *covariateData) split(theta []float64, diag *Diagnostics) ([]float64, []float64) {
	g := make([]float64, d.np+d.nd)
	for j := range g {
		g[j] = math.Log(theta[4+j])
		if diag.StdErr != nil {
			diag.StdErr[4+j] /= theta[4+j]
		}
	}
	return g[:d.np:d.np], g[d.np:]
}

// betaGeoEval returns the BG/NBD log-likelihood with covariates and its analytic
// gradient in the log-parameters (and in the effects). With α_i, a_i, b_i for
// customer i and k = x, one customer contributes (Fader, Hardie & Lee 2005, eq. 6)
//
//	log Γ(r+x) - log Γ(r) + r log α_i + log B(a_i, b_i+x) - log B(a_i, b_i)
//	  - (r+x) log(α_i+T) + softplus(u),  u = log a_i - log(b_i+x-1) - (r+x) log((α_i+t_x)/(α_i+T))
//
// (no softplus term for x = 0), as in betaGeoLikelihood. By the chain rule the effect
// of a purchase covariate is -z·α_i·∂/∂α_i, of a dropout covariate
// z·(a_i ∂/∂a_i + b_i ∂/∂b_i).
func (d *covariateData) betaGeoEval(workers int) func(theta, grad []float64) float64 {
	k := 4 + d.np + d.nd
	return func(theta, grad []float64) float64 {
		r, alpha, a0, b0 := theta[0], theta[1], theta[2], theta[3]
		lgr, psiR := lgamma(r), mathext.Digamma(r)
		acc := make([]float64, k+1)
		parallelSum(len(d.cs), workers, k+1, acc, func(lo, hi int, s []float64) {
			for i := lo; i < hi; i++ {
				c := d.cs[i]
				ep, ed := d.linear(theta, i)
				al, a, b := alpha*math.Exp(-ep), a0*math.Exp(ed), b0*math.Exp(ed)
				x := float64(c.Frequency)
				rx := r + x
				lT := math.Log(al + c.T)
				v := lgamma(rx) - lgr + r*math.Log(al) + mathext.Lbeta(a, b+x) - mathext.Lbeta(a, b) - rx*lT
				var w4, lt float64
				if c.Frequency > 0 {
					lt = math.Log(al + c.Recency)
					u := math.Log(a) - math.Log(b+x-1) - rx*(lt-lT)
					v += softplus(u)
					w4 = sigmoid(u)
				}
				s[0] += v
				if grad == nil {
					continue
				}
				// ∂/∂r, ∂/∂α_i, ∂/∂a_i, ∂/∂b_i of this customer's term.
				dr := mathext.Digamma(rx) - psiR + math.Log(al) - lT
				dal := r/al - rx/(al+c.T)
				psiAB, psiABx := mathext.Digamma(a+b), mathext.Digamma(a+b+x)
				da := psiAB - psiABx
				db := mathext.Digamma(b+x) - mathext.Digamma(b) + psiAB - psiABx
				if c.Frequency > 0 {
					dr += w4 * (lT - lt)
					dal -= w4 * rx * (1/(al+c.Recency) - 1/(al+c.T))
					da += w4 / a
					db -= w4 / (b + x - 1)
				}
				s[1] += r * dr
				s[2] += al * dal
				s[3] += a * da
				s[4] += b * db
				for j := range d.np {
					s[5+j] -= d.zp[i*d.np+j] * al * dal
				}
				for j := range d.nd {
					s[5+d.np+j] += d.zd[i*d.nd+j] * (a*da + b*db)
				}
			}
		})
		if grad != nil {
			copy(grad, acc[1:])
		}
		return acc[0]
	}
}

// paretoEval returns the Pareto/NBD log-likelihood with covariates, each customer's
// term that of the plain model (paretoLogLik) at its own α_i and β_i.
func (d *covariateData) paretoEval(workers int) func(theta, grad []float64) float64 {
	return func(theta, _ []float64) float64 {
		r, alpha, s, beta := theta[0], theta[1], theta[2], theta[3]
		var acc [1]float64
		parallelSum(len(d.cs), workers, 1, acc[:], func(lo, hi int, a []float64) {
			var sum float64
			for i := lo; i < hi; i++ {
				c := d.cs[i]
				ep, ed := d.linear(theta, i)
				al, be := alpha*math.Exp(-ep), beta*math.Exp(-ed)
				tTx := paretoTerm(r, al, s, be, c.Frequency, c.Recency)
				tT := paretoTerm(r, al, s, be, c.Frequency, c.T)
				sum += paretoLogLik(r, al, s, be, c.Frequency, c.Recency, c.T, tTx, tT)
			}
			a[0] += sum
		})
		return acc[0]
	}
}
