package identity

import (
	"fmt"
	"iter"
	"time"
)

// Op is the kind of a history entry.
type Op uint8

// History operations.
const (
	OpLink    Op = 1 // an event linked identifiers
	OpUnmerge Op = 2 // an identifier was split off its profile
	OpForget  Op = 3 // a profile was erased
	// OpQuarantine: identifiers were found hot, quarantined and split off their
	// profiles, before the link that made them hot (which follows it).
	OpQuarantine Op = 5
)

// The operations are the type bytes of their records (record.go): a difference in
// either direction overflows Op and stops the build.
var _ = [...]Op{OpLink - opLink, opLink - OpLink, OpUnmerge - opUnmerge, opUnmerge - OpUnmerge,
	OpForget - opForget, opForget - OpForget, OpQuarantine - opQuarantine, opQuarantine - OpQuarantine}

// String names the operation: "link", "unmerge", "forget" or "quarantine".
func (o Op) String() string {
	switch o {
	case OpLink:
		return "link"
	case OpUnmerge:
		return "unmerge"
	case OpForget:
		return "forget"
	case OpQuarantine:
		return "quarantine"
	}
	return fmt.Sprintf("Op(%d)", uint8(o))
}

// Entry is one record of the history.
type Entry struct {
	Op     Op
	At     time.Time // UTC
	Source string    // OpLink: the event's source
	Match  *Match    // OpLink: the match weight of a probabilistic match (LinkMatch); nil otherwise
	// Linked holds, for OpLink, the identifiers the event linked, anchor first; for
	// OpUnmerge the identifier split off; for OpForget the identifiers erased (their
	// values are gone: only Kind is set). Values are as stored, and empty once forgotten.
	Linked []ID
	// Refused holds the links a limit refused (OpLink).
	Refused []Refusal
	// Quarantined holds the identifiers quarantined (OpQuarantine, and new identifiers
	// an OpLink found hot at once); Ignored those an OpLink ignored because they were
	// quarantined before.
	Quarantined, Ignored []ID
	// Dropped holds identifiers dropped as blocked or unparseable (OpLink). Their values
	// are not kept: only Kind is set.
	Dropped []Drop
	// Profile is the profile erased (OpForget).
	Profile uint32
}

// cursor carries what reading the history in order needs to remember.
type cursor struct {
	seen uint32 // highest node id met so far: a higher one is new in its record
	drop int    // next entry of graph.drops
}

// recordAt rebuilds the record of event e from the graph. With values, new identifiers
// carry their stored values (erased ones marked as such), as the log needs them;
// without, only their kinds (views, history).
func (g *graph) recordAt(e uint32, cur *cursor, values bool, rec *record) {
	src := g.events.ref(e).src
	op := uint8(src >> opShift)
	rec.reset(op)
	rec.at = g.events.ref(e).at
	s, end := g.eventRange(e)
	if op == opLink {
		rec.source = g.t.sources[src&(1<<opShift-1)]
		rec.weight, rec.matched = g.weights[e]
	}
	if op == opForget {
		rec.key = g.forgetKey[e]
	}
	for j := s; j < end; j++ {
		entry := g.pool.at(j)
		n, st := entryNode(entry), entryStatus(entry)
		if op == opLink && n > cur.seen {
			if len(rec.news) == 0 {
				rec.first = n
			}
			cur.seen = n
			code, v := g.t.record(n)
			id := newID{kind: g.t.kinds[code]}
			if values {
				id.value, id.erased = string(v), len(v) == 0
			}
			rec.news = append(rec.news, id)
		}
		m := member{node: n, status: st}
		if st == stRefused {
			why := g.reasons[j]
			m.limitKind, m.limit, m.would = g.t.kinds[why.kind], why.limit, why.would
		}
		rec.members = append(rec.members, m)
	}
	for cur.drop < len(g.drops) && g.drops[cur.drop].ev == e {
		d := g.drops[cur.drop]
		rec.drops = append(rec.drops, dropped{kind: g.t.kinds[d.kind], reason: d.reason})
		cur.drop++
	}
}

// records yields every record of the history; the caller holds the resolver's lock for
// the whole iteration. The record passed is reused.
func (g *graph) records(values bool) iter.Seq[*record] {
	return func(yield func(*record) bool) {
		var cur cursor
		var rec record
		for e := range g.events.len() {
			g.recordAt(e, &cur, values, &rec)
			if !yield(&rec) {
				return
			}
		}
	}
}

