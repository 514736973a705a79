package identity

import (
	"fmt"
	"math"
	"slices"
	"strings"
)

// candidate is one identifier of an event on its way through Resolve.
type candidate struct {
	in     int // index in the caller's ids
	kind   string
	code   uint8
	rule   *kindRule
	value  string // normalised (a digest under WithHMAC)
	tag    uint32 // hash tag in the identifier table
	slot   uint64 // the tag's home slot, read early
	node   uint32 // 0: new
	ahead  uint32 // the node interned ahead for it, while the table is ahead (ahead.go)
	key    uint32 // profile before the event; 0: new
	status uint8
	limit  uint8 // refused: the limit, the count it would reach, the kind
	would  uint8
	lkind  uint8
}

// prepare normalises ids into r.cands (dropping blocked and unparseable values and
// duplicates) and looks them up.
func (r *Resolver) prepare(ids []ID, pre []normed, rec *record, out *Outcome) error {
	cands := r.cands[:0]
	// Duplicates are found by a scan of the few candidates of an ordinary event, and by
	// a map beyond that, so that an event's cost stays linear in its identifiers.
	type kv struct {
		code  uint8
		value string
	}
	var seen map[kv]bool
	if len(ids) > 8 {
		seen = make(map[kv]bool, len(ids))
	}
	for i, id := range ids {
		code, rule, err := r.kindInfo(id.Kind, true)
		if err != nil {
			return errorf("identifier %d: %w", i, err)
		}
		var v string
		var why uint8
		var tag uint32
		var ahead uint32
		hashed := false
		if pre != nil {
			ahead = pre[i].node
			v, why = pre[i].value, pre[i].why
			// The tag computed ahead holds if the kind had this code then (kinds are
			// never renumbered while the table lives; see prepareBatch).
			if pre[i].known && pre[i].code == code {
				tag, hashed = pre[i].tag, true
			}
		} else {
			v, why, err = r.canonical(rule, id.Kind, id.Value, out != nil)
		}
		if why != 0 {
			rec.drops = append(rec.drops, dropped{kind: id.Kind, reason: why})
			if out != nil {
				out.Dropped = append(out.Dropped, Drop{ID: id, Err: errorf("identifier %d: %w", i, err)})
			}
			continue
		}
		dup := false
		if seen != nil {
			dup = seen[kv{code, v}]
			seen[kv{code, v}] = true
		} else {
			for _, c := range cands {
				if c.code == code && c.value == v {
					dup = true
					break
				}
			}
		}
		if !dup {
			if !hashed {
				tag = r.t.tag(code, v)
			}
			cands = append(cands, candidate{in: i, kind: id.Kind, code: code, rule: rule, value: v, tag: tag, ahead: ahead})
		}
	}
	t, g := r.t, r.g
	if t.ahead {
		// Looked up on the other core, which owns the table meanwhile (ahead.go).
		var uf uint32
		for i := range cands {
			c := &cands[i]
			if c.node = c.ahead; c.node > t.visible {
				c.node = 0
			}
			if c.node != 0 {
				uf |= g.nodes.ref(c.node).uf
			}
		}
		for i := range cands {
			if n := cands[i].node; n != 0 {
				cands[i].key = g.keyOf(n)
			}
		}
		r.sink ^= byte(uf)
		r.cands = cands
		return nil
	}
	// Look the identifiers up in phases, each touching one kind of memory for all of
	// them, so that the cache misses of different identifiers overlap instead of each
	// waiting for the one before (the event's identifiers are independent).
	for i := range cands {
		cands[i].slot = t.probe(cands[i].tag)
	}
	var sink byte
	for i := range cands {
		if s := cands[i].slot; s != 0 && uint32(s>>32) == cands[i].tag {
			sink |= t.peek(s)
		}
	}
	for i := range cands {
		cands[i].node = t.findTag(cands[i].code, cands[i].value, cands[i].tag)
	}
	var uf uint32
	for i := range cands {
		if n := cands[i].node; n != 0 {
			uf |= g.nodes.ref(n).uf
		}
	}
	for i := range cands {
		if n := cands[i].node; n != 0 {
			cands[i].key = g.keyOf(n)
		}
	}
	r.sink = sink ^ byte(uf)
	r.cands = cands
	return nil
}

