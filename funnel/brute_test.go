package funnel

import (
	"math/bits"
	"sort"
)

// The reference model: the package documentation's definitions, computed by
// enumerating every candidate conversion. It is exponential and only for tiny inputs.

type bEntry struct {
	t    int64
	step int
	row  int
}

type bOutcome struct {
	level   int
	reached uint32
	passes  []uint32
	path    []int // row per step, -1 if absent
	origin  int64
}

func bruteProfile(p *plan, rows []row) bOutcome {
	if p.mode&AnyOrder != 0 {
		return bruteAnyOrder(p, rows)
	}
	var ents []bEntry
	for i, r := range rows {
		if r.steps == 0 && p.mode&StrictOrder != 0 {
			ents = append(ents, bEntry{r.t, -1, i})
		}
		for s := 0; s < p.n; s++ {
			if r.steps&(1<<s) != 0 {
				ents = append(ents, bEntry{r.t, s, i})
			}
		}
	}
	sort.SliceStable(ents, func(i, j int) bool {
		a, b := ents[i], ents[j]
		if a.t != b.t {
			return a.t < b.t
		}
		if a.step != b.step {
			return a.step < b.step
		}
		return a.row < b.row
	})
	// The package doc's "Counts": the first pass runs over all entries; a pass that
	// completes the funnel at entry e is followed by a pass over the entries after e,
	// and a pass that does not complete it is the last. Level, origin and the path
	// describe the first pass; reached is every step any pass reached.
	out := bOutcome{path: fill(p.n)}
	if len(ents) == 0 {
		return out
	}
	level, _, _, path, origin := brutePass(p, rows, ents, 0)
	out.level = level
	if level > 0 {
		out.origin = origin
		for s := range out.path {
			if path[s] >= 0 {
				out.path[s] = ents[path[s]].row
			}
		}
	}
	out.passes = brutePasses(p, rows, ents, 0)
	for _, m := range out.passes {
		out.reached |= m
	}
	return out
}

// brutePasses lists the steps reached by each pass starting at entry from, by
// recursion on the rest of the entries.
func brutePasses(p *plan, rows []row, ents []bEntry, from int) []uint32 {
	if from >= len(ents) {
		return nil
	}
	_, reached, completedAt, _, _ := brutePass(p, rows, ents, from)
	switch {
	case reached == 0:
		return nil
	case completedAt < 0:
		return []uint32{reached}
	}
	return append([]uint32{reached}, brutePasses(p, rows, ents, completedAt+1)...)
}

func fill(n int) []int {
	v := make([]int, n)
	for i := range v {
		v[i] = -1
	}
	return v
}

// validChain checks every rule of a conversion over entries c (positions into ents).
func validChain(p *plan, rows []row, ents []bEntry, c []int) bool {
	if len(c) == 0 || ents[c[0]].step != 0 {
		return false
	}
	byStep := map[int]bEntry{}
	for j, q := range c {
		e := ents[q]
		byStep[e.step] = e
		if j == 0 {
			continue
		}
		pr := ents[c[j-1]]
		if q <= c[j-1] || e.step <= pr.step {
			return false
		}
		for s := pr.step + 1; s < e.step; s++ {
			if !p.spec.Steps[s].Optional {
				return false
			}
		}
		if w := p.spec.Steps[e.step].Within; w > 0 && e.t-pr.t > int64(w) {
			return false
		}
		if p.mode&StrictIncrease != 0 && e.t <= pr.t {
			return false
		}
	}
	if p.window > 0 && ents[c[len(c)-1]].t-ents[c[0]].t > p.window {
		return false
	}
	if p.mode&StrictOnce != 0 {
		seen := map[int]bool{}
		for _, q := range c {
			if seen[ents[q].row] {
				return false
			}
			seen[ents[q].row] = true
		}
	}
	for k, x := range p.spec.Exclude {
		a, okA := byStep[x.From]
		b, okB := byStep[x.To]
		if !okA || !okB {
			continue
		}
		for _, r := range rows {
			if r.excl&(1<<k) != 0 && a.t < r.t && r.t < b.t {
				return false
			}
		}
	}
	return true
}

// chains lists every valid conversion over the available entries.
func chains(p *plan, rows []row, ents []bEntry, avail []int) [][]int {
	var all [][]int
	var rec func(c []int, from int)
	rec = func(c []int, from int) {
		if validChain(p, rows, ents, c) {
			all = append(all, append([]int(nil), c...))
		} else if len(c) > 0 {
			return // extending an invalid prefix never makes it valid
		}
		for k := from; k < len(avail); k++ {
			rec(append(c, avail[k]), k+1)
		}
	}
	rec(nil, 0)
	return all
}

