package segment

import (
	"math"

	"github.com/RoaringBitmap/roaring/v2"
)

// activity evaluates a behavioural function within filter f (nil: every profile). A
// window of D days is the D days ending with the evaluator's day: [today−D+1, today].
// Days after today never count.
func (e *evaluator) activity(n *actNode, f *roaring.Bitmap) set {
	ev := e.x.events[n.event]
	lo := int32(math.MinInt32)
	if n.days > 0 {
		lo = clampDay(int64(e.today) - int64(n.days) + 1)
	}
	// Every function reads the days up to today (first and lapsed also those before
	// the window): charge them, and one union per day, before reading any.
	read := int64(len(ev.span(lo, e.today)))
	if n.fn == fnFirst || n.fn == fnLapsed || n.days == 0 {
		read = int64(len(ev.span(math.MinInt32, e.today)))
	}
	if !e.m.spend(read, read) {
		return empty()
	}
	switch n.fn {
	case fnDid:
		if n.days == 0 {
			return union(append(presence(ev.span(math.MinInt32, e.today)), ev.older), f)
		}
		return union(presence(ev.span(lo, e.today)), f)
	case fnFirst:
		// Active in the window and never before it.
		in := union(presence(ev.span(lo, e.today)), f)
		if in.b.IsEmpty() {
			return in
		}
		before := union(append(presence(ev.span(math.MinInt32, lo-1)), ev.older), in.b)
		return set{roaring.AndNot(in.b, before.b), true}
	case fnLapsed:
		// Active before the window and not within it.
		before := union(append(presence(ev.span(math.MinInt32, lo-1)), ev.older), f)
		if before.b.IsEmpty() {
			return before
		}
		in := union(presence(ev.span(lo, e.today)), before.b)
		return set{roaring.AndNot(before.b, in.b), true}
	default: // fnCount, fnDays
		return e.tally(n, ev.span(lo, e.today), f)
	}
}

func presence(days []*dayBits) []*roaring.Bitmap {
	out := make([]*roaring.Bitmap, len(days))
	for i, d := range days {
		out[i] = d.present
	}
	return out
}

// tally answers count(e, D) op n and days(e, D) op n without visiting profiles one by
// one. Profiles with no activity in the window have the total 0 and satisfy the
// predicate when 0 does.
//
// Small thresholds, the common case (count(visit, 30d) >= 2), use a saturating unary
// counter: bitmaps at[k−1] of the profiles whose total so far is at least k, for k up
// to the largest threshold the predicate needs. That is the range encoding of the
// total (Chan & Ioannidis 1998), updated per day with at[k] |= at[k−j] ∩ day_{≥j}; its
// bitmaps stay dense, where roaring's operations are fastest. Larger thresholds use a
// bit-sliced counter to which each day is added with a ripple-carry adder (O'Neil &
// Quass 1997), compared with bsi.compare; BenchmarkUserRule* measures both.
func (e *evaluator) tally(n *actNode, days []*dayBits, f *roaring.Bitmap) set {
	dom := f
	if dom == nil {
		dom = e.x.known
	}
	// Cut every day to the filter when the filter is small enough to pay for it: below
	// about 3% of the profiles (measured: at 10%, cutting turns dense bitmap containers
	// into arrays whose unions cost more than the cut saves).
	var cut *roaring.Bitmap
	if f != nil && 32*f.GetCardinality() < e.x.known.GetCardinality() {
		cut = f
	}
	extra := n.fn == fnCount
	if need := unaryNeed(n.op, n.n, n.n2); need <= maxUnary && !e.forceAdder {
		// Per day: at most need·(need+1)/2 unions and intersections, and need−1
		// comparisons of the day's repeat counts.
		if !e.m.spend(0, int64(len(days))*(need*(need+1)/2+need)) {
			return empty()
		}
		return set{unaryAnswer(n.op, n.n, n.n2, unaryCount(days, need, extra, cut), dom), true}
	}
	total := newBSI(false)
	for _, d := range days {
		// A ripple-carry addition: one step per bit slice of the running total (and of
		// the day's repeat counts).
		w := int64(len(total.slices) + 1)
		if extra && d.extra != nil {
			w += int64(len(d.extra.slices))
		}
		if !e.m.spend(0, 2*w) {
			return empty()
		}
		p := d.present
		if cut != nil {
			p = roaring.And(p, cut)
		}
		total.incr(p)
		if extra && d.extra != nil {
			total.add(d.extra, cut)
		}
	}
	var r *roaring.Bitmap
	if n.op == opBetween {
		r = total.between(n.n, n.n2, f)
	} else {
		r = total.compare(n.op, n.n, f)
	}
	if n.op.holds(0, n.n, n.n2) {
		r.Or(roaring.AndNot(dom, total.exist))
	}
	return set{r, true}
}

