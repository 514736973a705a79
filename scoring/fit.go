package scoring

import (
	"errors"
	"fmt"
	"math"
	"runtime"
	"slices"
	"sync"
	"time"

	"gonum.org/v1/gonum/diff/fd"
	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/optimize"
)

// MinCustomers is the fewest customers (total weight) a model is fitted on. Below it a
// four-parameter likelihood is nearly flat and its maximum says nothing.
const MinCustomers = 10

// FitOptions tune a maximum-likelihood fit. The zero value (or nil) takes the defaults
// shown in brackets.
type FitOptions struct {
	// Unit is the time unit of the customers' Recency and T; it is recorded in the
	// model (and its JSON) so that a host scoring later knows what t means. Zero means
	// unrecorded.
	Unit time.Duration
	// Starts is the number of starting points tried [3]. From each, gonum's Newton
	// method (optimize.Newton) maximises the likelihood over the log-parameters; the
	// converged start with the highest log-likelihood wins, so a local maximum reached
	// from one start is not reported when another start finds a higher one.
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
	// individually identified.
	StdErr      []float64
	Penalizer   float64 // FitOptions.Penalizer of the fit; 0 for plain maximum likelihood
	Starts      int     // starting points tried
	Converged   int     // starting points that converged
	Iterations  int     // major iterations of the winning start, its starting point included
	Evaluations int     // likelihood evaluations of the winning start, finite differences included
	Gradient    float64 // largest |∂ log L / ∂ log θ| per customer at the maximum (of the penalised objective, if penalised)
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
}

// Tolerances of the fit and bounds of its steps, in the log-parameters. The objective
// is the log-likelihood per customer, so the per-customer tolerances hold whatever the
// size of the base. Beyond logParamRunaway a parameter is running off to 0 or
// infinity: the likelihood's supremum is on the boundary (for example a dropout
// process the data cannot see), and the fit is reported as not converged.
//
// A start normally converges on stepTolerance: near the maximum the Newton step is the
// distance to it, so each parameter is then within a relative 1e-7 of its estimate.
// Where rounding stops progress first (finite-difference gradients, or a direction
// so flat that the forward-difference Hessian is mostly noise) the start stalls, and
// it has converged if the Newton step from there would gain less than flatGain of
// log-likelihood: the estimate is then within √(2·flatGain) = 0.01 standard errors of
// the maximum, in the metric of the observed information. Where the information is
// not positive definite (the likelihood flat in some direction) a stalled start has
// converged if its gradient is below flatTolerance, and the fit has no standard errors.
const (
	logParamRunaway = 18.0
	maxLogStep      = 2.0   // largest change of a log-parameter in one iteration
	stepTolerance   = 1e-7  // converged when the Newton step changes no log-parameter by more
	gradTolerance   = 1e-12 // or when ∂ log L / ∂ log θ per customer is below this
	stallGain       = 1e-10 // per customer: an iteration gaining less makes no progress
	stallIterations = 2     // iterations without progress before a start stops
	flatGain        = 5e-5  // a stalled start converged if a Newton step would gain less log L
	flatTolerance   = 1e-5  // or, where the likelihood is flat, if ∂ log L / ∂ log θ is below this
)

type startResult struct {
	u          []float64
	ll         float64
	converged  bool
	reason     string
	iterations int
	evals      int
	gradient   float64
	stdErr     []float64 // when stdErrDone: the standard errors at u, nil if undefined
	stdErrDone bool
}

