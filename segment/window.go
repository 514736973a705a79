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

// tally answers count(e, D) op n and days(e, D) op n. The per-profile totals are never
// materialised profile by profile: they are a bit-sliced counter to which each day's
// bitmap is added with a ripple-carry adder (for count, plus the day's bit-sliced extra
// events), and the comparison is the bit-sliced comparison of bsi.compare. Profiles with
// no activity in the window have the total 0 and satisfy the predicate when 0 does.
func (e *evaluator) tally(n *actNode, days []*dayBits, f *roaring.Bitmap) set {
	dom := f
	if dom == nil {
		dom = e.x.known
	}
	// Cut every day to the filter when the filter is small enough to pay for it.
	var cut *roaring.Bitmap
	if f != nil && 2*f.GetCardinality() < e.x.known.GetCardinality() {
		cut = f
	}
	total := newBSI(false)
	for _, d := range days {
		p := d.present
		if cut != nil {
			p = roaring.And(p, cut)
		}
		total.incr(p)
		if n.fn == fnCount && d.extra != nil {
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
