package match

import (
	"math"
	"math/rand/v2"
	"testing"

	"pgregory.net/rapid"
)

// drawDist draws a distribution over n levels with at least 3/4 of its mass on the
// first level (m) or the last, else level (u).
func drawDist(t *rapid.T, n int, label string, first bool) []float64 {
	p := make([]float64, n)
	s := 0.0
	for i := range p {
		p[i] = rapid.Float64Range(0.05, 1).Draw(t, label)
		s += p[i]
	}
	for i := range p {
		p[i] /= s
	}
	// Matches agree (level 0 heavy), non-matches disagree (else level heavy), so the
	// two classes are told apart as they are in real data.
	if first {
		p[0] += 3
	} else {
		p[n-1] += 3
	}
	for i := range p {
		p[i] /= 4
	}
	return p
}

func drawLevel(rng *rand.Rand, p []float64) int8 {
	x := rng.Float64()
	for l, v := range p {
		if x < v {
			return int8(l)
		}
		x -= v
	}
	return int8(len(p) - 1)
}

// drawMixture draws K comparisons (four or five) of 2 to 4 levels, their m and u
// distributions and the share of matches lambda, and adds n comparison vectors drawn
// from them to the patterns p, each comparison null with probability nullRate; stream
// names the generator's stream.
func drawMixture(t *rapid.T, n int, nullRate float64, stream uint64) (K int, levels []int, m, u [][]float64, lambda float64, p *patterns) {
	K = rapid.IntRange(4, 5).Draw(t, "comparisons")
	levels = make([]int, K)
	m = make([][]float64, K)
	u = make([][]float64, K)
	for k := range K {
		levels[k] = rapid.IntRange(2, 4).Draw(t, "levels")
		m[k] = drawDist(t, levels[k], "m", true)
		u[k] = drawDist(t, levels[k], "u", false)
	}
	lambda = rapid.Float64Range(0.1, 0.5).Draw(t, "lambda")
	rng := rand.New(rand.NewPCG(rapid.Uint64().Draw(t, "seed"), stream))
	p = newPatterns(K)
	g := make([]int8, K)
	for range n {
		match := rng.Float64() < lambda
		for k := range K {
			switch {
			case nullRate > 0 && rng.Float64() < nullRate:
				g[k] = null
			case match:
				g[k] = drawLevel(rng, m[k])
			default:
				g[k] = drawLevel(rng, u[k])
			}
		}
		p.add(g, 1)
	}
	return K, levels, m, u, lambda, p
}

// EM recovers the m and u probabilities and the match share that generated the
// comparison vectors, within sampling error (Winkler 1988; Splink's tests do the same),
// and reaches a likelihood at least as high as theirs. The sampling error is the
// mixture's own (mixtureSE), not the binomial error of a proportion: which class a
// vector came from is unobserved, and with matches at 10% of pairs a share of a percent
// of non-matches taken for matches moves a rare m level by several binomial errors.
// The case that taught this: m = 0.004 on a level that is 81% of non-matches, lambda
// 0.10, estimated at 0.022; its binomial error is 0.0014 and its mixture error 0.0057.
func TestEMRecoversParameters(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		const N = 20000
		nullRate := rapid.Float64Range(0, 0.2).Draw(t, "nulls")
		K, levels, m, u, lambda, p := drawMixture(t, N, nullRate, 1)
		em_m := initialM(levels)
		em_u := make([][]float64, K)
		for k := range K {
			em_u[k] = make([]float64, levels[k])
			for l := range em_u[k] {
				em_u[k][l] = 1 / float64(levels[k])
			}
		}
		active := make([]bool, K)
		for k := range active {
			active[k] = true
		}
		gotLambda, _, _ := em(p, levels, active, em_m, em_u, 0.5, true, 1000, 1e-9)
		checkRecovered(t, p, N, levels, nullRate, lambda, m, u, gotLambda, em_m, em_u, true)
	})
}

// checkRecovered fails t unless the estimates gotLambda, gotM and gotU, fitted to the
// patterns p of n vectors, are within five standard errors of the generating lambda, m
// and u, and their log-likelihood on p is at least the generating parameters' (EM climbs
// to a maximum, which the truth cannot beat on the sample). The small constant covers
// EM's stopping tolerance and the normal approximation's looseness for levels seen a
// handful of times.
func checkRecovered(t *rapid.T, p *patterns, n float64, levels []int, nullRate, lambda float64, m, u [][]float64, gotLambda float64, gotM, gotU [][]float64, fitU bool) {
	if got, want := logLikelihood(p, gotLambda, gotM, gotU), logLikelihood(p, lambda, m, u); got < want-1e-6*math.Abs(want) {
		t.Fatalf("log-likelihood at the estimates %v, below the generating parameters' %v", got, want)
	}
	seLambda, seM, seU := mixtureSE(t, levels, nullRate, n, lambda, m, u, fitU)
	within := func(got, want, se float64) bool { return math.Abs(got-want) <= 5*se+1e-3 }
	if !within(gotLambda, lambda, seLambda) {
		t.Fatalf("lambda %v, want %v (standard error %v)", gotLambda, lambda, seLambda)
	}
	for k := range levels {
		for l := range levels[k] {
			if !within(gotM[k][l], m[k][l], seM[k][l]) {
				t.Fatalf("m[%d][%d] = %v, want %v (standard error %v)", k, l, gotM[k][l], m[k][l], seM[k][l])
			}
			if !fitU {
				if gotU[k][l] != u[k][l] {
					t.Fatalf("u changed with fitU false")
				}
				continue
			}
			if !within(gotU[k][l], u[k][l], seU[k][l]) {
				t.Fatalf("u[%d][%d] = %v, want %v (standard error %v)", k, l, gotU[k][l], u[k][l], seU[k][l])
			}
		}
	}
}

// With u fixed at its true value (Splink's default, u from random pairs), EM recovers
// m and lambda.
func TestEMFixedU(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		const N = 20000
		K, levels, m, u, lambda, p := drawMixture(t, N, 0, 2)
		em_m := initialM(levels)
		em_u := make([][]float64, K)
		active := make([]bool, K)
		for k := range K {
			em_u[k] = append([]float64(nil), u[k]...)
			active[k] = true
		}
		gotLambda, _, _ := em(p, levels, active, em_m, em_u, 0.5, false, 1000, 1e-9)
		checkRecovered(t, p, N, levels, 0, lambda, m, u, gotLambda, em_m, em_u, false)
	})
}
