package identity

import (
	"fmt"
	"slices"
)

// graph is the state a sequence of records builds: profiles as a union-find forest over
// dense node ids, profile keys, per-profile counts of limited kinds, and the evidence
// (which identifiers each event linked) that Explain, Unmerge, History and AsOf read.
//
// Union-find. uf[n] is 0 for a node the graph has not seen, rootBit|key for the root of
// a profile (key 0: a forgotten node), and otherwise the root's node id: every node points
// straight at its root, so finding a profile takes at most two reads and readers never
// write (a reader-side path compression would race). Merges keep this true by relinking
// the members of the smaller profiles to the largest one's root; each node is relinked
// O(log n) times over its life (Tarjan & van Leeuwen 1984, "weighted union"), and the
// members of a profile form a circular list (next) so that relinking walks only them.
//
// Keys. Each key has a seed: the node whose arrival created it. The key of a profile is
// the smallest key seeded by one of its members, so a merge's survivor is the oldest
// profile, and a split hands each piece the oldest key seeded inside it (a fresh key only
// for a piece that holds no seed). Keys that have been absorbed stay in a circular ring
// per profile (ring) so that a split can find them; Current(k) is the key of the profile
// holding seed[k].
//
// Evidence. Every record appends its members to pool (node | status<<28 | detached bit)
// and each node keeps a list of its entries (occ, poolNext). An event's linked members
// stay connected in one profile; Unmerge and Forget detach a node's entries and recompute
// its old profile from the entries that remain, so only that profile is touched.
type graph struct {
	t    *table
	view bool // a view shares t read-only: it never interns, erases or registers names

	nodes column[nodeRec]

	seed, size, ring column[uint32] // per key
	counts           column[uint8]  // per key, width slots: identifiers of each limited kind
	width            uint32
	slot             [256]uint8 // kind code -> count slot+1; 0: not counted
	keys             uint32     // the last key issued
	live             int        // profiles that hold identifiers

	events    column[eventRec]
	pool      column[uint32]
	poolNext  column[uint32] // previous entry of the same node; 0 ends the list
	reasons   map[uint32]refusal
	drops     []dropEntry
	forgetKey map[uint32]uint32   // forget event -> profile key forgotten
	weights   map[uint32]float64  // matched link event -> its match weight (few events are)
	met       map[uint32][]uint32 // node -> profiles it was refused with (hot detection)

	keysBuf    []uint32
	lastSource string // the last source looked up, and its code: events come in runs
	lastCode   uint32
	lastOK     bool
}

// nodeRec is what the graph holds per node, together so that a node costs one cache
// miss: the hot path touches uf, occ and hot of every identifier of an event.
type nodeRec struct {
	uf   uint32 // 0: unseen; rootBit|key: a root; otherwise the root's node id
	next uint32 // next member of the same profile (a circular list)
	occ  uint32 // the node's newest entry in pool; 0: none
	hot  uint8  // quarantine bit, has-met bit, joins
	kind uint8  // kind code (set when the node first appears)
}

// eventRec is one record of the history; its members are pool[previous end : end].
type eventRec struct {
	at  int64  // Unix ns
	src uint32 // op<<opShift | source code
	end uint32
}

type refusal struct{ kind, limit, would uint8 }

type dropEntry struct {
	ev           uint32
	kind, reason uint8
}

const (
	rootBit     = 1 << 31
	keyMask     = rootBit - 1
	forgottenUF = rootBit // a root without a key
	nodeBits    = 28
	maxNode     = 1<<nodeBits - 1
	nodeMask    = maxNode
	detachedBit = 1 << 31
	opShift     = 28 // evSrc: op in the top 4 bits, source code below
	maxSources  = 1 << 16

	hotQuarantined = 0x80
	hotHasMet      = 0x40
	hotJoins       = 0x3F
	maxMet         = 64
)

func newGraph(t *table, view bool) *graph {
	g := &graph{t: t, view: view, reasons: map[uint32]refusal{}, forgetKey: map[uint32]uint32{}, weights: map[uint32]float64{}, met: map[uint32][]uint32{}}
	g.nodes.push(nodeRec{})
	g.seed.push(0)
	g.size.push(0)
	g.ring.push(0)
	g.pool.push(0)
	g.poolNext.push(0)
	return g
}

