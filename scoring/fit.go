package scoring

import (
	"fmt"
	"math"
	"runtime"
	"slices"
	"sync"
	"time"

	"gonum.org/v1/gonum/diff/fd"
	"gonum.org/v1/gonum/mat"
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
	// Starts is the number of starting points tried [3]. Each runs a damped Newton
	// method on the log-parameters to convergence; the converged start with the
	// highest log-likelihood wins, so a local maximum reached from one start is not
	// reported when another start finds a higher one.
	Starts int
	// Workers is the number of goroutines that evaluate the likelihood
	// [runtime.GOMAXPROCS(0)]. Small data sets are evaluated on one goroutine whatever
	// Workers says, as splitting them costs more than it saves.
	Workers int
	// MaxIterations bounds the Newton iterations of each start [100].
	MaxIterations int
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
	Starts      int     // starting points tried
	Converged   int     // starting points that converged
	Iterations  int     // Newton iterations of the winning start
	Evaluations int     // likelihood evaluations of the winning start
	Gradient    float64 // largest |∂ log L / ∂ log θ| per customer at the maximum
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

// Bounds of the log-parameters. Beyond logParamRunaway a parameter is running off to 0
// or infinity: the likelihood's supremum is on the boundary (for example a dropout
// process the data cannot see), and the fit is reported as not converged.
const (
	logParamRunaway = 18.0
	maxLogStep      = 2.0  // largest change of a log-parameter in one Newton step
	gradTolerance   = 1e-7 // per customer, on ∂ log L / ∂ log θ
)

type startResult struct {
	u          []float64
	ll         float64
	converged  bool
	reason     string
	iterations int
	evals      int
	gradient   float64
}

// maximise runs the multi-start maximum-likelihood fit and returns the natural
// parameters, the log-likelihood and the diagnostics.
//
// Each start runs Newton's method on the log-parameters with Levenberg-Marquardt
// damping (Nocedal & Wright 2006, ch. 10): the step solves (-H + μ·diag(-H)) δ = g by a
// Cholesky factorisation, μ grows until the step both exists and raises the likelihood,
// and shrinks after each success, so that the method is a cautious gradient ascent far
// from the maximum and Newton's method, with its quadratic convergence, near it. The
// derivatives come from gonum's fd package (or the model's analytic gradient) and the
// linear algebra from gonum's mat. (gonum's optimize package would offer BFGS, but it
// imports golang.org/x/tools, which this module does not require.) Newton's method also
// leaves the Hessian at the maximum, which gives the standard errors.
func maximise(lk likelihood, starts [][]float64, o FitOptions) ([]float64, float64, Diagnostics, error) {
	if len(starts) > o.Starts {
		starts = starts[:o.Starts]
	}
	d := Diagnostics{Customers: lk.n, Rows: lk.rows, Starts: len(starts)}
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
	theta := expAll(best.u)
	d.Iterations, d.Evaluations, d.Gradient = best.iterations, best.evals, best.gradient
	ev := &evaluator{lk: lk}
	d.StdErr = standardErrors(ev.hessian(best.u, true, 0, nil), best.u)
	return theta, best.ll, d, nil
}

func expAll(u []float64) []float64 {
	out := make([]float64, len(u))
	for i, v := range u {
		out[i] = math.Exp(v)
	}
	return out
}

// evaluator computes the log-likelihood and its derivatives in the log-parameters,
// counting evaluations.
type evaluator struct {
	lk    likelihood
	evals int
}

// ll returns the total log-likelihood at exp(u), -Inf where it is not finite.
func (e *evaluator) ll(u []float64) float64 {
	e.evals++
	v := e.lk.eval(expAll(u), nil)
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return math.Inf(-1)
	}
	return v
}

// gradient stores ∂LL/∂u in g and returns LL.
func (e *evaluator) gradient(u, g []float64) float64 {
	if e.lk.analytic {
		e.evals++
		clear(g)
		v := e.lk.eval(expAll(u), g)
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return math.Inf(-1)
		}
		return v
	}
	// Central differences in the log-parameters: steps relative to each parameter's
	// scale, which is what the log-parameterisation buys.
	fd.Gradient(g, e.ll, slices.Clone(u), &fd.Settings{Formula: fd.Central})
	return e.ll(u)
}

// hessian returns the Hessian of LL in u: forward differences while iterating (about
// half the evaluations; the Newton direction needs no more accuracy) and central
// differences at the maximum, where the standard errors come from. With an analytic
// gradient it is the Jacobian of the gradient, which is more accurate than second
// differences of the function.
//
// The caller passes the log-likelihood and gradient it already has at u, which forward
// differences reuse instead of evaluating them again.
func (e *evaluator) hessian(u []float64, central bool, ll float64, g []float64) *mat.SymDense {
	dim := len(u)
	h := mat.NewSymDense(dim, nil)
	if !e.lk.analytic {
		s := &fd.Settings{Formula: fd.Central}
		if !central {
			s = &fd.Settings{Formula: fd.Forward, OriginKnown: true, OriginValue: ll}
		}
		fd.Hessian(h, e.ll, slices.Clone(u), s)
		return h
	}
	js := &fd.JacobianSettings{Formula: fd.Central}
	if !central {
		js = &fd.JacobianSettings{Formula: fd.Forward, OriginValue: slices.Clone(g)}
	}
	jac := mat.NewDense(dim, dim, nil)
	fd.Jacobian(jac, func(y, v []float64) { e.gradient(v, y) }, slices.Clone(u), js)
	for i := range dim {
		for j := i; j < dim; j++ {
			h.SetSym(i, j, (jac.At(i, j)+jac.At(j, i))/2)
		}
	}
	return h
}

