package scoring

import (
	"fmt"
	"math"
	"slices"
	"testing"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"
	"pgregory.net/rapid"
)

// newtonHalving is FitLogistic's solver before it moved onto minimizeNewton: Newton
// steps solved by Cholesky, halved until the objective does not fall. It stays here as
// the baseline the gonum path is checked and benchmarked against.
func (f *logisticFit) newtonHalving(maxIter int) ([]float64, int, error) {
	beta, tot := f.start()
	obj := f.objective(beta)
	var chol mat.Cholesky
	step := make([]float64, f.dim)
	next := make([]float64, f.dim)
	for it := 1; it <= maxIter; it++ {
		g, info := f.derivatives(beta)
		if infNorm(g) <= 1e-9*math.Max(tot, 1) {
			return beta, it - 1, f.separated(beta)
		}
		if !chol.Factorize(info) {
			return nil, it, &ConvergenceError{Model: "logistic", Names: coefNames(f.dim), Params: beta, Reason: "information matrix not positive definite (collinear features?)"}
		}
		sv := mat.NewVecDense(f.dim, step)
		if err := chol.SolveVecTo(sv, mat.NewVecDense(f.dim, slices.Clone(g))); err != nil {
			return nil, it, &ConvergenceError{Model: "logistic", Names: coefNames(f.dim), Params: beta, Reason: err.Error()}
		}
		// The Newton decrement g·H⁻¹g/2 predicts the gain of the full step (Boyd &
		// Vandenberghe 2004, §9.5.1). Once it is below rounding of the objective, a
		// comparison of objectives cannot tell the steps apart: take the full step and
		// stop.
		if floats.Dot(g, step)/2 <= 1e-13*math.Max(1, math.Abs(obj)) {
			for j := range beta {
				beta[j] += step[j]
			}
			return beta, it, f.separated(beta)
		}
		// Step halving keeps each iteration an ascent step far from the optimum.
		s, improved := 1.0, false
		for range 50 {
			for j := range beta {
				next[j] = beta[j] + s*step[j]
			}
			if v := f.objective(next); v >= obj {
				obj, improved = v, true
				copy(beta, next)
				break
			}
			s /= 2
		}
		if !improved {
			// No ascent is possible along the Newton direction: the maximum is reached
			// to rounding.
			return beta, it, f.separated(beta)
		}
		if infNorm(beta) > 1e6 {
			return nil, it, &ConvergenceError{Model: "logistic", Names: coefNames(f.dim), Params: beta, Reason: "coefficients diverging (separable classes without a penalty?)"}
		}
	}
	return nil, maxIter, &ConvergenceError{Model: "logistic", Names: coefNames(f.dim), Params: beta, Reason: fmt.Sprintf("iteration limit %d", maxIter)}
}

// TestLogisticNewtonMatchesHalving: on random designs, penalised and not, the gonum
// solver reaches the coefficients of the step-halving loop it replaced, and fails
// where that loop failed (separable classes without a penalty).
func TestLogisticNewtonMatchesHalving(t *testing.T) {
	rapid.Check(t, limitChecks(checksFor(60), func(t *rapid.T) {
		n := rapid.IntRange(4, 200).Draw(t, "n")
		d := rapid.IntRange(1, 4).Draw(t, "d")
		x, y := make([][]float64, n), make([]bool, n)
		for i := range x {
			x[i] = make([]float64, d)
			for j := range x[i] {
				x[i][j] = rapid.Float64Range(-100, 100).Draw(t, "x")
			}
			y[i] = rapid.Bool().Draw(t, "y")
		}
		y[0], y[1] = true, false
		opt := &LogisticOptions{Unpenalized: rapid.Bool().Draw(t, "unpenalized"), Lambda: rapid.Float64Range(0.01, 10).Draw(t, "lambda")}
		_, fit, o, err := prepareLogistic(x, y, opt)
		if err != nil {
			t.Skip(err) // a constant feature without a penalty
		}
		want, _, werr := fit.newtonHalving(o.MaxIterations)
		got, _, gerr := fit.newton(o.MaxIterations)
		if (werr == nil) != (gerr == nil) {
			t.Fatalf("halving: %v; gonum: %v", werr, gerr)
		}
		if werr != nil {
			return
		}
		for j := range want {
			if math.Abs(got[j]-want[j]) > 1e-7*math.Max(1, math.Abs(want[j])) {
				t.Fatalf("coefficient %d: gonum %.12g, halving %.12g", j, got[j], want[j])
			}
		}
	}))
}

// The solver alone on 200,000 rows of 8 features: minimizeNewton against the
// step-halving loop it replaced.
func benchLogisticSolver(b *testing.B, halving bool) {
	x, y := logisticData()
	_, fit, o, err := prepareLogistic(x, y, nil)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		solve := fit.newton
		if halving {
			solve = fit.newtonHalving
		}
		if _, _, err := solve(o.MaxIterations); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkLogisticNewton200k(b *testing.B)        { benchLogisticSolver(b, false) }
func BenchmarkLogisticNewton200kHalving(b *testing.B) { benchLogisticSolver(b, true) }

// A fit of many rows started from its pilot reaches the maximum the fit from the usual
// start reaches, in fewer Newton steps, penalised or not.
func TestLogisticPilotSameMaximum(t *testing.T) {
	// The benchmarks' rows, at their full size whatever -short says: the pilot is for
	// many rows, and -short's 4,000 have none.
	x, y := logisticRows(200_000)
	for _, o := range []*LogisticOptions{nil, {Unpenalized: true}} {
		_, fit, opts, err := prepareLogistic(x, y, o)
		if err != nil {
			t.Fatal(err)
		}
		from := fit.pilot(opts.MaxIterations)
		if from == nil {
			t.Fatal("no pilot on 200,000 rows")
		}
		want, plain, err := fit.newton(opts.MaxIterations)
		if err != nil {
			t.Fatal(err)
		}
		got, piloted, err := fit.newtonFrom(opts.MaxIterations, from)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("Newton steps: %d from the usual start, %d from the pilot", plain, piloted)
		if piloted >= plain {
			t.Errorf("the pilot saved no step: %d from it, %d without", piloted, plain)
		}
		for j := range want {
			if math.Abs(got[j]-want[j]) > 1e-7*math.Max(1, math.Abs(want[j])) {
				t.Errorf("coefficient %d: %.12g from the pilot, %.12g without", j, got[j], want[j])
			}
		}
	}
	small := &logisticFit{y: make([]bool, logisticPilotMin-1)}
	if small.pilot(100) != nil {
		t.Error("a pilot below logisticPilotMin rows")
	}
}
