package funnel

import (
	"cmp"
	"fmt"
	"iter"
	"slices"
	"time"
)

// Direction is the way a path or a next-node search walks a profile's events.
type Direction uint8

const (
	// Forward walks from earlier to later events.
	Forward Direction = iota
	// Backward walks from later to earlier events.
	Backward
)

// Base is where NextNode starts its chain, as in ClickHouse's sequenceNextNode.
type Base uint8

const (
	// Head starts at the first event (Forward only).
	Head Base = iota
	// Tail starts at the last event (Backward only).
	Tail
	// FirstMatch starts at the first event meeting the chain's first condition and
	// the base condition.
	FirstMatch
	// LastMatch starts at the last such event.
	LastMatch
)

// NextNode is ClickHouse's sequenceNextNode(direction, base)(timestamp, base_condition,
// name, event1, event2, ...): from the base event, the events that follow it in the
// direction must meet Chain[0], Chain[1], ... one after another with nothing between
// them, and the answer is the name of the event after the chain. The base event must
// meet BaseCondition (a zero Step: no condition) and Chain[0]; with FirstMatch and
// LastMatch it is the first or last such event, and a chain that then fails is not
// retried from another base. Events are in time order, ties in input order; every
// event takes part (sequenceNextNode keeps rows that meet no condition).
type NextNode struct {
	Direction     Direction
	Base          Base
	BaseCondition Step
	Chain         []Step
}

func (q NextNode) validate() error {
	switch {
	case q.Direction > Backward:
		return fmt.Errorf("%w: unknown direction %d", ErrInvalid, q.Direction)
	case q.Base > LastMatch:
		return fmt.Errorf("%w: unknown base %d", ErrInvalid, q.Base)
	case q.Direction == Forward && q.Base == Tail, q.Direction == Backward && q.Base == Head:
		return fmt.Errorf("%w: base %d does not go with direction %d (head is forward's, tail backward's)", ErrInvalid, q.Base, q.Direction)
	case len(q.Chain) == 0 || len(q.Chain) > MaxSteps:
		return fmt.Errorf("%w: a chain of %d events, want 1 to %d", ErrInvalid, len(q.Chain), MaxSteps)
	}
	for i, c := range q.Chain {
		if c.Name == "" && c.Match == nil {
			return fmt.Errorf("%w: chain event %d has neither Name nor Match", ErrInvalid, i+1)
		}
	}
	return nil
}

// Next returns the name of the next node for events taken as one group (as
// ClickHouse's aggregate sees the rows of a GROUP BY key); ok is false where
// ClickHouse returns NULL.
func (q NextNode) Next(events []Event) (name string, ok bool, err error) {
	if err := q.validate(); err != nil {
		return "", false, err
	}
	idx := make([]int, len(events))
	ts := make([]int64, len(events))
	for i, e := range events {
		t, err := instant(i, e, time.Time{})
		if err != nil {
			return "", false, err
		}
		idx[i], ts[i] = i, t
	}
	slices.SortStableFunc(idx, func(a, b int) int { return cmp.Compare(ts[a], ts[b]) })
	if q.Direction == Backward {
		slices.Reverse(idx)
	}
	at := func(k int) Event { return events[idx[k]] }
	base := -1
	isBase := func(e Event) bool {
		return q.Chain[0].matches(e) && (q.BaseCondition.Name == "" && q.BaseCondition.Match == nil || q.BaseCondition.matches(e))
	}
	switch q.Base {
	case Head, Tail: // the walk's first event, in its direction
		if len(idx) > 0 && isBase(at(0)) {
			base = 0
		}
	case FirstMatch, LastMatch:
		// In walk order: the first match of a forward walk is the earliest event, of a
		// backward walk the latest.
		first := (q.Base == FirstMatch) == (q.Direction == Forward)
		for k := range idx {
			if isBase(at(k)) {
				base = k
				if first {
					break
				}
			}
		}
	}
	if base < 0 {
		return "", false, nil
	}
	k := base + 1
	for _, c := range q.Chain[1:] {
		if k >= len(idx) || !c.matches(at(k)) {
			return "", false, nil
		}
		k++
	}
	if k >= len(idx) {
		return "", false, nil
	}
	return at(k).Name, true, nil
}

// Paths describes the flows after (Forward) or before (Backward) an anchor event:
// for each profile, the events that follow its first event meeting From (Forward),
// or precede its last one (Backward), up to Depth of them. With To set (Forward
// only), a path ends at the first event meeting To after the anchor, that event
// included: the flows between two steps. Depth 1 with a one-event chain is
// sequenceNextNode('forward', 'first_match') or ('backward', 'last_match').
type Paths struct {
	From      Step
	To        Step // zero: no end step
	Direction Direction
	Depth     int // 1 to MaxPathDepth
	// TopN keeps the N most frequent names at each depth; the others are counted
	// together as OtherNode. Zero keeps every name.
	TopN int
}

// MaxPathDepth bounds Paths.Depth.
const MaxPathDepth = 64