// History yields the resolver's history from the first record, up to the last record
// present when the iteration reaches it. It holds the read lock only while it builds
// each entry, so the loop body may call any method of the resolver.
func (r *Resolver) History() iter.Seq[Entry] {
	return func(yield func(Entry) bool) {
		if r.zero() {
			return
		}
		var cur cursor
		var rec record
		for e := uint32(0); ; e++ {
			r.mu.RLock()
			if e >= r.g.events.len() {
				r.mu.RUnlock()
				return
			}
			r.g.recordAt(e, &cur, false, &rec)
			entry := r.entry(&rec)
			r.mu.RUnlock()
			if !yield(entry) {
				return
			}
		}
	}
}

func (r *Resolver) entry(rec *record) Entry {
	e := Entry{Op: Op(rec.op), At: time.Unix(0, rec.at).UTC(), Source: rec.source, Profile: rec.key}
	if rec.matched {
		e.Match = &Match{Weight: rec.weight}
	}
	var anchor ID
	for _, m := range rec.members {
		if m.status == stAnchor {
			anchor = r.storedID(m.node)
		}
	}
	for _, m := range rec.members {
		id := r.storedID(m.node)
		switch m.status {
		case stAnchor, stAccepted, stUnmerged, stForgot:
			e.Linked = append(e.Linked, id)
		case stRefused:
			e.Refused = append(e.Refused, Refusal{ID: id, With: anchor, At: e.At, Source: e.Source,
				Err: refusalErr(m.limitKind, m.would, m.limit)})
		case stHot:
			e.Quarantined = append(e.Quarantined, id)
		case stSkipped:
			e.Ignored = append(e.Ignored, id)
		}
	}
	for _, d := range rec.drops {
		err := ErrBlocked
		if d.reason == dropUnparseable {
			err = ErrUnparseable
		}
		e.Dropped = append(e.Dropped, Drop{ID: ID{Kind: d.kind}, Err: err})
	}
	return e
}

// View is a read-only picture of the resolver's graph at an instant (see AsOf). It is
// safe for concurrent use. Only Resolver.AsOf makes one. The zero View, and a nil *View,
// hold no graph: they answer as an empty view does (Lookup finds nothing, Current is 0,
// Identifiers nil) and Explain fails with ErrInvalid.
type View struct {
	r *Resolver
	g *graph
}

// AsOf returns the graph as the records stamped at or before t built it: every link,
// refusal, quarantine and unmerge recorded with a time after t is left out, and the rest
// are applied in the order they were recorded, which is the order in which the resolver
// first applied them. Erasures are the exception: a Forget applies to every view, whatever
// its time, because a forgotten person must not reappear in the past either. When events
// were linked in time order, the view holds exactly the profiles and keys the resolver
// held at t; with events that arrived late the view shows what the evidence up to t
// supports, and some keys may differ. Building a view replays the history: it costs time
// and memory in proportion to it.
func (r *Resolver) AsOf(t time.Time) *View {
	if r.zero() {
		return &View{}
	}
	nanos := t.UnixNano()
	switch {
	case t.Before(minTime):
		nanos = minTime.UnixNano()
	case t.After(maxTime):
		nanos = maxTime.UnixNano()
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	v := newGraph(r.t, true)
	for rec := range r.g.records(false) {
		if rec.at > nanos && rec.op != opForget {
			continue
		}
		switch rec.op {
		case opLink:
			v.applyLink(rec)
		case opUnmerge:
			v.applyUnmerge(rec)
		case opForget:
			v.applyForget(rec)
		case opQuarantine:
			v.applyQuarantine(rec)
		}
	}
	return &View{r: r, g: v}
}

// Lookup returns the profile that held id in the view.
func (v *View) Lookup(id ID) (uint32, bool) {
	if v == nil || v.r == nil {
		return 0, false
	}
	v.r.mu.RLock()
	defer v.r.mu.RUnlock()
	if n := v.r.find(id); n != 0 && v.g.has(n) && !v.g.forgotten(n) {
		return v.g.keyOf(n), true
	}
	return 0, false
}

// Current returns the key that held profile in the view (see Resolver.Current).
func (v *View) Current(profile uint32) uint32 {
	if v == nil || v.r == nil {
		return 0
	}
	return v.g.current(profile)
}

// Identifiers returns the identifiers of the profile that held profile in the view.
func (v *View) Identifiers(profile uint32) []ID {
	if v == nil || v.r == nil {
		return nil
	}
	v.r.mu.RLock()
	defer v.r.mu.RUnlock()
	return v.r.identifiers(v.g, profile)
}

// Explain explains how a and b stood in the view (see Resolver.Explain).
func (v *View) Explain(a, b ID) (Explanation, error) {
	if v == nil || v.r == nil {
		return Explanation{}, errZeroView
	}
	v.r.mu.RLock()
	defer v.r.mu.RUnlock()
	return v.r.explain(v.g, a, b)
}
