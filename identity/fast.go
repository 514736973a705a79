package identity

import (
	"math"
	"strings"
)

// fastIDs is the most identifiers an event may carry to take the fast path.
const fastIDs = 8

// fastCand is one identifier of an event on the fast path.
type fastCand struct {
	value string
	tag   uint32
	node  uint32 // 0: new
	key   uint32 // the profile holding node before the event
	root  uint32 // the root node of that profile
	code  uint8
	rule  *kindRule
	pre   *normed
}

// linkSimple links an event of a batch when it is the common case, without the general
// machinery of linkLocked: every identifier is of a registered kind, none is
// quarantined, the event meets at most one existing profile, and every new identifier
// fits that profile's limits. Such an event merges nothing, refuses nothing and so
// makes nothing hot (quarantineHot counts joins and refusals only), and Link would
// record it as its anchor (the first identifier in priority order) followed by the
// others, all accepted. linkSimple applies exactly that, with the same node numbers,
// keys, history entry and drops as applyLink, and reports ok. Otherwise it changes
// nothing and reports !ok, and the caller takes the general path. The caller holds mu
// and has checked r.failed; the resolver has no shared store (pre's tags are valid).
//
// It looks each identifier up once (warmBatch has brought its memory into the cache),
// keeps no candidate list beyond the event, builds a record only for a store, and hashes
// nothing.
func (r *Resolver) linkSimple(nanos int64, source string, match *Match, pre []normed) (profile uint32, ok bool, err error) {
	if len(pre) > fastIDs {
		return 0, false, nil
	}
	var buf [fastIDs]fastCand
	cands := buf[:0]
	drops := 0
	t, g := r.t, r.g
	for i := range pre {
		p := &pre[i]
		if !p.known {
			return 0, false, nil // a kind the decisions register
		}
		if p.why != 0 {
			drops++
			continue
		}
		dup := false
		for j := range cands {
			if cands[j].code == p.code && cands[j].value == p.value {
				dup = true
				break
			}
		}
		if dup {
			continue
		}
		// Insert in priority order, then kind name, stably (decide's order). The
		// candidate is written field by field into its slot: built whole on the stack
		// and copied, it was read back by wide loads that the narrow stores could not
		// forward to, the deciding thread's costliest instructions (perf annotate).
		rule := r.byCode[p.code]
		k := len(cands)
		cands = cands[:k+1]
		for k > 0 && fastBeforeRule(t, rule, p.code, &cands[k-1]) {
			cands[k] = cands[k-1]
			k--
		}
		c := &cands[k]
		c.value, c.tag, c.code, c.rule, c.pre = p.value, p.tag, p.code, rule, p
		c.node, c.key, c.root = 0, 0, 0
	}
	if len(cands) == 0 {
		return 0, false, nil
	}
	// Look the identifiers up; one existing profile at most, nothing quarantined.
	var key uint32
	for i := range cands {
		c := &cands[i]
		var n uint32
		if p := c.pre; t.ahead {
			n = t.aheadNode(p) // looked up on the other core (ahead.go)
		} else if p.warmed && (p.node != 0 || !t.internedSince(p.since, c.tag)) {
			n = p.node // looked up by warmBatch, and still what findTag would return
		} else {
			n = t.findTag(c.code, c.value, c.tag)
		}
		if n == 0 {
			continue
		}
		nr := g.nodes.ref(n)
		if nr.hot&hotQuarantined != 0 {
			return 0, false, nil
		}
		v, root := nr.uf, n
		if v&rootBit == 0 {
			root = v
			v = g.nodes.ref(v).uf
		}
		k := v & keyMask
		if k == 0 || (key != 0 && k != key) {
			return 0, false, nil
		}
		c.node, c.key, c.root, key = n, k, root, k
	}
	// Limits. greedy accepts every identifier iff no check along the way fails, and
	// its counts only grow, so that holds iff the final counts fit: for the kind of every
	// new identifier, the profile's count plus the new ones; and, when the anchor is new
	// and the profile joins it, for every limited kind (fits checks them all then).
	if len(r.limited) > 0 {
		for i := range cands {
			c := &cands[i]
			if c.node != 0 || c.rule.limit == 0 {
				continue
			}
			if fastNew(cands, c.code)+fastCount(g, key, c.code) > c.rule.limit {
				return 0, false, nil
			}
		}
		if key != 0 && cands[0].node == 0 {
			for _, code := range r.limited {
				if fastNew(cands, code)+fastCount(g, key, code) > r.byCode[code].limit {
					return 0, false, nil
				}
			}
		}
	}
	// What build checks: room for the source, the values, the keys and the history.
	news, bytes := 0, 0
	for i := range cands {
		if cands[i].node == 0 {
			news++
			bytes += len(cands[i].value)
		}
	}
	if !(g.lastOK && g.lastSource == source) && !t.sourceFits(source) {
		return 0, false, nil
	}
	if t.canAdd(news, bytes) != nil || uint64(g.keys)+uint64(len(cands)) > keyMask ||
		uint64(g.pool.len())+uint64(len(cands)) >= math.MaxUint32 {
		return 0, false, nil
	}
	if r.store != nil {
		if err := r.persist(r.simpleRecord(nanos, source, match, pre, cands)); err != nil {
			return 0, false, err
		}
	}
	// Apply, as applyLink does for an event without merges, refusals or quarantines.
	next := t.nodes() + 1
	for i := range cands {
		c := &cands[i]
		if c.node != 0 {
			continue
		}
		c.node = next
		next++
		if t.ahead {
			t.issue(c.pre.node, c.node)
		} else {
			t.add(c.code, c.value, nil, true, 0, c.tag, true)
		}
		g.ensure(c.node)
		g.nodes.ref(c.node).kind = c.code
	}
	e := g.pushEvent(opLink, nanos, g.sourceCode(source))
	if match != nil {
		g.weights[e] = match.Weight
	}
	for i := range cands {
		st := uint8(stAccepted)
		if i == 0 {
			st = stAnchor
		}
		g.pushMember(cands[i].node, st)
	}
	g.endEvent()
	profile = key
	var root uint32 // the profile's root, known from any identifier it held
	for i := range cands {
		if cands[i].key != 0 {
			root = cands[i].root
		}
	}
	if key == 0 {
		profile, root = g.newKey(cands[0].node), cands[0].node
	}
	for i := range cands {
		if c := &cands[i]; c.key == 0 && !(key == 0 && i == 0) {
			g.attachRoot(c.node, profile, root)
		}
	}
	if drops > 0 {
		for i := range pre {
			if pre[i].why != 0 {
				g.drops = append(g.drops, dropEntry{ev: e, kind: pre[i].code, reason: pre[i].why})
			}
		}
	}
	return profile, true, nil
}

