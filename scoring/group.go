package scoring

import (
	"math"
	"slices"
)

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
	var tab keyTable[groupKey]
	tab.init(len(cs)/4 + 16)
	for i, c := range cs {
		w := 1.0
		if weights != nil {
			w = weights[i]
		}
		k := groupKey{c.Frequency, zeroSign(c.Recency), zeroSign(c.T)}
		j, added := tab.add(k, hashGroupKey(k))
		if added {
			g.w = append(g.w, 0)
		}
		g.w[j] += w
	}
	g.index(tab.keys)
	return g
}

// zeroSign returns v with -0 made +0, so that the bits of equal values are equal.
func zeroSign(v float64) float64 {
	if v == 0 {
		return 0
	}
	return v
}

// hashGroupKey mixes a key's three words (the multiply-xorshift finaliser of
// Stafford's Mix13, a variant of MurmurHash3's), cheaper than the runtime's hash of a
// struct of floats, which the map of a million-customer grouping spent most of its
// time in.
func hashGroupKey(k groupKey) uint64 {
	h := uint64(k.x)*0x9e3779b97f4a7c15 ^ math.Float64bits(k.tx)*0xc2b2ae3d27d4eb4f ^ math.Float64bits(k.t)*0x165667b19e3779f9
	return mix64(h)
}

func mix64(h uint64) uint64 {
	h ^= h >> 30
	h *= 0xbf58476d1ce4e5b9
	h ^= h >> 27
	h *= 0x94d049bb133111eb
	h ^= h >> 31
	return h
}

// keyTable is an insertion-ordered set of keys by open addressing with linear
// probing: keys[j] is the j-th distinct key added (hashes[j] its hash), and slots
// hold j+1 (0 empty). The load stays at most one half, so probes are short.
type keyTable[K comparable] struct {
	slots  []int32
	keys   []K
	hashes []uint64
	mask   uint64
}

func (t *keyTable[K]) init(hint int) {
	size := 16
	for size < 2*hint {
		size *= 2
	}
	t.slots = make([]int32, size)
	t.mask = uint64(size - 1)
	t.keys = make([]K, 0, hint)
	t.hashes = make([]uint64, 0, hint)
}

// add returns the index of k, whose hash is h, adding it if it is new (added true).
func (t *keyTable[K]) add(k K, h uint64) (int32, bool) {
	if 2*(len(t.keys)+1) > len(t.slots) {
		t.grow()
	}
	for i := h & t.mask; ; i = (i + 1) & t.mask {
		s := t.slots[i]
		if s == 0 {
			j := int32(len(t.keys))
			t.keys = append(t.keys, k)
			t.hashes = append(t.hashes, h)
			t.slots[i] = j + 1
			return j, true
		}
		if t.hashes[s-1] == h && t.keys[s-1] == k {
			return s - 1, false
		}
	}
}

func (t *keyTable[K]) grow() {
	t.slots = make([]int32, 2*len(t.slots))
	t.mask = uint64(len(t.slots) - 1)
	for j, h := range t.hashes {
		i := h & t.mask
		for t.slots[i] != 0 {
			i = (i + 1) & t.mask
		}
		t.slots[i] = int32(j) + 1
	}
}

func hashFloat(v float64) uint64 { return mix64(math.Float64bits(v) * 0x9e3779b97f4a7c15) }

// index builds the distinct-value tables for the grouped keys.
func (g *grouped) index(keys []groupKey) {
	var xt keyTable[int]
	var tt, txt keyTable[float64]
	xt.init(64)
	tt.init(len(keys)/8 + 16)
	txt.init(len(keys)/8 + 16)
	g.xi = make([]int32, len(keys))
	g.ti = make([]int32, len(keys))
	g.txi = make([]int32, len(keys))
	for j, k := range keys {
		g.xi[j], _ = xt.add(k.x, mix64(uint64(k.x)*0x9e3779b97f4a7c15))
		g.ti[j], _ = tt.add(k.t, hashFloat(k.t))
		g.txi[j], _ = txt.add(k.tx, hashFloat(k.tx))
	}
	g.ts, g.txs = tt.keys, txt.keys
	// Distinct x are sorted so that per-x work is in a fixed order.
	g.xs = slices.Clone(xt.keys)
	slices.Sort(g.xs)
	remap := make([]int32, len(xt.keys))
	for i, x := range xt.keys {
		k, _ := slices.BinarySearch(g.xs, x)
		remap[i] = int32(k)
	}
	g.wx = make([]float64, len(g.xs))
	for j, k := range keys {
		xi := remap[g.xi[j]]
		g.xi[j] = xi
		g.wx[xi] += g.w[j]
		g.total += g.w[j]
		if k.x > 0 {
			g.repeat += g.w[j]
		}
	}
}

// rows is the number of groups.
func (g *grouped) rows() int { return len(g.w) }
