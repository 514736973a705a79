package scoring

import (
	"errors"
	"fmt"
	"math"
	"slices"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/optimize"
)

// newton maximises the penalised log-likelihood with the package's Newton solver
// (minimizeNewton, as the likelihood fits do) and returns the coefficients and the
// Newton steps taken. The objective is concave, so the Hessian gonum sees (the
// information) is positive definite wherever the fit is identified; a point where it
// is not fails the fit rather than letting gonum add a multiple of the identity,
// since there the features are collinear and no unique maximum exists.
func (f *logisticFit) newton(maxIter int) ([]float64, int, error) {
	return f.newtonFrom(maxIter, nil)
}

// newtonFrom is newton started at from (nil: f.start's point).
func (f *logisticFit) newtonFrom(maxIter int, from []float64) ([]float64, int, error) {
	beta, tot := f.start()
	if from != nil {
		copy(beta, from)
	}
	p := &logisticProblem{f: f}
	stop := &logisticStop{p: p}
	res, err := minimizeNewton(optimize.Problem{Func: p.Func, Grad: p.Grad, Hess: p.Hess}, beta, maxIter+1, 1e-9*math.Max(tot, 1), stop)
	fail := func(x []float64, reason string) ([]float64, int, error) {
		return nil, stop.iter, &ConvergenceError{Model: "logistic", Names: coefNames(f.dim), Params: slices.Clone(x), Reason: reason}
	}
	if res == nil {
		return fail(beta, err.Error())
	}
	beta, steps := res.X, max(res.MajorIterations-1, 0)
	switch {
	case stop.reason != "":
		return fail(beta, stop.reason)
	case stop.full:
		// The Newton decrement was below rounding of the objective: take the full step.
		floats.Add(beta, stop.step)
		steps++
	case errors.Is(err, optimize.ErrLinesearcherFailure), errors.Is(err, optimize.ErrNoProgress), errors.Is(err, optimize.ErrNonDescentDirection):
		// No descent is possible along the Newton direction: the maximum is reached to
		// rounding.
	case err != nil:
		return fail(beta, err.Error())
	case res.Status == optimize.IterationLimit:
		return fail(beta, fmt.Sprintf("iteration limit %d", maxIter))
	}
	return beta, steps, f.separated(beta)
}

// start returns the starting coefficients, the intercept at the log-odds of the
// (weighted) base rate and the slopes at 0, and the rows' total weight.
func (f *logisticFit) start() (beta []float64, tot float64) {
	var pos float64
	for i, yi := range f.y {
		tot += f.w[i]
		if yi {
			pos += f.w[i]
		}
	}
	beta = make([]float64, f.dim)
	beta[0] = math.Log(pos / (tot - pos))
	return beta, tot
}

// A logistic fit of many rows starts where a pilot fit on every logisticPilotEvery-th
// row ends, as the BTYD fits start from a pilot on coarsened data (pilot.go): the
// pilot's maximum is within a few of the full fit's standard errors of the full
// maximum, inside the region where Newton's method converges quadratically (Boyd &
// Vandenberghe 2004, §9.5.3), so the full fit takes 2 or 3 iterations instead of 5
// or 6, each a pass over every row for the derivatives and one for the objective,
// while the pilot's iterations cost 1/logisticPilotEvery of one. Only fits of at least
// logisticPilotMin rows have a pilot, so that the pilot has thousands of rows. The
// pilot maximises the same objective on the subsample, its penalty scaled by the
// subsample's share (the objective of the sample estimates that share of the full
// one), on the full fit's standardisation, so that its coefficients are a start in the
// full fit's coordinates. A pilot that fails (one class in the subsample, no
// convergence) is ignored. The full fit converges to the same maximum either way, to
// its stopping tolerance.
const (
	logisticPilotEvery = 16
	logisticPilotMin   = 100_000
)

