package scoring

import (
	"math"
	"slices"
	"sync"

	"gonum.org/v1/gonum/diff/fd"
	"gonum.org/v1/gonum/mat"
)

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
	// With an analytic Hessian (lk.hess), every evaluation computes the value, the
	// gradient and the Hessian of LL at once (they share the expensive terms), and
	// the last is kept: gonum asks for the value at a trial point and then, once the
	// line search accepts it, for the gradient and the Hessian there.
	au     []float64 // where the last full evaluation was
	av     float64   // LL there
	ag, ah []float64 // ∂LL/∂u and ∂²LL/∂u² there
	aok    bool      // whether LL was finite there
}

// full evaluates LL, its gradient and Hessian at u unless the last full evaluation
// was there, and reports whether they are finite.
func (o *objective) full(u []float64) bool {
	if o.au != nil && slices.Equal(u, o.au) {
		return o.aok
	}
	dim := len(u)
	if len(o.ag) != dim {
		o.ag, o.ah = make([]float64, dim), make([]float64, dim*dim)
	}
	o.evals++
	o.au = append(o.au[:0], u...)
	o.av = o.lk.hess(expAll(u), o.ag, o.ah)
	o.aok = finite(o.av)
	for _, v := range o.ag {
		o.aok = o.aok && finite(v)
	}
	for _, v := range o.ah {
		o.aok = o.aok && finite(v)
	}
	return o.aok
}

// value returns -LL(exp u)/n, +Inf where it is not finite or outside the box.
func (o *objective) value(u []float64) float64 {
	for i, c := range o.center {
		if math.Abs(u[i]-c) > maxLogStep {
			return math.Inf(1)
		}
	}
	if o.lk.hess != nil {
		if !o.full(u) {
			return math.Inf(1)
		}
		return -o.av / o.lk.n
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
	if o.lk.hess != nil {
		ok := o.full(u)
		for i := range g {
			g[i] = -o.ag[i] / o.lk.n
			if !ok {
				g[i] = math.NaN()
			}
		}
		return
	}
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

// newtonStep returns the largest change of a log-parameter in the Newton step H⁻¹g
// at u, with the Hessian gonum had evaluated there, and the decrease of the objective
// it predicts, ½ gᵀH⁻¹g; ok is false away from a maximum (H not positive definite).
// Near the maximum that step is the distance to it, so each parameter is then within
// a relative step of its estimate.
func (o *objective) newtonStep(u, g []float64) (step, gain float64, ok bool) {
	if !slices.Equal(u, o.hu) || len(g) != len(u) || !o.chol.Factorize(&o.h) {
		return 0, 0, false
	}
	if err := o.chol.SolveVecTo(&o.step, mat.NewVecDense(len(g), slices.Clone(g))); err != nil {
		return 0, 0, false
	}
	return infNorm(o.step.RawVector().Data), mat.Dot(&o.step, mat.NewVecDense(len(g), slices.Clone(g))) / 2, true
}

// hessian stores the Hessian of the objective at u in h: by forward differences while
// iterating (about half the evaluations; where that is too noisy for a flat direction,
// the start stalls and flatGain judges it) and by central differences at the maximum,
// where the standard errors come from.
// With an analytic gradient it is the Jacobian of the gradient, which is more accurate
// than second differences of the function.
func (o *objective) hessian(h *mat.SymDense, u []float64, central bool) {
	if o.lk.hess != nil {
		ok := o.full(u)
		dim := len(u)
		for i := range dim {
			for j := i; j < dim; j++ {
				v := -o.ah[i*dim+j] / o.lk.n
				if !ok {
					v = math.NaN()
				}
				h.SetSym(i, j, v)
			}
		}
		return
	}
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