func brutePass(p *plan, rows []row, ents []bEntry, p0 int) (level int, reached uint32, end int, path []int, origin int64) {
	end = -1
	var avail []int
	started := false
	reachedBy := func(cs [][]int) uint32 {
		var m uint32
		for _, c := range cs {
			for _, q := range c {
				m |= 1 << ents[q].step
			}
		}
		return m
	}
	var final [][]int
	for q := p0; q < len(ents); q++ {
		cs := chains(p, rows, ents, avail)
		r := reachedBy(cs)
		e := ents[q]
		cut, ignore := false, false
		switch {
		case e.step < 0:
			cut, ignore = started, true
		case e.step == 0:
			if p.mode&StrictOrder != 0 && started && r&^1 != 0 {
				if p.mode&AllowReentry != 0 {
					ignore = true
				} else {
					cut = true
				}
			}
		default:
			if p.mode&StrictDeduplication != 0 && r&(1<<e.step) != 0 {
				cut = true
			}
			predOK := false
			for _, pr := range p.preds[e.step] {
				if r&(1<<pr) != 0 {
					predOK = true
				}
			}
			if p.mode&StrictOrder != 0 && started && !predOK {
				cut = true
			}
		}
		if cut {
			final = cs
			break
		}
		if ignore {
			final = cs
			continue
		}
		if e.step == 0 {
			started = true
			origin = e.t
		}
		avail = append(avail, q)
		final = chains(p, rows, ents, avail)
		done := false
		for _, c := range final {
			if c[len(c)-1] == q && ents[q].step == p.n-1 {
				done = true
			}
		}
		if done {
			end = q
			break
		}
	}
	reached = reachedBy(final)
	level = bits.Len32(reached)
	if level == 0 {
		return
	}
	// The canonical conversion: earliest completion of the deepest step, then the
	// latest anchor, then the latest entries from the end.
	var best []int
	for _, c := range final {
		if ents[c[len(c)-1]].step != level-1 {
			continue
		}
		if best == nil || canonicalLess(ents, c, best) {
			best = c
		}
	}
	path = fill(p.n)
	for _, q := range best {
		path[ents[q].step] = q
	}
	return
}

func canonicalLess(ents []bEntry, a, b []int) bool {
	if a[len(a)-1] != b[len(b)-1] {
		return a[len(a)-1] < b[len(b)-1]
	}
	if ents[a[0]].t != ents[b[0]].t {
		return ents[a[0]].t > ents[b[0]].t
	}
	for i, j := len(a)-1, len(b)-1; i >= 0 && j >= 0; i, j = i-1, j-1 {
		if a[i] != b[j] {
			return a[i] > b[j]
		}
	}
	return len(a) > len(b)
}

func bruteAnyOrder(p *plan, rows []row) bOutcome {
	out := bOutcome{path: fill(p.n)}
	all := p.allSteps()
	in := func(a, i int) bool { // row i lies in the window anchored at row a
		return rows[i].t >= rows[a].t && (p.window == 0 || rows[i].t-rows[a].t <= p.window)
	}
	for p0, first := 0, true; p0 < len(rows); first = false {
		end, anchor, level := -1, -1, 0
		for q := p0; q < len(rows) && end < 0; q++ {
			for a := p0; a <= q; a++ {
				if rows[a].steps == 0 || !in(a, q) {
					continue
				}
				var m uint32
				for i := p0; i <= q; i++ {
					if in(a, i) {
						m |= rows[i].steps
					}
				}
				if m == all {
					end, anchor, level = q, a, p.n
					break
				}
			}
		}
		limit := end
		if end < 0 {
			limit = len(rows) - 1
			for a := p0; a < len(rows); a++ {
				if rows[a].steps == 0 {
					continue
				}
				var m uint32
				for i := p0; i < len(rows); i++ {
					if in(a, i) {
						m |= rows[i].steps
					}
				}
				if c := bits.OnesCount32(m); c > level || (c == level && c > 0 && rows[a].t < rows[anchor].t) {
					level, anchor = c, a
				}
			}
		}
		if level == 0 {
			break
		}
		if first {
			out.level = level
			var seen uint32
			k := 0
			for i := p0; i <= limit && k < level; i++ {
				if !in(anchor, i) {
					continue
				}
				for add := rows[i].steps &^ seen; add != 0 && k < level; add &= add - 1 {
					seen |= add & -add
					out.path[k] = i
					k++
				}
			}
			for i := p0; i < len(rows); i++ {
				if rows[i].steps != 0 {
					out.origin = rows[i].t
				}
			}
		}
		m := uint32(1)<<level - 1
		out.reached |= m
		out.passes = append(out.passes, m)
		if end < 0 {
			break
		}
		p0 = end + 1
	}
	return out
}
