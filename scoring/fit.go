package scoring

import (
	"errors"
	"fmt"
	"math"
	"runtime"
	"slices"

	"gonum.org/v1/gonum/optimize"

	"github.com/clientele-go/clientele/internal/english"
)

// MinCustomers is the fewest customers (total weight) a model is fitted on. Below it a
// four-parameter likelihood is nearly flat and its maximum says nothing.
const MinCustomers = 10

// FitOptions tune a maximum-likelihood fit. The zero value (or nil) takes the defaults
// shown in brackets.
type FitOptions struct {
	// Starts is the largest number of starting points tried [3]. From each, gonum's
	// Newton method (optimize.Newton) maximises the likelihood over the
	// log-parameters. The first start is the model's moment-based guess; a further
	// start is tried only when the previous ones fail the optimality check or end at
	// the boundary (Diagnostics.Boundary), and then the converged start with the
	// highest log-likelihood wins.
	Starts int
	// Workers is the number of goroutines that evaluate the likelihood
	// [runtime.GOMAXPROCS(0)]. Small data sets are evaluated on one goroutine whatever
	// Workers says, as splitting them costs more than it saves.
	Workers int
	// MaxIterations bounds the iterations of each start [100] (gonum's
	// Settings.MajorIterations, which counts the starting point as the first).
	MaxIterations int
	// Penalizer adds an L2 penalty on the parameters, as lifetimes' penalizer_coef
	// does: the fit maximises LL/n - Penalizer·Σθ², the log-likelihood per customer
	// less the penalty. A small penalty (0.001 to 0.1) keeps a fit on few customers
	// from running off to extreme parameters, at the price of a bias towards 0. Zero,
	// the default, is plain maximum likelihood. A penalised fit reports the
	// unpenalised log-likelihood at its estimate and no standard errors (they would
	// describe the penalised objective, not the data's uncertainty).
	Penalizer float64
	// Progress, if set, is called after every iteration of every start with the
	// model's name, the iteration (counted from 1 within the start) and the
	// log-likelihood reached, so that a host can show a long fit advancing. It is
	// called from the fitting goroutine and must not block for long.
	Progress func(model string, iteration int, logLik float64)
	// Weights[i] is how many customers row i stands for, finite and >= 0, fractional
	// allowed; nil means one each; its length must equal the rows'. It is the grouped
	// form of a base, in which every distinct history is one row: bases recorded to
	// the day or week repeat histories heavily (a million customers over a year, to
	// the day, have under 200,000 distinct ones), so a distributed job can gather
	// (history, count) pairs and fit on them without expanding them into one
	// Customer per customer. The fit, log-likelihood and standard errors are those of
	// the base in which row i is repeated Weights[i] times; rows need not be
	// distinct, rows of weight 0 are left out, and the weights must total at least
	// MinCustomers. FitBGNBD, FitMBGNBD, FitParetoNBD and FitGammaGamma (which reads
	// only Frequency and Monetary, so that a row of spend may leave Recency and T
	// 0) read it; the other fits refuse it with ErrInvalid: FitBGBB's rows carry
	// their own Weight, FitSBG's survivors are counts already, and the covariate
	// fits are per customer. The estimates do not depend on the weights' scale:
	// weights c·w give the parameters of w for any c > 0 that keeps their total at
	// least MinCustomers and at most 1e300 (beyond which the log-likelihood's sums
	// could overflow: ErrInvalid), with the log-likelihood and Customers c times and
	// the standard errors 1/√c times those of w. So do BG/BB's Opportunities.Weight
	// and sBG's survivor counts.
	Weights []float64
}

// refuseWeights is the error of a fit that does not read FitOptions.Weights, or nil
// when none are given.
func (o *FitOptions) refuseWeights(fit, instead string) error {
	if o == nil || o.Weights == nil {
		return nil
	}
	return fmt.Errorf("%w: %s does not take FitOptions.Weights (%s)", ErrInvalid, fit, instead)
}

// checkWeights checks FitOptions.Weights against n rows.
func checkWeights(model string, ws []float64, n int) error {
	if len(ws) != n {
		return fmt.Errorf("%w: %s: FitOptions.Weights holds %s for %s", ErrInvalid, model, english.Count(len(ws), "weight"), english.Count(n, "row"))
	}
	for i, w := range ws {
		if !finite(w) || w < 0 {
			return fmt.Errorf("%w: %s: FitOptions.Weights[%d] = %v, want finite and >= 0", ErrInvalid, model, i, w)
		}
	}
	return nil
}