// pilot returns the coefficients of the pilot fit, or nil where there is none.
func (f *logisticFit) pilot(maxIter int) []float64 {
	n := len(f.y)
	if n < logisticPilotMin {
		return nil
	}
	k := logisticPilotEvery
	m := (n + k - 1) / k
	p := &logisticFit{z: make([]float64, 0, m*f.dim), y: make([]bool, 0, m), w: make([]float64, 0, m),
		dim: f.dim, lambda: f.lambda / float64(k), workers: f.workers}
	var pos, neg float64
	for i := 0; i < n; i += k {
		p.z = append(p.z, f.z[i*f.dim:(i+1)*f.dim]...)
		p.y, p.w = append(p.y, f.y[i]), append(p.w, f.w[i])
		if f.y[i] {
			pos += f.w[i]
		} else {
			neg += f.w[i]
		}
	}
	if pos == 0 || neg == 0 {
		return nil
	}
	beta, _, err := p.newton(maxIter)
	if err != nil {
		return nil
	}
	return beta
}

// logisticProblem is the optimize.Problem of a logistic fit: the negative penalised
// log-likelihood, its gradient and its Hessian (the information). One pass over the
// rows gives both derivatives, so Grad keeps the information for the Hess call that
// gonum makes next at the same point, and for the stopping rule.
type logisticProblem struct {
	f    *logisticFit
	x    []float64 // where the derivatives were last evaluated
	g    []float64 // the gradient of the log-likelihood there
	info *mat.SymDense
}

func (p *logisticProblem) Func(beta []float64) float64 { return -p.f.objective(beta) }

func (p *logisticProblem) Grad(grad, beta []float64) {
	g := p.at(beta)
	for j, v := range g {
		grad[j] = -v
	}
}

func (p *logisticProblem) Hess(h *mat.SymDense, beta []float64) {
	p.at(beta)
	h.CopySym(p.info)
}

// at evaluates the derivatives at beta unless they are cached for it, and returns the
// gradient of the log-likelihood.
func (p *logisticProblem) at(beta []float64) []float64 {
	if p.info == nil || !slices.Equal(beta, p.x) {
		p.g, p.info = p.f.derivatives(beta)
		p.x = append(p.x[:0], beta...)
	}
	return p.g
}

// logisticStop is the Converger of a logistic fit. It fails the fit where the
// coefficients run off (separable classes without a penalty) or the information is
// not positive definite, and stops it where the Newton decrement g·H⁻¹g/2, the gain
// the full step predicts (Boyd & Vandenberghe 2004, §9.5.1), is below rounding of the
// objective: a comparison of objectives cannot then tell steps apart, so newton takes
// the full step (step) and ends.
type logisticStop struct {
	p      *logisticProblem
	iter   int
	chol   mat.Cholesky
	step   []float64
	full   bool
	reason string
}

func (s *logisticStop) Init(int) { s.iter, s.full, s.reason = 0, false, "" }

func (s *logisticStop) Converged(loc *optimize.Location) optimize.Status {
	s.iter++
	if s.iter > 1 && infNorm(loc.X) > 1e6 {
		s.reason = "coefficients diverging (separable classes without a penalty?)"
		return optimize.Failure
	}
	s.p.at(loc.X)
	if !s.chol.Factorize(s.p.info) {
		s.reason = "information matrix not positive definite (collinear features?)"
		return optimize.Failure
	}
	// loc.Gradient is the gradient of the negative log-likelihood, so the ascent step
	// H⁻¹g is the solution for -loc.Gradient.
	g := make([]float64, len(loc.Gradient))
	floats.ScaleTo(g, -1, loc.Gradient)
	var sv mat.VecDense
	if err := s.chol.SolveVecTo(&sv, mat.NewVecDense(len(g), slices.Clone(g))); err != nil {
		s.reason = err.Error()
		return optimize.Failure
	}
	s.step = sv.RawVector().Data
	if floats.Dot(g, s.step)/2 <= 1e-13*math.Max(1, math.Abs(loc.F)) {
		s.full = true
		return optimize.StepConvergence
	}
	return optimize.NotTerminated
}
