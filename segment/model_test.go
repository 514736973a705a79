package segment

import (
	"errors"
	"math"
	"slices"
	"strconv"
)

// model is the obviously right reference the property tests hold the Index against:
// maps of sets, and every query answered by visiting every profile.
type model struct {
	retention int
	horizon   int32
	known     map[uint32]bool
	traits    map[string]map[string]map[uint32]bool
	numbers   map[string]map[uint32]int64
	seqs      map[string]map[uint32]int64
	rules     map[string]MergeRule
	seq       int64
	events    map[string]map[uint32]map[int32]int // event → profile → day → times
	saved     map[string]node
}

func newModel() *model {
	return &model{
		horizon: noHorizon,
		known:   map[uint32]bool{},
		traits:  map[string]map[string]map[uint32]bool{},
		numbers: map[string]map[uint32]int64{},
		seqs:    map[string]map[uint32]int64{},
		rules:   map[string]MergeRule{},
		events:  map[string]map[uint32]map[int32]int{},
		saved:   map[string]node{},
	}
}

func (m *model) declareTrait(key string) map[string]map[uint32]bool {
	if m.traits[key] == nil {
		m.traits[key] = map[string]map[uint32]bool{}
	}
	return m.traits[key]
}

func (m *model) declareNumber(f string) {
	if m.numbers[f] == nil {
		m.numbers[f] = map[uint32]int64{}
		m.seqs[f] = map[uint32]int64{}
	}
}

func (m *model) declareEvent(e string) {
	if m.events[e] == nil {
		m.events[e] = map[uint32]map[int32]int{}
	}
}

func (m *model) tag(tag string, ps ...uint32) {
	k, v := splitTag(tag)
	if tag == "" || k == "" {
		return // no query can name it (see Index.Tag)
	}
	vals := m.declareTrait(k)
	if vals[v] == nil {
		vals[v] = map[uint32]bool{}
	}
	for _, p := range ps {
		vals[v][p] = true
		m.known[p] = true
	}
}

func (m *model) untag(tag string, ps ...uint32) {
	k, v := splitTag(tag)
	if tag == "" || k == "" {
		return
	}
	for _, p := range ps {
		delete(m.traits[k][v], p)
	}
}

func (m *model) setTrait(key, value string, ps ...uint32) {
	for _, set := range m.declareTrait(key) {
		for _, p := range ps {
			delete(set, p)
		}
	}
	m.tag(key+":"+value, ps...)
}

func (m *model) setNumber(f string, p uint32, v int64) {
	if f == "" {
		return // no query can name it (see Index.SetNumber)
	}
	m.declareNumber(f)
	m.seq++
	m.numbers[f][p] = v
	m.seqs[f][p] = m.seq
	m.known[p] = true
}

func (m *model) setNumbers(f string, ps []uint32, vs []int64) {
	if f == "" {
		return // refused whole
	}
	m.declareNumber(f)
	m.seq++
	for i, p := range ps {
		m.numbers[f][p] = vs[i]
		m.seqs[f][p] = m.seq
		m.known[p] = true
	}
}

func (m *model) clearNumber(f string, ps ...uint32) {
	for _, p := range ps {
		delete(m.numbers[f], p)
		delete(m.seqs[f], p)
	}
}

func (m *model) record(e string, p uint32, day int32) {
	if e == "" {
		return // no query can name it (see Index.Record)
	}
	m.declareEvent(e)
	if m.events[e][p] == nil {
		m.events[e][p] = map[int32]int{}
	}
	m.events[e][p][day]++
	m.known[p] = true
}

func (m *model) expire(today int32) {
	if m.retention == 0 {
		return
	}
	m.horizon = max(m.horizon, today-int32(m.retention)+1)
}

func (m *model) merge(survivor uint32, absorbed ...uint32) {
	abs := map[uint32]bool{}
	for _, a := range absorbed {
		if a != survivor {
			abs[a] = true
		}
	}
	hit := false
	for a := range abs {
		hit = hit || m.known[a]
	}
	if !hit {
		return
	}
	for _, vals := range m.traits {
		for _, set := range vals {
			moved := false
			for a := range abs {
				if set[a] {
					delete(set, a)
					moved = true
				}
			}
			if moved {
				set[survivor] = true
			}
		}
	}
	order := append([]uint32{survivor}, absorbed...)
	for f, vals := range m.numbers {
		touched := false
		for a := range abs {
			_, ok := vals[a]
			touched = touched || ok
		}
		if !touched {
			continue
		}
		have, v, seq := false, int64(0), int64(0)
		seen := map[uint32]bool{}
		for _, p := range order {
			if seen[p] || (p != survivor && !abs[p]) {
				continue
			}
			seen[p] = true
			pv, ok := vals[p]
			if !ok {
				continue
			}
			sq := m.seqs[f][p]
			switch rule := m.rules[f]; {
			case !have:
				v, seq = pv, sq
			case rule == MergeSum:
				v = addSaturating(v, pv)
			case rule == MergeMax:
				v = max(v, pv)
			case rule == MergeMin:
				v = min(v, pv)
			case rule == MergeLast && sq > seq:
				v, seq = pv, sq
			}
			have = true
		}
		for a := range abs {
			delete(vals, a)
			delete(m.seqs[f], a)
		}
		if have {
			vals[survivor] = v
			m.seqs[f][survivor] = seq
		}
	}
	for _, byProfile := range m.events {
		for a := range abs {
			for day, n := range byProfile[a] {
				if byProfile[survivor] == nil {
					byProfile[survivor] = map[int32]int{}
				}
				byProfile[survivor][day] += n
			}
			delete(byProfile, a)
		}
	}
	for a := range abs {
		delete(m.known, a)
	}
	m.known[survivor] = true
}