func (o *FitOptions) withDefaults() FitOptions {
	var d FitOptions
	if o != nil {
		d = *o
	}
	if d.Starts <= 0 {
		d.Starts = 3
	}
	if d.Workers <= 0 {
		d.Workers = runtime.GOMAXPROCS(0)
	}
	if d.MaxIterations <= 0 {
		d.MaxIterations = 100
	}
	return d
}

// Diagnostics describe how a model was fitted. They travel with the model's JSON.
type Diagnostics struct {
	Customers float64 // customers (total weight) in the fit
	Rows      int     // distinct rows after grouping identical histories
	// StdErr holds the asymptotic standard errors of the parameters, in the model's
	// parameter order, from the inverse of the observed information (the numerical
	// Hessian of the log-likelihood at the maximum, by the delta method from the
	// log-parameters). It is nil when the Hessian is not negative definite, which
	// means the maximum is flat in some direction and the parameters are not
	// individually identified. A parameter held at the boundary (see Boundary) has
	// standard error 0: the others' are conditional on it.
	StdErr      []float64
	Penalizer   float64 // FitOptions.Penalizer of the fit; 0 for plain maximum likelihood
	Starts      int     // starting points tried (further starts only when one fails the optimality check)
	Converged   int     // starting points that converged
	Iterations  int     // major iterations of the winning start, its starting point included
	Evaluations int     // likelihood evaluations of the winning start, finite differences included
	Gradient    float64 // largest |∂ log L / ∂ log θ| per customer at the maximum (of the penalised objective, if penalised)
	// PilotRows is the number of rows of the coarsened data whose maximum was the
	// first start (see FitBGNBD), and PilotEvaluations the likelihood evaluations of
	// that pilot fit; both 0 when the data were too small for a pilot to pay.
	PilotRows, PilotEvaluations int
	// Boundary is nil for a maximum inside the parameter space. Otherwise the
	// likelihood rises towards the edge of the space (a known, explainable situation:
	// no dropout seen, spend the same for everyone, ...), the fit holds the named
	// parameters at the boundary and maximises over the others, and the model's
	// predictions are those of the limiting model Boundary describes.
	Boundary *Boundary
}

// Boundary describes a fit whose likelihood has its supremum at the edge of the
// parameter space, where a shape parameter runs off to 0 or infinity (with its scale
// parameter, where it has one). Such a parameter is held at e^±boundLog ≈ 2981 or
// 3.4e-4 (relative to the data's time scale for a scale parameter): a Gamma or Beta
// mixing distribution with a shape of 2981 has a coefficient of variation of 1.8%,
// so the model is then, to that precision, the limiting model. The other parameters
// are the maximum of the likelihood given the held ones and pass the same optimality
// check as an interior fit.
type Boundary struct {
	Params []string  `json:"params"` // the parameters held at the boundary, in the model's order
	Values []float64 `json:"values"` // and the values they are held at
	// Limit names the limiting model the predictions rest on, for example "q, gamma
	// → ∞: the same mean spend p·gamma/q for every customer".
	Limit string `json:"limit"`
}