// countKind makes the graph count identifiers of kind per profile (for its limit).
func (g *graph) countKind(kind uint8) {
	if g.slot[kind] != 0 {
		return
	}
	old, w := g.counts, g.width
	g.width++
	g.slot[kind] = uint8(g.width)
	g.counts = column[uint8]{}
	for k := uint32(0); k <= g.keys; k++ {
		for s := uint32(0); s < w; s++ {
			g.counts.push(old.at(k*w + s))
		}
		g.counts.push(0)
	}
}

func (g *graph) has(n uint32) bool { return n < g.nodes.len() && g.nodes.ref(n).uf != 0 }

func (g *graph) forgotten(n uint32) bool {
	return n < g.nodes.len() && g.nodes.ref(n).uf == forgottenUF
}

// keyOf returns the key of the profile holding n (0 if n is forgotten or unseen).
func (g *graph) keyOf(n uint32) uint32 {
	if n >= g.nodes.len() {
		return 0
	}
	v := g.nodes.ref(n).uf
	if v&rootBit == 0 {
		if v == 0 {
			return 0
		}
		v = g.nodes.ref(v).uf
	}
	return v & keyMask
}

func (g *graph) rootOf(n uint32) uint32 {
	if v := g.nodes.ref(n).uf; v&rootBit == 0 {
		return v
	}
	return n
}

// current returns the key that now holds key k, or 0.
func (g *graph) current(k uint32) uint32 {
	if k == 0 || k > g.keys {
		return 0
	}
	s := g.seed.at(k)
	if s == 0 {
		return 0
	}
	return g.keyOf(s)
}

func (g *graph) keyRoot(k uint32) uint32 { return g.rootOf(g.seed.at(k)) }

func (g *graph) count(k uint32, kind uint8) uint8 {
	if s := g.slot[kind]; s != 0 {
		return g.counts.at(k*g.width + uint32(s) - 1)
	}
	return 0
}

func (g *graph) ensure(n uint32) {
	for g.nodes.len() <= n {
		g.nodes.push(nodeRec{})
	}
}

// newKey issues a key for a profile of the single node n.
func (g *graph) newKey(n uint32) uint32 {
	g.keys++
	k := g.keys
	g.seed.push(n)
	g.size.push(1)
	g.ring.push(k)
	for range g.width {
		g.counts.push(0)
	}
	g.nodes.ref(n).uf = rootBit | k
	g.nodes.ref(n).next = n
	g.bump(k, n)
	g.live++
	return k
}

// bump counts node n into key k's per-kind counts.
func (g *graph) bump(k, n uint32) {
	if g.width == 0 {
		return
	}
	if s := g.slot[g.nodes.ref(n).kind]; s != 0 {
		c := g.counts.ref(k*g.width + uint32(s) - 1)
		if *c < 255 {
			*c++
		}
	}
}

// attach adds the unseen node n to profile k.
func (g *graph) attach(n, k uint32) { g.attachRoot(n, k, g.keyRoot(k)) }

// attachRoot is attach for a caller that knows the root of k's profile.
func (g *graph) attachRoot(n, k, r uint32) {
	g.nodes.ref(n).uf = r
	g.nodes.ref(n).next = g.nodes.ref(r).next
	g.nodes.ref(r).next = n
	*g.size.ref(k)++
	g.bump(k, n)
}

