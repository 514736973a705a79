package scoring

import (
	"fmt"
	"math"
	"runtime"
	"slices"
	"strings"

	"github.com/clientele-go/clientele/internal/stats"
	"gonum.org/v1/gonum/diff/fd"
	"gonum.org/v1/gonum/mat"
)

// Interval is a prediction with a two-sided confidence interval at the level of the
// Intervals that made it.
type Interval struct {
	Estimate float64 // the prediction at the fitted parameters
	Lo, Hi   float64
}

// Contains reports whether v lies in [Lo, Hi].
func (iv Interval) Contains(v float64) bool { return iv.Lo <= v && v <= iv.Hi }

// Intervals gives every prediction of a fitted Model (and, with a Gamma-Gamma spend
// model, of spend and CLV) a confidence interval that reflects the uncertainty of the
// estimated parameters: how far the predictions could move were the model fitted on
// another sample from the same population. They are not prediction intervals for
// what a customer will do (a customer's purchases vary around their expectation by
// far more).
//
// [NewIntervals] makes one, by either of two methods ([IntervalOptions].Method):
//
//   - [Delta], the default: the delta method. The covariance of the log-parameters
//     is the inverse of the observed information (the Hessian of the log-likelihood
//     at the maximum, by gonum's fd), and a prediction f has variance ∇fᵀ Σ ∇f, with
//     ∇f by central differences. The interval is normal on the scale where f is
//     unbounded (logit for probabilities, log for counts and money) and mapped back,
//     so that it stays in range and contains the estimate. Fast: 2k evaluations of f
//     for k parameters.
//   - [Bootstrap]: the parametric bootstrap. Each replicate simulates every
//     customer's history over the same observation period from the fitted model,
//     refits, and evaluates f; the interval is the percentiles of those values.
//     It makes no normality assumption but costs one fit per replicate.
//
// On data drawn from the model the two agree closely (the package's tests check it,
// and that the intervals cover the truth at about their nominal rate); where they
// disagree, the likelihood is far from quadratic, and the bootstrap is the one to
// believe. An Intervals is safe for concurrent use. Nil or zero Intervals (not made by
// NewIntervals or CovariateIntervals.For) fail with ErrInvalid; so do nil or zero
// BGBBIntervals and CovariateIntervals, and SBGIntervals' DERL (their Survival and
// Retention, which return no error, are NaN).
type Intervals struct {
	// Level is the confidence level, for instance 0.9.
	Level float64
	// Replicates is the number of bootstrap replicates that refitted, and Failed the
	// number whose refit failed (left out of the percentiles); both 0 for the delta
	// method.
	Replicates, Failed int

	model Model
	spend *GammaGamma
	fam   family
	u     []float64     // fitted log-parameters: the model's, then the spend model's
	cov   *mat.SymDense // delta method: covariance of u
	draws [][]float64   // bootstrap: log-parameters of each replicate
}

// IntervalMethod says how the intervals of a fitted model are computed
// ([IntervalOptions].Method).
type IntervalMethod int

const (
	// Delta is the delta method from the observed information at the estimates, the
	// zero value: one Hessian of the likelihood, fast, normal on the logit or log
	// scale (Casella & Berger 2002, §5.5.4). It refuses a penalised fit, whose
	// estimate is not the likelihood's maximum, and one whose likelihood is nearly
	// flat towards a limit of the parameter space (see NewIntervals), where that
	// normal approximation fails.
	Delta IntervalMethod = iota
	// Bootstrap is the parametric bootstrap (Efron & Tibshirani 1993, ch. 6 and 13):
	// Replicates refits on bases simulated from the fitted model, percentile
	// intervals. It makes no normality assumption and works for a penalised fit, at
	// the cost of one fit per replicate.
	Bootstrap
)

// IntervalOptions tune the intervals of a fitted model ([NewIntervals],
// [BGBB.Intervals], [SBG.Intervals], [BGNBDCovariates.Intervals],
// [ParetoNBDCovariates.Intervals]). The zero value (or nil) takes the defaults in
// brackets: the delta method at level 0.9. Replicates, Seed, Fit, Workers and
// Progress only tune the bootstrap; the delta method ignores them (it still
// refuses a value out of range, so that a mistake does not wait for the day the
// method changes).
type IntervalOptions struct {
	// Method is how the intervals are computed [Delta]; any other value than Delta
	// and Bootstrap is ErrInvalid.
	Method IntervalMethod
	// Level is the confidence level, in (0, 1) [0.9].
	Level float64
	// Replicates is the number of bootstrap replicates [200], 10 to 1e6. Percentile
	// intervals at level 0.9 need about 200 for stable endpoints. Bootstrap only.
	Replicates int
	// Seed seeds the bootstrap's simulations, so that intervals are reproducible.
	// Bootstrap only.
	Seed uint64
	// Fit holds the options of the bootstrap's refits [the defaults]. Their Workers
	// is 1: the replicates themselves run on Workers goroutines, and their Weights
	// must be nil (the simulated bases have one row per customer). Bootstrap only.
	Fit *FitOptions
	// Workers is the number of goroutines the bootstrap refits on
	// [runtime.GOMAXPROCS(0)]. Bootstrap only.
	Workers int
	// Progress, if not nil, is called after each bootstrap replicate with the number
	// done and the total, from one goroutine at a time. Bootstrap only.
	Progress func(done, total int)
}