// OtherNode names the names a path depth does not keep (Paths.TopN).
const OtherNode = "(other)"

// PathResult is the flows of Paths: the nodes at each depth and the links between
// consecutive depths, the data a Sankey chart draws (depth 0 is the anchor).
type PathResult struct {
	// Profiles counts the profiles that have the anchor event.
	Profiles int64
	// Depths[d-1] holds the nodes at depth d.
	Depths []PathDepth
	// Links holds the profiles going from a node at one depth to a node at the next,
	// by depth, then by count (descending), then by names.
	Links []PathLink
}

// PathDepth is one depth of the flows.
type PathDepth struct {
	Depth int
	// Nodes are the names at this depth with the profiles there, by count
	// (descending) then name.
	Nodes []PathNode
	// DropOff counts the profiles whose path ended before this depth: at the previous
	// depth (or the anchor), with no further event or after the To event.
	DropOff int64
}

// PathNode is one event name at one depth.
type PathNode struct {
	Name     string
	Profiles int64
}

// PathLink is a flow from a node at depth FromDepth to one at the next depth; From is
// the anchor's name at depth 0.
type PathLink struct {
	FromDepth int
	From, To  string
	Profiles  int64
}

func (ps Paths) validate() error {
	switch {
	case ps.From.Name == "" && ps.From.Match == nil:
		return fmt.Errorf("%w: paths need a From step", ErrInvalid)
	case ps.Depth < 1 || ps.Depth > MaxPathDepth:
		return fmt.Errorf("%w: path depth %d outside 1..%d", ErrInvalid, ps.Depth, MaxPathDepth)
	case ps.Direction > Backward:
		return fmt.Errorf("%w: unknown direction %d", ErrInvalid, ps.Direction)
	case ps.Direction == Backward && !ps.noEnd():
		return fmt.Errorf("%w: an end step needs the forward direction", ErrInvalid)
	case ps.TopN < 0:
		return fmt.Errorf("%w: negative TopN %d", ErrInvalid, ps.TopN)
	}
	return nil
}

func (ps Paths) noEnd() bool { return ps.To.Name == "" && ps.To.Match == nil }

// pathEvent is one event of a profile as the path walk sees it.
type pathEvent struct {
	t        int64
	name     uint32
	from, to bool
}

// pathTally counts one set of profiles' paths, over interned names.
type pathTally struct {
	profiles int64
	nodes    []map[uint32]int64    // per depth 0..Depth
	links    []map[[2]uint32]int64 // per depth 0..Depth-1: (name at d, name at d+1)
	ends     []int64               // per depth 1..Depth: paths that reached depth d-1 and not d
}

func newPathTally(depth int) *pathTally {
	pt := &pathTally{nodes: make([]map[uint32]int64, depth+1), links: make([]map[[2]uint32]int64, depth), ends: make([]int64, depth)}
	for d := range pt.nodes {
		pt.nodes[d] = map[uint32]int64{}
	}
	for d := range pt.links {
		pt.links[d] = map[[2]uint32]int64{}
	}
	return pt
}

// profile walks one profile's events, in time order.
func (pt *pathTally) profile(ps *Paths, evs []pathEvent) {
	anchor := -1
	if ps.Direction == Forward {
		anchor = slices.IndexFunc(evs, func(e pathEvent) bool { return e.from })
	} else {
		for k := len(evs) - 1; k >= 0; k-- {
			if evs[k].from {
				anchor = k
				break
			}
		}
	}
	if anchor < 0 {
		return
	}
	pt.profiles++
	prev := evs[anchor].name
	pt.nodes[0][prev]++
	step := 1
	if ps.Direction == Backward {
		step = -1
	}
	k := anchor
	for d := 1; d <= ps.Depth; d++ {
		k += step
		if k < 0 || k >= len(evs) || d > 1 && ps.Direction == Forward && !ps.noEnd() && evs[k-1].to {
			pt.ends[d-1]++
			return
		}
		cur := evs[k].name
		pt.nodes[d][cur]++
		pt.links[d-1][[2]uint32{prev, cur}]++
		prev = cur
	}
}

func (pt *pathTally) merge(o *pathTally) {
	pt.profiles += o.profiles
	for d := range pt.nodes {
		for k, v := range o.nodes[d] {
			pt.nodes[d][k] += v
		}
	}
	for d := range pt.links {
		for k, v := range o.links[d] {
			pt.links[d][k] += v
		}
		pt.ends[d] += o.ends[d]
	}
}

