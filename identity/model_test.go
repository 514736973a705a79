package identity_test

import (
	"cmp"
	"slices"

	"github.com/clientele-go/clientele/identity"
)

// model is the reference the resolver is held against when no rule intervenes (zero
// Rules): a plain union-find rebuilt from scratch over the recorded events at every
// question, with keys handed out by the documented rules. It shares no code with the
// resolver and favours obviousness over speed.
type model struct {
	node   map[identity.ID]int // identifier -> its current node (a forgotten value gets a new one)
	ids    []identity.ID       // node -> identifier (index 0 unused)
	gone   map[int]bool        // forgotten nodes
	events [][]int             // per event, the nodes it still links
	seed   []int               // key -> seed node; 0 once retired (index 0 unused)
}

func newModel() *model {
	return &model{node: map[identity.ID]int{}, ids: []identity.ID{{}}, gone: map[int]bool{}, seed: []int{0}}
}

// components maps every held node to the smallest node of its component.
func (m *model) components() map[int]int {
	parent := map[int]int{}
	var find func(int) int
	find = func(x int) int {
		if parent[x] != x {
			parent[x] = find(parent[x])
		}
		return parent[x]
	}
	for n := 1; n < len(m.ids); n++ {
		if !m.gone[n] {
			parent[n] = n
		}
	}
	for _, ev := range m.events {
		for _, n := range ev[1:] {
			a, b := find(ev[0]), find(n)
			parent[max(a, b)] = min(a, b)
		}
	}
	out := map[int]int{}
	for n := range parent {
		out[n] = find(n)
	}
	return out
}

// keyOfIn returns the key of node n's profile: the smallest key seeded in its component.
func (m *model) keyOfIn(comp map[int]int, n int) uint32 {
	for k := 1; k < len(m.seed); k++ {
		if s := m.seed[k]; s != 0 && comp[s] == comp[n] {
			return uint32(k) // keys ascend: the first found is the smallest
		}
	}
	return 0
}

func (m *model) lookup(id identity.ID) (uint32, bool) {
	n, ok := m.node[id]
	if !ok {
		return 0, false
	}
	return m.keyOfIn(m.components(), n), true
}

func (m *model) current(k uint32) uint32 {
	if k == 0 || int(k) >= len(m.seed) || m.seed[k] == 0 {
		return 0
	}
	return m.keyOfIn(m.components(), m.seed[k])
}

func (m *model) members(k uint32) []identity.ID {
	c := m.current(k)
	if c == 0 {
		return nil
	}
	comp := m.components()
	root := comp[m.seed[c]]
	var out []identity.ID
	for n, r := range comp {
		if r == root {
			out = append(out, m.ids[n])
		}
	}
	sortIDs(out)
	return out
}

func sortIDs(ids []identity.ID) {
	slices.SortFunc(ids, func(a, b identity.ID) int {
		return cmp.Or(cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.Value, b.Value))
	})
}

// link records an event; it returns the merge it causes (survivor, absorbed) if any.
func (m *model) link(ids []identity.ID) (uint32, []uint32) {
	// Zero Rules: every kind has the same priority, so the order is by kind name, then
	// the caller's order; duplicates keep their first place; empty values are dropped.
	var ev []identity.ID
	for _, id := range ids {
		if id.Value != "" && !slices.Contains(ev, id) {
			ev = append(ev, id)
		}
	}
	if len(ev) == 0 {
		return 0, nil
	}
	slices.SortStableFunc(ev, func(a, b identity.ID) int { return cmp.Compare(a.Kind, b.Kind) })
	comp := m.components()
	var keys []uint32
	var nodes []int
	for _, id := range ev {
		n, ok := m.node[id]
		if ok {
			if k := m.keyOfIn(comp, n); !slices.Contains(keys, k) {
				keys = append(keys, k)
			}
		} else {
			n = len(m.ids)
			m.ids = append(m.ids, id)
			m.node[id] = n
		}
		nodes = append(nodes, n)
	}
	m.events = append(m.events, nodes)
	slices.Sort(keys)
	switch len(keys) {
	case 0:
		m.seed = append(m.seed, nodes[0])
		return uint32(len(m.seed) - 1), nil
	case 1:
		return keys[0], nil
	}
	return keys[0], keys[1:]
}

// rekey re-keys the component that held the nodes of comp after removed were taken
// out, by the documented rules, and returns the keys of the pieces (and of the removed
// nodes' own profiles when keep is set).
func (m *model) rekey(old []int, removed map[int]bool, keep bool) []uint32 {
	comp := m.components()
	var remaining []int
	for _, n := range old {
		if !removed[n] {
			remaining = append(remaining, n)
		}
	}
	slices.Sort(remaining)
	inOld := map[int]bool{}
	for _, n := range old {
		inOld[n] = true
	}
	for k := 1; k < len(m.seed); k++ {
		if s := m.seed[k]; s != 0 && removed[s] {
			if len(remaining) > 0 {
				m.seed[k] = remaining[0]
			} else {
				m.seed[k] = 0
			}
		}
	}
	// Pieces in order of their smallest node; a piece without a seed gets a fresh key.
	var keys []uint32
	done := map[int]bool{}
	for _, n := range remaining {
		r := comp[n]
		if done[r] {
			continue
		}
		done[r] = true
		k := m.keyOfIn(comp, n)
		if k == 0 {
			m.seed = append(m.seed, n)
			k = uint32(len(m.seed) - 1)
		}
		keys = append(keys, k)
	}
	if keep {
		sortedRemoved := make([]int, 0, len(removed))
		for n := range removed {
			sortedRemoved = append(sortedRemoved, n)
		}
		slices.Sort(sortedRemoved)
		for _, n := range sortedRemoved {
			m.seed = append(m.seed, n)
			keys = append(keys, uint32(len(m.seed)-1))
		}
	}
	slices.Sort(keys)
	return keys
}

func (m *model) componentOf(n int) []int {
	comp := m.components()
	var out []int
	for x, r := range comp {
		if r == comp[n] {
			out = append(out, x)
		}
	}
	return out
}

func (m *model) detach(n int) {
	for i, ev := range m.events {
		m.events[i] = slices.DeleteFunc(ev, func(x int) bool { return x == n })
	}
	m.events = slices.DeleteFunc(m.events, func(ev []int) bool { return len(ev) == 0 })
}

func (m *model) unmerge(id identity.ID) (uint32, []uint32, bool) {
	n, ok := m.node[id]
	if !ok {
		return 0, nil, false
	}
	comp := m.components()
	from := m.keyOfIn(comp, n)
	old := m.componentOf(n)
	m.detach(n)
	if len(old) == 1 {
		return from, []uint32{from}, true
	}
	return from, m.rekey(old, map[int]bool{n: true}, true), true
}

func (m *model) forget(k uint32) ([]uint32, bool) {
	c := m.current(k)
	if c == 0 {
		return nil, false
	}
	old := m.componentOf(m.seed[c])
	var retired []uint32
	for key := 1; key < len(m.seed); key++ {
		if s := m.seed[key]; s != 0 && slices.Contains(old, s) {
			retired = append(retired, uint32(key))
			m.seed[key] = 0
		}
	}
	for _, n := range old {
		m.detach(n)
		m.gone[n] = true
		delete(m.node, m.ids[n])
	}
	return retired, true
}

// profiles returns the number of live profiles.
func (m *model) profiles() int {
	comp := m.components()
	roots := map[int]bool{}
	for _, r := range comp {
		roots[r] = true
	}
	return len(roots)
}