func (o *IntervalOptions) withDefaults() (IntervalOptions, error) {
	var d IntervalOptions
	if o != nil {
		d = *o
	}
	if d.Method != Delta && d.Method != Bootstrap {
		return d, fmt.Errorf("%w: interval method %d, want Delta (0) or Bootstrap (1)", ErrInvalid, int(d.Method))
	}
	if d.Fit != nil && d.Fit.Weights != nil {
		return d, fmt.Errorf("%w: IntervalOptions.Fit.Weights: the bootstrap refits simulated bases of one row per customer", ErrInvalid)
	}
	if d.Level == 0 {
		d.Level = 0.9
	}
	if !(d.Level > 0 && d.Level < 1) {
		return d, fmt.Errorf("%w: interval level %v, want a number in (0, 1)", ErrInvalid, d.Level)
	}
	if d.Replicates == 0 {
		d.Replicates = 200
	}
	if d.Replicates < 10 || d.Replicates > 1e6 {
		return d, fmt.Errorf("%w: %d bootstrap replicates, want 10 to 1e6", ErrInvalid, d.Replicates)
	}
	if d.Workers <= 0 {
		d.Workers = runtime.GOMAXPROCS(0)
	}
	return d, nil
}

// family is what the interval code needs to know of a model type: its parameters, how
// to rebuild it from parameters, its likelihood on the customers it was fitted on, how
// to fit it, and how to simulate a customer from it.
type family struct {
	names  []string
	params func(m Model) []float64
	diag   func(m Model) Diagnostics
	build  func(theta []float64, like Model) Model
	// problem is the model's log-likelihood on cs (the delta method's Hessian).
	problem func(cs []Customer) (likelihood, error)
	// fit refits on simulated customers (the bootstrap) and returns the parameters.
	fit func(cs []Customer, o *FitOptions) ([]float64, error)
	// simulate draws the repeat purchases of a customer of age T at theta:
	// frequency and recency.
	simulate func(theta []float64, T float64, rng randSource) (int, float64)
}

// familyOf returns the family of a fitted model.
func familyOf(m Model) (family, error) {
	switch m := m.(type) {
	case *BGNBD:
		if m == nil {
			break
		}
		return betaGeoFamily(0), nil
	case *MBGNBD:
		if m == nil {
			break
		}
		return betaGeoFamily(1), nil
	case *ParetoNBD:
		if m == nil {
			break
		}
		return paretoFamily(), nil
	default:
		return family{}, fmt.Errorf("%w: intervals for a %T are not supported (BGNBD, MBGNBD, ParetoNBD are)", ErrInvalid, m)
	}
	return family{}, fmt.Errorf("%w: nil model", ErrInvalid)
}

func betaGeoFamily(shift int) family {
	model := "BG/NBD"
	if shift == 1 {
		model = "MBG/NBD"
	}
	return family{
		names: bgnbdNames,
		diag: func(m Model) Diagnostics {
			if shift == 1 {
				return m.(*MBGNBD).Fit
			}
			return m.(*BGNBD).Fit
		},
		params: func(m Model) []float64 {
			if shift == 1 {
				b := m.(*MBGNBD)
				return []float64{b.R, b.Alpha, b.A, b.B}
			}
			b := m.(*BGNBD)
			return []float64{b.R, b.Alpha, b.A, b.B}
		},
		build: func(th []float64, like Model) Model {
			if shift == 1 {
				return &MBGNBD{R: th[0], Alpha: th[1], A: th[2], B: th[3], Unit: like.(*MBGNBD).Unit}
			}
			return &BGNBD{R: th[0], Alpha: th[1], A: th[2], B: th[3], Unit: like.(*BGNBD).Unit}
		},
		problem: func(cs []Customer) (likelihood, error) {
			lk, _, err := betaGeoProblem(model, cs, shift, 1)
			return lk, err
		},
		fit: func(cs []Customer, o *FitOptions) ([]float64, error) {
			if shift == 1 {
				m, err := FitMBGNBD(cs, o)
				if err != nil {
					return nil, err
				}
				return []float64{m.R, m.Alpha, m.A, m.B}, nil
			}
			m, err := FitBGNBD(cs, o)
			if err != nil {
				return nil, err
			}
			return []float64{m.R, m.Alpha, m.A, m.B}, nil
		},
		simulate: func(th []float64, T float64, rng randSource) (int, float64) {
			return drawBetaGeo(rng, th[0], th[1], th[2], th[3], shift == 1, T)
		},
	}
}

