package funnel

import "math/bits"

// anyOrder matches AnyOrder funnels: within a window [T, T+Window] that starts at one
// of the profile's matching events, a profile has done as many steps as there are
// distinct steps matched by events in the window, in whatever order. Its "step k" is
// "k steps done", and its conversion's k-th event is the one that brought the count in
// the chosen window to k.
type anyOrder struct {
	p   *plan
	cnt [MaxSteps]int32
}

func (a *anyOrder) profile(rows []row, out *outcome) {
	for p0, first := 0, true; p0 < len(rows); first = false {
		level, end, lo := a.pass(rows, p0)
		if level == 0 {
			break
		}
		if first {
			out.level = level
			k := 0
			var seen uint32
			for i := lo; k < level; i++ {
				if add := rows[i].steps &^ seen; add != 0 {
					seen |= add
					for c := bits.OnesCount32(add); c > 0 && k < level; c-- {
						out.path[k] = int32(i)
						k++
					}
				}
			}
			for i := len(rows) - 1; i >= p0; i-- {
				if rows[i].steps != 0 {
					out.origin = rows[i].t
					break
				}
			}
		}
		reached := uint32(1)<<level - 1
		if level == 32 {
			reached = ^uint32(0)
		}
		out.reached |= reached
		out.passes = append(out.passes, reached)
		if end < 0 {
			break
		}
		p0 = end + 1
	}
}

// pass looks from row p0 for the earliest row at which some window covers every step.
// It returns the level reached, that row (or -1), and the first row of the chosen
// window: the earliest window that reaches the level.
func (a *anyOrder) pass(rows []row, p0 int) (level, end, lo int) {
	n, w, all := a.p.n, a.p.window, a.p.allSteps()
	clear(a.cnt[:n])
	var covered uint32
	add := func(m uint32, d int32) {
		for ; m != 0; m &= m - 1 {
			s := bits.TrailingZeros32(m)
			a.cnt[s] += d
			if a.cnt[s] > 0 {
				covered |= 1 << s
			} else {
				covered &^= 1 << s
			}
		}
	}
	// Earliest completion: the window ending at row q starts at the first row no more
	// than w earlier.
	lo = p0
	for q := p0; q < len(rows); q++ {
		add(rows[q].steps, 1)
		for w > 0 && rows[q].t-rows[lo].t > w {
			add(rows[lo].steps, -1)
			lo++
		}
		if covered == all {
			for rows[lo].steps == 0 {
				lo++
			}
			return n, q, lo
		}
	}
	// No completion: the best window over all starting instants. The window from
	// instant T holds rows[lo:hi], lo the first row at T.
	clear(a.cnt[:n])
	covered = 0
	best, bestLo := 0, -1
	lo, hi := p0, p0
	tried, triedAt := false, int64(0)
	for i := p0; i < len(rows); i++ {
		if rows[i].steps == 0 || (tried && rows[i].t == triedAt) {
			continue // matches nothing, or its instant was tried already
		}
		tried, triedAt = true, rows[i].t
		for lo < i && rows[lo].t < rows[i].t {
			if lo < hi {
				add(rows[lo].steps, -1)
			}
			lo++
		}
		if hi < lo {
			hi = lo
		}
		for hi < len(rows) && (w == 0 || rows[hi].t-rows[i].t <= w) {
			add(rows[hi].steps, 1)
			hi++
		}
		if c := bits.OnesCount32(covered); c > best {
			best, bestLo = c, lo
		}
	}
	if best == 0 {
		return 0, -1, -1
	}
	for rows[bestLo].steps == 0 {
		bestLo++
	}
	return best, -1, bestLo
}
