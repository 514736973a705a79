package funnel

import (
	"fmt"
)

// seqEvent is one event of a profile as the sequence matcher sees it: its time and the
// conditions it meets (never none: such events are dropped, as in ClickHouse).
type seqEvent struct {
	t    int64
	mask uint32
}

// seqState is a state of the automaton of a pattern without time conditions: it may
// loop on any event (a .* was written there) and leaves on an event meeting a
// condition (trans 1, cond), on any event (trans 2), or not at all (trans 0: the last
// state, a match).
type seqState struct {
	loop  bool
	trans uint8
	cond  uint8
}

// seqFrame is a point the backtracking search may return to: the pattern element, the
// event and the event time conditions measure from.
type seqFrame struct{ act, ev, base int }

// seqMatcher matches one profile's events at a time against a program; it keeps its
// scratch space between profiles and is not safe for concurrent use.
type seqMatcher struct {
	pg           *seqProgram
	states       []seqState
	cur, next    []bool
	stack        []seqFrame
	steps, limit int // work done on this profile, and its bound
	maxSteps     int
}

func newSeqMatcher(pg *seqProgram, maxSteps int) *seqMatcher {
	m := &seqMatcher{pg: pg, maxSteps: maxSteps}
	m.states = []seqState{{loop: true}} // the leading .*
	for _, a := range pg.acts[1:] {
		last := &m.states[len(m.states)-1]
		switch a.op {
		case opEvent:
			last.trans, last.cond = 1, uint8(a.arg)
			m.states = append(m.states, seqState{})
		case opAny:
			last.trans = 2
			m.states = append(m.states, seqState{})
		case opStar:
			last.loop = true
		}
	}
	m.cur, m.next = make([]bool, len(m.states)), make([]bool, len(m.states))
	return m
}

// begin resets the work bound for a profile of n events: maxSteps, plus enough for
// work linear in the events (a few steps per event and pattern element), so that only
// a search that backtracks without end is refused, never a long profile.
func (m *seqMatcher) begin(n int) {
	m.steps, m.limit = 0, m.maxSteps+4*len(m.pg.acts)*n
}

func (m *seqMatcher) step() error {
	m.steps++
	if m.steps > m.limit {
		return fmt.Errorf("%w: sequence pattern needs more than %d steps on one profile (Sequence.MaxSteps)", ErrInvalid, m.limit)
	}
	return nil
}

// met returns the conditions some event meets.
func met(evs []seqEvent) uint32 {
	var m uint32
	for _, e := range evs {
		m |= e.mask
	}
	return m
}

// match is sequenceMatch over one profile's events in time order.
func (m *seqMatcher) match(evs []seqEvent) (bool, error) {
	if met(evs)&m.pg.used != m.pg.used {
		return false, nil
	}
	if !m.pg.hasTime {
		return m.dfa(evs), nil
	}
	m.begin(len(evs))
	if ok, err := m.couldMatch(evs); !ok || err != nil {
		return false, err
	}
	ok, _, err := m.search(evs, 0)
	return ok, err
}

// count is sequenceCount over one profile's events in time order: matches found one
// after another, each search starting where the previous match ended (one event
// further when it consumed none).
func (m *seqMatcher) count(evs []seqEvent) (int64, error) {
	if met(evs)&m.pg.used != m.pg.used {
		return 0, nil
	}
	m.begin(len(evs))
	if ok, err := m.couldMatch(evs); !ok || err != nil {
		return 0, err
	}
	var n int64
	for at := 0; at < len(evs); {
		ok, next, err := m.search(evs, at)
		if err != nil {
			return 0, err
		}
		if !ok {
			break
		}
		n++
		at = next
	}
	return n, nil
}