// likelihood is what a model hands to the fitting engine.
type likelihood struct {
	model string
	names []string
	n     float64 // total weight, to scale tolerances to one customer
	rows  int
	// eval returns the total log-likelihood at natural parameters theta. If grad is
	// non-nil and analytic is true it also stores ∂LL/∂log θ in grad.
	eval     func(theta, grad []float64) float64
	analytic bool
	// hess, if not nil, returns what eval does and also stores ∂²LL/∂log θᵢ∂log θⱼ
	// (row-major, dim×dim) in h; grad and h are both non-nil. With it a Newton
	// iteration costs one evaluation instead of dim+1.
	hess func(theta, grad, h []float64) float64
	// scale marks the parameters in the data's units (alpha, beta, gamma), nil if
	// none: they are measured against their starting value when deciding whether
	// the fit is running off to the boundary, shape parameters against 1.
	scale []bool
	// shapeOf gives, for a scale parameter, the index of the shape parameter it
	// moves with (r for alpha: r, alpha → ∞ at a fixed mean rate r/alpha), else -1.
	// nil means no pairs.
	shapeOf []int
	// twin gives, for each shape of a Beta distribution, the index of the other
	// shape (a for b), else -1; nil means none. When a held shape's twin has also
	// moved far in the same direction, the limit is the pair's ("a,b+").
	twin []int
	// ref, if not nil, is the reference of the scale parameters (natural values) for
	// every start; nil means each start's own value. withPilot sets it, so that a
	// fit starting from a pilot's estimate measures the boundary from the data's
	// time scale as the usual starts do.
	ref []float64
	// piloted marks the first start as a pilot's estimate (withPilot): the pilot has
	// already tried the usual starts on the coarsened data, so if the first start
	// converges the fit ends there, at the boundary or not.
	piloted bool
	// limits names the limiting model when a parameter is held at the boundary,
	// keyed by name and "+" (→ ∞) or "-" (→ 0), or by a twin pair "a,b+".
	limits map[string]string
	// shift is the k of canonical: eval, hess and n are 2^k times the caller's.
	shift int
}

// Tolerances of the fit, in the log-parameters, and the optimality check. The
// objective is the log-likelihood per customer, and the criteria are scale-free: a
// gradient in the log-parameters per customer, a step in the log-parameters, a change
// of the log-likelihood relative to its size, and the log-likelihood a Newton step
// would still gain. The iteration limit is only a bound on time.
//
// A start stops when the Newton step changes no log-parameter by more than
// stepTolerance, or is longer than ridgeStep and would gain less than relGain of the
// objective (a ridge flat to the rounding level), when the gradient per customer is below gradTolerance, when the
// objective changed by less than relGain relative to its value over stallIterations
// iterations, when the iterate moved less than moveTolerance in every log-parameter,
// or at the iteration limit. Whatever the reason, it then has converged only if it
// passes the optimality check: a Newton step from there would gain less than flatGain
// of log-likelihood, which puts the estimate within √(2·flatGain) = 0.045 standard
// errors of the maximum in the metric of the observed information; or, where
// the information is not positive definite (the likelihood flat in some direction),
// the gradient per customer is below flatTolerance. The log-likelihood of the check
// is on the canonical scale of the weights (likelihood.canonical), one or two
// customers per distinct row, so that the fit does not depend on the weights' scale;
// where rows repeat (k customers per distinct history) the standard errors of the
// check are about √k times the base's.
//
// A parameter more than boundLog from its reference (1 for a shape parameter, its
// starting value for a scale parameter) in the log is running off to the boundary;
// the fit then holds it at the boundary (Boundary).
const (
	boundLog        = 8.0
	maxLogStep      = 2.0   // largest change of a log-parameter in one iteration
	stepTolerance   = 1e-7  // converged when the Newton step changes no log-parameter by more
	ridgeStep       = 1e-3  // or when a step this long would gain less than relGain: a flat ridge
	gradTolerance   = 1e-12 // or when ∂ log L / ∂ log θ per customer is below this
	relGain         = 1e-12 // an iteration gaining less than this fraction of |log L| makes no progress
	moveTolerance   = 1e-10 // an iteration moving no log-parameter by more makes no progress
	stallIterations = 2     // iterations without progress before a start stops
	flatGain        = 1e-3  // optimal if a Newton step would gain less log L
	flatTolerance   = 1e-5  // or, where the likelihood is flat, if ∂ log L / ∂ log θ per customer is below this
)

type startResult struct {
	u          []float64 // log-parameters, all of the model's
	ll         float64
	converged  bool
	reason     string
	iterations int
	evals      int
	gradient   float64
	grad       []float64 // ∂(-LL/n)/∂u at u, of the free parameters
	stdErr     []float64 // the standard errors at u, nil if undefined
	hit        int       // index (into the problem's parameters) of a parameter running off to the boundary, or -1
	boundary   *Boundary
}

