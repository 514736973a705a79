package identity

import (
	"fmt"
	"math"
)

// check verifies that a decoded record can be applied to g, once the caller has
// registered the kinds it names (new identifiers' and drops'): the new nodes continue the
// dense numbering, members are known, distinct and not forgotten, every new node is a
// member, statuses are consistent, and no capacity is exceeded. A record that passes
// cannot make apply panic or break the graph's invariants.
func (g *graph) check(r *record) error {
	known := g.t.nodes()
	if n, twice := repeated(r.members); twice {
		return fmt.Errorf("%s lists node %d twice", Op(r.op), n)
	}
	switch r.op {
	case opLink:
		if !(g.lastOK && r.source == g.lastSource) && !g.t.sourceFits(r.source) {
			return fmt.Errorf("%w: source %q would be source number %d", ErrFull, r.source, maxSources+1)
		}
		if len(r.news) > 0 && r.first != known+1 {
			return fmt.Errorf("first new node is %d, the log holds %d", r.first, known)
		}
		if err := g.t.canAdd(len(r.news), 0); err != nil {
			return err
		}
		end := known + uint32(len(r.news))
		anchors, linked, fresh := 0, 0, 0
		for i, m := range r.members {
			if m.node > end {
				return fmt.Errorf("member %d is node %d, beyond the %d known", i, m.node, end)
			}
			if m.node > known {
				fresh++
				if m.status == stSkipped {
					return fmt.Errorf("member %d: new node %d cannot have been quarantined before", i, m.node)
				}
			} else if g.forgotten(m.node) {
				return fmt.Errorf("member %d: node %d was forgotten", i, m.node)
			}
			switch m.status {
			case stAnchor:
				anchors++
			case stAccepted, stRefused:
				linked++
			}
			if m.status == stRefused && !g.kindKnown(m.limitKind, r) {
				return fmt.Errorf("member %d: refused by the limit of kind %q, which no identifier has", i, m.limitKind)
			}
		}
		if fresh != len(r.news) {
			return fmt.Errorf("%d new identifiers but %d of them are members", len(r.news), fresh)
		}
		if anchors > 1 || (anchors == 0 && linked > 0) {
			return fmt.Errorf("%d anchors for %d linked members", anchors, linked)
		}
		if uint64(g.keys)+uint64(len(r.members)) > keyMask {
			return fmt.Errorf("%w: profile keys exhausted", ErrFull)
		}
		if uint64(g.pool.len())+uint64(len(r.members)) >= math.MaxUint32 {
			return fmt.Errorf("%w: history holds %d memberships", ErrFull, g.pool.len())
		}
	case opUnmerge:
		n := r.members[0].node
		if n > known || !g.has(n) || g.forgotten(n) {
			return fmt.Errorf("unmerge of node %d, which is not held", n)
		}
		if uint64(g.keys)+uint64(g.size.at(g.keyOf(n))) > keyMask {
			return fmt.Errorf("%w: profile keys exhausted", ErrFull)
		}
	case opForget, opQuarantine:
		if r.key > g.keys {
			return fmt.Errorf("forget of profile %d, beyond the %d issued", r.key, g.keys)
		}
		if uint64(g.keys)+uint64(len(r.members))*2 > keyMask {
			return fmt.Errorf("%w: profile keys exhausted", ErrFull)
		}
		for _, m := range r.members {
			if m.node > known || !g.has(m.node) || g.forgotten(m.node) {
				return fmt.Errorf("%s of node %d, which is not held", Op(r.op), m.node)
			}
		}
	case opConfig:
		return fmt.Errorf("configuration record after the first record")
	}
	return nil
}

func (g *graph) kindKnown(kind string, r *record) bool {
	if _, ok := g.t.kindIdx[kind]; ok {
		return true
	}
	for _, n := range r.news {
		if n.kind == kind {
			return true
		}
	}
	return false
}

// repeated returns a node that members list twice, if any: by comparing pairs for an
// event's few members, with a set for the thousands a forget may list.
func repeated(members []member) (uint32, bool) {
	if len(members) <= 32 {
		for i, m := range members {
			for _, o := range members[:i] {
				if o.node == m.node {
					return m.node, true
				}
			}
		}
		return 0, false
	}
	seen := make(map[uint32]bool, len(members))
	for _, m := range members {
		if seen[m.node] {
			return m.node, true
		}
		seen[m.node] = true
	}
	return 0, false
}