// maxUnary is the largest threshold counted with the unary counter.
const maxUnary = 8

// unaryNeed returns the largest k for which "total >= k" decides total op n (at least 0).
func unaryNeed(op cmpOp, n, n2 int64) int64 {
	switch op {
	case opGE, opLT:
		return max(n, 0)
	case opBetween:
		if n > n2 {
			return 0
		}
		return max(n2+1, 0)
	default: // =, !=, >, <=
		return max(n+1, 0)
	}
}

// unaryCount returns at with at[k−1] the profiles whose total over days is at least k,
// for k = 1..need. With extra the repeats within a day count too.
func unaryCount(days []*dayBits, need int64, extra bool, cut *roaring.Bitmap) []*roaring.Bitmap {
	at := make([]*roaring.Bitmap, need)
	for k := range at {
		at[k] = roaring.New()
	}
	if need == 0 {
		return at
	}
	for _, d := range days {
		// ge[j−1]: the profiles that did the event at least j times this day.
		p := d.present
		if cut != nil {
			p = roaring.And(p, cut)
		}
		ge := []*roaring.Bitmap{p}
		if extra && d.extra != nil {
			for j := int64(2); j <= need; j++ {
				g := d.extra.compare(opGE, j-1, cut)
				if g.IsEmpty() {
					break
				}
				ge = append(ge, g)
			}
		}
		// Descending k reads at[k−j] before this day changes it.
		for k := need; k >= 1; k-- {
			for j := int64(1); j <= min(k, int64(len(ge))); j++ {
				if j == k {
					at[k-1].Or(ge[j-1])
				} else {
					at[k-1].Or(roaring.And(at[k-j-1], ge[j-1]))
				}
			}
		}
	}
	return at
}

// unaryAnswer turns the unary counter into the profiles of dom with total op n.
func unaryAnswer(op cmpOp, n, n2 int64, at []*roaring.Bitmap, dom *roaring.Bitmap) *roaring.Bitmap {
	// atLeast(k) = profiles with total >= k.
	atLeast := func(k int64) *roaring.Bitmap {
		if k <= 0 {
			return dom
		}
		return at[k-1]
	}
	switch op {
	case opGE:
		return roaring.And(atLeast(n), dom)
	case opGT:
		return roaring.And(atLeast(n+1), dom)
	case opLT:
		return roaring.AndNot(dom, atLeast(n))
	case opLE:
		return roaring.AndNot(dom, atLeast(n+1))
	case opEQ:
		if n < 0 {
			return roaring.New()
		}
		return roaring.And(roaring.AndNot(atLeast(n), atLeast(n+1)), dom)
	case opNE:
		if n < 0 {
			return dom.Clone()
		}
		return roaring.AndNot(dom, roaring.AndNot(atLeast(n), atLeast(n+1)))
	default: // opBetween
		if n > n2 || n2 < 0 {
			return roaring.New()
		}
		return roaring.And(roaring.AndNot(atLeast(n), atLeast(n2+1)), dom)
	}
}
