package funnel

import (
	"math/bits"
	"slices"
)

// entry is one (event, step) pair: ClickHouse's (timestamp, condition) list. Entries are
// ordered by time, then step (step -1, "matches nothing", first), then row.
type entry struct {
	t    int64
	step int8 // -1: the row matches no step (listed only under StrictOrder)
	row  int32
}

// chain is a partial conversion: the entries it used for each step so far.
type chain struct {
	anchor, last int64 // times of its first and latest entries
	end          int8  // its latest step
	path         []int32
}

// engine is the exact matcher for every ordered Spec. It keeps, for each step, the
// partial conversions ending there that no other one beats on every count that can
// matter later (a Pareto front): a later anchor (more room in the window), a later last
// event (more room under the next step's Within), a later event for the first step of
// an open exclusion (less time exposed to it), fewer rows used at the current instant
// (StrictOnce). Among conversions that tie on all of these it keeps the one the package
// documentation calls canonical. With StrictIncrease, conversions made at an instant
// join the fronts only when time moves on, since nothing at the same instant may
// extend them.
type engine struct {
	p       *plan
	rows    []row
	ents    []entry
	exTimes [][]int64 // per exclusion: sorted times of its events
	chains  []chain
	pool    []int32
	fronts  [][]int32 // per step: indexes into chains
	pending [][]int32
	cands   []int32
}

func (g *engine) profile(rows []row, out *outcome) {
	p := g.p
	g.rows = rows
	g.ents = buildEntries(g.ents[:0], rows, p.n, p.mode&StrictOrder != 0)
	if len(p.excl) > 0 {
		if len(g.exTimes) < len(p.excl) {
			g.exTimes = make([][]int64, len(p.excl))
		}
		for k := range p.excl {
			ts := g.exTimes[k][:0]
			for _, r := range rows {
				if r.excl&(1<<k) != 0 {
					ts = append(ts, r.t)
				}
			}
			g.exTimes[k] = ts
		}
	}
	if len(g.fronts) < p.n {
		g.fronts = make([][]int32, p.n)
		g.pending = make([][]int32, p.n)
	}
	for pos, first := 0, true; pos < len(g.ents); first = false {
		r := g.pass(pos)
		if first {
			out.level = r.level
			out.origin = r.origin
			if r.level > 0 {
				c := &g.chains[r.firstAt[r.level-1]]
				for s, e := range c.path {
					if e >= 0 {
						out.path[s] = g.ents[e].row
					}
				}
			}
		}
		if r.reached == 0 {
			break
		}
		out.reached |= r.reached
		out.passes = append(out.passes, r.reached)
		if r.end < 0 {
			break
		}
		pos = r.end + 1
	}
}

// buildEntries lists rows' entries in ClickHouse's order.
func buildEntries(ents []entry, rows []row, n int, strictOrder bool) []entry {
	for i := 0; i < len(rows); {
		j := i + 1
		for j < len(rows) && rows[j].t == rows[i].t {
			j++
		}
		t := rows[i].t
		if j == i+1 {
			r := rows[i]
			if r.steps == 0 && strictOrder {
				ents = append(ents, entry{t, -1, int32(i)})
			}
			for m := r.steps; m != 0; m &= m - 1 {
				ents = append(ents, entry{t, int8(bits.TrailingZeros32(m)), int32(i)})
			}
		} else {
			var union uint32
			for k := i; k < j; k++ {
				union |= rows[k].steps
				if rows[k].steps == 0 && strictOrder {
					ents = append(ents, entry{t, -1, int32(k)})
				}
			}
			for m := union; m != 0; m &= m - 1 {
				s := bits.TrailingZeros32(m)
				for k := i; k < j; k++ {
					if rows[k].steps&(1<<s) != 0 {
						ents = append(ents, entry{t, int8(s), int32(k)})
					}
				}
			}
		}
		i = j
	}
	return ents
}

type passResult struct {
	level   int
	reached uint32
	end     int // index of the entry that completed the funnel; -1 if none did
	origin  int64
	firstAt [MaxSteps]int32 // per step: the canonical chain that first reached it
}

// pass matches from entry p0 until the funnel completes, a mode stops the search, or
// the entries run out.
func (g *engine) pass(p0 int) passResult {
	p := g.p
	n := p.n
	g.chains, g.pool = g.chains[:0], g.pool[:0]
	for s := 0; s < n; s++ {
		g.fronts[s], g.pending[s] = g.fronts[s][:0], g.pending[s][:0]
	}
	res := passResult{end: -1}
	for s := range res.firstAt {
		res.firstAt[s] = -1
	}
	strictOrder := p.mode&StrictOrder != 0
	increase := p.mode&StrictIncrease != 0
	started := false
	now := g.ents[p0].t
scan:
	for q := p0; q < len(g.ents); q++ {
		e := g.ents[q]
		if e.t != now {
			if increase {
				for s := 0; s < n; s++ {
					for _, c := range g.pending[s] {
						g.insert(s, c, e.t)
					}
					g.pending[s] = g.pending[s][:0]
				}
			}
			now = e.t
			g.expire(now)
		}
		s := int(e.step)
		switch {
		case s < 0:
			if started {
				break scan
			}
			continue
		case s == 0:
			if strictOrder && started && res.reached&^1 != 0 {
				if p.mode&AllowReentry != 0 {
					continue
				}
				break scan
			}
			started = true
			res.origin = e.t
			c := g.newChain(chain{anchor: e.t, last: e.t, end: 0}, nil, q)
			g.cands = append(g.cands[:0], c)
		default:
			if p.mode&StrictDeduplication != 0 && res.reached&(1<<s) != 0 {
				break scan
			}
			if strictOrder && started && !g.predReached(s, res.reached) {
				break scan
			}
			g.cands = g.cands[:0]
			for _, pr := range p.preds[s] {
				for _, ci := range g.fronts[pr] {
					if g.feasible(&g.chains[ci], e, s) {
						prev := g.chains[ci]
						g.cands = append(g.cands, g.newChain(chain{anchor: prev.anchor, last: e.t, end: int8(s)}, prev.path, q))
					}
				}
			}
			if len(g.cands) == 0 {
				continue
			}
		}
		if res.reached&(1<<s) == 0 {
			best := g.cands[0]
			for _, c := range g.cands[1:] {
				if g.better(c, best) {
					best = c
				}
			}
			res.firstAt[s] = best
			res.reached |= 1 << s
			res.level = max(res.level, s+1)
		}
		if s == n-1 {
			res.end = q
			break
		}
		for _, c := range g.cands {
			if increase {
				g.pending[s] = append(g.pending[s], c)
			} else {
				g.insert(s, c, now)
			}
		}
	}
	return res
}