// merge joins the profiles of keys (distinct, sorted ascending) into keys[0].
func (g *graph) merge(keys []uint32) {
	survivor, big := keys[0], keys[0]
	for _, k := range keys[1:] {
		if g.size.at(k) > g.size.at(big) {
			big = k
		}
	}
	root := g.keyRoot(big)
	total := g.size.at(big)
	for _, k := range keys {
		if k == big {
			continue
		}
		r := g.keyRoot(k)
		for x := r; ; {
			g.nodes.ref(x).uf = root
			if x = g.nodes.ref(x).next; x == r {
				break
			}
		}
		rn, kn := g.nodes.ref(root).next, g.nodes.ref(r).next
		g.nodes.ref(root).next = kn
		g.nodes.ref(r).next = rn
		rb, rk := g.ring.at(big), g.ring.at(k)
		g.ring.set(big, rk)
		g.ring.set(k, rb)
		total += g.size.at(k)
		for s := range g.width {
			c := g.counts.ref(big*g.width + s)
			*c = uint8(min(255, int(*c)+int(g.counts.at(k*g.width+s))))
		}
	}
	g.nodes.ref(root).uf = rootBit | survivor
	g.size.set(survivor, total)
	if big != survivor {
		for s := range g.width {
			g.counts.set(survivor*g.width+s, g.counts.at(big*g.width+s))
		}
	}
	g.live -= len(keys) - 1
}

func (g *graph) pushEvent(op uint8, at int64, source uint32) uint32 {
	e := g.events.push(eventRec{at: at, src: uint32(op)<<opShift | source})
	return e
}

func (g *graph) pushMember(n uint32, status uint8) uint32 {
	idx := g.pool.push(n | uint32(status)<<nodeBits)
	g.poolNext.push(g.nodes.ref(n).occ)
	g.nodes.ref(n).occ = idx
	return idx
}

func (g *graph) endEvent() { g.events.ref(g.events.len() - 1).end = g.pool.len() }

func (g *graph) sourceCode(name string) uint32 {
	if g.lastOK && name == g.lastSource {
		return g.lastCode
	}
	var c uint32
	if g.view {
		c = g.t.sourceIdx[name]
	} else {
		c = g.t.source(name)
	}
	g.lastSource, g.lastCode, g.lastOK = name, c, true
	return c
}

// linkResult is what applying a link record did.
type linkResult struct {
	profile  uint32   // the anchor's profile; 0 when nothing was linkable
	created  bool     // the profile is new
	survivor uint32   // the merge's survivor: profile, unless a quarantine split moved the anchor
	absorbed []uint32 // keys merged into survivor (scratch: valid until the next apply)
	splits   []splitResult
}

// splitResult is a profile that quarantine split.
type splitResult struct {
	node uint32
	from uint32
	into []uint32
}

// applyLink applies a checked link record.
func (g *graph) applyLink(r *record) linkResult {
	var res linkResult
	var hi uint32
	for _, m := range r.members {
		hi = max(hi, m.node)
	}
	g.ensure(hi)
	if !g.view {
		for i, n := range r.news {
			if g.t.ahead {
				// Interned ahead on the other core; build checked the numbering.
				node := r.first + uint32(i)
				g.t.issue(node, node)
				g.nodes.ref(node).kind = n.code
				continue
			}
			node := g.t.add(n.code, n.value, n.raw, !n.erased, n.hash, n.tag, n.tagged)
			if node != r.first+uint32(i) {
				panic(fmt.Sprintf("identity: node %d interned as %d", r.first+uint32(i), node)) // checked: unreachable
			}
			g.nodes.ref(node).kind = n.code
		}
	}
	e := g.pushEvent(opLink, r.at, g.sourceCode(r.source))
	if r.matched {
		g.weights[e] = r.weight
	}
	start := g.pool.len()

	// The distinct profiles of the linked members that existed before the event.
	keys := g.keysBuf[:0]
	var anchor uint32
	for _, m := range r.members {
		if m.status != stAnchor && m.status != stAccepted {
			continue
		}
		if m.status == stAnchor {
			anchor = m.node
		}
		if g.has(m.node) {
			if k := g.keyOf(m.node); !slices.Contains(keys, k) {
				keys = append(keys, k)
			}
		}
	}
	for _, m := range r.members {
		g.pushMember(m.node, m.status)
	}
	g.endEvent()
	if len(keys) > 1 {
		for _, m := range r.members {
			if m.status == stAnchor || m.status == stAccepted {
				g.addJoins(m.node, len(keys)-1)
			}
		}
	}
	if anchor != 0 {
		switch len(keys) {
		case 0:
			res.profile, res.created = g.newKey(anchor), true
		case 1:
			res.profile = keys[0]
		default:
			slices.Sort(keys)
			g.merge(keys)
			res.profile, res.survivor, res.absorbed = keys[0], keys[0], keys[1:]
		}
		for _, m := range r.members {
			if (m.status == stAnchor || m.status == stAccepted) && !g.has(m.node) {
				g.attach(m.node, res.profile)
			}
		}
	}
	var hot []uint32
	for i, m := range r.members {
		switch m.status {
		case stRefused:
			if !g.has(m.node) {
				g.newKey(m.node)
			}
			if lk, ok := g.t.kindIdx[m.limitKind]; ok {
				g.reasons[start+uint32(i)] = refusal{kind: lk, limit: m.limit, would: m.would}
			}
			if anchor != 0 {
				g.addMet(m.node, g.keyOf(anchor))
				g.addMet(anchor, g.keyOf(m.node))
			}
		case stHot, stSkipped:
			if !g.has(m.node) {
				g.newKey(m.node)
			} else if m.status == stHot {
				hot = append(hot, m.node)
			}
			g.quarantine(m.node)
		}
	}
	// A newly quarantined identifier is split off its profile with the links it brought,
	// as Unmerge would: the merges it caused before it was found hot are suspect too.
	for _, n := range hot {
		if from, into := g.splitOff(n); len(into) > 1 {
			res.splits = append(res.splits, splitResult{node: n, from: from, into: into})
		}
	}
	if anchor != 0 && len(hot) > 0 {
		res.profile = g.keyOf(anchor)
	}
	if !g.view {
		for _, d := range r.drops {
			g.drops = append(g.drops, dropEntry{ev: e, kind: g.t.kindIdx[d.kind], reason: d.reason})
		}
	}
	g.keysBuf = keys[:0]
	return res
}