func paretoFamily() family {
	return family{
		names: paretoNames,
		diag:  func(m Model) Diagnostics { return m.(*ParetoNBD).Fit },
		params: func(m Model) []float64 {
			p := m.(*ParetoNBD)
			return []float64{p.R, p.Alpha, p.S, p.Beta}
		},
		build: func(th []float64, like Model) Model {
			return &ParetoNBD{R: th[0], Alpha: th[1], S: th[2], Beta: th[3], Unit: like.(*ParetoNBD).Unit}
		},
		problem: func(cs []Customer) (likelihood, error) {
			lk, _, err := paretoProblem(cs, 1)
			return lk, err
		},
		fit: func(cs []Customer, o *FitOptions) ([]float64, error) {
			m, err := FitParetoNBD(cs, o)
			if err != nil {
				return nil, err
			}
			return []float64{m.R, m.Alpha, m.S, m.Beta}, nil
		},
		simulate: func(th []float64, T float64, rng randSource) (int, float64) {
			return drawPareto(rng, th[0], th[1], th[2], th[3], T)
		},
	}
}

// NewIntervals returns the Intervals of m and, if spend is not nil, of spend, fitted
// on the customers cs (the same customers, in any order), by opt.Method.
//
// By the delta method (Delta, the default) the covariance of the parameters is
// computed afresh from cs, from the information matrix, the negative Hessian of the
// log-likelihood at the estimates. For a fit at the boundary of the parameter space
// (Diagnostics.Boundary) the parameters held there are taken as known: the
// intervals carry the uncertainty of the others, given the limiting model the fit
// rests on; so are directions along which the likelihood is flat (see
// logParamCovariance). A penalised fit is refused (its estimate is not the
// likelihood's maximum); use the bootstrap for it. So, with ErrInvalid naming the
// limits, is a fit whose likelihood is nearly flat towards a limit of the parameter
// space (those Diagnostics.Boundary would name): where a factor e^8 ≈ 2981 towards
// it the log-likelihood is still within χ²₁(Level)/2 of its maximum, the data do not
// bound the parameters away from that limit, and the normal approximation does not
// hold (a shop where nobody seems to churn, fitted a hair inside the no-dropout
// limit, had its best customers' P(alive) as 1.000 [0.000, 1.000]); the bootstrap
// gives its intervals.
//
// By the bootstrap (Bootstrap) each of opt.Replicates replicates simulates every
// customer of cs anew from the fitted models over the customer's own observation
// period T (the repeat purchases from m; for those with repeat purchases, the mean
// spend from spend), refits both models on the simulated base with opt.Fit, and
// keeps the parameters. Replicates whose refit fails are counted in Failed and left
// out; if more than half fail, the error says why the first did. Replicates run in
// parallel and are reproducible from opt.Seed.
func NewIntervals(m Model, spend *GammaGamma, cs []Customer, opt *IntervalOptions) (*Intervals, error) {
	iv, o, err := newIntervals(m, spend, cs, opt)
	if err != nil {
		return nil, err
	}
	iv.Level = o.Level
	if o.Method == Bootstrap {
		return iv.bootstrap(spend, cs, o)
	}
	return iv.delta(m, spend, cs)
}

// delta fills in the delta method's covariance (see NewIntervals).
func (iv *Intervals) delta(m Model, spend *GammaGamma, cs []Customer) (*Intervals, error) {
	k := len(iv.fam.names)
	lk, err := iv.fam.problem(cs)
	if err != nil {
		return nil, err
	}
	cov := mat.NewSymDense(len(iv.u), nil)
	if err := logParamCovariance(cov, 0, lk, iv.u[:k], iv.fam.diag(m), iv.Level); err != nil {
		return nil, err
	}
	if spend != nil {
		glk, _, err := gammaGammaProblem(cs, nil)
		if err != nil {
			return nil, err
		}
		// The spend model is fitted on its own likelihood, independent of the
		// purchase model's, so the joint covariance is block-diagonal.
		if err := logParamCovariance(cov, k, glk, iv.u[k:], spend.Fit, iv.Level); err != nil {
			return nil, err
		}
	}
	iv.cov = cov
	return iv, nil
}