func infNorm(g []float64) float64 {
	var m float64
	for _, v := range g {
		if math.IsNaN(v) {
			return math.Inf(1)
		}
		m = max(m, math.Abs(v))
	}
	return m
}

func runStart(lk likelihood, start []float64, o FitOptions) *startResult {
	dim := len(start)
	ev := &evaluator{lk: lk}
	u := make([]float64, dim)
	for i, v := range start {
		u[i] = math.Log(v)
	}
	r := &startResult{u: u}
	g := make([]float64, dim)
	ll := ev.gradient(u, g)
	if math.IsInf(ll, -1) {
		r.ll, r.reason = ll, "likelihood not finite at the starting point"
		return r
	}
	var (
		mu    float64 // Levenberg-Marquardt damping, relative to diag(-H)
		delta = make([]float64, dim)
		next  = make([]float64, dim)
		gNext = make([]float64, dim)
		a     = mat.NewSymDense(dim, nil)
		chol  mat.Cholesky
	)
	r.reason = "iteration limit"
	// Stall detection: a run of steps that gain almost nothing either sits at the
	// maximum (parameters still) or walks along a flat ridge towards the boundary
	// (parameters moving), where Newton's method would crawl to the iteration limit.
	stalls, anchor := 0, slices.Clone(u)
	for r.iterations = 0; r.iterations < o.MaxIterations; r.iterations++ {
		if infNorm(g)/lk.n <= gradTolerance {
			r.converged, r.reason = true, "gradient below tolerance"
			break
		}
		h := ev.hessian(u, false, ll, g)
		accepted := false
		for try := 0; try < 60 && !accepted; try++ {
			for i := range dim {
				for j := i; j < dim; j++ {
					v := -h.At(i, j)
					if i == j {
						v += mu * math.Max(math.Abs(v), 1e-8*lk.n)
					}
					a.SetSym(i, j, v)
				}
			}
			if !chol.Factorize(a) {
				mu = math.Max(mu*4, 1e-4)
				continue
			}
			dv := mat.NewVecDense(dim, delta)
			if err := chol.SolveVecTo(dv, mat.NewVecDense(dim, slices.Clone(g))); err != nil {
				mu = math.Max(mu*4, 1e-4)
				continue
			}
			// Cap the step so that one iteration changes no parameter by more than e².
			if s := infNorm(delta); s > maxLogStep {
				for i := range delta {
					delta[i] *= maxLogStep / s
				}
			}
			for i := range u {
				next[i] = u[i] + delta[i]
			}
			llNext := ev.gradient(next, gNext)
			if llNext >= ll {
				if llNext-ll < 1e-10*lk.n {
					stalls++
				} else {
					stalls = 0
					copy(anchor, next)
				}
				accepted = true
				copy(u, next)
				copy(g, gNext)
				ll = llNext
				if mu /= 8; mu < 1e-12 {
					mu = 0
				}
				break
			}
			// A step that cannot improve the function to rounding means the maximum is
			// reached as closely as floating point allows.
			if infNorm(delta) < 1e-12 {
				break
			}
			mu = math.Max(mu*4, 1e-4)
		}
		if !accepted {
			if infNorm(g)/lk.n <= 1e-5 {
				r.converged, r.reason = true, "no further improvement"
			} else {
				r.reason = "line search failed"
			}
			break
		}
		if v := infNorm(u); v > logParamRunaway {
			break
		}
		if stalls >= 8 {
			var moved float64
			for i := range u {
				moved = max(moved, math.Abs(u[i]-anchor[i]))
			}
			if moved > 1e-3 {
				r.reason = "likelihood flat along a ridge, parameters drifting towards the boundary"
			} else if infNorm(g)/lk.n <= 1e-5 {
				r.converged, r.reason = true, "no further improvement"
			} else {
				r.reason = "no progress"
			}
			r.iterations++
			break
		}
	}
	r.ll, r.evals, r.gradient = ll, ev.evals, infNorm(g)/lk.n
	for i, v := range u {
		if math.Abs(v) > logParamRunaway {
			r.converged = false
			r.reason = fmt.Sprintf("parameter %s running off to %g", lk.names[i], math.Exp(v))
		}
	}
	if !r.converged && r.reason == "iteration limit" {
		r.reason = fmt.Sprintf("iteration limit %d reached with gradient %.3g per customer", o.MaxIterations, r.gradient)
	}
	return r
}

// standardErrors inverts the observed information (the negative Hessian of LL in the
// log-parameters u) and maps it to the natural parameters by the delta method:
// se(θ) = θ·se(log θ). It returns nil if the information is not positive definite.
func standardErrors(h *mat.SymDense, u []float64) []float64 {
	dim := len(u)
	info := mat.NewSymDense(dim, nil)
	for i := range dim {
		for j := i; j < dim; j++ {
			info.SetSym(i, j, -h.At(i, j))
		}
	}
	var ch mat.Cholesky
	if !ch.Factorize(info) {
		return nil
	}
	var cov mat.SymDense
	if err := ch.InverseTo(&cov); err != nil {
		return nil
	}
	se := make([]float64, dim)
	for i := range dim {
		v := cov.At(i, i)
		if !(v > 0) || math.IsInf(v, 0) {
			return nil
		}
		se[i] = math.Exp(u[i]) * math.Sqrt(v)
	}
	return se
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
