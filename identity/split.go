package identity

import "slices"

// pushNodes records an unmerge, quarantine or forget: an event whose members are the
// record's nodes, all with status st. It returns the event's index.
func (g *graph) pushNodes(r *record, st uint8) uint32 {
	e := g.pushEvent(r.op, r.at, 0)
	var hi uint32
	for _, m := range r.members {
		hi = max(hi, m.node)
	}
	g.ensure(hi)
	for _, m := range r.members {
		g.pushMember(m.node, st)
	}
	g.endEvent()
	return e
}

// detach marks every recorded membership of n as no longer linking it.
func (g *graph) detach(n uint32) {
	for idx := g.nodes.ref(n).occ; idx != 0; idx = g.poolNext.at(idx) {
		g.pool.set(idx, g.pool.at(idx)|detachedBit)
	}
}

// resplit recomputes the profile with key k, whose members are comp, after the removed
// nodes' memberships were detached. The remaining members are grouped by the events that
// still link them (a small union-find local to the profile). Keys are then handed out so
// that downstream keys stay put:
//
//   - a key seeded by a removed node is re-seeded by the oldest remaining member (the
//     smallest node id), so the profile's own key stays with what remains of it;
//   - every remaining piece takes the smallest key seeded inside it, or a fresh key
//     seeded by its smallest node when it holds none;
//   - with keep, each removed node becomes a profile of its own under a fresh key;
//     without, removed nodes leave the graph, and keys are retired only if nothing
//     remains.
//
// Pieces come in order of their smallest node, removed nodes (with keep) after them. The
// result slices are freshly allocated.
func (g *graph) resplit(k uint32, comp []uint32, removed map[uint32]bool, keep bool) (pieces, retired []uint32) {
	slices.Sort(comp)
	idx := make(map[uint32]int32, len(comp))
	parent := make([]int32, 0, len(comp))
	var oldest uint32
	for _, n := range comp {
		if removed[n] {
			continue
		}
		if oldest == 0 {
			oldest = n
		}
		idx[n] = int32(len(parent))
		parent = append(parent, int32(len(parent)))
	}
	find := func(i int32) int32 {
		for parent[i] != i {
			parent[i] = parent[parent[i]]
			i = parent[i]
		}
		return i
	}
	for _, n := range comp {
		if removed[n] {
			continue
		}
		a := idx[n]
		for o := g.nodes.ref(n).occ; o != 0; o = g.poolNext.at(o) {
			if !linking(g.pool.at(o)) {
				continue
			}
			s, e := g.eventRange(g.eventOf(o))
			for j := s; j < e; j++ {
				entry := g.pool.at(j)
				m := entryNode(entry)
				if m == n || !linking(entry) || removed[m] {
					continue
				}
				if b, ok := idx[m]; ok {
					if ra, rb := find(a), find(b); ra != rb {
						parent[max(ra, rb)] = min(ra, rb)
					}
				}
			}
		}
	}
	// Pieces in order of their smallest node; comp is sorted, so each piece is too.
	pieceOf := make(map[int32]int, len(parent))
	var nodes [][]uint32
	for _, n := range comp {
		i, ok := idx[n]
		if !ok {
			continue
		}
		r := find(i)
		p, ok := pieceOf[r]
		if !ok {
			p = len(nodes)
			pieceOf[r] = p
			nodes = append(nodes, nil)
		}
		nodes[p] = append(nodes[p], n)
	}
	cands := make([][]uint32, len(nodes), len(nodes)+len(removed))
	for x := k; ; {
		s := g.seed.at(x)
		if _, ok := idx[s]; !ok && oldest != 0 {
			s = oldest
			g.seed.set(x, s)
		}
		if i, ok := idx[s]; ok {
			p := pieceOf[find(i)]
			cands[p] = append(cands[p], x)
		} else {
			retired = append(retired, x)
			g.seed.set(x, 0)
		}
		if x = g.ring.at(x); x == k {
			break
		}
	}
	if keep {
		for _, n := range comp {
			if removed[n] {
				nodes = append(nodes, []uint32{n})
				cands = append(cands, nil)
			}
		}
	}
	for p, ns := range nodes {
		c := cands[p]
		if len(c) == 0 {
			g.keys++
			fresh := g.keys
			g.seed.push(ns[0])
			g.size.push(0)
			g.ring.push(fresh)
			for range g.width {
				g.counts.push(0)
			}
			c = []uint32{fresh}
		}
		slices.Sort(c)
		key := c[0]
		for i, x := range c {
			g.ring.set(x, c[(i+1)%len(c)])
		}
		root := ns[0]
		g.nodes.ref(root).uf = rootBit | key
		for i, n := range ns {
			if i > 0 {
				g.nodes.ref(n).uf = root
			}
			g.nodes.ref(n).next = ns[(i+1)%len(ns)]
		}
		g.size.set(key, uint32(len(ns)))
		for s := range g.width {
			g.counts.set(key*g.width+s, 0)
		}
		for _, n := range ns {
			g.bump(key, n)
		}
		pieces = append(pieces, key)
	}
	g.live += len(pieces) - 1
	return pieces, retired
}

// applyUnmerge splits node n off its profile. It returns the key the profile had and the
// keys of the pieces it became (just that key when n was alone or unknown to a view).
func (g *graph) applyUnmerge(r *record) (uint32, []uint32) {
	n := r.members[0].node
	g.pushNodes(r, stUnmerged)
	if !g.has(n) || g.forgotten(n) {
		return 0, nil
	}
	return g.splitOff(n)
}

// splitOff detaches node n's evidence and recomputes its profile (see resplit). It
// returns the key the profile had and the keys of its pieces.
func (g *graph) splitOff(n uint32) (uint32, []uint32) {
	k := g.keyOf(n)
	g.detach(n)
	comp := g.members(k, nil)
	if len(comp) == 1 {
		return k, []uint32{k}
	}
	pieces, _ := g.resplit(k, comp, map[uint32]bool{n: true}, true)
	return k, pieces
}

// applyQuarantine quarantines the record's nodes and splits each off its profile with
// the links it brought, as Unmerge does: the merges a hot identifier caused before it was
// found hot are suspect too. It returns the profiles it divided.
func (g *graph) applyQuarantine(r *record) []splitResult {
	g.pushNodes(r, stHot)
	var out []splitResult
	for _, m := range r.members {
		if !g.has(m.node) || g.forgotten(m.node) {
			continue
		}
		g.quarantine(m.node)
		if from, into := g.splitOff(m.node); len(into) > 1 {
			out = append(out, splitResult{node: m.node, from: from, into: into})
		}
	}
	return out
}

// applyForget erases the record's nodes and returns the keys it retired.
func (g *graph) applyForget(r *record) []uint32 {
	e := g.pushNodes(r, stForgot)
	g.forgetKey[e] = r.key
	removed := map[uint32]bool{}
	var keys []uint32
	for _, m := range r.members {
		if g.has(m.node) && !g.forgotten(m.node) {
			removed[m.node] = true
			if k := g.keyOf(m.node); !slices.Contains(keys, k) {
				keys = append(keys, k)
			}
		}
	}
	for n := range removed {
		g.detach(n)
	}
	var retired []uint32
	for _, k := range keys {
		_, ret := g.resplit(k, g.members(k, nil), removed, false)
		retired = append(retired, ret...)
	}
	for n := range removed {
		g.nodes.ref(n).uf = forgottenUF
		g.nodes.ref(n).next = n
		g.nodes.ref(n).hot = 0
		delete(g.met, n)
		if !g.view {
			g.t.erase(n)
		}
	}
	slices.Sort(retired)
	return retired
}