func (g *engine) predReached(s int, reached uint32) bool {
	for _, pr := range g.p.preds[s] {
		if reached&(1<<pr) != 0 {
			return true
		}
	}
	return false
}

func (g *engine) newChain(c chain, prev []int32, q int) int32 {
	n := g.p.n
	start := len(g.pool)
	if prev == nil {
		for range n {
			g.pool = append(g.pool, -1)
		}
	} else {
		g.pool = append(g.pool, prev...)
	}
	c.path = g.pool[start : start+n : start+n]
	c.path[c.end] = int32(q)
	g.chains = append(g.chains, c)
	return int32(len(g.chains) - 1)
}

// feasible reports whether entry e may extend chain c into step s.
func (g *engine) feasible(c *chain, e entry, s int) bool {
	p := g.p
	if p.window > 0 && e.t-c.anchor > p.window {
		return false
	}
	if w := p.within[s]; w > 0 && e.t-c.last > w {
		return false
	}
	if p.mode&StrictIncrease != 0 && c.last >= e.t {
		return false
	}
	if p.mode&StrictOnce != 0 {
		for _, q := range c.path {
			if q >= 0 && g.ents[q].row == e.row {
				return false
			}
		}
	}
	for k, x := range p.excl {
		if x.To == s && g.excludedBetween(k, g.ents[c.path[x.From]].t, e.t) {
			return false
		}
	}
	return true
}

// excludedBetween reports whether exclusion k has an event strictly between a and b.
func (g *engine) excludedBetween(k int, a, b int64) bool {
	ts := g.exTimes[k]
	i, _ := slices.BinarySearch(ts, a+1)
	return i < len(ts) && ts[i] < b
}

// better reports whether chain a is preferred to chain b as the canonical conversion:
// the later anchor, then the later entries compared from the end.
func (g *engine) better(a, b int32) bool {
	ca, cb := &g.chains[a], &g.chains[b]
	if ca.anchor != cb.anchor {
		return ca.anchor > cb.anchor
	}
	return cmpDesc(ca.path, cb.path) > 0
}

// cmpDesc compares two chains' entries from the latest step backwards.
func cmpDesc(a, b []int32) int {
	i, j := len(a)-1, len(b)-1
	for {
		for i >= 0 && a[i] < 0 {
			i--
		}
		for j >= 0 && b[j] < 0 {
			j--
		}
		switch {
		case i < 0 && j < 0:
			return 0
		case i < 0:
			return -1
		case j < 0:
			return 1
		case a[i] != b[j]:
			if a[i] > b[j] {
				return 1
			}
			return -1
		}
		i--
		j--
	}
}

// dominates reports whether chain a is at least as good as chain b for every
// continuation, and preferred to it as canonical. now is the current instant.
func (g *engine) dominates(a, b int32, s int, now int64) bool {
	ca, cb := &g.chains[a], &g.chains[b]
	if ca.anchor < cb.anchor || ca.last < cb.last {
		return false
	}
	for _, x := range g.p.excl {
		if x.From <= s && s < x.To && g.ents[ca.path[x.From]].t < g.ents[cb.path[x.From]].t {
			return false
		}
	}
	if g.p.mode&StrictOnce != 0 && ca.last == now {
		for _, q := range ca.path {
			if q >= 0 && g.ents[q].t == now && !g.usesRow(cb, g.ents[q].row) {
				return false
			}
		}
	}
	return ca.anchor > cb.anchor || cmpDesc(ca.path, cb.path) >= 0
}

func (g *engine) usesRow(c *chain, row int32) bool {
	for _, q := range c.path {
		if q >= 0 && g.ents[q].row == row {
			return true
		}
	}
	return false
}

// insert adds chain c to step s's front unless a member dominates it, and drops the
// members it dominates.
func (g *engine) insert(s int, c int32, now int64) {
	f := g.fronts[s]
	for _, o := range f {
		if g.dominates(o, c, s, now) {
			return
		}
	}
	kept := f[:0]
	for _, o := range f {
		if !g.dominates(c, o, s, now) {
			kept = append(kept, o)
		}
	}
	g.fronts[s] = append(kept, c)
}

// expire drops chains that no later entry can extend: those whose window has closed.
func (g *engine) expire(now int64) {
	w := g.p.window
	if w <= 0 {
		return
	}
	for s := range g.p.n {
		f := g.fronts[s]
		kept := f[:0]
		for _, c := range f {
			if now-g.chains[c].anchor <= w {
				kept = append(kept, c)
			}
		}
		g.fronts[s] = kept
	}
}
