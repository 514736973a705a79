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

// EM recovers the m and u probabilities and the match share that generated the
// comparison vectors, within sampling error (Winkler 1988; Splink's tests do the same).
// The tolerance is binomial sampling error of the class's observations; it holds when
// vectors say clearly which class they came from (four or more comparisons, matches at
// least 10% of pairs). With fewer comparisons or rarer matches the posterior is vaguer
// and the estimator's error grows by the missing information beyond the binomial one;
// that regime is covered end to end by the fake_1000 test (0.6% matches).
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
		gotLambda, _ := em(p, levels, active, em_m, em_u, 0.5, true, 1000, 1e-9)
		// Five standard errors of a proportion estimated from the expected number of
		// non-null observations of the class, plus a little for the mixture's extra
		// uncertainty about which class each vector came from.
		tol := func(q, n float64) float64 { return 5*math.Sqrt(q*(1-q)/n) + 0.01 }
		if d := math.Abs(gotLambda - lambda); d > tol(lambda, float64(N)) {
			t.Fatalf("lambda %v, want %v", gotLambda, lambda)
		}
		nm := float64(N) * lambda * (1 - nullRate)
		nu := float64(N) * (1 - lambda) * (1 - nullRate)
		for k := range K {
			for l := range levels[k] {
				if d := math.Abs(em_m[k][l] - m[k][l]); d > tol(m[k][l], nm) {
					t.Fatalf("m[%d][%d] = %v, want %v", k, l, em_m[k][l], m[k][l])
				}
				if d := math.Abs(em_u[k][l] - u[k][l]); d > tol(u[k][l], nu) {
					t.Fatalf("u[%d][%d] = %v, want %v", k, l, em_u[k][l], u[k][l])
				}
			}
		}
	})
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
		gotLambda, _ := em(p, levels, active, em_m, em_u, 0.5, false, 1000, 1e-9)
		tol := func(q, n float64) float64 { return 5*math.Sqrt(q*(1-q)/n) + 0.01 }
		if d := math.Abs(gotLambda - lambda); d > tol(lambda, float64(N)) {
			t.Fatalf("lambda %v, want %v", gotLambda, lambda)
		}
		for k := range K {
			for l := range levels[k] {
				if d := math.Abs(em_m[k][l] - m[k][l]); d > tol(m[k][l], float64(N)*lambda) {
					t.Fatalf("m[%d][%d] = %v, want %v", k, l, em_m[k][l], m[k][l])
				}
				if em_u[k][l] != u[k][l] {
					t.Fatalf("u changed with fitU false")
				}
			}
		}
	})
}