// maximise runs the maximum-likelihood fit and returns the natural parameters, the
// log-likelihood and the diagnostics.
//
// Each start minimises the negative log-likelihood per customer in the log-parameters
// with gonum's optimize.Newton (Nocedal & Wright 2006, alg. 3.3: the Hessian plus a
// growing multiple of the identity until it is positive definite, so that the step
// turns towards the gradient where the likelihood is not concave, and Newton's method
// converges quadratically near the maximum) and a backtracking (Armijo) line search.
// The gradient is the model's analytic one or gonum fd's central differences; the
// Hessian is by forward differences of the gradient (or second differences of the
// likelihood) while iterating, and by central differences at the end, where it gives
// the optimality check and the standard errors.
//
// The starts are tried in order and the first that reaches an interior maximum
// passing the optimality check ends the fit: the first start is the model's
// moment-based guess, and the others only run when it fails. A start that ends at the
// boundary does not end the fit (another start may find an interior maximum); the
// converged start with the highest log-likelihood wins.
//
// Why Newton with backtracking rather than optimize.BFGS, which needs no Hessian:
// BFGS's line search may double a step and its curvature pairs need the strong Wolfe
// conditions, while these likelihoods need every step confined to a box of ±maxLogStep
// in each log-parameter (objective.value): the Pareto/NBD 2F1 series costs time in
// proportion to its parameters, and one unconfined step to s = 1e15 never returns.
// Backtracking from the full Newton step simply shortens such a step.
func maximise(lk likelihood, starts [][]float64, o FitOptions) ([]float64, float64, Diagnostics, error) {
	if !(o.Penalizer >= 0) || math.IsInf(o.Penalizer, 1) {
		return nil, 0, Diagnostics{}, fmt.Errorf("%w: penalizer %v, want a finite number >= 0", ErrInvalid, o.Penalizer)
	}
	if len(starts) > o.Starts {
		starts = starts[:o.Starts]
	}
	plain := lk
	lk = lk.canonical().penalised(o.Penalizer)
	d := Diagnostics{Customers: plain.n, Rows: lk.rows, Penalizer: o.Penalizer}
	var best, bestAny *startResult
	for k, s := range starts {
		d.Starts++
		r := solve(lk, s, o)
		if bestAny == nil || r.ll > bestAny.ll || math.IsNaN(bestAny.ll) {
			bestAny = r
		}
		if r.converged {
			d.Converged++
			if best == nil || r.ll > best.ll {
				best = r
			}
			if r.boundary == nil || (k == 0 && lk.piloted) {
				break
			}
		}
	}
	if best == nil {
		return nil, 0, d, &ConvergenceError{Model: lk.model, Names: lk.names, Params: expAll(bestAny.u), Reason: bestAny.reason}
	}
	d.Iterations, d.Evaluations, d.Gradient, d.Boundary = best.iterations, best.evals, best.gradient, best.boundary
	theta := expAll(best.u)
	if o.Penalizer > 0 {
		return theta, plain.eval(theta, nil), d, nil
	}
	// Back to the caller's weights: the information is 2^-shift times the canonical
	// one, so the standard errors are 2^(shift/2) times its.
	if best.stdErr != nil {
		d.StdErr = make([]float64, len(best.stdErr))
		f := math.Exp(float64(lk.shift) * math.Ln2 / 2)
		for i, se := range best.stdErr {
			d.StdErr[i] = se * f
		}
	}
	return theta, math.Ldexp(best.ll, -lk.shift), d, nil
}

// canonical returns lk with its log-likelihood, derivatives and total weight n
// multiplied by 2^k (lk.shift), the power of two that brings the weight per row,
// n/rows, into [1, 2): the fit of weights w is then the fit of c·w for any c > 0.
// The iterates do not depend on the scale in the first place (the objective is the
// log-likelihood per customer, and a power of two scales without rounding), but the
// optimality check does: it asks of a Newton step a gain below flatGain nats, which
// on the caller's scale is a stricter demand the heavier the weights, until the last
// digits of a sum of 1e18-customer terms cannot meet it (Gamma-Gamma and Pareto/NBD
// failed to converge with every row weighted 1e16). On the canonical scale the
// check is that of a base of one or two customers per distinct row. Customers
// counted one each and never repeated keep their scale (k = 0).
func (lk likelihood) canonical() likelihood {
	if lk.rows <= 0 || !(lk.n > 0) || math.IsInf(lk.n, 0) {
		return lk
	}
	k := weightShift(lk.n, lk.rows)
	if k == 0 {
		return lk
	}
	lk.n, lk.shift = math.Ldexp(lk.n, k), lk.shift+k
	eval := lk.eval
	lk.eval = func(theta, grad []float64) float64 {
		v := eval(theta, grad)
		for i := range grad {
			grad[i] = math.Ldexp(grad[i], k)
		}
		return math.Ldexp(v, k)
	}
	if hess := lk.hess; hess != nil {
		lk.hess = func(theta, grad, h []float64) float64 {
			v := hess(theta, grad, h)
			for i := range grad {
				grad[i] = math.Ldexp(grad[i], k)
			}
			for i := range h {
				h[i] = math.Ldexp(h[i], k)
			}
			return math.Ldexp(v, k)
		}
	}
	return lk
}

