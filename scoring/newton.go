package scoring

import "gonum.org/v1/gonum/optimize"

// minimizeNewton is the package's one Newton solver: gonum's optimize.Newton (Nocedal &
// Wright 2006, alg. 3.3: the Hessian plus a growing multiple of the identity until it
// is positive definite) with a backtracking line search on the Armijo condition, from
// x0, for at most maxIter major iterations (gonum counts the starting point as the
// first), stopping where the gradient's largest component is below gradTol or where
// stop says. The likelihood fits (runStart) and FitLogistic both go through it.
func minimizeNewton(p optimize.Problem, x0 []float64, maxIter int, gradTol float64, stop optimize.Converger) (*optimize.Result, error) {
	return optimize.Minimize(p, x0,
		&optimize.Settings{GradientThreshold: gradTol, MajorIterations: maxIter, Converger: stop},
		&optimize.Newton{Linesearcher: &optimize.Backtracking{}, GradStopThreshold: gradTol},
	)
}
