package funnel

import (
	"cmp"
	"slices"
)

// row is one event of a profile, with the steps and exclusions it matches. A profile's
// rows are ordered by time, ties in input order.
type row struct {
	t     int64
	steps uint32 // bit s: the event matches step s
	excl  uint32 // bit k: the event matches exclusion k
	idx   int32  // the event's index in the caller's input, for its properties
}

// sortRows puts a profile's rows in time order, keeping input order among equal times;
// it leaves sorted input (the common case) untouched.
func sortRows(rows []row) {
	for i := 1; i < len(rows); i++ {
		if rows[i].t < rows[i-1].t {
			slices.SortStableFunc(rows, func(a, b row) int { return cmp.Compare(a.t, b.t) })
			return
		}
	}
}

// outcome is what one profile contributes to a funnel's counts.
type outcome struct {
	level   int    // deepest step reached, plus one, in the first pass; 0: never entered
	reached uint32 // steps reached in any pass
	passes  []uint32
	// path is the first pass's conversion (see the package documentation, "which
	// conversion"): for each step the row index into the profile's rows, or -1.
	path [MaxSteps]int32
	// at holds the time of each step of path that is set (see stamp).
	at [MaxSteps]int64
	// origin is, for a profile that entered but did not convert, the time of its latest
	// first-step event: the attempt whose window may still be open.
	origin int64
}

func (o *outcome) reset() {
	o.level, o.reached, o.passes, o.origin = 0, 0, o.passes[:0], 0
	o.path = noPath // one block copy: a loop of MaxSteps stores was 5% of a batch scan
}

// noPath is a path with no step set.
var noPath = func() (p [MaxSteps]int32) {
	for i := range p {
		p[i] = -1
	}
	return p
}()

// stamp sets o.at from the profile's rows.
func (o *outcome) stamp(rows []row) {
	for s, r := range o.path[:o.level] {
		if r >= 0 {
			o.at[s] = rows[r].t
		}
	}
}

// matcher computes one profile's outcome with the matcher the plan calls for, from
// rows in time order. The matcher is reused between profiles to avoid
// allocation; it is not safe for concurrent use.
type matcher struct {
	p   *plan
	gen engine
	k   kernel
	any anyOrder
}

func newMatcher(p *plan) *matcher {
	m := &matcher{p: p}
	m.gen.p, m.k.p, m.any.p = p, p, p
	return m
}

func (m *matcher) profile(rows []row, out *outcome) {
	out.reset()
	switch {
	case m.p.mode&AnyOrder != 0:
		m.any.profile(rows, out)
	case m.p.simple:
		m.k.profile(rows, out)
	default:
		m.gen.profile(rows, out)
	}
}