// solve runs one start to its end: to an interior maximum, or, when a parameter runs
// off to the boundary, holding that parameter there and maximising over the others,
// until no further parameter runs off. A start that ends without converging while a
// parameter has drifted more than boundLog/2 from its reference (creeping along a
// ridge towards the boundary), or that converged on a flat likelihood so far out, has
// that parameter held at the boundary too. A held
// parameter along which the likelihood turns out to fall towards the boundary (the
// Newton path overshot) is released and the fit goes on from there.
func solve(lk likelihood, start []float64, o FitOptions) *startResult {
	r := solveFrom(lk, start, o, false)
	if r.converged || lk.shapeOf == nil {
		return r
	}
	// Holding a shape at the boundary also held its scale, measured from its own
	// reference, once the scale had followed the shape that far: that fixes the mean
	// rate (r/alpha, s/beta) at an arbitrary value, and on a small shop's data the
	// other parameters then ran off in turn to make up for it until none was left
	// (5 of 300 generated shops of 10 to 50 customers failed so). Where that happens
	// the start is solved again with the scale measured from a reference moved with
	// its shape, so that following the shape is not running off. Only then: a fit
	// that converges the first way keeps its answer.
	if again := solveFrom(lk, start, o, true); again.converged {
		again.iterations += r.iterations
		again.evals += r.evals
		return again
	}
	return r
}