// maximise runs the multi-start maximum-likelihood fit and returns the natural
// parameters, the log-likelihood and the diagnostics.
//
// Each start minimises the negative log-likelihood per customer in the log-parameters
// with gonum's optimize.Newton (Nocedal & Wright 2006, alg. 3.3: the Hessian plus a
// growing multiple of the identity until it is positive definite, so that the step
// turns towards the gradient where the likelihood is not concave, and Newton's method
// converges quadratically near the maximum) and a backtracking (Armijo) line search.
// The gradient is the model's analytic one or gonum fd's central differences; the
// Hessian is by forward differences of the gradient (or second differences of the
// likelihood) while iterating, and by central differences at the maximum, where it
// gives the standard errors.
//
// Why Newton with backtracking rather than optimize.BFGS, which needs no Hessian:
// BFGS's line search may double a step and its curvature pairs need the strong Wolfe
// conditions, while these likelihoods need every step confined to a box of ±maxLogStep
// in each log-parameter (objective.value): the Pareto/NBD 2F1 series costs time in
// proportion to its parameters, and one unconfined step to s = 1e15 never returns.
// Backtracking from the full Newton step simply shortens such a step. On CDNOW the two
// methods fit BG/NBD in about the same time (Newton about 7 iterations per start, BFGS
// about 22), so the robust one wins.
func maximise(lk likelihood, starts [][]float64, o FitOptions) ([]float64, float64, Diagnostics, error) {
	if !(o.Penalizer >= 0) || math.IsInf(o.Penalizer, 1) {
		return nil, 0, Diagnostics{}, fmt.Errorf("%w: penalizer %v, want a finite number >= 0", ErrInput, o.Penalizer)
	}
	if len(starts) > o.Starts {
		starts = starts[:o.Starts]
	}
	plain := lk
	lk = lk.penalised(o.Penalizer)
	d := Diagnostics{Customers: lk.n, Rows: lk.rows, Starts: len(starts), Penalizer: o.Penalizer}
	var best, bestAny *startResult
	for _, s := range starts {
		r := runStart(lk, s, o)
		if bestAny == nil || r.ll > bestAny.ll || math.IsNaN(bestAny.ll) {
			bestAny = r
		}
		if r.converged {
			d.Converged++
			if best == nil || r.ll > best.ll {
				best = r
			}
		}
	}
	if best == nil {
		return nil, 0, d, &ConvergenceError{Model: lk.model, Names: lk.names, Params: expAll(bestAny.u), Reason: bestAny.reason}
	}
	d.Iterations, d.Evaluations, d.Gradient = best.iterations, best.evals, best.gradient
	theta := expAll(best.u)
	if o.Penalizer > 0 {
		return theta, plain.eval(theta, nil), d, nil
	}
	if !best.stdErrDone {
		best.stdErr, _ = (&objective{lk: lk}).atMaximum(best.u, nil)
	}
	d.StdErr = best.stdErr
	return theta, best.ll, d, nil
}

// penalised returns lk with c·n·Σθ² taken off its log-likelihood (and 2c·n·θᵢ² off
// each ∂/∂ log θᵢ): the objective of FitOptions.Penalizer, scaled like the rest of the
// log-likelihood by the customers' total weight n.
func (lk likelihood) penalised(c float64) likelihood {
	if c == 0 {
		return lk
	}
	eval := lk.eval
	lk.eval = func(theta, grad []float64) float64 {
		v := eval(theta, grad)
		for i, t := range theta {
			v -= c * lk.n * t * t
			if grad != nil && lk.analytic {
				grad[i] -= 2 * c * lk.n * t * t
			}
		}
		return v
	}
	return lk
}

func expAll(u []float64) []float64 {
	out := make([]float64, len(u))
	for i, v := range u {
		out[i] = math.Exp(v)
	}
	return out
}

