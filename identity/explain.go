package identity

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/clientele-go/clientele/internal/english"
)

// Explanation says why two identifiers are, or are not, in one profile.
type Explanation struct {
	// Profile is the profile holding both identifiers; 0 when they are apart.
	Profile uint32
	// Path is, when they are together, a shortest chain of recorded links from the first
	// identifier to the second: each hop was seen in one event. Empty for an identifier
	// explained against itself.
	Path []Hop
	// Refused lists, when they are apart, the links between their two profiles that
	// limits refused. Empty when nothing ever tried to link them.
	Refused []Refusal
	// Quarantined lists which of the two identifiers are quarantined.
	Quarantined []ID
	a, b        ID
}

// Hop is one link of an explanation: From and To were seen together in one event.
type Hop struct {
	From, To ID
	At       time.Time // UTC
	Source   string
	Match    *Match // the match weight when the event was a probabilistic match; nil otherwise
}

// String renders the explanation for a person to read. A matched hop shows its weight
// as Match.String does ("matched at 7.25 bits"), exact. Identifiers' kinds and values
// and events' sources come from the data, so each is shown as it is when printable and
// quoted with Go's escapes when not (`ticket:"T-1\nx"`, `("import\x1b[2J", ...)`): a
// newline would forge a line of its own, a bidirectional override reverse the rest of
// one. The zero Explanation, which Explain returns with its error, renders as "no
// explanation".
func (e Explanation) String() string {
	if e.a == (ID{}) && e.b == (ID{}) {
		// Only Explain sets the pair; without it there is nothing to explain, and the
		// "apart" sentence would claim a finding about two empty identifiers.
		return "no explanation"
	}
	var sb strings.Builder
	if e.Profile != 0 {
		fmt.Fprintf(&sb, "%s and %s are in profile %d", shownID(e.a), shownID(e.b), e.Profile)
		for _, h := range e.Path {
			if h.Match != nil {
				// The weight as Match.String writes it, exact (%.1f showed 7.25 as "7.2"
				// and -0.04 as "-0.0"), so it reads as History and OnMerge report it.
				fmt.Fprintf(&sb, "\n  %s -- %s (%s, matched at %s, %s)", shownID(h.From), shownID(h.To), shownSource(h.Source), *h.Match, h.At.Format(time.RFC3339))
				continue
			}
			fmt.Fprintf(&sb, "\n  %s -- %s (%s, %s)", shownID(h.From), shownID(h.To), shownSource(h.Source), h.At.Format(time.RFC3339))
		}
	} else {
		fmt.Fprintf(&sb, "%s and %s are apart", shownID(e.a), shownID(e.b))
		if len(e.Refused) == 0 {
			// Events may well have linked them once: an Unmerge or a quarantine takes the
			// links it splits off out of the evidence, and History still shows the events.
			sb.WriteString(": no link joins them (none was recorded, or an Unmerge or a quarantine undid it) and no limit refused one")
		}
		for _, r := range e.Refused {
			fmt.Fprintf(&sb, "\n  refused %s -- %s (%s, %s): %v", shownID(r.With), shownID(r.ID), shownSource(r.Source), r.At.Format(time.RFC3339), r.Err)
		}
	}
	for _, q := range e.Quarantined {
		fmt.Fprintf(&sb, "\n  %s is quarantined (hot identifier)", shownID(q))
	}
	return sb.String()
}

// shownID is id as ID.String writes it, "kind:value", with the kind and the value each
// as english.Name shows a name from data. The widths are the limits Link holds kinds
// and values to (a stored value is never wider in columns than in bytes), so a held
// identifier is never cut; one Explain was given, never checked, may be, its length
// said. Error messages naming an identifier the caller passed (Unmerge's and Explain's
// ErrNotFound, the kind of a Drop or a Refusal) show it so too: a newline in a value
// forged a line of the host's log, an escape sequence reached its terminal. Like
// ID.String, a kind holding ":" reads ambiguously ("a:b:c"); a kind is the host's
// vocabulary, not a customer's data, so it is not quoted for that.
func shownID(id ID) string {
	return shownKind(id.Kind) + ":" + english.Name(id.Value, maxValueCap)
}

// shownKind is a kind as english.Name shows it, whole (see shownID).
func shownKind(k string) string { return english.Name(k, maxKindLen) }

// shownSource is an event's source as english.Name shows it, whole (see shownID).
func shownSource(s string) string { return english.Name(s, maxSourceLen) }

