package segment

import (
	"math"
	"math/bits"

	"github.com/RoaringBitmap/roaring/v2"
)

// bsi is a bit-sliced index (O'Neil & Quass 1997, "Improved query performance with
// variant indexes", section 4): one bitmap per bit position, so that a comparison with a
// constant is a few bitmap operations per slice instead of a visit to every profile.
// The value of a column c in exist is
//
//	v(c) = Σ_i bit(slices[i], c)·2^i                          (unsigned)
//	v(c) = −bit(slices[w−1], c)·2^(w−1) + Σ_{i<w−1} bit(slices[i], c)·2^i   (signed, w = len(slices))
//
// that is, signed values are held in two's complement of the current width w, whose top
// slice is the sign; widening copies the sign slice (sign extension). Every slice is a
// subset of exist.
//
// We do not use roaring's BitSliceIndexing here: its CompareValue tests every column of
// the found set one by one (Contains per bit and column), which is the per-profile loop
// this index exists to avoid; BenchmarkNumericRange* measures both.
type bsi struct {
	exist  *roaring.Bitmap
	slices []*roaring.Bitmap
	signed bool
}

func newBSI(signed bool) *bsi {
	return &bsi{exist: roaring.New(), signed: signed}
}

// width returns the number of slices needed to hold v.
func width(v int64, signed bool) int {
	if signed {
		return bits.Len64(uint64(v^(v>>63))) + 1
	}
	return bits.Len64(uint64(v))
}

// grow widens the index to at least w slices.
func (b *bsi) grow(w int) {
	for len(b.slices) < w {
		if b.signed && len(b.slices) > 0 {
			b.slices = append(b.slices, b.slices[len(b.slices)-1].Clone())
		} else {
			b.slices = append(b.slices, roaring.New())
		}
	}
}

// bounds returns the smallest and largest values the current width can hold.
func (b *bsi) bounds() (lo, hi int64) {
	w := len(b.slices)
	switch {
	case b.signed && w == 0:
		return 0, 0
	case b.signed && w >= 64:
		return math.MinInt64, math.MaxInt64
	case b.signed:
		return -1 << (w - 1), 1<<(w-1) - 1
	case w >= 63:
		return 0, math.MaxInt64
	default:
		return 0, 1<<w - 1
	}
}

func (b *bsi) set(c uint32, v int64) {
	b.grow(width(v, b.signed))
	existed := b.exist.Contains(c)
	for i, s := range b.slices {
		if uint64(v)>>i&1 == 1 {
			s.Add(c)
		} else if existed {
			s.Remove(c)
		}
	}
	b.exist.Add(c)
}

// setMany gives each column cols[i] the value vals[i]. cols must be sorted and unique.
func (b *bsi) setMany(cols []uint32, vals []int64) {
	if len(cols) == 0 {
		return
	}
	w := 0
	for _, v := range vals {
		w = max(w, width(v, b.signed))
	}
	b.grow(w)
	all := roaring.New()
	all.AddMany(cols)
	ones := make([]uint32, 0, len(cols))
	for i, s := range b.slices {
		ones = ones[:0]
		for j, c := range cols {
			if uint64(vals[j])>>i&1 == 1 {
				ones = append(ones, c)
			}
		}
		s.AndNot(all)
		if len(ones) > 0 {
			s.Or(roaring.BitmapOf(ones...))
		}
	}
	b.exist.Or(all)
}

// clear removes the columns of cols.
func (b *bsi) clear(cols *roaring.Bitmap) {
	for _, s := range b.slices {
		s.AndNot(cols)
	}
	b.exist.AndNot(cols)
}

func (b *bsi) get(c uint32) (int64, bool) {
	if !b.exist.Contains(c) {
		return 0, false
	}
	var u uint64
	for i, s := range b.slices {
		if s.Contains(c) {
			u |= 1 << i
		}
	}
	if w := len(b.slices); b.signed && w > 0 && w < 64 && u>>(w-1)&1 == 1 {
		u |= ^uint64(0) << w // sign extension
	}
	return int64(u), true
}

// domain returns exist ∩ filter as a new bitmap (filter nil means no restriction).
func (b *bsi) domain(filter *roaring.Bitmap) *roaring.Bitmap {
	if filter == nil {
		return b.exist.Clone()
	}
	return roaring.And(b.exist, filter)
}

// part returns the columns of set whose order bit i equals one. The order bit is bit i
// of the value, except in the sign slice, where a set bit means a smaller (negative)
// value and so the order bit is its complement.
func (b *bsi) part(set *roaring.Bitmap, i int, one bool) *roaring.Bitmap {
	if one != (b.signed && i == len(b.slices)-1) {
		return roaring.And(set, b.slices[i])
	}
	return roaring.AndNot(set, b.slices[i])
}

