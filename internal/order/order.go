// Package order sorts row numbers by a score, largest first, in the order a stable sort
// gives, at the cost of an unstable one: the rankings of scoring/uplift (its curves and
// Target) and the quickstart's share it.
package order

import (
	"cmp"
	"slices"
)

// Descending sorts rows by key[row], largest first and NaN last. Rows of equal keys
// come in ascending row order, as a stable sort of ascending rows leaves them, or,
// with laterFirst, in descending order, as a stable ascending sort reversed leaves
// them. The row breaks every tie, so the unstable sort underneath gives exactly that
// order, in about half a stable sort's time on a million rows (scoring/uplift's
// BenchmarkRankOrder1M); keys and rows sort together, so that comparisons read them
// in sequence rather than key[row] scattered over memory.
func Descending(rows []int, key []float64, laterFirst bool) {
	type keyed struct {
		k float64
		r int
	}
	ks := make([]keyed, len(rows))
	for j, r := range rows {
		ks[j] = keyed{key[r], r}
	}
	slices.SortFunc(ks, func(a, b keyed) int {
		// cmp.Compare(b.k, a.k) with NaN last, spelt out: the comparisons first, as
		// NaN is rare.
		switch {
		case a.k > b.k:
			return -1
		case a.k < b.k:
			return 1
		}
		if an, bn := a.k != a.k, b.k != b.k; an != bn {
			if an {
				return 1
			}
			return -1
		}
		if laterFirst {
			return cmp.Compare(b.r, a.r)
		}
		return cmp.Compare(a.r, b.r)
	})
	for j, x := range ks {
		rows[j] = x.r
	}
}

// Rows returns 0, 1, ..., n-1.
func Rows(n int) []int {
	rows := make([]int, n)
	for i := range rows {
		rows[i] = i
	}
	return rows
}