// knownKind reports whether kind is one of the first kinds registered (and so valid).
// It reads what only New writes, so it needs no lock.
func (r *Resolver) knownKind(kind string) bool {
	if kind == "" {
		return false // the unused entries of fixed are empty
	}
	for i := range r.fixed {
		if r.fixed[i] == kind {
			return true
		}
	}
	return false
}

// kindInfo returns the code and rule of a kind, registering it when create is set.
// Events carry few kinds, so a short list compared in order beats two map lookups.
// The error is ErrFull (too many kinds) or, for a kind not yet registered, ErrInvalid
// when the name is malformed; without create, a kind not registered yields a nil rule.
func (r *Resolver) kindInfo(name string, create bool) (uint8, *kindRule, error) {
	for i := range r.recent {
		if e := &r.recent[i]; e.rule != nil && e.name == name {
			return e.code, e.rule, nil
		}
	}
	if create {
		if err := checkKind(name); err != nil {
			return 0, nil, err
		}
	}
	code, ok, err := r.kindCode(name, create)
	if err != nil || !ok {
		return 0, nil, err
	}
	return code, r.byCode[code], nil
}

// decide sets the status of every candidate (see the package documentation, "Limits and
// priority") and returns the index of the anchor, or -1.
func (r *Resolver) decide() int {
	cands := r.cands
	// Priority order, then kind name, then the order the caller gave.
	order := func(a, b *candidate) int {
		if a.rule.prio != b.rule.prio {
			return a.rule.prio - b.rule.prio
		}
		return strings.Compare(a.kind, b.kind)
	}
	if len(cands) == 2 {
		if order(&cands[0], &cands[1]) > 0 {
			cands[0], cands[1] = cands[1], cands[0]
		}
	} else {
		slices.SortStableFunc(cands, func(a, b candidate) int { return order(&a, &b) })
	}
	// Recorded quarantines always hold; new ones only under a HotLimit.
	for i := range cands {
		if c := &cands[i]; c.node != 0 && r.g.quarantined(c.node) {
			c.status = stSkipped
		}
	}
	for {
		anchor := r.greedy()
		if r.rules.hot == 0 || anchor < 0 || !r.quarantineHot(anchor) {
			return anchor
		}
	}
}

// greedy links the candidates that are not quarantined around the first of them, in
// priority order, each joining only if the anchor's profile as grown so far stays within
// every limit. It returns the anchor's index, or -1.
func (r *Resolver) greedy() int {
	cands, g := r.cands, r.g
	var merged [16]uint32
	keys := merged[:0]
	anchor := -1
	for i := range cands {
		c := &cands[i]
		switch c.status {
		case stHot, stSkipped:
			continue
		}
		if anchor < 0 {
			anchor = i
			c.status = stAnchor
			if c.node != 0 {
				keys = append(keys, c.key)
				r.accKey, r.accLate = c.key, true
			} else {
				r.acc[c.code]++
			}
			continue
		}
		switch {
		case c.node != 0 && slices.Contains(keys, c.key):
			c.status = stAccepted
		case !r.fits(c):
			c.status = stRefused
		default:
			c.status = stAccepted
			if c.node != 0 {
				keys = append(keys, c.key)
				for _, code := range r.limited {
					r.acc[code] += uint16(g.count(c.key, code))
				}
			} else {
				r.acc[c.code]++
			}
		}
	}
	for _, code := range r.limited {
		r.acc[code] = 0
	}
	for i := range cands {
		r.acc[cands[i].code] = 0
	}
	r.accLate = false
	return anchor
}