// runStart minimises the objective from one starting point (natural parameters) with
// optimize.Minimize and translates gonum's status into ours.
func runStart(lk likelihood, start []float64, o FitOptions) *startResult {
	u0 := make([]float64, len(start))
	for i, v := range start {
		u0[i] = math.Log(v)
	}
	obj := &objective{lk: lk, center: slices.Clone(u0)}
	stop := &stopRule{obj: obj}
	res, err := optimize.Minimize(
		optimize.Problem{Func: obj.Func, Grad: obj.Grad, Hess: obj.Hess},
		u0,
		&optimize.Settings{GradientThreshold: gradTolerance, MajorIterations: o.MaxIterations, Converger: stop},
		&optimize.Newton{Linesearcher: &optimize.Backtracking{}, GradStopThreshold: gradTolerance},
	)
	r := &startResult{u: u0, ll: math.Inf(-1), gradient: math.Inf(1)}
	var bad optimize.ErrFunc
	var badGrad optimize.ErrGrad
	if errors.As(err, &bad) || errors.As(err, &badGrad) || res == nil {
		r.reason, r.evals = "likelihood not finite at the starting point", obj.evals
		return r
	}
	r.u, r.ll, r.iterations = res.X, -res.F*lk.n, res.MajorIterations
	r.gradient = infNorm(res.Gradient)
	stalled := res.Status == optimize.FunctionConvergence || errors.Is(err, optimize.ErrLinesearcherFailure) || errors.Is(err, optimize.ErrNoProgress)
	switch {
	case stop.reason != "":
		r.reason = stop.reason
	case res.Status == optimize.StepConvergence:
		r.converged, r.reason = true, "Newton step below tolerance"
	case res.Status == optimize.GradientThreshold:
		r.converged, r.reason = true, "gradient below tolerance"
	case res.Status == optimize.IterationLimit:
		r.reason = fmt.Sprintf("iteration limit %d reached with gradient %.3g per customer", o.MaxIterations, r.gradient)
	case stalled:
		// No step improves the likelihood any more, to rounding. Where the likelihood
		// curves down in every direction that is the maximum, reached as closely as
		// rounding allows, if a Newton step would gain next to nothing. Where it is
		// flat in some direction there are no standard errors and no step to judge
		// by: if the parameters still drifted while the likelihood stood still, the
		// start is walking a ridge towards the boundary; if they stood still too and
		// the gradient is below flatTolerance, the maximum is reached (Diagnostics
		// reports it with StdErr nil).
		var gain float64
		r.stdErr, gain = obj.atMaximum(r.u, res.Gradient)
		r.stdErrDone = true
		switch {
		case r.stdErr != nil && gain <= flatGain, r.stdErr == nil && stop.drift(r.u) <= 1e-3 && r.gradient <= flatTolerance:
			r.converged, r.reason = true, "no further improvement"
		case r.stdErr != nil:
			r.reason = fmt.Sprintf("no further improvement, %.3g below the maximum log-likelihood", gain)
		case stop.drift(r.u) > 1e-3:
			r.reason = "likelihood flat along a ridge, parameters drifting towards the boundary"
		default:
			r.reason = fmt.Sprintf("no further improvement with gradient %.3g per customer on a flat likelihood", r.gradient)
		}
	case err != nil:
		r.reason = fmt.Sprintf("%v, with gradient %.3g per customer", err, r.gradient)
	default:
		r.reason = fmt.Sprintf("optimiser stopped (%v) with gradient %.3g per customer", res.Status, r.gradient)
	}
	for i, v := range r.u {
		if math.Abs(v) > logParamRunaway {
			r.converged = false
			r.reason = fmt.Sprintf("parameter %s running off to %g", lk.names[i], math.Exp(v))
		}
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
// iteration's box. It stops a start whose parameters leave |log θ| <= logParamRunaway
// (with optimize.Failure and a reason), one whose Newton step is below stepTolerance
// (optimize.StepConvergence), and one that has gained less than stallGain over
// stallIterations iterations (optimize.FunctionConvergence), which runStart then
// examines.
type stopRule struct {
	obj    *objective
	reason string
	best   float64   // lowest objective that counted as progress
	anchor []float64 // where it was reached
	stalls int
}

func (s *stopRule) Init(int) { s.reason, s.best, s.anchor, s.stalls = "", math.Inf(1), nil, 0 }

// drift returns how far u is from the last iterate that made progress, in the largest
// log-parameter change.
func (s *stopRule) drift(u []float64) float64 {
	var d float64
	for i, v := range s.anchor {
		d = max(d, math.Abs(u[i]-v))
	}
	return d
}

func (s *stopRule) Converged(loc *optimize.Location) optimize.Status {
	s.obj.center = append(s.obj.center[:0], loc.X...)
	for i, v := range loc.X {
		if math.Abs(v) > logParamRunaway {
			s.reason = fmt.Sprintf("parameter %s running off to %g", s.obj.lk.names[i], math.Exp(v))
			return optimize.Failure
		}
	}
	if s.obj.newtonStepBelow(loc.X, loc.Gradient, stepTolerance) {
		return optimize.StepConvergence
	}
	if s.best-loc.F >= stallGain {
		s.best, s.stalls, s.anchor = loc.F, 0, append(s.anchor[:0], loc.X...)
		return optimize.NotTerminated
	}
	if s.stalls++; s.stalls < stallIterations {
		return optimize.NotTerminated
	}
	return optimize.FunctionConvergence
}

// objective is what gonum minimises: the negative log-likelihood per customer,
// -LL(exp u)/n, in the log-parameters u, with its gradient and Hessian in u. Steps of
// the finite differences are then relative to each parameter's scale, which is what
// the log-parameterisation buys.
//
// Its value is +Inf where the likelihood is not finite and, without evaluating the
// likelihood, at points farther than maxLogStep from the current iterate (center) in
// some log-parameter: gonum's backtracking line search treats +Inf as a step too long
// and halves it, so each iteration changes no parameter by more than a factor e², far
// from the maximum where the Newton step is unreliable.
//
// It counts the likelihood evaluations and remembers the value and gradient at the
// last point gonum asked for them, which the forward differences of the Hessian at
// that point reuse as their origin. gonum evaluates one Newton run's tasks one after
// another, so an objective needs no lock.
type objective struct {
	lk     likelihood
	evals  int
	center []float64 // the current iterate; nil means no box
	fu     []float64 // where Func was last evaluated
	f      float64   // and its value
	gu     []float64 // where Grad was last evaluated
	g      []float64 // and its value
	hu     []float64 // where Hess was last evaluated
	h      mat.SymDense
	chol   mat.Cholesky
	step   mat.VecDense
}

// value returns -LL(exp u)/n, +Inf where it is not finite or outside the box.
func (o *objective) value(u []float64) float64 {
	for i, c := range o.center {
		if math.Abs(u[i]-c) > maxLogStep {
			return math.Inf(1)
		}
	}
	o.evals++
	v := o.lk.eval(expAll(u), nil)
	if !finite(v) {
		return math.Inf(1)
	}
	return -v / o.lk.n
}

// gradient stores ∂(-LL/n)/∂u at u in g.
func (o *objective) gradient(g, u []float64) {
	if !o.lk.analytic {
		fd.Gradient(g, o.value, u, &fd.Settings{Formula: fd.Central})
		return
	}
	o.evals++
	clear(g)
	if v := o.lk.eval(expAll(u), g); !finite(v) {
		for i := range g {
			g[i] = math.NaN()
		}
		return
	}
	for i := range g {
		g[i] /= -o.lk.n
	}
}

// Func, Grad and Hess are the optimize.Problem.
func (o *objective) Func(u []float64) float64 {
	o.f = o.value(u)
	o.fu = append(o.fu[:0], u...)
	return o.f
}

func (o *objective) Grad(g, u []float64) {
	o.gradient(g, u)
	o.gu, o.g = append(o.gu[:0], u...), append(o.g[:0], g...)
}

func (o *objective) Hess(h *mat.SymDense, u []float64) {
	o.hessian(h, u, false)
	o.hu = append(o.hu[:0], u...)
	if o.h.IsEmpty() {
		o.h.ReuseAsSym(len(u))
	}
	o.h.CopySym(h)
}

// newtonStepBelow reports whether the Newton step H⁻¹g at u, with the Hessian gonum
// had evaluated there, changes no log-parameter by more than tol. Near the maximum
// that step is the distance to it, so each parameter is then within a relative tol of
// its estimate. Away from a maximum (H not positive definite) it reports false.
func (o *objective) newtonStepBelow(u, g []float64, tol float64) bool {
	if !slices.Equal(u, o.hu) || len(g) != len(u) || !o.chol.Factorize(&o.h) {
		return false
	}
	if err := o.chol.SolveVecTo(&o.step, mat.NewVecDense(len(g), slices.Clone(g))); err != nil {
		return false
	}
	return infNorm(o.step.RawVector().Data) <= tol
}

// hessian stores the Hessian of the objective at u in h: by forward differences while
// iterating (about half the evaluations; where that is too noisy for a flat direction,
// the start stalls and flatGain judges it) and by central differences at the maximum,
// where the standard errors come from.
// With an analytic gradient it is the Jacobian of the gradient, which is more accurate
// than second differences of the function.
func (o *objective) hessian(h *mat.SymDense, u []float64, central bool) {
	if !o.lk.analytic {
		s := &fd.Settings{Formula: fd.Central}
		if !central {
			s = &fd.Settings{Formula: fd.Forward, OriginKnown: slices.Equal(u, o.fu), OriginValue: o.f}
		}
		fd.Hessian(h, o.value, u, s)
		return
	}
	js := &fd.JacobianSettings{Formula: fd.Central}
	if !central {
		js.Formula = fd.Forward
		if slices.Equal(u, o.gu) {
			js.OriginValue = o.g
		}
	}
	dim := len(u)
	jac := mat.NewDense(dim, dim, nil)
	fd.Jacobian(jac, o.gradient, u, js)
	for i := range dim {
		for j := i; j < dim; j++ {
			h.SetSym(i, j, (jac.At(i, j)+jac.At(j, i))/2)
		}
	}
}

// atMaximum returns the asymptotic standard errors of the natural parameters at u,
// from the observed information in the log-parameters (n times the central Hessian of
// the objective -LL/n) by the delta method, se(θ) = θ·se(log θ), and, given the
// objective's gradient g, the log-likelihood a Newton step from u would gain,
// ½ (n g)ᵀ I⁻¹ (n g). The standard errors are nil if the information is not positive
// definite.
func (o *objective) atMaximum(u, g []float64) (se []float64, gain float64) {
	dim := len(u)
	h := mat.NewSymDense(dim, nil)
	o.hessian(h, u, true)
	info := mat.NewSymDense(dim, nil)
	info.ScaleSym(o.lk.n, h)
	var ch mat.Cholesky
	if !ch.Factorize(info) {
		return nil, math.Inf(1)
	}
	var cov mat.SymDense
	if err := ch.InverseTo(&cov); err != nil {
		return nil, math.Inf(1)
	}
	se = make([]float64, dim)
	for i := range dim {
		v := cov.At(i, i)
		if !(v > 0) || math.IsInf(v, 0) {
			return nil, math.Inf(1)
		}
		se[i] = math.Exp(u[i]) * math.Sqrt(v)
	}
	if len(g) == dim {
		ng := mat.NewVecDense(dim, nil)
		ng.ScaleVec(o.lk.n, mat.NewVecDense(dim, slices.Clone(g)))
		gain = mat.Inner(ng, &cov, ng) / 2
	}
	return se, gain
}

// parallelSum splits [0, n) into contiguous chunks, runs eval on each (on up to workers
// goroutines) with its own accumulator of size k, and adds the chunks' results in chunk
// order, so that the sum is the same however the goroutines are scheduled.
func parallelSum(n, workers, k int, acc []float64, eval func(lo, hi int, acc []float64)) {
	const minChunk = 4096
	chunks := min(workers, (n+minChunk-1)/minChunk)
	if chunks <= 1 {
		eval(0, n, acc)
		return
	}
	// Each chunk's accumulator starts on its own cache line, so that goroutines
	// adding into them do not invalidate each other's caches.
	stride := (k + 15) &^ 7
	parts := make([]float64, chunks*stride)
	var wg sync.WaitGroup
	for c := range chunks {
		lo, hi := c*n/chunks, (c+1)*n/chunks
		wg.Go(func() { eval(lo, hi, parts[c*stride:c*stride+k]) })
	}
	wg.Wait()
	for c := range chunks {
		for i := range k {
			acc[i] += parts[c*stride+i]
		}
	}
}