// solveFrom is solve's loop; follow moves a scale's reference with its shape when the
// shape is held (see solve).
func solveFrom(lk likelihood, start []float64, o FitOptions, follow bool) *startResult {
	dim := len(start)
	u := make([]float64, dim)
	ref := make([]float64, dim)
	for i, v := range start {
		u[i] = math.Log(v)
		if lk.scale != nil && lk.scale[i] {
			ref[i] = u[i]
			if lk.ref != nil {
				ref[i] = math.Log(lk.ref[i])
			}
		}
	}
	pin := make([]float64, dim)
	for i := range pin {
		pin[i] = math.NaN()
	}
	released := make([]bool, dim)
	var total *startResult
	for range 2 * dim {
		sub, free := lk.restrict(pin)
		fu, fref := pick(u, free), pick(ref, free)
		r := runStart(sub, fu, fref, o)
		for k, i := range free {
			u[i] = r.u[k]
		}
		if total != nil {
			r.iterations += total.iterations
			r.evals += total.evals
		}
		total = r
		if !r.converged && r.hit < 0 && len(free) > 1 {
			far := boundLog / 2
			for k, i := range free {
				if d := math.Abs(u[i] - ref[i]); d > far && !released[i] {
					far, r.hit = d, k
				}
			}
		}
		// So has one that converged only on the flat criterion (the information not
		// positive definite) far out along such a ridge, where the iterate stops
		// wherever the gradient first falls below flatTolerance: the parameter along
		// which the likelihood still rises most steeply outward is held.
		if r.converged && r.stdErr == nil && r.hit < 0 && len(free) > 1 && len(r.grad) == len(free) {
			steepest := 0.0
			for k, i := range free {
				out := -r.grad[k] * math.Copysign(1, u[i]-ref[i])
				if math.Abs(u[i]-ref[i]) > boundLog/2 && out > steepest && !released[i] {
					steepest, r.hit = out, k
				}
			}
		}
		if r.hit < 0 {
			full := &startResult{u: slices.Clone(u), ll: r.ll, converged: r.converged, reason: r.reason,
				iterations: r.iterations, evals: r.evals, gradient: r.gradient, hit: -1}
			if r.stdErr != nil {
				full.stdErr = make([]float64, dim)
				for k, i := range free {
					full.stdErr[i] = r.stdErr[k]
				}
			}
			if len(free) == dim {
				return full
			}
			full.boundary = lk.boundary(pin, u, ref)
			if !full.converged {
				return full
			}
			i, g := lk.inward(u, pin, ref)
			if i < 0 {
				return full
			}
			if released[i] {
				full.converged = false
				full.reason = fmt.Sprintf("likelihood falls towards the boundary of %s (gradient %.3g per customer): no maximum found", lk.names[i], g)
				return full
			}
			released[i], pin[i], ref[i] = true, math.NaN(), u[i]
			continue
		}
		// Hold the parameter that ran off at the boundary: a scale parameter that runs
		// off with its shape is the shape's limit, so the shape is held instead.
		i := free[r.hit]
		if lk.shapeOf != nil && lk.shapeOf[i] >= 0 {
			if j := lk.shapeOf[i]; math.IsNaN(pin[j]) && (u[j]-ref[j])*(u[i]-ref[i]) > 0 && math.Abs(u[j]-ref[j]) > boundLog/2 {
				i = j
			}
		}
		// Two shapes of a Beta running off together (γ, δ → ∞ at a fixed mean γ/(γ+δ)):
		// hold the one farther out. Held first, the nearer one fixed the mean so that
		// the other had to pass the boundary too, and the fit failed "in turn" where
		// the limit (every customer alike) was the answer.
		twin := -1
		if lk.twin != nil && lk.twin[i] >= 0 {
			if j := lk.twin[i]; math.IsNaN(pin[j]) && !released[j] && (u[j]-ref[j])*(u[i]-ref[i]) > 0 {
				if math.Abs(u[j]-ref[j]) > math.Abs(u[i]-ref[i]) {
					i, j = j, i
				}
				twin = j
			}
		}
		if released[i] {
			total.reason = fmt.Sprintf("parameter %s running off to the boundary, where the likelihood falls", lk.names[i])
			break
		}
		if len(free) == 1 {
			total.reason = fmt.Sprintf("every parameter running off to the boundary, %s last", lk.names[i])
			break
		}
		dir := math.Copysign(1, u[i]-ref[i])
		pin[i] = ref[i] + dir*boundLog
		if twin >= 0 {
			// The free twin starts from where it keeps the pair's mean: the held
			// shape moved by pin-u, so it moves as far.
			u[twin] += pin[i] - u[i]
		}
		u[i] = pin[i]
		// With follow, a shape held at the boundary takes its scale along (r, alpha → ∞
		// at a fixed mean rate r/alpha): the scale is measured from a reference moved
		// as far.
		for k, shape := range lk.shapeOf {
			if follow && shape == i && math.IsNaN(pin[k]) {
				ref[k] += pin[i] - ref[i]
			}
		}
	}
	total.u = slices.Clone(u)
	total.converged = false
	if total.reason == "" || total.hit >= 0 {
		total.reason = "parameters running off to the boundary in turn"
	}
	return total
}

func expAll(u []float64) []float64 {
	out := make([]float64, len(u))
	for i, v := range u {
		out[i] = math.Exp(v)
	}
	return out
}