// newIntervals checks the arguments and fills in what both methods share.
func newIntervals(m Model, spend *GammaGamma, cs []Customer, opt *IntervalOptions) (*Intervals, IntervalOptions, error) {
	o, err := opt.withDefaults()
	if err != nil {
		return nil, o, err
	}
	fam, err := familyOf(m)
	if err != nil {
		return nil, o, err
	}
	// The delta method's information is of cs's likelihood at m's parameters, and the
	// bootstrap follows each customer of cs over its own T: both read cs in m's unit.
	if err := checkPrediction(m, cs, 0); err != nil {
		return nil, o, err
	}
	theta := fam.params(m)
	if spend != nil {
		theta = append(theta, spend.P, spend.Q, spend.Gamma)
	}
	u := make([]float64, len(theta))
	for i, v := range theta {
		if !(v > 0) || math.IsInf(v, 1) {
			return nil, o, fmt.Errorf("%w: parameter %d of the models is %v", ErrInvalid, i, v)
		}
		u[i] = math.Log(v)
	}
	return &Intervals{model: m, spend: spend, fam: fam, u: u}, o, nil
}

// logParamCovariance stores in cov, at rows and columns off.., the inverse of the
// observed information of lk in the log-parameters at u: -∂²LL/∂u², the Jacobian of
// the analytic gradient or the Hessian of LL, by gonum's central differences. The
// parameters d.Boundary holds are left out (their rows and columns stay 0), and so
// are flat directions.
func logParamCovariance(cov *mat.SymDense, off int, lk likelihood, u []float64, d Diagnostics, level float64) error {
	if d.Penalizer > 0 {
		return fmt.Errorf("%w: %s: delta-method intervals of a penalised fit; %s", ErrInvalid, lk.model, instead(lk))
	}
	k := len(u)
	theta := func(u []float64) []float64 {
		t := make([]float64, len(u))
		for i, v := range u {
			t[i] = math.Exp(v)
		}
		return t
	}
	info := mat.NewSymDense(k, nil)
	if lk.analytic {
		jac := mat.NewDense(k, k, nil)
		fd.Jacobian(jac, func(g, u []float64) {
			clear(g)
			lk.eval(theta(u), g)
		}, u, &fd.JacobianSettings{Formula: fd.Central})
		for i := range k {
			for j := i; j < k; j++ {
				info.SetSym(i, j, -(jac.At(i, j)+jac.At(j, i))/2)
			}
		}
	} else {
		fd.Hessian(info, func(u []float64) float64 { return -lk.eval(theta(u), nil) }, u, &fd.Settings{Formula: fd.Central})
	}
	var free []int
	for i := range k {
		if d.Boundary == nil || !slices.Contains(d.Boundary.Params, lk.names[i]) {
			free = append(free, i)
		}
	}
	sub := mat.NewSymDense(len(free), nil)
	for a, i := range free {
		for b, j := range free[a:] {
			sub.SetSym(a, a+b, info.At(i, j))
		}
	}
	// The covariance is the inverse of the information on the directions the data
	// determine: along an eigenvector whose eigenvalue is below flatEigen of the
	// largest the likelihood is flat (b when a → 0 for BG/NBD: the dropout
	// probability is then 0 whatever b is), the predictions do not depend on it
	// either, and it is taken as known, by the pseudo-inverse.
	var es mat.EigenSym
	if !es.Factorize(sub, true) {
		return fmt.Errorf("%w: %s: the information matrix has no eigen-decomposition", ErrInvalid, lk.model)
	}
	vals := es.Values(nil)
	var vecs mat.Dense
	es.VectorsTo(&vecs)
	top := slices.Max(vals)
	if !(top > 0) || math.IsInf(top, 1) {
		return fmt.Errorf("%w: %s: the likelihood is flat in every direction at the estimates; %s", ErrInvalid, lk.model, instead(lk))
	}
	m := len(free)
	c := mat.NewSymDense(m, nil)
	for e, v := range vals {
		if v <= flatEigen*top {
			continue
		}
		for a := range m {
			for b := a; b < m; b++ {
				c.SetSym(a, b, c.At(a, b)+vecs.At(a, e)*vecs.At(b, e)/v)
			}
		}
	}
	if err := limitInRegion(lk, u, free, c, level); err != nil {
		return err
	}
	for a, i := range free {
		for b, j := range free[a:] {
			cov.SetSym(off+i, off+j, c.At(a, a+b))
		}
	}
	return nil
}

