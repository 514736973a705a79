package match

import (
	"math"
	"testing"

	"pgregory.net/rapid"
)

// The starts EM is run from in TestEMFromAdversarialStarts: Train's own start is
// initialM, u from random pairs and lambda 1/2, which no option changes, so these test
// em itself, and what Train does with its outcome (refuse a session with no match
// class, TestTrainRefusesSessionWithoutMatches).
var emStarts = []string{
	"truth",             // the generating parameters
	"swapped",           // m and u traded, lambda with 1-lambda: the mirror image
	"lambda 0",          // every posterior 0
	"lambda 1",          // every posterior 1
	"lambda near 0",     // 1e-12
	"lambda near 1",     // 1-1e-12
	"m = u",             // both the share of each level among all vectors: a fixed point with fitU
	"corners",           // m all on the first level, u all on the else level, exactly
	"opposite corner",   // m all on the else level, u all on the first, exactly
	"far",               // any distributions and lambda
	"not distributions", // NaN, infinite, negative or all 0: made uniform, so m = u with fitU
}

// pointMass returns a distribution over n levels with all its mass on level at.
func pointMass(n, at int) []float64 {
	p := make([]float64, n)
	p[at] = 1
	return p
}

// emStart draws the start named kind for the mixture (lambda, m, u) of the patterns p.
func emStart(t *rapid.T, kind string, p *patterns, levels []int, lambda float64, m, u [][]float64) (float64, [][]float64, [][]float64) {
	K := len(levels)
	sm, su := make([][]float64, K), make([][]float64, K)
	for k := range K {
		sm[k] = append([]float64(nil), m[k]...)
		su[k] = append([]float64(nil), u[k]...)
	}
	switch kind {
	case "swapped":
		return 1 - lambda, su, sm
	case "lambda 0":
		return 0, initialM(levels), su
	case "lambda 1":
		return 1, initialM(levels), su
	case "lambda near 0":
		return 1e-12, initialM(levels), su
	case "lambda near 1":
		return 1 - 1e-12, initialM(levels), su
	case "m = u":
		for k := range K {
			clear(sm[k])
			for i, n := range p.counts {
				if l := p.vecs[i*K+k]; l != null {
					sm[k][l] += n
				}
			}
			normalizeInto(sm[k], sm[k])
			copy(su[k], sm[k])
		}
		return 0.5, sm, su
	case "corners", "opposite corner":
		for k := range K {
			first, last := 0, levels[k]-1
			if kind == "opposite corner" {
				first, last = last, first
			}
			sm[k], su[k] = pointMass(levels[k], first), pointMass(levels[k], last)
		}
		return 0.5, sm, su
	case "far":
		for k := range K {
			for l := range levels[k] {
				sm[k][l] = rapid.Float64Range(0, 1).Draw(t, "m0")
				su[k][l] = rapid.Float64Range(0, 1).Draw(t, "u0")
			}
		}
		return rapid.Float64Range(0, 1).Draw(t, "lambda0"), sm, su
	case "not distributions":
		bad := []float64{math.NaN(), math.Inf(1), -1, 0}
		for k := range K {
			for l := range levels[k] {
				sm[k][l] = rapid.SampledFrom(bad).Draw(t, "m0")
				su[k][l] = rapid.SampledFrom(bad).Draw(t, "u0")
			}
		}
		return math.NaN(), sm, su
	}
	return lambda, sm, su
}

// checkProper fails t unless lambda is in [probFloor, 1-probFloor] and every
// distribution is one: no NaN, every entry at least probFloor, summing to 1.
func checkProper(t interface{ Fatalf(string, ...any) }, lambda float64, m, u [][]float64) {
	if !(lambda >= probFloor && lambda <= 1-probFloor) {
		t.Fatalf("lambda %v", lambda)
	}
	for _, d := range append(append([][]float64(nil), m...), u...) {
		s := 0.0
		for _, v := range d {
			if !(v >= probFloor*0.999) {
				t.Fatalf("probability %v in %v", v, d)
			}
			s += v
		}
		if math.Abs(s-1) > 1e-9 {
			t.Fatalf("%v sums to %v", d, s)
		}
	}
}

// From any start, EM ends where a demanding user can use it or where Train refuses it:
// never NaN, never with the classes traded, and never with a match class (separation
// above 0) at a worse likelihood than the truth's. With fitU the classes' mirror image
// is as likely (label switching), and em trades it back: from the swapped start, and
// the opposite corner, it ends at the maximum, not at its mirror. m = u is a fixed
// point with fitU: every posterior is lambda and the M-step gives m = u back, so EM
// ends there, with separation 0, which Train refuses; with u fixed (Train's default)
// it is no fixed point and EM ends at the maximum. With u fixed, a start whose m puts
// its mass on disagreeing (the opposite corner, or one of the far starts) may end at
// the boundary lambda -> 0 with the "match" class the vectors that disagree the most,
// separation below 0: Train refuses it. Every other start ends at the maximum.
func TestEMFromAdversarialStarts(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		const N = 20000
		K, levels, m, u, lambda, p := drawMixture(t, N, rapid.SampledFrom([]float64{0, 0.1}).Draw(t, "nulls"), 3)
		fitU := rapid.Bool().Draw(t, "fitU")
		kind := rapid.SampledFrom(emStarts).Draw(t, "start")
		l0, sm, su := emStart(t, kind, p, levels, lambda, m, u)
		if !fitU {
			for k := range K {
				su[k] = append([]float64(nil), u[k]...)
			}
		}
		active := make([]bool, K)
		for k := range active {
			active[k] = true
		}
		const maxIter = 5000
		got, it, _ := em(p, levels, active, sm, su, l0, fitU, maxIter, 1e-10)
		checkProper(t, got, sm, su)
		sep := separation(p, sm, su, active)
		ll, truth := logLikelihood(p, got, sm, su), logLikelihood(p, lambda, m, u)
		good := sep > 0 && ll >= truth-1e-6*math.Abs(truth)
		switch {
		case fitU && (kind == "m = u" || kind == "not distributions"):
			if math.Abs(sep) > 1e-9 {
				t.Fatalf("from m = u EM moved to separation %v bits", sep)
			}
		case kind == "far" || !fitU && kind == "opposite corner":
			if !good && sep > 0 {
				t.Fatalf("separation %v bits at log-likelihood %v, below the truth's %v, after %d iterations", sep, ll, truth, it)
			}
		case !good:
			t.Fatalf("separation %v bits, log-likelihood %v, the truth's %v, lambda %v (truth %v), after %d iterations", sep, ll, truth, got, lambda, it)
		}
	})
}