// runStart minimises the objective from one starting point (log-parameters u0) with
// minimizeNewton, stopping where a parameter moves more than boundLog from ref, and
// translates gonum's status into ours, with the optimality check.
func runStart(lk likelihood, u0, ref []float64, o FitOptions) *startResult {
	obj := &objective{lk: lk, center: slices.Clone(u0)}
	stop := &stopRule{obj: obj, ref: ref, progress: o.Progress}
	res, err := minimizeNewton(optimize.Problem{Func: obj.Func, Grad: obj.Grad, Hess: obj.Hess}, u0, o.MaxIterations, gradTolerance, stop)
	r := &startResult{u: u0, ll: math.Inf(-1), gradient: math.Inf(1), hit: -1}
	var bad optimize.ErrFunc
	var badGrad optimize.ErrGrad
	if errors.As(err, &bad) || errors.As(err, &badGrad) || res == nil {
		r.reason, r.evals = "likelihood not finite at the starting point", obj.evals
		return r
	}
	r.u, r.ll, r.iterations = res.X, -res.F*lk.n, res.MajorIterations
	r.gradient = infNorm(res.Gradient)
	r.grad = res.Gradient
	if stop.hit >= 0 {
		r.hit, r.evals = stop.hit, obj.evals
		r.reason = fmt.Sprintf("parameter %s running off to %g", lk.names[stop.hit], math.Exp(r.u[stop.hit]))
		return r
	}
	var why string
	switch {
	case res.Status == optimize.StepConvergence:
		why = "Newton step below tolerance"
	case res.Status == optimize.GradientThreshold:
		why = "gradient below tolerance"
	case res.Status == optimize.IterationLimit:
		why = fmt.Sprintf("iteration limit %d reached", o.MaxIterations)
	case res.Status == optimize.FunctionConvergence:
		why = "no further improvement"
	case err != nil:
		why = err.Error()
	default:
		why = fmt.Sprintf("optimiser stopped (%v)", res.Status)
	}
	// Whatever stopped the start, it has converged if it passes the optimality check
	// (also at the iteration limit: a start that crept the last digits of a flat
	// likelihood has still found its maximum).
	var gain float64
	r.stdErr, gain = obj.atMaximum(r.u, res.Gradient)
	switch {
	case r.stdErr != nil && gain <= flatGain, r.stdErr == nil && r.gradient <= flatTolerance:
		r.converged, r.reason = true, why
	case r.stdErr != nil:
		r.reason = fmt.Sprintf("%s, %.3g below the maximum log-likelihood", why, gain)
	default:
		r.reason = fmt.Sprintf("%s with gradient %.3g per customer on a flat likelihood", why, r.gradient)
	}
	r.evals = obj.evals
	return r
}

func infNorm(g []float64) float64 {
	if len(g) == 0 {
		return math.Inf(1)
	}
	var m float64
	for _, v := range g {
		if math.IsNaN(v) {
			return math.Inf(1)
		}
		m = max(m, math.Abs(v))
	}
	return m
}

// stopRule is the Converger of each start: gonum calls it at every iteration with the
// new iterate, which it also hands to the objective as the centre of the next
// iteration's box. It stops a start whose parameter leaves boundLog of its reference
// (with optimize.Failure and hit set), one whose Newton step is below stepTolerance
// (optimize.StepConvergence), and one that has made no progress (gained less than
// relGain of |log L| and moved less than moveTolerance) over stallIterations
// iterations (optimize.FunctionConvergence); runStart then checks optimality.
type stopRule struct {
	obj      *objective
	ref      []float64
	hit      int
	progress func(model string, iteration int, logLik float64)
	best     float64   // lowest objective that counted as progress
	last     []float64 // the previous iterate
	stalls   int
	iter     int
}

func (s *stopRule) Init(int) { s.hit, s.best, s.last, s.stalls, s.iter = -1, math.Inf(1), nil, 0, 0 }

func (s *stopRule) Converged(loc *optimize.Location) optimize.Status {
	s.obj.center = append(s.obj.center[:0], loc.X...)
	s.iter++
	if s.progress != nil {
		s.progress(s.obj.lk.model, s.iter, math.Ldexp(-loc.F*s.obj.lk.n, -s.obj.lk.shift))
	}
	for i, v := range loc.X {
		if math.Abs(v-s.ref[i]) > boundLog {
			s.hit = i
			return optimize.Failure
		}
	}
	if step, gain, ok := s.obj.newtonStep(loc.X, loc.Gradient); ok && (step <= stepTolerance || (step >= ridgeStep && gain <= relGain*math.Abs(loc.F))) {
		// The Newton step is below tolerance, or it is long while what it would
		// still gain is below the no-progress threshold: on a likelihood flat along a
		// ridge (towards the boundary) such a gain is at the rounding level, where
		// the line search would spend dozens of evaluations halving the step. Near
		// an ordinary maximum a step of ridgeStep still gains far more.
		return optimize.StepConvergence
	}
	var move float64
	for i, v := range s.last {
		move = max(move, math.Abs(loc.X[i]-v))
	}
	moved := s.last == nil || move > moveTolerance
	s.last = append(s.last[:0], loc.X...)
	if s.best-loc.F > relGain*math.Max(math.Abs(loc.F), 1e-300) && moved {
		s.best, s.stalls = loc.F, 0
		return optimize.NotTerminated
	}
	if s.stalls++; s.stalls < stallIterations {
		return optimize.NotTerminated
	}
	return optimize.FunctionConvergence
}
