package match

import (
	"cmp"
	"fmt"
	"math"
	"slices"

	"github.com/clientele-go/clientele/internal/english"
)

// MaxClusterLabels bounds the labels one Cluster call returns, its record count times
// its thresholds: 268,435,456, a GiB of int32 labels. The count is the caller's and
// sizes the result, so a mistaken one (a byte count, math.MaxInt32) is refused rather
// than allocated, at 8 GiB a threshold.
const MaxClusterLabels = 1 << 28

// Cluster groups n records into people at several thresholds at once: for each
// threshold t, the connected components of the graph whose edges are the pairs with
// weight >= t. A record's label is the smallest record index in its component, so
// labels[i][r] == labels[i][s] iff r and s are one person at thresholds[i]. Pairs are
// added once, from the heaviest down, to one union-find, and the labels read off as each
// threshold is passed: O(p log p + T n) for p pairs and T thresholds. It fails with
// ErrInvalid for a NaN threshold or pair weight (neither is ordered, so "weight >= t"
// would leave the pair out without a word, where Link refuses it) or a pair naming a
// record out of range; infinite weights and thresholds are ordered and allowed.
//
// n is the caller's, and sizes the result: a negative n, one above math.MaxInt32 (labels
// are int32 record indexes, as Scored's are), or one that with the thresholds asks for
// more than MaxClusterLabels labels in all is refused with ErrInvalid, before anything
// is allocated. Cluster a very large linker's records at fewer thresholds a call.
func Cluster(n int, pairs []Scored, thresholds []float64) ([][]int32, error) {
	if n < 0 || n > math.MaxInt32 {
		return nil, fmt.Errorf("%w: cluster: record count %d out of range 0 to %d", ErrInvalid, n, math.MaxInt32)
	}
	// Compared by division: n times the thresholds may overflow an int.
	if t := len(thresholds); t > 0 && n > MaxClusterLabels/t {
		return nil, fmt.Errorf("%w: cluster: %s at %s is over the limit of %d labels (MaxClusterLabels); cluster at fewer thresholds a call",
			ErrInvalid, english.Count(n, "record"), english.Count(t, "threshold"), MaxClusterLabels)
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
	if len(thresholds) == 0 {
		return [][]int32{}, nil // no labels to read, so no union-find of n records either
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
