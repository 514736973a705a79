package segment

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/RoaringBitmap/roaring/v2"
)

// Eval returns the profiles that satisfy q at the instant at (at's day closes every
// behavioural window; see the package documentation). The result belongs to the caller.
// A query that names unknown fields or segments, mixes types, or reaches before retained
// history fails whole with an *ExprError and evaluates nothing. The evaluation spends
// opts' Budget (DefaultBudget if none) and stops with ErrBudget when it runs out, or with
// ctx's error once ctx is done; either way it returns no result.
func (x *Index) Eval(ctx context.Context, at time.Time, q *Query, opts *EvalOptions) (*roaring.Bitmap, error) {
	if x.zero() {
		return nil, errZeroIndex
	}
	if q == nil || q.root == nil {
		return nil, fmt.Errorf("%w: eval: nil query", ErrInvalid)
	}
	if ctx == nil {
		return nil, fmt.Errorf("%w: eval: nil context", ErrInvalid)
	}
	x.rlock()
	defer x.mu.RUnlock()
	e, err := x.prepare(ctx, q.root, at, opts)
	if err != nil {
		return nil, err
	}
	r := e.eval(q.root, nil)
	if e.m.err != nil {
		return nil, e.m.err
	}
	return x.out(r.b, r.owned), nil
}

// Count returns the number of profiles Eval would return, without building the final
// set: the last intersection or difference of an AND is counted with AndCardinality,
// and so is a union of two sets (|a ∪ b| = |a| + |b| − |a ∩ b|). It spends a budget and
// stops as Eval does.
func (x *Index) Count(ctx context.Context, at time.Time, q *Query, opts *EvalOptions) (uint64, error) {
	if x.zero() {
		return 0, errZeroIndex
	}
	if q == nil || q.root == nil {
		return 0, fmt.Errorf("%w: count: nil query", ErrInvalid)
	}
	if ctx == nil {
		return 0, fmt.Errorf("%w: count: nil context", ErrInvalid)
	}
	x.rlock()
	defer x.mu.RUnlock()
	e, err := x.prepare(ctx, q.root, at, opts)
	if err != nil {
		return 0, err
	}
	n := e.count(q.root)
	if e.m.err != nil {
		return 0, e.m.err
	}
	return n, nil
}

// prepare checks root at now, charges its terms, and returns an evaluator for it. The
// caller holds mu.
func (x *Index) prepare(ctx context.Context, root node, now time.Time, opts *EvalOptions) (*evaluator, error) {
	today := dayOf(now, x.loc)
	if _, err := x.newChecker(today, true).check(root, 0); err != nil {
		return nil, err
	}
	m := newMeter(ctx, opts)
	if err := m.terms(x, root); err != nil {
		return nil, err
	}
	if !m.spend(0, 0) {
		return nil, m.err
	}
	return &evaluator{x: x, today: today, memo: map[string]*roaring.Bitmap{}, forceAdder: x.forceAdder, m: m}, nil
}

// evaluator evaluates checked queries at one instant. It holds saved segments it has
// evaluated, so that a segment referenced twice is computed once.
type evaluator struct {
	x     *Index
	today int32
	memo  map[string]*roaring.Bitmap
	// sizes holds the estimates of saved segments not yet evaluated. Without it a
	// segment referenced twice by each of a chain of segments is estimated 2^n times,
	// which no budget meters: 25 of them took seconds, 40 years.
	sizes map[string]uint64

	forceAdder bool // tests and benchmarks: count with the bit-sliced adder only

	m *meter // the budget and the context; nil charges nothing (Refresh)
}

// set is an intermediate result; owned says whether the evaluator may modify it (if not,
// it belongs to the index or to the memo).
type set struct {
	b     *roaring.Bitmap
	owned bool
}

func empty() set { return set{roaring.New(), true} }

