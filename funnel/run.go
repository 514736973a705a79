package funnel

import (
	"cmp"
	"iter"
	"slices"
)

// Run computes the funnel over events from any number of profiles, in any order. It
// works on the profiles in parallel (GOMAXPROCS goroutines) and returns an error for a
// bad Spec or an unrepresentable timestamp, naming the event.
func (s Spec) Run(events []Event) (*Result, error) {
	pt, err := s.partial(events)
	if err != nil {
		return nil, err
	}
	return pt.resultAndRecycle(), nil
}

// partial computes the mergeable state of the funnel over events, which must hold every
// event of each of their profiles (see Partial).
func (s Spec) partial(events []Event) (*funnelPartial, error) {
	p, err := s.compile()
	if err != nil {
		return nil, err
	}
	rows := make([]row, len(events))
	for i, e := range events {
		t, err := instant(i, e, s.AsOf)
		if err != nil {
			return nil, err
		}
		steps, excl := p.masks(e)
		rows[i] = row{t: t, steps: steps, excl: excl, idx: int32(i)}
	}
	// Group by profile, each profile's events in time order, ties in input order.
	slices.SortFunc(rows, func(a, b row) int {
		if c := cmp.Compare(events[a.idx].Profile, events[b.idx].Profile); c != 0 {
			return c
		}
		if c := cmp.Compare(a.t, b.t); c != 0 {
			return c
		}
		return cmp.Compare(a.idx, b.idx)
	})
	profileOf := func(i int) uint32 { return events[rows[i].idx].Profile }
	var key func(o *outcome, rows []row) string
	if b := s.Breakdown; b != nil {
		key = func(o *outcome, rs []row) string {
			r := attributedRow(b, o)
			if r < 0 {
				return ""
			}
			return events[rs[r].idx].Props[b.Prop]
		}
	}
	return parallel(p, len(rows), profileOf, func(lo, hi int, _ []row) []row { return rows[lo:hi] }, key)
}

// attributedRow returns the row of o's conversion that gives its breakdown value.
func attributedRow(b *Breakdown, o *outcome) int32 {
	switch b.Attribution {
	case FirstStep:
		return o.path[0]
	case DeepestStep:
		return o.path[max(o.level-1, 0)]
	default:
		return o.path[b.Step]
	}
}

// parallel splits [0, n) at profile boundaries into one range per worker, matches each
// profile and merges the workers' partials. rowsOf returns the rows of [lo, hi),
// sorted, using buf as scratch if it needs to.
func parallel(p *plan, n int, profileOf func(int) uint32, rowsOf func(lo, hi int, buf []row) []row, key func(*outcome, []row) string) (*funnelPartial, error) {
	cuts := profileCuts(n, workersFor(n), profileOf)
	parts := split(len(cuts)-1, len(cuts)-1, func(w, _ int) *funnelPartial {
		return scanRange(p, cuts[w], cuts[w+1], profileOf, rowsOf, key)
	})
	return mergeParts(parts)
}

// profileCuts splits [0, n) into about equal ranges, one per worker, that start and end
// at profile boundaries: it returns the ranges' bounds, 0 and n included.
func profileCuts(n, workers int, profileOf func(int) uint32) []int {
	cuts := []int{0}
	for w := 1; w < workers; w++ {
		c := max(n*w/workers, cuts[len(cuts)-1])
		for c > 0 && c < n && profileOf(c) == profileOf(c-1) {
			c++
		}
		cuts = append(cuts, c)
	}
	return append(cuts, n)
}

// mergeParts merges the workers' partials, whose profiles are disjoint, into the first.
func mergeParts(parts []*funnelPartial) (*funnelPartial, error) {
	for _, q := range parts[1:] {
		parts[0].mergeDisjoint(q)
	}
	return parts[0], nil
}

func scanRange(p *plan, lo, hi int, profileOf func(int) uint32, rowsOf func(lo, hi int, buf []row) []row, key func(*outcome, []row) string) *funnelPartial {
	pt := newPartial(p)
	m := newMatcher(p)
	var out outcome
	var buf []row
	t := pt.group("")
	for i := lo; i < hi; {
		prof := profileOf(i)
		j := i + 1
		for j < hi && profileOf(j) == prof {
			j++
		}
		rows := rowsOf(i, j, buf[:0])
		buf = rows[:0]
		if len(rows) > 0 {
			pt.end = max(pt.end, rows[len(rows)-1].t)
		}
		m.profile(rows, &out)
		if key != nil && out.level > 0 {
			t = pt.group(key(&out, rows))
		}
		out.stamp(rows)
		t.add(prof, &out, p.n)
		i = j
	}
	if len(pt.groups[""].unique) > 0 && key != nil && pt.groups[""].unique[0] == 0 {
		// Without a profile attributed to "", the group is an artefact of the start.
		delete(pt.groups, "")
	}
	return pt
}

// RunSeq computes the funnel over a stream of events that comes grouped by profile
// (each profile's events together, in any time order), as internal/synth and most
// exports deliver them. Memory is one profile's events plus the counts. A profile that
// reappears after another profile's events is an error wrapping ErrUnsorted.
func (s Spec) RunSeq(events iter.Seq[Event]) (*Result, error) {
	pt, err := s.partialSeq(events)
	if err != nil {
		return nil, err
	}
	return pt.resultAndRecycle(), nil
}

// partialSeq computes the mergeable state of the funnel over a stream grouped by
// profile (see RunSeq) that holds every event of each of its profiles: how a machine
// that reads its shard as a stream takes part in a sharded computation.
func (s Spec) partialSeq(events iter.Seq[Event]) (*funnelPartial, error) {
	p, err := s.compile()
	if err != nil {
		return nil, err
	}
	pt := newPartial(p)
	m := newMatcher(p)
	var (
		cur  []Event
		rows []row
		out  outcome
	)
	add := func(e Event, t int64) {
		steps, excl := p.masks(e)
		rows = append(rows, row{t: t, steps: steps, excl: excl, idx: int32(len(cur))})
		cur = append(cur, e)
	}
	end := func(prof uint32) {
		sortRows(rows)
		pt.end = max(pt.end, rows[len(rows)-1].t)
		m.profile(rows, &out)
		key := ""
		if b := s.Breakdown; b != nil && out.level > 0 {
			if r := attributedRow(b, &out); r >= 0 {
				key = cur[rows[r].idx].Props[b.Prop]
			}
		}
		out.stamp(rows)
		pt.group(key).add(prof, &out, p.n)
		cur, rows = cur[:0], rows[:0]
	}
	if err := grouped(events, s.AsOf, add, end); err != nil {
		return nil, err
	}
	if s.Breakdown != nil && pt.groups[""] != nil && pt.groups[""].unique[0] == 0 {
		delete(pt.groups, "")
	}
	return pt, nil
}

// RunBatch computes the funnel over a columnar batch (see Batch for its promise of
// grouping), in parallel. Steps are matched once per distinct event name; a breakdown
// reads the batch's column for its property (a batch without that column puts every
// profile in the "" group).
func (s Spec) RunBatch(b *Batch) (*Result, error) {
	if b == nil {
		return nil, errNilBatch
	}
	pt, err := s.partialBatch(b)
	if err != nil {
		return nil, err
	}
	return pt.resultAndRecycle(), nil
}

// partialBatch computes the mergeable state of the funnel over a batch that holds every
// event of each of its profiles.
func (s Spec) partialBatch(b *Batch) (*funnelPartial, error) {
	p, err := s.compile()
	if err != nil {
		return nil, err
	}
	return scanBatch(p, b, s.AsOf)
}