// Explain says why a and b are in one profile (a shortest chain of recorded links that
// joins them) or why they are apart (the refused links between their profiles, if any).
// It fails with ErrNotFound if either identifier is not held.
func (r *Resolver) Explain(a, b ID) (Explanation, error) {
	if r.zero() {
		return Explanation{}, errZeroResolver
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.explain(r.g, a, b)
}

func (r *Resolver) explain(g *graph, a, b ID) (Explanation, error) {
	na, nb := r.find(a), r.find(b)
	for _, x := range []struct {
		id ID
		n  uint32
	}{{a, na}, {b, nb}} {
		if x.n == 0 || !g.has(x.n) || g.forgotten(x.n) {
			return Explanation{}, fmt.Errorf("%w: explain %s", ErrNotFound, shownID(x.id))
		}
	}
	e := Explanation{a: r.storedID(na), b: r.storedID(nb)}
	for _, n := range []uint32{na, nb} {
		if g.quarantined(n) && !slices.Contains(e.Quarantined, r.storedID(n)) {
			e.Quarantined = append(e.Quarantined, r.storedID(n))
		}
	}
	ka, kb := g.keyOf(na), g.keyOf(nb)
	if ka == kb {
		e.Profile = ka
		e.Path = r.path(g, na, nb)
		return e, nil
	}
	inB := map[uint32]bool{}
	for _, n := range g.members(kb, nil) {
		inB[n] = true
	}
	for _, n := range g.members(ka, nil) {
		for o := g.nodes.ref(n).occ; o != 0; o = g.poolNext.at(o) {
			st := entryStatus(g.pool.at(o))
			if st != stAnchor && st != stRefused {
				continue
			}
			ev := g.eventOf(o)
			s, end := g.eventRange(ev)
			var anchor uint32
			for j := s; j < end; j++ {
				if entryStatus(g.pool.at(j)) == stAnchor {
					anchor = entryNode(g.pool.at(j))
				}
			}
			for j := s; j < end; j++ {
				entry := g.pool.at(j)
				m := entryNode(entry)
				if entryStatus(entry) != stRefused || anchor == 0 {
					continue
				}
				// The refused pair is (anchor, m); it lies between the two profiles if one
				// end is n and the other is in b's profile.
				if (anchor == n && inB[m]) || (m == n && inB[anchor]) {
					why := g.reasons[j]
					at := time.Unix(0, g.events.ref(ev).at).UTC()
					e.Refused = append(e.Refused, Refusal{ID: r.storedID(m), With: r.storedID(anchor), At: at,
						Source: g.t.sources[g.events.ref(ev).src&(1<<opShift-1)], Err: refusalErr(g.t.kinds[why.kind], why.would, why.limit)})
				}
			}
		}
	}
	slices.SortFunc(e.Refused, func(x, y Refusal) int { return x.At.Compare(y.At) })
	return e, nil
}

// path finds a shortest chain of linking events from a to b (breadth-first search over
// the profile's evidence).
func (r *Resolver) path(g *graph, a, b uint32) []Hop {
	if a == b {
		return nil
	}
	type step struct{ from, ev uint32 }
	prev := map[uint32]step{a: {}}
	queue := []uint32{a}
	for len(queue) > 0 {
		x := queue[0]
		queue = queue[1:]
		for o := g.nodes.ref(x).occ; o != 0; o = g.poolNext.at(o) {
			if !linking(g.pool.at(o)) {
				continue
			}
			ev := g.eventOf(o)
			s, end := g.eventRange(ev)
			for j := s; j < end; j++ {
				entry := g.pool.at(j)
				m := entryNode(entry)
				if !linking(entry) {
					continue
				}
				if _, seen := prev[m]; seen {
					continue
				}
				prev[m] = step{from: x, ev: ev}
				if m == b {
					var hops []Hop
					for y := b; y != a; {
						st := prev[y]
						hops = append(hops, Hop{From: r.storedID(st.from), To: r.storedID(y),
							At: time.Unix(0, g.events.ref(st.ev).at).UTC(), Source: g.t.sources[g.events.ref(st.ev).src&(1<<opShift-1)],
							Match: g.match(st.ev)})
						y = st.from
					}
					slices.Reverse(hops)
					return hops
				}
				queue = append(queue, m)
			}
		}
	}
	return nil // unreachable while the graph's invariant holds
}
