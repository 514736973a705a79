package stats

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/stat/distuv"
)

// KornGraubard returns the Korn & Graubard (1998) interval for a proportion p estimated
// from clustered data with the design-based variance v, from n clusters of m elements
// in all: the Clopper-Pearson interval at the effective sample size
//
//	n* = p(1-p)/v, capped at m,
//
// with x = p·n* successes (Korn and Graubard, "Confidence intervals for proportions
// with small expected number of positive counts estimated from survey data", Survey
// Methodology 24(2), 1998, eq. 2, without their degrees-of-freedom adjustment). Where
// the variance says nothing (v = 0, as when every cluster has the same share, which
// happens when every cluster is all-or-nothing on the same side, or n < 2 and v is
// unknown) n* is the number of clusters n: each cluster counts as one trial. A normal
// interval there collapses to a point: 21 points of one member that all expired would
// claim a breakage of exactly 100%.
func KornGraubard(p, v float64, n int, m, level float64) (Interval, error) {
	switch {
	case !(p >= 0 && p <= 1):
		return Interval{}, fmt.Errorf("%w: proportion %v outside [0, 1]", ErrInput, p)
	case !(v >= 0) || math.IsInf(v, 0):
		return Interval{}, fmt.Errorf("%w: variance %v", ErrInput, v)
	case n < 0 || !(m >= float64(n)) || math.IsInf(m, 0):
		return Interval{}, fmt.Errorf("%w: %d clusters of %v elements", ErrInput, n, m)
	case !(level > 0 && level < 1):
		return Interval{}, fmt.Errorf("%w: confidence level %v outside (0, 1)", ErrInput, level)
	}
	if n == 0 {
		return Interval{0, 0, 1}, nil
	}
	ne := float64(n)
	if v > 0 && p > 0 && p < 1 {
		ne = math.Min(p*(1-p)/v, m)
	}
	tail := (1 - level) / 2
	x := p * ne
	iv := Interval{Estimate: p, Lo: 0, Hi: 1}
	if x > 0 {
		iv.Lo = distuv.Beta{Alpha: x, Beta: ne - x + 1}.Quantile(tail)
	}
	if x < ne {
		iv.Hi = distuv.Beta{Alpha: x + 1, Beta: ne - x}.Quantile(1 - tail)
	}
	iv.Lo, iv.Hi = math.Min(iv.Lo, p), math.Max(iv.Hi, p)
	return iv, nil
}