// eval returns a set R with R ∩ f = [[n]] ∩ f, where f == nil means every profile. The
// filter lets expensive operands (numbers, behaviour) work only on the profiles that
// the cheaper operands of an AND left; cheap leaves ignore it and return their bitmap.
func (e *evaluator) eval(n node, f *roaring.Bitmap) set {
	x := e.x
	if !e.m.spend(0, 1) {
		return empty() // the caller reports the meter's error and drops the result
	}
	switch n := n.(type) {
	case *andNode:
		r, _ := e.and(n, f, false)
		return r
	case *orNode:
		parts := make([]*roaring.Bitmap, 0, len(n.kids))
		for _, k := range n.kids {
			parts = append(parts, e.eval(k, f).b)
		}
		if !e.m.spend(0, int64(len(parts))) {
			return empty()
		}
		return union(parts, f)
	case *notNode:
		r := e.eval(n.kid, f)
		base := f
		if base == nil {
			base = x.known
		}
		return set{roaring.AndNot(base, r.b), true}
	case *traitNode:
		if b := x.traits[n.key][n.value]; b != nil {
			return set{b, false}
		}
		return empty()
	case *segNode:
		return set{e.segment(n.name), false}
	case *inNode:
		if !e.m.spend(0, int64(len(n.values))) {
			return empty()
		}
		if fld, ok := x.numbers[n.field]; ok {
			if !e.m.spend(0, int64(len(n.values)*len(fld.v.slices))) {
				return empty()
			}
			parts := make([]*roaring.Bitmap, 0, len(n.values))
			for _, v := range n.values {
				k, _ := strconv.ParseInt(v, 10, 64) // checked
				parts = append(parts, fld.v.compare(opEQ, k, f))
			}
			return union(parts, nil)
		}
		parts := make([]*roaring.Bitmap, 0, len(n.values))
		for _, v := range n.values {
			if b := x.traits[n.field][v]; b != nil {
				parts = append(parts, b)
			}
		}
		return union(parts, f)
	case *cmpNode:
		v := x.numbers[n.field].v
		if !e.m.spend(0, int64(2*len(v.slices)+1)) {
			return empty()
		}
		if n.op == opBetween {
			return set{v.between(n.n, n.n2, f), true}
		}
		return set{v.compare(n.op, n.n, f), true}
	case *actNode:
		return e.activity(n, f)
	}
	panic(fmt.Sprintf("segment: unknown node %T", n))
}

// segment evaluates a saved segment at the evaluator's instant, once.
func (e *evaluator) segment(name string) *roaring.Bitmap {
	if b, ok := e.memo[name]; ok {
		return b
	}
	r := e.eval(e.x.saved[name].q.root, nil)
	b := r.b
	if !r.owned {
		b = b.Clone()
	}
	e.memo[name] = b
	return b
}

// union returns the union of parts, which it does not modify. With a small filter it
// first cuts each part down to the filter.
func union(parts []*roaring.Bitmap, f *roaring.Bitmap) set {
	switch len(parts) {
	case 0:
		return empty()
	case 1:
		return set{parts[0], false}
	}
	if f != nil {
		fc := f.GetCardinality()
		cut := make([]*roaring.Bitmap, len(parts))
		for i, p := range parts {
			if fc < p.GetCardinality() {
				cut[i] = roaring.And(p, f)
			} else {
				cut[i] = p
			}
		}
		parts = cut
	}
	if len(parts) == 2 {
		return set{roaring.Or(parts[0], parts[1]), true} // 20-30% faster than FastOr for two (measured)
	}
	return set{roaring.FastOr(parts...), true}
}

// cost classes order the operands of an AND: plain bitmaps first, then what the filter
// makes cheaper.
const (
	costBitmap  = iota // a stored bitmap or a union of stored bitmaps
	costSegment        // a saved segment, evaluated once
	costSlices         // a bit-sliced comparison
	costDays           // a walk over daily bitmaps
)

// estimate returns an estimate of the size of n's result and its cost class. Sizes of
// stored bitmaps are exact, which lets an AND with an empty operand stop before it starts.
func (e *evaluator) estimate(n node) (size uint64, class int, exact bool) {
	x := e.x
	switch n := n.(type) {
	case *traitNode:
		if b := x.traits[n.key][n.value]; b != nil {
			return b.GetCardinality(), costBitmap, true
		}
		return 0, costBitmap, true
	case *segNode:
		if b, ok := e.memo[n.name]; ok {
			return b.GetCardinality(), costBitmap, true
		}
		s, ok := e.sizes[n.name]
		if !ok {
			s, _, _ = e.estimate(x.saved[n.name].q.root)
			if e.sizes == nil {
				e.sizes = map[string]uint64{}
			}
			e.sizes[n.name] = s
		}
		return s, costSegment, false
	case *inNode:
		if fld, ok := x.numbers[n.field]; ok {
			return fld.v.exist.GetCardinality() / 4, costSlices, false
		}
		var s uint64
		for _, v := range n.values {
			if b := x.traits[n.field][v]; b != nil {
				s += b.GetCardinality()
			}
		}
		return s, costBitmap, true
	case *cmpNode:
		c := x.numbers[n.field].v.exist.GetCardinality()
		switch n.op {
		case opEQ:
			c /= 8
		case opNE:
		default:
			c /= 2
		}
		return c, costSlices, false
	case *actNode:
		var s uint64
		lo := int32(math.MinInt32)
		if n.days > 0 {
			lo = clampDay(int64(e.today) - int64(n.days) + 1)
		}
		days := x.events[n.event].span(lo, e.today)
		if !e.m.spend(int64(len(days)), 0) {
			return 0, costDays, false
		}
		for _, d := range days {
			s = max(s, d.present.GetCardinality())
		}
		class := costDays
		if n.fn == fnDid {
			class = costSlices
		}
		return s, class, false
	case *notNode:
		s, class, _ := e.estimate(n.kid)
		k := x.known.GetCardinality()
		return k - min(s, k), class, false
	case *andNode:
		size, class := uint64(math.MaxUint64), 0
		for _, k := range n.kids {
			s, c, _ := e.estimate(k)
			size, class = min(size, s), max(class, c)
		}
		return size, class, false
	case *orNode:
		var size uint64
		class := 0
		for _, k := range n.kids {
			s, c, _ := e.estimate(k)
			size, class = size+s, max(class, c)
		}
		return min(size, x.known.GetCardinality()), class, false
	}
	return 0, costDays, false
}

