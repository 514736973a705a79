package scoring

import "slices"

// grouped holds customers with identical (x, t_x, T) merged into one weighted row, as
// a structure of arrays. The distinct values of x, t_x and T are indexed so that the
// expensive pieces of a likelihood (log-gamma per x, log(alpha+T) per T) are computed
// once per distinct value rather than once per customer. Group order is the order of
// first appearance, so sums over groups, and fits, are reproducible.
type grouped struct {
	xs      []int     // distinct frequencies
	ts, txs []float64 // distinct T and t_x
	xi      []int32   // per group: index into xs
	ti, txi []int32   // per group: index into ts, txs
	w       []float64 // per group: number of customers (or their weight)
	wx      []float64 // per distinct x: total weight
	total   float64   // total weight
	repeat  float64   // weight of customers with x > 0
}

type groupKey struct {
	x     int
	tx, t float64
}

// groupCustomers merges identical histories; weights may be nil (every customer counts
// once). Inputs must have been validated.
func groupCustomers(cs []Customer, weights []float64) *grouped {
	g := &grouped{}
	// Real bases repeat histories heavily (a million customers recorded to the day
	// have under 200,000 distinct ones); a quarter avoids most growth without
	// reserving memory for distinct rows that do not come.
	index := make(map[groupKey]int32, len(cs)/4+16)
	var keys []groupKey
	for i, c := range cs {
		w := 1.0
		if weights != nil {
			w = weights[i]
		}
		k := groupKey{c.Frequency, c.Recency, c.T}
		j, ok := index[k]
		if !ok {
			j = int32(len(keys))
			index[k] = j
			keys = append(keys, k)
			g.w = append(g.w, 0)
		}
		g.w[j] += w
	}
	g.index(keys)
	return g
}

// index builds the distinct-value tables for the grouped keys.
func (g *grouped) index(keys []groupKey) {
	xIndex := map[int]int32{}
	tIndex := map[float64]int32{}
	txIndex := map[float64]int32{}
	// Distinct x are sorted so that per-x work is in a fixed order.
	for _, k := range keys {
		if _, ok := xIndex[k.x]; !ok {
			xIndex[k.x] = 0
			g.xs = append(g.xs, k.x)
		}
	}
	slices.Sort(g.xs)
	for i, x := range g.xs {
		xIndex[x] = int32(i)
	}
	g.wx = make([]float64, len(g.xs))
	g.xi = make([]int32, len(keys))
	g.ti = make([]int32, len(keys))
	g.txi = make([]int32, len(keys))
	for j, k := range keys {
		ti, ok := tIndex[k.t]
		if !ok {
			ti = int32(len(g.ts))
			tIndex[k.t] = ti
			g.ts = append(g.ts, k.t)
		}
		txi, ok := txIndex[k.tx]
		if !ok {
			txi = int32(len(g.txs))
			txIndex[k.tx] = txi
			g.txs = append(g.txs, k.tx)
		}
		xi := xIndex[k.x]
		g.xi[j], g.ti[j], g.txi[j] = xi, ti, txi
		g.wx[xi] += g.w[j]
		g.total += g.w[j]
		if k.x > 0 {
			g.repeat += g.w[j]
		}
	}
}

// rows is the number of groups.
func (g *grouped) rows() int { return len(g.w) }
