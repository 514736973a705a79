package identity

import (
	"fmt"
	"strings"
)

// The identifier table is split from the decisions by data: while a batch holds the
// lock, the second core owns the table (the index and the arena) and the deciding
// thread owns the graph (profiles, union-find, history). The second core looks up the
// identifiers of each event, a step of events ahead of the decisions, interns the ones
// it does not find, and writes each identifier's node on its normed; the decisions then
// probe no hash table and touch no arena. A node above table.visible is one interned
// ahead for an event not yet decided: to the decisions it is a new identifier, and they
// check that they number it as it was interned.
//
// This is exact because Link interns every identifier of an event that is of a
// registered kind, valid and not blocked (accepted, refused and quarantined alike get a
// node), numbering the new ones in decide's order (priority, then kind name, then
// position), and an event that fails interns nothing. So interning them in event order
// ahead gives the same nodes, provided every event succeeds. An event the stage cannot
// treat so (one that fails its checks, names a kind the decisions will register, has
// more than aheadIDs identifiers, or would fill the table) stops the stage: the
// decisions reach it owning the table again, decide it as without the stage, and the
// stage resumes after it. An event
// whose decision fails (a cancelled context, a store's error, a full graph) leaves the
// identifiers interned for it and after it undecided: they are removed (table.truncate)
// before the lock is released.

// Sizes of the stage, variables so that the tests can shrink them.
var (
	// aheadChunk is how many events a batch decides under one hold of the lock when the
	// second core interns ahead: the stage runs only under the lock, so a hold must be
	// long enough that refilling it at each hold costs little; readers wait at most a
	// millisecond or two.
	aheadChunk = 4096
	// aheadStep is how many events the second core interns before it tells the decisions.
	aheadStep = 64
)

// aheadIDs is the most identifiers an event may have for the stage to intern them.
const aheadIDs = 16

// internAhead looks up the identifiers of events [lo, hi) and interns those not found,
// for each event in decide's order, and records every identifier's node on its normed.
// It returns how many events it treated; fewer than hi-lo when it met one it leaves to
// the decisions. It runs on the helper, which owns the table meanwhile (table.ahead).
func (r *Resolver) internAhead(p *preparer, lo, hi int) int {
	if s := r.kindsSnap.Load(); s != p.snap {
		// A later snapshot holds every kind an earlier one did, with the same code.
		p.snap = s
		for _, e := range s.list {
			p.prio[e.code], p.names[e.code] = e.rule.prio, e.name
		}
	}
	t := r.t
	const group = 16 // events whose lookups start together
	var (
		tag  [group * 2]uint32
		slot [group * 2]uint64
	)
	for g0 := lo; g0 < hi; g0 += group {
		g1 := min(g0+group, hi)
		// Start the loads of the group's home slots, then of the records they point at,
		// so that their cache misses overlap (as warmBatch does).
		n := 0
		for i := g0; i < g1 && n < len(tag); i++ {
			for j := range p.prep[i].pre {
				if x := &p.prep[i].pre[j]; x.known && x.why == 0 && n < len(tag) {
					tag[n] = x.tag
					n++
				}
			}
		}
		for k := range n {
			slot[k] = t.probe(tag[k])
		}
		var sink byte
		for k := range n {
			if s := slot[k]; s != 0 && uint32(s>>32) == tag[k] {
				sink += t.peek(s)
			}
		}
		p.sink ^= sink
		for i := g0; i < g1; i++ {
			if !p.internEvent(i) {
				return i - lo
			}
		}
	}
	return hi - lo
}

// internEvent interns the new identifiers of event i and records the nodes of all of
// them, or reports false, changing nothing, for an event it leaves to the decisions.
func (p *preparer) internEvent(i int) bool {
	pr := &p.prep[i]
	if pr.err != nil || len(pr.pre) > aheadIDs {
		return false
	}
	t := p.r.t
	pre := pr.pre
	var buf [aheadIDs]uint8
	order := buf[:0] // distinct identifiers, in decide's order
	for j := range pre {
		x := &pre[j]
		if !x.known {
			return false
		}
		x.node = 0
		if x.why != 0 {
			continue
		}
		dup := false
		for _, o := range order {
			if pre[o].code == x.code && pre[o].value == x.value {
				dup = true
				break
			}
		}
		if dup {
			continue
		}
		k := len(order)
		order = append(order, uint8(j))
		for k > 0 && p.before(x, &pre[order[k-1]]) {
			order[k] = order[k-1]
			k--
		}
		order[k] = uint8(j)
	}
	news, bytes := 0, 0
	for _, o := range order {
		x := &pre[o]
		if x.node = t.findTag(x.code, x.value, x.tag); x.node == 0 {
			news++
			bytes += len(x.value)
		}
	}
	if t.canAddHeld(news, bytes) != nil {
		return false // the decisions fail the event with ErrFull
	}
	for _, o := range order {
		if x := &pre[o]; x.node == 0 {
			x.node = t.add(x.code, x.value, nil, true, 0, x.tag, true)
		}
	}
	for j := range pre {
		if x := &pre[j]; x.why == 0 && x.node == 0 {
			for _, o := range order {
				if pre[o].code == x.code && pre[o].value == x.value {
					x.node = pre[o].node
				}
			}
		}
	}
	return true
}

// before is decide's order: priority, then kind name (then position, by stability).
func (p *preparer) before(a, b *normed) bool {
	if pa, pb := p.prio[a.code], p.prio[b.code]; pa != pb {
		return pa < pb
	}
	return strings.Compare(p.names[a.code], p.names[b.code]) < 0
}

// aheadNode is the node of an identifier interned ahead as the decisions see it: 0
// when it is new to them.
func (t *table) aheadNode(x *normed) uint32 {
	if x.node > t.visible {
		return 0
	}
	return x.node
}

// issue makes node, interned ahead, visible to the decisions, which numbered it want.
func (t *table) issue(node, want uint32) {
	if node != want || want != t.visible+1 {
		panic(fmt.Sprintf("identity: node interned ahead as %d, decided as %d after %d", node, want, t.visible)) // checked: unreachable
	}
	t.visible = want
}

// warmNodes starts the loads of what the decisions read of the identifiers of events
// [lo, hi), interned ahead: their nodes, their roots and their profiles' sizes and
// counts, each phase's loads independent. Nothing read is kept. The caller holds mu.
func (r *Resolver) warmNodes(prep []prepared, lo, hi int) {
	var node [warmIDs]uint32
	n := 0
	t, g := r.t, r.g
	for i := lo; i < hi && n < warmIDs; i++ {
		for j := range prep[i].pre {
			if x := &prep[i].pre[j]; x.why == 0 && x.node != 0 && x.node <= t.visible && n < warmIDs {
				node[n] = x.node
				n++
			}
		}
	}
	for k := range n {
		node[k] = g.nodes.ref(node[k]).uf
	}
	for k := range n {
		if v := node[k]; v != 0 && v&rootBit == 0 {
			node[k] = g.nodes.ref(v).uf
		}
	}
	r.sink ^= byte(g.warmCounts(node[:n]))
}