// dfa runs the automaton of a pattern without time conditions: one pass over the
// events, each state set computed from the previous, stopping once the last state is
// reached (a match) or no state is live. Work is events times states.
func (m *seqMatcher) dfa(evs []seqEvent) bool {
	cur, next := m.cur, m.next
	clear(cur)
	cur[0] = true
	last := len(m.states) - 1
	live := true
	for _, e := range evs {
		if !live || cur[last] {
			break
		}
		clear(next)
		live = false
		for s, on := range cur {
			if !on {
				continue
			}
			st := m.states[s]
			if st.trans == 2 || st.trans == 1 && e.mask&(1<<st.cond) != 0 {
				next[s+1], live = true, true
			}
			if st.loop {
				next[s], live = true, true
			}
		}
		cur, next = next, cur
	}
	m.cur, m.next = cur, next
	return cur[last]
}

// couldMatch is a quick refusal: the runs of event elements between the .* and time
// conditions must occur, in order and without gaps inside a run, for any match to
// exist. A run is looked for by restarting one event later after each mismatch.
func (m *seqMatcher) couldMatch(evs []seqEvent) (bool, error) {
	acts := m.pg.acts
	e := 0
	for lo := 0; lo < len(acts); {
		if acts[lo].op != opEvent && acts[lo].op != opAny {
			lo++
			continue
		}
		hi := lo
		for hi < len(acts) && (acts[hi].op == opEvent || acts[hi].op == opAny) {
			hi++
		}
		found := false
		for from := e; !found && from+(hi-lo) <= len(evs); from++ {
			k := 0
			for k < hi-lo {
				if err := m.step(); err != nil {
					return false, err
				}
				a := acts[lo+k]
				if a.op == opEvent && evs[from+k].mask&(1<<a.arg) == 0 {
					break
				}
				k++
			}
			if k == hi-lo {
				found, e = true, from+k
			}
		}
		if !found {
			return false, nil
		}
		lo = hi
	}
	return true, nil
}

// search is ClickHouse's backtracking search from event start: elements are tried in
// order, a .* or a time condition first consuming nothing and, on backtracking, one
// more event each time. It returns whether the pattern matched and the event after the
// match. A time condition compares the event it stands before with the base: the event
// the previous element consumed, or, after a .* or time condition, the event that
// followed it. <, <= fail at once (later events are later still); >, >=, == skip
// events until one qualifies.
func (m *seqMatcher) search(evs []seqEvent, start int) (ok bool, next int, err error) {
	acts := m.pg.acts
	a, e, base := 0, start, start
	st := m.stack[:0]
	defer func() { m.stack = st[:0] }()
	back := func() bool {
		for len(st) > 0 {
			f := st[len(st)-1]
			st = st[:len(st)-1]
			a, e, base = f.act, f.ev+1, f.base
			if e != len(evs) {
				return true
			}
		}
		return false
	}
loop:
	for a < len(acts) && e < len(evs) {
		x := acts[a]
		switch x.op {
		case opEvent:
			if evs[e].mask&(1<<x.arg) == 0 {
				if !back() {
					break loop
				}
				break
			}
			base, a, e = e, a+1, e+1
		case opAny:
			base, a, e = e, a+1, e+1
		case opStar:
			st = append(st, seqFrame{a, e, base})
			base, a = e, a+1
		default:
			d := evs[e].t - evs[base].t // >= 0: base is e or an earlier event
			var pass bool
			switch x.op {
			case opLE:
				pass = d <= x.arg
			case opLT:
				pass = d < x.arg
			case opGE:
				pass = d >= x.arg
			case opGT:
				pass = d > x.arg
			default:
				pass = d == x.arg
			}
			switch {
			case pass:
				st = append(st, seqFrame{a, e, base})
				base, a = e, a+1
			case x.op == opLE || x.op == opLT:
				if !back() {
					break loop
				}
			default:
				e++
				if e == len(evs) && !back() {
					break loop
				}
			}
		}
		if err := m.step(); err != nil {
			return false, 0, err
		}
	}
	// Elements left when the events ran out match nothing if they can match the empty
	// run: .*, (?t<=N), (?t<N), (?t>=0).
	for a < len(acts) && (acts[a].op == opStar || acts[a].op == opLE || acts[a].op == opLT || acts[a].op == opGE && acts[a].arg == 0) {
		a++
	}
	if e == start {
		e++
	}
	return a == len(acts), e, nil
}