// limitInRegion refuses the delta method where a limit of the parameter space (one
// of lk.limits: a parameter, or a pair of them, run off to 0 or ∞) lies inside the
// likelihood-ratio confidence region at level (Wilks: the points whose
// log-likelihood is within χ²₁(level)/2 of the maximum): where the log-likelihood a
// factor e^boundLog ≈ 2981 towards the limit, the other parameters left at the
// estimates (a lower bound of the profile likelihood there), is within that of its
// maximum. The data then do not bound the parameters away from the limit: the
// likelihood has a plateau towards the boundary, not the quadratic peak the delta
// method assumes. On a shop where nobody seems to churn BG/NBD's maximum (a 0.065, b
// 1616) was 0.002 of log-likelihood above the no-dropout limit; the information
// along log a was that of a standard error of 10, and a normal interval on the logit
// scale of P(alive) spanned [0, 1] for the best customers, whose bootstrap interval
// was [0.999, 1.000]. Where the maximum is at the boundary itself
// asymptotic normality fails outright (Self & Liang 1987); near it, in a sample this
// small, it fails too, and that is what this detects. Parameters held at the boundary
// (not in free) are the fit's own limit, taken as known; directions along which the
// information is flat (variance 0 in c) are taken as known too, the predictions not
// depending on them; neither is checked.
func limitInRegion(lk likelihood, u []float64, free []int, c *mat.SymDense, level float64) error {
	if len(lk.limits) == 0 {
		return nil
	}
	varOf := map[int]float64{}
	for a, i := range free {
		varOf[i] = c.At(a, a)
	}
	index := func(name string) int { return slices.Index(lk.names, name) }
	th := make([]float64, len(u))
	for i, v := range u {
		th[i] = math.Exp(v)
	}
	ll0 := lk.eval(th, nil)
	z := stats.ZCrit(level)
	allowed := z * z / 2
	keys := make([]string, 0, len(lk.limits))
	for k := range lk.limits {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var within []string
	for _, key := range keys {
		// The moves of a key: "a+" one parameter, "a,b-" a pair in one direction,
		// "a-,b+" a pair in opposite directions; a shape's limit takes its scale
		// along ("r+": r, alpha → ∞ at a fixed mean rate r/alpha).
		moves := map[int]float64{}
		dir := func(c byte) float64 {
			if c == '-' {
				return -1
			}
			return 1
		}
		parts := strings.Split(key, ",")
		ok := true
		for _, p := range parts {
			name, sign := p, key[len(key)-1]
			if last := p[len(p)-1]; last == '+' || last == '-' {
				name, sign = p[:len(p)-1], last
			}
			i := index(name)
			if i < 0 {
				ok = false
				break
			}
			moves[i] = dir(sign) * boundLog
			if len(parts) == 1 {
				for k, shape := range lk.shapeOf {
					if shape == i && sign == '+' {
						moves[k] = boundLog
					}
				}
			}
		}
		if !ok {
			continue
		}
		// Only limits the data are left to judge: every moved parameter free, and
		// one at least with a variance (not held, not flat).
		judged := false
		for i := range moves {
			v, isFree := varOf[i]
			if !isFree {
				ok = false
			}
			if v > 0 {
				judged = true
			}
		}
		if !ok || !judged {
			continue
		}
		w := slices.Clone(th)
		for i, m := range moves {
			w[i] = math.Exp(u[i] + m)
		}
		drop := ll0 - lk.eval(w, nil)
		// A move that leaves the likelihood as it was, to rounding, is one the data
		// cannot see, of a parameter that no longer matters at a limit the fit holds
		// (b when a is held at 0: the dropout probability is 0 whatever b is), as the
		// flat directions above.
		if math.IsNaN(drop) || drop >= allowed || math.Abs(drop) <= 1e-9*math.Max(1, math.Abs(ll0)) {
			continue
		}
		within = append(within, fmt.Sprintf("%s (%.2g below the maximum)", lk.limits[key], max(drop, 0)))
	}
	if len(within) > 0 {
		return fmt.Errorf("%w: %s: delta-method intervals: the likelihood is nearly flat towards the limits of its parameters, a factor %.0f of the way to %s, within the %.3g of log-likelihood a %g%% confidence region allows: the data do not bound the parameters away from those limits, and a normal approximation (which gave P(alive) intervals such as [0, 1]) does not describe their uncertainty; %s",
			ErrInvalid, lk.model, math.Exp(boundLog), strings.Join(within, "; "), allowed, 100*level, instead(lk))
	}
	return nil
}

// instead advises where the delta method refuses a fit: the bootstrap, which the
// covariate models do not offer (CovariateIntervals).
func instead(lk likelihood) string {
	if strings.HasSuffix(lk.model, "with covariates") {
		return "the covariate models offer no bootstrap: the model without covariates has bootstrap intervals (IntervalOptions.Method Bootstrap)"
	}
	return "use IntervalOptions.Method Bootstrap"
}

// flatEigen is the eigenvalue of the information, relative to the largest, below
// which a direction counts as flat: a standard error over 3,000 times the best
// determined direction's, which no data set of customers can narrow.
const flatEigen = 1e-7

// scale is where a prediction is unbounded, so that a normal interval there maps back
// into the prediction's range.
type scale int

const (
	probScale     scale = iota // in [0, 1]: logit
	positiveScale              // >= 0: log
)

func (s scale) to(v float64) float64 {
	if s == probScale {
		return math.Log(v) - math.Log1p(-v)
	}
	return math.Log(v)
}

func (s scale) from(v float64) float64 {
	if s == probScale {
		return sigmoid(v)
	}
	return math.Exp(v)
}

// models rebuilds the purchase and spend models at log-parameters u.
func (iv *Intervals) models(u []float64) (Model, *GammaGamma) {
	k := len(iv.fam.names)
	th := make([]float64, len(u))
	for i, v := range u {
		th[i] = math.Exp(v)
	}
	m := iv.fam.build(th[:k], iv.model)
	var g *GammaGamma
	if iv.spend != nil {
		g = &GammaGamma{P: th[k], Q: th[k+1], Gamma: th[k+2]}
	}
	return m, g
}

// interval returns the interval of the prediction f.
func (iv *Intervals) interval(sc scale, f func(m Model, g *GammaGamma) float64) Interval {
	return paramInterval(iv.Level, iv.u, iv.cov, iv.draws, sc, func(u []float64) float64 {
		if u == nil {
			return f(iv.model, iv.spend)
		}
		m, g := iv.models(u)
		return f(m, g)
	})
}

// paramInterval returns the interval of a prediction f of the log-parameters (f(nil)
// being its value at the estimate u): by the delta method if cov is not nil, else
// from the percentiles of f over the bootstrap draws.
func paramInterval(level float64, u []float64, cov *mat.SymDense, draws [][]float64, sc scale, f func(u []float64) float64) Interval {
	est := f(nil)
	out := Interval{Estimate: est, Lo: est, Hi: est}
	if cov != nil {
		// A prediction at the edge of its range (P(alive) = 1 for a BG/NBD customer
		// without repeat purchases, no purchases in no time) does not move.
		if !finite(est) || est <= 0 || (sc == probScale && est >= 1) {
			return out
		}
		h := func(u []float64) float64 { return sc.to(f(u)) }
		grad := fd.Gradient(nil, h, u, &fd.Settings{Formula: fd.Central, Concurrent: true})
		v := mat.Inner(mat.NewVecDense(len(grad), grad), cov, mat.NewVecDense(len(grad), grad))
		if !(v >= 0) || math.IsInf(v, 1) {
			return out
		}
		z := stats.ZCrit(level)
		c, half := sc.to(est), z*math.Sqrt(v)
		// The round trip through logit or log can move an end past the estimate by
		// an ulp where the interval is very narrow.
		out.Lo, out.Hi = math.Min(sc.from(c-half), est), math.Max(sc.from(c+half), est)
		return out
	}
	vals := make([]float64, 0, len(draws))
	for _, d := range draws {
		if v := f(d); !math.IsNaN(v) {
			vals = append(vals, v)
		}
	}
	if len(vals) == 0 {
		return out
	}
	slices.Sort(vals)
	out.Lo = quantileSorted(vals, (1-level)/2)
	out.Hi = quantileSorted(vals, (1+level)/2)
	return out
}

// quantileSorted is the p-quantile of sorted values by linear interpolation between
// order statistics (Hyndman & Fan 1996, definition 7, R's and NumPy's default).
func quantileSorted(v []float64, p float64) float64 {
	h := p * float64(len(v)-1)
	lo := int(math.Floor(h))
	if lo >= len(v)-1 {
		return v[len(v)-1]
	}
	if v[lo] == v[lo+1] {
		// Equal neighbours, +Inf among them (a replicate's Gamma-Gamma whose q is
		// at most 1 values a customer at +Inf): Inf - Inf would make the end NaN.
		return v[lo]
	}
	if math.IsInf(v[lo+1], 1) && h > float64(lo) {
		return v[lo+1]
	}
	return v[lo] + (h-float64(lo))*(v[lo+1]-v[lo])
}

// ExpectedPurchases returns the interval of Model.ExpectedPurchases(t, c).
func (iv *Intervals) ExpectedPurchases(t float64, c Customer) (Interval, error) {
	if err := iv.check(); err != nil {
		return Interval{}, err
	}
	if err := checkCustomer(iv.model, t, c); err != nil {
		return Interval{}, err
	}
	return iv.interval(positiveScale, func(m Model, _ *GammaGamma) float64 { return m.ExpectedPurchases(t, c) }), nil
}

// PAlive returns the interval of Model.PAlive(c).
func (iv *Intervals) PAlive(c Customer) (Interval, error) {
	if err := iv.check(); err != nil {
		return Interval{}, err
	}
	if err := checkCustomer(iv.model, 0, c); err != nil {
		return Interval{}, err
	}
	return iv.interval(probScale, func(m Model, _ *GammaGamma) float64 { return m.PAlive(c) }), nil
}

// PurchaseProb returns the interval of Model.PurchaseProb(t, n, c).
func (iv *Intervals) PurchaseProb(t float64, n int, c Customer) (Interval, error) {
	if err := iv.check(); err != nil {
		return Interval{}, err
	}
	if err := checkCustomer(iv.model, t, c); err != nil {
		return Interval{}, err
	}
	if n < 0 {
		return Interval{}, fmt.Errorf("%w: purchase count %d is negative", ErrInvalid, n)
	}
	return iv.interval(probScale, func(m Model, _ *GammaGamma) float64 { return m.PurchaseProb(t, n, c) }), nil
}

// ExpectedPurchasesNew returns the interval of Model.ExpectedPurchasesNew(t).
func (iv *Intervals) ExpectedPurchasesNew(t float64) (Interval, error) {
	if err := iv.check(); err != nil {
		return Interval{}, err
	}
	if err := checkHorizon(t); err != nil {
		return Interval{}, err
	}
	return iv.interval(positiveScale, func(m Model, _ *GammaGamma) float64 { return m.ExpectedPurchasesNew(t) }), nil
}

// PurchaseProbNew returns the interval of Model.PurchaseProbNew(t, n).
func (iv *Intervals) PurchaseProbNew(t float64, n int) (Interval, error) {
	if err := iv.check(); err != nil {
		return Interval{}, err
	}
	if err := checkHorizon(t); err != nil {
		return Interval{}, err
	}
	if n < 0 {
		return Interval{}, fmt.Errorf("%w: purchase count %d is negative", ErrInvalid, n)
	}
	return iv.interval(probScale, func(m Model, _ *GammaGamma) float64 { return m.PurchaseProbNew(t, n) }), nil
}

// ExpectedSpend returns the interval of GammaGamma.ExpectedSpend(c). It needs the
// Intervals to have been made with a spend model.
func (iv *Intervals) ExpectedSpend(c Customer) (Interval, error) {
	if err := iv.check(); err != nil {
		return Interval{}, err
	}
	if err := iv.needSpend(); err != nil {
		return Interval{}, err
	}
	if err := checkCustomer(iv.model, 0, c); err != nil {
		return Interval{}, err
	}
	return iv.interval(positiveScale, func(_ Model, g *GammaGamma) float64 { return g.ExpectedSpend(c) }), nil
}

// BasePurchases returns the interval of the purchases the whole base cs is expected
// to make in the next t: Σ ExpectedPurchases(t, c) over cs, the last row of Forecast.
func (iv *Intervals) BasePurchases(t float64, cs []Customer) (Interval, error) {
	if err := iv.check(); err != nil {
		return Interval{}, err
	}
	if err := checkPrediction(iv.model, cs, t); err != nil {
		return Interval{}, err
	}
	g := groupCustomers(cs, nil)
	return iv.interval(positiveScale, func(m Model, _ *GammaGamma) float64 {
		var s float64
		for j := range g.w {
			s += g.w[j] * m.ExpectedPurchases(t, Customer{Frequency: g.xs[g.xi[j]], Recency: g.txs[g.txi[j]], T: g.ts[g.ti[j]]})
		}
		return s
	}), nil
}

// BaseAlive returns the interval of the number of customers of cs still active:
// Σ PAlive(c) over cs. Its upper end is at most len(cs).
func (iv *Intervals) BaseAlive(cs []Customer) (Interval, error) {
	if err := iv.check(); err != nil {
		return Interval{}, err
	}
	if err := checkPrediction(iv.model, cs, 0); err != nil {
		return Interval{}, err
	}
	g := groupCustomers(cs, nil)
	return iv.countInterval(g, func(m Model, c Customer) float64 { return m.PAlive(c) }), nil
}

// countInterval returns the interval of the number of customers of g for whom p holds,
// Σ p(c), p being a probability. The delta method makes it on the log scale of a
// positive figure, whose upper end has no bound: a base of 40 customers nearly all
// alive had "38 [30, 47]" of them active. The count is at most the customers' number,
// so an end past it is cut to it: the interval covers the true count as often, as that
// is never past it. (On the logit scale of the fraction, a base whose fraction is
// within a hair of 1 and poorly known, as where a dropout parameter is held at the
// boundary, got an interval of [0, n].)
func (iv *Intervals) countInterval(g *grouped, p func(m Model, c Customer) float64) Interval {
	var n float64
	for _, w := range g.w {
		n += w
	}
	v := iv.interval(positiveScale, func(m Model, _ *GammaGamma) float64 {
		var s float64
		for j := range g.w {
			s += g.w[j] * p(m, Customer{Frequency: g.xs[g.xi[j]], Recency: g.txs[g.txi[j]], T: g.ts[g.ti[j]]})
		}
		return s
	})
	v.Hi = min(v.Hi, max(n, v.Estimate))
	return v
}

// BasePurchaseCount returns the interval of the number of customers of cs expected
// to make exactly n purchases in the next t: Σ PurchaseProb(t, n, c) over cs. Its
// upper end is at most len(cs).
func (iv *Intervals) BasePurchaseCount(t float64, n int, cs []Customer) (Interval, error) {
	if err := iv.check(); err != nil {
		return Interval{}, err
	}
	if err := checkPrediction(iv.model, cs, t); err != nil {
		return Interval{}, err
	}
	if n < 0 {
		return Interval{}, fmt.Errorf("%w: purchase count %d is negative", ErrInvalid, n)
	}
	g := groupCustomers(cs, nil)
	return iv.countInterval(g, func(m Model, c Customer) float64 { return m.PurchaseProb(t, n, c) }), nil
}

// CLV returns the interval of each customer's CLV, as the function CLV computes it.
// It needs a spend model. Each customer costs about 2k CLV evaluations (k parameters)
// by the delta method and one per replicate by the bootstrap; BaseCLV is cheaper
// when only the total is wanted.
func (iv *Intervals) CLV(cs []Customer, opts *CLVOptions) ([]Interval, error) {
	if err := iv.check(); err != nil {
		return nil, err
	}
	var opt CLVOptions
	if opts != nil {
		opt = *opts
	}
	if err := iv.checkCLV(cs, opt); err != nil {
		return nil, err
	}
	out := make([]Interval, len(cs))
	parallelSum(len(cs), runtime.GOMAXPROCS(0), 0, nil, func(lo, hi int, _ []float64) {
		for i := lo; i < hi; i++ {
			one := cs[i : i+1]
			out[i] = iv.interval(positiveScale, func(m Model, g *GammaGamma) float64 {
				v, _ := CLV(m, g, one, &opt)
				return v[0]
			})
		}
	})
	return out, nil
}

// BaseCLV returns the interval of the value of the whole base cs: the sum of the
// customers' CLV. It needs a spend model.
func (iv *Intervals) BaseCLV(cs []Customer, opts *CLVOptions) (Interval, error) {
	if err := iv.check(); err != nil {
		return Interval{}, err
	}
	var opt CLVOptions
	if opts != nil {
		opt = *opts
	}
	if err := iv.checkCLV(cs, opt); err != nil {
		return Interval{}, err
	}
	// Customers with the same (x, t_x, T) expect the same purchases, and the expected
	// spend is linear in Monetary for a given x (Fader, Hardie & Lee 2005, "RFM and
	// CLV", eq. 5; independent of it at x = 0), so the group's total value is its
	// size times the value of a customer with the group's mean spend: the sum is
	// computed once per distinct history at each of the 2k+1 (or replicate) points.
	type key struct {
		x     int
		tx, t float64
	}
	index := map[key]int{}
	var reps []Customer
	var counts []float64
	for _, c := range cs {
		k := key{c.Frequency, c.Recency, c.T}
		j, ok := index[k]
		if !ok {
			j = len(reps)
			index[k] = j
			reps = append(reps, Customer{Frequency: c.Frequency, Recency: c.Recency, T: c.T})
			counts = append(counts, 0)
		}
		reps[j].Monetary += c.Monetary
		counts[j]++
	}
	for j := range reps {
		reps[j].Monetary /= counts[j]
	}
	return iv.interval(positiveScale, func(m Model, g *GammaGamma) float64 {
		v, _ := CLV(m, g, reps, &opt)
		var s float64
		for j, x := range v {
			s += counts[j] * x
		}
		return s
	}), nil
}

// checkCLV checks the options and customers once, with the point estimates.
func (iv *Intervals) checkCLV(cs []Customer, opt CLVOptions) error {
	if err := iv.needSpend(); err != nil {
		return err
	}
	_, err := CLV(iv.model, iv.spend, cs, &opt)
	return err
}

// check refuses a nil Intervals and a zero one, made without NewIntervals (or
// CovariateIntervals.For), which have no model to predict with.
func (iv *Intervals) check() error {
	if iv == nil || iv.model == nil {
		return fmt.Errorf("%w: nil or zero Intervals; make them with NewIntervals", ErrInvalid)
	}
	return nil
}

func (iv *Intervals) needSpend() error {
	if iv.spend == nil {
		return fmt.Errorf("%w: these intervals were made without a spend model", ErrInvalid)
	}
	return nil
}

// checkCustomer checks one customer, its unit against the model's, and a horizon.
func checkCustomer(m Model, t float64, c Customer) error {
	if err := checkHorizon(t); err != nil {
		return err
	}
	if err := c.Validate(); err != nil {
		return errorf("%w", err)
	}
	return checkUnit(m, c.Unit)
}