// and evaluates an AND within filter f. Positive operands go first, cheapest class and
// smallest estimate first, each evaluated within what the earlier ones left; negated
// operands are subtracted last, within the running result; an empty running result
// stops the evaluation. With countOnly, the last step is counted (AndCardinality) and
// not built, and the returned set is meaningless.
func (e *evaluator) and(n *andNode, f *roaring.Bitmap, countOnly bool) (set, uint64) {
	type operand struct {
		n     node
		size  uint64
		class int
		neg   bool
	}
	ops := make([]operand, 0, len(n.kids))
	for _, k := range n.kids {
		neg := false
		if nn, ok := k.(*notNode); ok {
			k, neg = nn.kid, true
		}
		size, class, exact := e.estimate(k)
		if !neg && exact && size == 0 {
			return empty(), 0 // an empty operand empties the intersection
		}
		ops = append(ops, operand{k, size, class, neg})
	}
	slices.SortStableFunc(ops, func(a, b operand) int {
		if a.neg != b.neg {
			if a.neg {
				return 1
			}
			return -1
		}
		if c := cmp.Compare(a.class, b.class); c != 0 {
			return c
		}
		if a.neg {
			return 0 // every negated operand only removes: keep the written order
		}
		return cmp.Compare(a.size, b.size)
	})
	acc, have := set{f, false}, f != nil
	for i, op := range ops {
		if !have {
			if op.neg {
				acc, have = set{e.x.known, false}, true
			} else {
				acc, have = e.eval(op.n, nil), true
				if countOnly && i == len(ops)-1 {
					return acc, acc.b.GetCardinality()
				}
				continue
			}
		}
		r := e.eval(op.n, acc.b)
		if !e.m.spend(0, 1) {
			return empty(), 0
		}
		if countOnly && i == len(ops)-1 {
			c := acc.b.AndCardinality(r.b)
			if op.neg {
				c = acc.b.GetCardinality() - c
			}
			return acc, c
		}
		switch {
		case op.neg && acc.owned:
			acc.b.AndNot(r.b)
		case op.neg:
			acc = set{roaring.AndNot(acc.b, r.b), true}
		case acc.owned:
			acc.b.And(r.b)
		case r.owned:
			r.b.And(acc.b)
			acc = r
		default:
			acc = set{roaring.And(acc.b, r.b), true}
		}
		if acc.b.IsEmpty() {
			return acc, 0
		}
	}
	return acc, acc.b.GetCardinality()
}

// count returns |[[n]]| building as little as it can.
func (e *evaluator) count(n node) uint64 {
	x := e.x
	switch n := n.(type) {
	case *andNode:
		_, c := e.and(n, nil, true)
		return c
	case *orNode:
		if len(n.kids) == 2 {
			// |a ∪ b| = |a| + |b| − |a ∩ b|: roaring's AndCardinality is several times
			// faster than its OrCardinality on dense bitmaps (measured).
			a, b := e.eval(n.kids[0], nil), e.eval(n.kids[1], nil)
			return a.b.GetCardinality() + b.b.GetCardinality() - a.b.AndCardinality(b.b)
		}
	case *notNode:
		// Every stored bitmap is a subset of the known profiles.
		return x.known.GetCardinality() - x.known.AndCardinality(e.eval(n.kid, nil).b)
	}
	return e.eval(n, nil).b.GetCardinality()
}