// forget erases profiles as Index.Forget does: no survivor, and a trait value no one
// holds any more is dropped.
func (m *model) forget(ps ...uint32) {
	for _, p := range ps {
		if p == 0 {
			return // Forget refuses the whole call
		}
	}
	for _, vals := range m.traits {
		for v, set := range vals {
			hit := false
			for _, p := range ps {
				hit = hit || set[p]
				delete(set, p)
			}
			if hit && len(set) == 0 {
				delete(vals, v)
			}
		}
	}
	for f, vals := range m.numbers {
		for _, p := range ps {
			delete(vals, p)
			delete(m.seqs[f], p)
		}
	}
	for _, byProfile := range m.events {
		for _, p := range ps {
			delete(byProfile, p)
		}
	}
	for _, p := range ps {
		delete(m.known, p)
	}
}

// check mirrors the index's checker: the sentinel error a query should fail with.
func (m *model) check(n node, today int32, haveNow bool) error {
	switch n := n.(type) {
	case *andNode:
		return m.checkAll(n.kids, today, haveNow)
	case *orNode:
		return m.checkAll(n.kids, today, haveNow)
	case *notNode:
		return m.check(n.kid, today, haveNow)
	case *traitNode:
		if m.traits[n.key] != nil {
			return nil
		}
		if m.numbers[n.key] != nil {
			return ErrType
		}
		return ErrUnknownField
	case *segNode:
		def, ok := m.saved[n.name]
		if !ok {
			return ErrUnknownSegment
		}
		return m.check(def, today, haveNow)
	case *inNode:
		if m.numbers[n.field] != nil {
			for _, v := range n.values {
				if _, err := strconv.ParseInt(v, 10, 64); err != nil || !isInteger(v) {
					return ErrType
				}
			}
			return nil
		}
		if m.traits[n.field] != nil {
			return nil
		}
		return ErrUnknownField
	case *cmpNode:
		if m.numbers[n.field] != nil {
			return nil
		}
		if m.traits[n.field] != nil {
			return ErrType
		}
		return ErrUnknownField
	case *actNode:
		if m.events[n.event] == nil {
			return ErrUnknownField
		}
		if n.days > 0 && m.retention > 0 && n.days > m.retention {
			return ErrRetention
		}
		if n.days > 0 && haveNow && int64(today)-int64(n.days)+1 < int64(m.horizon) {
			return ErrRetention
		}
	}
	return nil
}

func (m *model) checkAll(kids []node, today int32, haveNow bool) error {
	for _, k := range kids {
		if err := m.check(k, today, haveNow); err != nil {
			return err
		}
	}
	return nil
}

type pset = map[uint32]bool

// eval answers n at today by brute force over the known profiles.
func (m *model) eval(n node, today int32) pset {
	out := pset{}
	for p := range m.known {
		if m.holds(n, p, today) {
			out[p] = true
		}
	}
	return out
}

func (m *model) holds(n node, p uint32, today int32) bool {
	switch n := n.(type) {
	case *andNode:
		for _, k := range n.kids {
			if !m.holds(k, p, today) {
				return false
			}
		}
		return true
	case *orNode:
		for _, k := range n.kids {
			if m.holds(k, p, today) {
				return true
			}
		}
		return false
	case *notNode:
		return !m.holds(n.kid, p, today)
	case *traitNode:
		return m.traits[n.key][n.value][p]
	case *segNode:
		return m.holds(m.saved[n.name], p, today)
	case *inNode:
		if vals := m.numbers[n.field]; vals != nil {
			v, ok := vals[p]
			if !ok {
				return false
			}
			for _, s := range n.values {
				if k, _ := strconv.ParseInt(s, 10, 64); k == v {
					return true
				}
			}
			return false
		}
		for _, s := range n.values {
			if m.traits[n.field][s][p] {
				return true
			}
		}
		return false
	case *cmpNode:
		v, ok := m.numbers[n.field][p]
		return ok && n.op.holds(v, n.n, n.n2)
	case *actNode:
		days := m.events[n.event][p]
		lo := int64(math.MinInt64)
		if n.days > 0 {
			lo = int64(today) - int64(n.days) + 1
		}
		var inWin, before, times, active int
		for d, c := range days {
			switch {
			case int64(d) > int64(today):
			case int64(d) >= lo:
				inWin++
				times += c
				active++
			default:
				before++
			}
		}
		switch n.fn {
		case fnDid:
			return inWin > 0
		case fnFirst:
			return inWin > 0 && before == 0
		case fnLapsed:
			return before > 0 && inWin == 0
		case fnCount:
			return n.op.holds(int64(times), n.n, n.n2)
		case fnDays:
			return n.op.holds(int64(active), n.n, n.n2)
		}
	}
	panic("model: unknown node")
}

func sortedKeys(s pset) []uint32 {
	out := make([]uint32, 0, len(s))
	for p := range s {
		out = append(out, p)
	}
	slices.Sort(out)
	return out
}

// sameErr reports whether got wraps want (both nil counts as the same).
func sameErr(want, got error) bool {
	if want == nil || got == nil {
		return want == nil && got == nil
	}
	return errors.Is(got, want)
}