// quarantineHot predicts, for every linked or refused candidate, how many profiles it
// will have joined or met once the greedy outcome is applied (exactly what apply will
// count), and quarantines those that would pass the HotLimit. If it quarantined any, it
// resets the other statuses so that greedy runs again without them, and reports true.
func (r *Resolver) quarantineHot(anchor int) bool {
	cands, g := r.cands, r.g
	// The profiles the event merges, and the profiles it keeps apart from the anchor's:
	// a refused new identifier will be a profile of its own, named here by a placeholder
	// that cannot collide with a key.
	var buf [32]uint32
	merged := buf[:0]
	var pbuf [32]uint32
	partners := pbuf[:0]
	for i, c := range cands {
		switch {
		case (c.status == stAnchor || c.status == stAccepted) && c.node != 0:
			if !slices.Contains(merged, c.key) {
				merged = append(merged, c.key)
			}
		case c.status == stRefused && c.node != 0:
			if !slices.Contains(partners, c.key) {
				partners = append(partners, c.key)
			}
		case c.status == stRefused:
			partners = append(partners, rootBit|uint32(i))
		}
	}
	if len(merged) <= 1 && len(partners) == 0 {
		return false // the event joins and meets no other profile: no count changes
	}
	anchorKey := rootBit | uint32(len(cands)) // the anchor's profile is new
	if len(merged) > 0 {
		anchorKey = slices.Min(merged)
	}
	joins := max(0, len(merged)-1)
	hot := false
	var sbuf [maxMet + 64]uint32
	for i := range cands {
		c := &cands[i]
		if c.status != stAnchor && c.status != stAccepted && c.status != stRefused {
			continue
		}
		set := sbuf[:0]
		add := func(k uint32) {
			if k != 0 && !slices.Contains(set, k) && len(set) < cap(sbuf) {
				set = append(set, k)
			}
		}
		total := 1
		if c.node != 0 {
			h := g.nodes.ref(c.node).hot
			total += int(h & hotJoins)
			if h&hotHasMet != 0 {
				for _, k := range g.met[c.node] {
					add(g.current(k))
				}
			}
		}
		if c.status == stRefused {
			add(anchorKey)
			own := c.key
			if c.node == 0 {
				own = rootBit | uint32(i)
			}
			set = slices.DeleteFunc(set, func(k uint32) bool { return k == own })
		} else {
			total += joins
			if i == anchor {
				for _, k := range partners {
					add(k)
				}
			}
			set = slices.DeleteFunc(set, func(k uint32) bool { return k == c.key || slices.Contains(merged, k) })
		}
		if total+len(set) > r.rules.hot {
			c.status = stHot
			hot = true
		}
	}
	if hot {
		for i := range cands {
			if s := cands[i].status; s != stHot && s != stSkipped {
				cands[i].status = 0
			}
		}
	}
	return hot
}

// fits reports whether c's profile (or c alone, if new) can join the anchor's as it has
// grown so far, and otherwise records on c which limit forbids it.
func (r *Resolver) fits(c *candidate) bool {
	if r.accLate {
		for _, code := range r.limited {
			r.acc[code] += uint16(r.g.count(r.accKey, code))
		}
		r.accLate = false
	}
	if c.node == 0 {
		if lim := c.rule.limit; lim > 0 && int(r.acc[c.code])+1 > lim {
			c.lkind, c.limit, c.would = c.code, uint8(lim), uint8(min(255, int(r.acc[c.code])+1))
			return false
		}
		return true
	}
	for _, code := range r.limited {
		lim := r.byCode[code].limit
		if n := int(r.acc[code]) + int(r.g.count(c.key, code)); n > lim {
			c.lkind, c.limit, c.would = code, uint8(lim), uint8(min(255, n))
			return false
		}
	}
	return true
}

// build turns the decided candidates into the link record, numbering new identifiers.
func (r *Resolver) build(rec *record) error {
	if !r.t.sourceFits(rec.source) {
		return fmt.Errorf("%w: source %q would be source number %d", ErrFull, rec.source, maxSources+1)
	}
	next := r.t.nodes() + 1
	bytes := 0
	for i := range r.cands {
		c := &r.cands[i]
		if c.node == 0 {
			if len(rec.news) == 0 {
				rec.first = next
			}
			if r.t.ahead && c.ahead != next {
				panic(fmt.Sprintf("identity: node interned ahead as %d, decided as %d", c.ahead, next)) // checked: unreachable
			}
			c.node = next
			next++
			bytes += len(c.value)
			rec.news = append(rec.news, newID{kind: c.kind, value: c.value, code: c.code, tag: c.tag, tagged: true})
		}
		m := member{node: c.node, status: c.status}
		if c.status == stRefused {
			m.limitKind, m.limit, m.would = r.t.kinds[c.lkind], c.limit, c.would
		}
		rec.members = append(rec.members, m)
	}
	if err := r.t.canAdd(len(rec.news), bytes); err != nil {
		return err
	}
	if uint64(r.g.keys)+uint64(len(rec.members)) > keyMask || uint64(r.g.pool.len())+uint64(len(rec.members)) >= math.MaxUint32 {
		return fmt.Errorf("%w: profile keys or history exhausted", ErrFull)
	}
	return nil
}