// result names the nodes, keeps the top N at each depth and folds the rest.
func (pt *pathTally) result(ps *Paths, names []string) *PathResult {
	res := &PathResult{Profiles: pt.profiles}
	keep := make([]map[uint32]bool, len(pt.nodes))
	label := func(d int, id uint32) string {
		if keep[d] != nil && !keep[d][id] {
			return OtherNode
		}
		return names[id]
	}
	for d, m := range pt.nodes {
		ids := slices.Collect(func(yield func(uint32) bool) {
			for id := range m {
				if !yield(id) {
					return
				}
			}
		})
		slices.SortFunc(ids, func(a, b uint32) int { return cmp.Or(-cmp.Compare(m[a], m[b]), cmp.Compare(names[a], names[b])) })
		if ps.TopN > 0 && len(ids) > ps.TopN {
			keep[d] = map[uint32]bool{}
			for _, id := range ids[:ps.TopN] {
				keep[d][id] = true
			}
		}
		if d == 0 {
			continue
		}
		counts := map[string]int64{}
		for _, id := range ids {
			counts[label(d, id)] += m[id]
		}
		pd := PathDepth{Depth: d, DropOff: pt.ends[d-1]}
		for name, n := range counts {
			pd.Nodes = append(pd.Nodes, PathNode{name, n})
		}
		slices.SortFunc(pd.Nodes, func(a, b PathNode) int {
			return cmp.Or(-cmp.Compare(a.Profiles, b.Profiles), cmp.Compare(a.Name, b.Name))
		})
		res.Depths = append(res.Depths, pd)
	}
	for d, m := range pt.links {
		folded := map[[2]string]int64{}
		for k, v := range m {
			folded[[2]string{label(d, k[0]), label(d+1, k[1])}] += v
		}
		var links []PathLink
		for k, v := range folded {
			links = append(links, PathLink{FromDepth: d, From: k[0], To: k[1], Profiles: v})
		}
		slices.SortFunc(links, func(a, b PathLink) int {
			return cmp.Or(-cmp.Compare(a.Profiles, b.Profiles), cmp.Compare(a.From, b.From), cmp.Compare(a.To, b.To))
		})
		res.Links = append(res.Links, links...)
	}
	return res
}

// Run computes the flows over events from any number of profiles, in any order.
func (ps Paths) Run(events []Event) (*PathResult, error) {
	seq, err := sortedByProfile(events, time.Time{})
	if err != nil {
		return nil, err
	}
	return ps.runGrouped(seq)
}

// RunSeq computes the flows over a stream grouped by profile (see Spec.RunSeq).
func (ps Paths) RunSeq(events iter.Seq[Event]) (*PathResult, error) {
	var failed error
	res, err := ps.runGrouped(profileStream(events, time.Time{}, &failed))
	if failed != nil {
		return nil, failed
	}
	return res, err
}

func (ps Paths) runGrouped(events iter.Seq2[Event, int64]) (*PathResult, error) {
	if err := ps.validate(); err != nil {
		return nil, err
	}
	var names []string
	var ids map[string]uint32
	pt := newPathTally(ps.Depth)
	var evs []pathEvent
	var cur uint32
	open := false
	flush := func() {
		if open {
			slices.SortStableFunc(evs, func(a, b pathEvent) int { return cmp.Compare(a.t, b.t) })
			pt.profile(&ps, evs)
			evs = evs[:0]
		}
	}
	for e, t := range events {
		if !open || e.Profile != cur {
			flush()
			cur, open = e.Profile, true
		}
		evs = append(evs, pathEvent{t: t, name: intern(&ids, &names, e.Name), from: ps.From.matches(e), to: !ps.noEnd() && ps.To.matches(e)})
	}
	flush()
	return pt.result(&ps, names), nil
}

// RunBatch computes the flows over a columnar batch, profile ranges in parallel;
// From and To are matched once per distinct name.
func (ps Paths) RunBatch(b *Batch) (*PathResult, error) {
	if b == nil {
		return nil, errNilBatch
	}
	if err := ps.validate(); err != nil {
		return nil, err
	}
	starts, err := b.profiles(time.Time{})
	if err != nil {
		return nil, err
	}
	from := b.byName(func(e Event) uint32 { return boolBit(ps.From.matches(e)) })
	to := b.byName(func(e Event) uint32 { return boolBit(!ps.noEnd() && ps.To.matches(e)) })
	names := canonical(b.Names, b.Event)
	parts := split(len(starts)-1, workersFor(b.Len()), func(lo, hi int) *pathTally {
		pt := newPathTally(ps.Depth)
		var evs []pathEvent
		for q := lo; q < hi; q++ {
			evs = evs[:0]
			sorted := true
			for k := starts[q]; k < starts[q+1]; k++ {
				id := b.Event[k]
				if len(evs) > 0 && b.Time[k] < evs[len(evs)-1].t {
					sorted = false
				}
				evs = append(evs, pathEvent{t: b.Time[k], name: names[k], from: from[id] != 0, to: to[id] != 0})
			}
			if !sorted {
				slices.SortStableFunc(evs, func(a, b pathEvent) int { return cmp.Compare(a.t, b.t) })
			}
			pt.profile(&ps, evs)
		}
		return pt
	})
	for _, q := range parts[1:] {
		parts[0].merge(q)
	}
	return parts[0].result(&ps, b.Names), nil
}

func boolBit(b bool) uint32 {
	if b {
		return 1
	}
	return 0
}