// keepOrder narrows set in place to the columns whose order bit i equals one.
func (b *bsi) keepOrder(set *roaring.Bitmap, i int, one bool) {
	if one != (b.signed && i == len(b.slices)-1) {
		set.And(b.slices[i])
	} else {
		set.AndNot(b.slices[i])
	}
}

// compare returns the columns of exist ∩ filter whose value v satisfies v op c.
// Inequalities over most of the columns take the least-significant-first walk (one
// in-place operation per slice on a dense set, see atLeast); equality and inequalities
// within a small filter take the most-significant-first walk, whose working set
// shrinks at each slice (see compareNarrowing).
func (b *bsi) compare(op cmpOp, c int64, filter *roaring.Bitmap) *roaring.Bitmap {
	wide := filter == nil || 8*filter.GetCardinality() > b.exist.GetCardinality()
	return b.compareBy(op, c, filter, wide && op != opEQ && op != opNE)
}

// compareBy is compare with the choice of walk made by the caller (tests use both).
func (b *bsi) compareBy(op cmpOp, c int64, filter *roaring.Bitmap, leastFirst bool) *roaring.Bitmap {
	lo, hi := b.bounds()
	switch {
	case c > hi:
		if op == opLT || op == opLE || op == opNE {
			return b.domain(filter)
		}
		return roaring.New()
	case c < lo:
		if op == opGT || op == opGE || op == opNE {
			return b.domain(filter)
		}
		return roaring.New()
	}
	if !leastFirst || op == opEQ || op == opNE {
		return b.compareNarrowing(op, c, filter)
	}
	var r *roaring.Bitmap
	switch op {
	case opGE:
		r = b.atLeast(c)
	case opGT:
		if c == hi {
			return roaring.New()
		}
		r = b.atLeast(c + 1)
	case opLT:
		r = roaring.AndNot(b.exist, b.atLeast(c))
	default: // opLE
		if c == hi {
			return b.domain(filter)
		}
		r = roaring.AndNot(b.exist, b.atLeast(c+1))
	}
	if filter != nil {
		r.And(filter)
	}
	return r
}

// atLeast returns the columns with v >= c, for c within the width's bounds, walking
// the slices from the least significant: with r_i the columns whose low i+1 bits are at
// least c's, r_i = r_{i−1} ∩ B_i where c has bit i set and r_{i−1} ∪ B_i where it has
// not, from r_{−1} = every column (O'Neil & Quass 1997, section 4.2, evaluated bit by
// bit from the low end). Each step is one in-place operation on a set that stays as
// dense as the data, where roaring's word-wise operations are fastest. In the sign
// slice the order bit is the complement of the stored bit.
func (b *bsi) atLeast(c int64) *roaring.Bitmap {
	r := b.exist.Clone()
	top := len(b.slices) - 1
	for i, s := range b.slices {
		one := uint64(c)>>i&1 == 1
		switch {
		case b.signed && i == top && one: // c < 0: non-negative values all qualify
			r.Or(roaring.AndNot(b.exist, s))
		case b.signed && i == top: // c >= 0: negative values never do
			r.AndNot(s)
		case one:
			r.And(s)
		default:
			r.Or(s)
		}
	}
	return r
}

// compareNarrowing is O'Neil & Quass 1997, Algorithm 4.2 (range predicate on a
// bit-sliced index): walk the slices from the most significant, keeping the columns
// still equal to c's prefix and moving the others to "less" or "greater" once they
// differ. In the sign slice the order of 0 and 1 is reversed, which is the whole of two's
// complement's special treatment. c must be within the width's bounds.
func (b *bsi) compareNarrowing(op cmpOp, c int64, filter *roaring.Bitmap) *roaring.Bitmap {
	dom := b.domain(filter)
	needLT := op == opLT || op == opLE
	needGT := op == opGT || op == opGE
	eq := dom
	if op == opNE {
		eq = dom.Clone()
	}
	lt, gt := roaring.New(), roaring.New()
	top := len(b.slices) - 1
	for i := top; i >= 0 && !eq.IsEmpty(); i-- {
		// cb is c's order bit: its bit i, reversed in the sign slice.
		cb := uint64(c)>>i&1 == 1
		if b.signed && i == top {
			cb = !cb
		}
		if cb {
			// Columns with order bit 0 here fall below c.
			if needLT {
				lt.Or(b.part(eq, i, false))
			}
			b.keepOrder(eq, i, true)
		} else {
			if needGT {
				gt.Or(b.part(eq, i, true))
			}
			b.keepOrder(eq, i, false)
		}
	}
	switch op {
	case opEQ:
		return eq
	case opNE:
		dom.AndNot(eq)
		return dom
	case opLT:
		return lt
	case opLE:
		lt.Or(eq)
		return lt
	case opGT:
		return gt
	default: // opGE
		gt.Or(eq)
		return gt
	}
}

