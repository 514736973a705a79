package match

import (
	"cmp"
	"fmt"
	"math"
	"slices"
)

// Cluster groups n records into people at several thresholds at once: for each
// threshold t, the connected components of the graph whose edges are the pairs with
// weight >= t. A record's label is the smallest record index in its component, so
// labels[i][r] == labels[i][s] iff r and s are one person at thresholds[i]. Pairs are
// added once, from the heaviest down, to one union-find, and the labels read off as each
// threshold is passed: O(p log p + T n) for p pairs and T thresholds. It fails with
// ErrInvalid for a NaN threshold or pair weight (neither is ordered, so "weight >= t"
// would leave the pair out without a word, where Link refuses it) or a pair naming a
// record out of range; infinite weights and thresholds are ordered and allowed.
func Cluster(n int, pairs []Scored, thresholds []float64) ([][]int32, error) {
	if n < 0 || n > math.MaxInt32 {
		return nil, fmt.Errorf("%w: cluster: record count %d out of range 0 to %d", ErrInvalid, n, math.MaxInt32)
	}
	for i, t := range thresholds {
		if math.IsNaN(t) {
			return nil, fmt.Errorf("%w: cluster: threshold %d is NaN", ErrInvalid, i)
		}
	}
	for i, p := range pairs {
		if p.A < 0 || p.B < 0 || int(p.A) >= n || int(p.B) >= n {
			return nil, fmt.Errorf("%w: cluster: pair %d (%d, %d) names a record index out of range for n = %d", ErrInvalid, i, p.A, p.B, n)
		}
		if math.IsNaN(p.Weight) {
			return nil, fmt.Errorf("%w: cluster: pair %d (%d, %d) has weight NaN", ErrInvalid, i, p.A, p.B)
		}
	}
	sorted := slices.Clone(pairs)
	slices.SortFunc(sorted, func(x, y Scored) int { return cmp.Compare(y.Weight, x.Weight) })
	order := make([]int, len(thresholds))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(x, y int) int { return cmp.Compare(thresholds[y], thresholds[x]) })
	parent := make([]int32, n)
	for i := range parent {
		parent[i] = int32(i)
	}
	find := func(x int32) int32 {
		for parent[x] != x {
			parent[x] = parent[parent[x]]
			x = parent[x]
		}
		return x
	}
	out := make([][]int32, len(thresholds))
	next := 0
	for _, ti := range order {
		t := thresholds[ti]
		for ; next < len(sorted) && sorted[next].Weight >= t; next++ {
			a, b := find(sorted[next].A), find(sorted[next].B)
			if a != b {
				// The smaller index is the root, so a root is its component's minimum.
				parent[max(a, b)] = min(a, b)
			}
		}
		labels := make([]int32, n)
		for r := range labels {
			labels[r] = find(int32(r))
		}
		out[ti] = labels
	}
	return out, nil
}