func (g *graph) addJoins(n uint32, d int) {
	h := g.nodes.ref(n).hot
	j := min(hotJoins, int(h&hotJoins)+d)
	g.nodes.ref(n).hot = h&^hotJoins | uint8(j)
}

func (g *graph) addMet(n, k uint32) {
	if k == 0 || k == g.keyOf(n) || g.nodes.ref(n).hot&hotQuarantined != 0 {
		return
	}
	list := g.met[n]
	for _, x := range list {
		if g.current(x) == k {
			return
		}
	}
	if len(list) < maxMet {
		g.met[n] = append(list, k)
		g.nodes.ref(n).hot = g.nodes.ref(n).hot | hotHasMet
	}
}

func (g *graph) quarantine(n uint32) {
	g.nodes.ref(n).hot = (g.nodes.ref(n).hot | hotQuarantined) &^ hotHasMet
	delete(g.met, n)
}

func (g *graph) quarantined(n uint32) bool {
	return n < g.nodes.len() && g.nodes.ref(n).hot&hotQuarantined != 0
}

// members appends the nodes of profile k to dst.
func (g *graph) members(k uint32, dst []uint32) []uint32 {
	r := g.keyRoot(k)
	for x := r; ; {
		dst = append(dst, x)
		if x = g.nodes.ref(x).next; x == r {
			return dst
		}
	}
}

// eventOf returns the event whose members include pool entry idx.
func (g *graph) eventOf(idx uint32) uint32 {
	lo, hi := uint32(0), g.events.len()
	for lo < hi {
		mid := lo + (hi-lo)/2
		if g.events.ref(mid).end > idx {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	return lo
}

func (g *graph) eventRange(e uint32) (uint32, uint32) {
	start := uint32(1)
	if e > 0 {
		start = g.events.ref(e - 1).end
	}
	return start, g.events.ref(e).end
}

// match returns the match weight event e recorded, or nil for a link of shared
// identifiers.
func (g *graph) match(e uint32) *Match {
	if w, ok := g.weights[e]; ok {
		return &Match{Weight: w}
	}
	return nil
}

func entryNode(entry uint32) uint32  { return entry & nodeMask }
func entryStatus(entry uint32) uint8 { return uint8(entry>>nodeBits) & 7 }

// linking reports whether a pool entry still links its node to its event's other
// linking members.
func linking(entry uint32) bool {
	st := entryStatus(entry)
	return entry&detachedBit == 0 && (st == stAnchor || st == stAccepted)
}
