package scoring

import (
	"math"

	"gonum.org/v1/gonum/optimize"
)

// minimizeNewton is the package's one Newton solver: gonum's optimize.Newton (Nocedal &
// Wright 2006, alg. 3.3: the Hessian plus a growing multiple of the identity until it
// is positive definite) with a backtracking line search on the Armijo condition, from
// x0, for at most maxIter major iterations (gonum counts the starting point as the
// first), stopping where the gradient's largest component is below gradTol or where
// stop says. The likelihood fits (runStart) and FitLogistic both go through it.
func minimizeNewton(p optimize.Problem, x0 []float64, maxIter int, gradTol float64, stop optimize.Converger) (*optimize.Result, error) {
	return optimize.Minimize(p, x0,
		&optimize.Settings{GradientThreshold: gradTol, MajorIterations: maxIter, Converger: stop},
		&optimize.Newton{Linesearcher: &roundingBacktracking{}, GradStopThreshold: gradTol},
	)
}

// roundingBacktracking is gonum's backtracking line search, which halves a step that
// fails the Armijo condition down to a step of 1e-20, made to give up as soon as the
// decrease the step could still bring, step·|∂f/∂step|, is below the rounding of the
// objective (roundingLevel of |f|): beyond that a step passes or fails the condition
// by rounding alone. On a likelihood flat to the last digits (a ridge towards the
// boundary) the 66 halvings to 1e-20 cost as many evaluations of the likelihood per
// iteration; the start then ends with the line search's failure, and its optimality
// is checked as for any other ending.
type roundingBacktracking struct {
	optimize.Backtracking
	f, g float64
}

const roundingLevel = 1e-14

func (b *roundingBacktracking) Init(f, g, step float64) optimize.Operation {
	b.f, b.g = f, g
	return b.Backtracking.Init(f, g, step)
}

func (b *roundingBacktracking) Iterate(f, g float64) (optimize.Operation, float64, error) {
	op, step, err := b.Backtracking.Iterate(f, g)
	if op == optimize.FuncEvaluation && step*math.Abs(b.g) < roundingLevel*math.Abs(b.f) {
		return optimize.NoOperation, step, optimize.ErrLinesearcherFailure
	}
	return op, step, err
}