// fastBeforeRule is decide's order: whether an identifier of kind code, whose rule is
// rule, goes before b: priority, then kind name.
func fastBeforeRule(t *table, rule *kindRule, code uint8, b *fastCand) bool {
	if rule.prio != b.rule.prio {
		return rule.prio < b.rule.prio
	}
	return code != b.code && strings.Compare(t.kinds[code], t.kinds[b.code]) < 0
}

// simpleRecord is the link record of an event linkSimple applies, for the store.
func (r *Resolver) simpleRecord(nanos int64, source string, match *Match, pre []normed, cands []fastCand) *record {
	rec := &r.rec
	rec.reset(opLink)
	rec.at, rec.source = nanos, source
	if match != nil {
		rec.matched, rec.weight = true, match.Weight
	}
	next := r.t.nodes() + 1
	for i := range cands {
		c := &cands[i]
		node := c.node
		if node == 0 {
			if len(rec.news) == 0 {
				rec.first = next
			}
			node = next
			next++
			rec.news = append(rec.news, newID{kind: r.t.kinds[c.code], value: c.value, code: c.code})
		}
		st := uint8(stAccepted)
		if i == 0 {
			st = stAnchor
		}
		rec.members = append(rec.members, member{node: node, status: st})
	}
	for i := range pre {
		if pre[i].why != 0 {
			rec.drops = append(rec.drops, dropped{kind: r.t.kinds[pre[i].code], reason: pre[i].why})
		}
	}
	return rec
}

// fastNew counts the new identifiers of kind code among cands.
func fastNew(cands []fastCand, code uint8) int {
	n := 0
	for i := range cands {
		if cands[i].node == 0 && cands[i].code == code {
			n++
		}
	}
	return n
}

// fastCount is the count of kind code in profile key (0 for no profile).
func fastCount(g *graph, key uint32, code uint8) int {
	if key == 0 {
		return 0
	}
	return int(g.count(key, code))
}
