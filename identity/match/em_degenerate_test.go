package match

import (
	"math"
	"testing"

	"pgregory.net/rapid"
)

// On data that can tell EM nothing, it still stops, with proper parameters:
// every comparison vector the same (one record pair, or records all alike), or every
// comparison null (records with nothing to compare), from Train's start (initialM, a
// proper u, lambda 1/2). With fitU and every vector the same, m and u both end all on
// the vector's levels, equal: no match class, separation 0, which Train refuses.
func TestEMStopsOnDegenerateData(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		K := rapid.IntRange(1, 5).Draw(t, "comparisons")
		levels := make([]int, K)
		u := make([][]float64, K)
		g := make([]int8, K)
		allNull := rapid.Bool().Draw(t, "all null")
		for k := range K {
			levels[k] = rapid.IntRange(2, 9).Draw(t, "levels")
			u[k] = make([]float64, levels[k])
			for l := range u[k] {
				u[k][l] = rapid.Float64Range(0.01, 1).Draw(t, "u")
			}
			normalizeInto(u[k], u[k])
			g[k] = null
			if !allNull {
				g[k] = int8(rapid.IntRange(-1, levels[k]-1).Draw(t, "level"))
			}
		}
		p := newPatterns(K)
		p.add(g, float64(rapid.SampledFrom([]int{1, 2, 1000, 1_000_000}).Draw(t, "pairs")))
		// As Train does, a comparison is active where a vector holds a value of it;
		// with none, every one is, to run EM on nothing but nulls.
		active := make([]bool, K)
		for k := range active {
			active[k] = allNull || g[k] != null
		}
		fitU := rapid.Bool().Draw(t, "fitU")
		m := initialM(levels)
		const maxIter = 1000 // Train's default
		lambda, it, _ := em(p, levels, active, m, u, 0.5, fitU, maxIter, 1e-6)
		// With u fixed, lambda climbs to 1 - probFloor geometrically, at the rate
		// prod u/m of the vector's levels, which for a vector nearly as likely among
		// non-matches may take more than the cap: then the cap stops it.
		if it >= maxIter && (fitU || allNull) {
			t.Fatalf("EM ran to its cap of %d iterations on one comparison vector", maxIter)
		}
		checkProper(t, lambda, m, u)
		if sep := separation(p, m, u, active); fitU && !allNull && math.Abs(sep) > 1e-3 {
			t.Fatalf("one comparison vector %v, fitted with u: separation %v bits, want 0 (m %v, u %v)", g, sep, m, u)
		}
	})
}