// between returns the columns of exist ∩ filter with lo <= v <= hi.
func (b *bsi) between(lo, hi int64, filter *roaring.Bitmap) *roaring.Bitmap {
	if lo > hi {
		return roaring.New()
	}
	return b.compare(opLE, hi, b.compare(opGE, lo, filter))
}

// top returns k columns of exist ∩ filter with the largest values (smallest when
// largest is false), ties broken towards the smaller column. It is O'Neil & Quass 1997,
// Algorithm 4.4 (top-k on a bit-sliced index): from the most significant slice down,
// keep the columns that are certainly in (sure) and those still competing (cand); each
// slice either admits a whole group into sure or narrows cand to it. Only the last tie
// group is visited column by column, and only up to k.
func (b *bsi) top(k int, filter *roaring.Bitmap, largest bool) *roaring.Bitmap {
	cand := b.domain(filter)
	if k <= 0 {
		return roaring.New()
	}
	if cand.GetCardinality() <= uint64(k) {
		return cand
	}
	sure := roaring.New()
	for i := len(b.slices) - 1; i >= 0; i-- {
		better := b.part(cand, i, largest)
		n := sure.GetCardinality() + better.GetCardinality()
		switch {
		case n > uint64(k):
			cand = better
		default:
			sure.Or(better)
			cand.AndNot(better)
			if n == uint64(k) {
				return sure
			}
		}
	}
	// Every column left in cand has the same value; take the smallest ones.
	need := uint64(k) - sure.GetCardinality()
	it := cand.Iterator()
	for ; need > 0 && it.HasNext(); need-- {
		sure.Add(it.Next())
	}
	return sure
}

// incr adds one to the (unsigned) value of every column of set, treating absent columns
// as zero: a ripple-carry add of a one-bit number, slice by slice, that stops as soon as
// the carry is empty. set is not modified.
func (b *bsi) incr(set *roaring.Bitmap) {
	carry, owned := set, false
	for i := 0; !carry.IsEmpty(); i++ {
		if i == len(b.slices) {
			if !owned {
				carry = carry.Clone()
			}
			b.slices = append(b.slices, carry)
			break
		}
		next := roaring.And(b.slices[i], carry)
		b.slices[i].Xor(carry)
		carry, owned = next, true
	}
	b.exist.Or(set)
}

// add adds o's (unsigned) values to b's, absent columns counting as zero: a ripple-carry
// adder over slices (sum = a ⊕ o ⊕ carry, carry = majority(a, o, carry)). If filter is
// non-nil only o's columns in filter are added.
func (b *bsi) add(o *bsi, filter *roaring.Bitmap) {
	carry := roaring.New()
	for i := 0; i < len(o.slices) || !carry.IsEmpty(); i++ {
		var s *roaring.Bitmap
		if i < len(o.slices) {
			s = o.slices[i]
			if filter != nil {
				s = roaring.And(s, filter)
			}
		} else {
			s = roaring.New()
		}
		if i == len(b.slices) {
			b.slices = append(b.slices, roaring.New())
		}
		a := b.slices[i]
		// majority(a, s, carry) = (a ∧ s) ∨ (carry ∧ (a ⊕ s))
		x := roaring.Xor(a, s)
		next := roaring.And(a, s)
		next.Or(roaring.And(carry, x))
		x.Xor(carry)
		b.slices[i] = x
		carry = next
	}
	if filter != nil {
		b.exist.Or(roaring.And(o.exist, filter))
	} else {
		b.exist.Or(o.exist)
	}
}

// trim drops high slices that carry no information (empty for unsigned; a copy of the
// slice below for signed, or an empty sign slice of width one), so that widths shrink
// after values are cleared.
func (b *bsi) trim() {
	for n := len(b.slices); n > 0; n-- {
		s := b.slices[n-1]
		switch {
		case !b.signed && s.IsEmpty(), b.signed && n == 1 && s.IsEmpty(), b.signed && n > 1 && s.Equals(b.slices[n-2]):
			b.slices = b.slices[:n-1]
		default:
			return
		}
	}
}
