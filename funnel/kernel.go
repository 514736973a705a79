package funnel

// kernel is the fast matcher for plain ordered funnels: no optional step, no per-step
// window, no exclusion, no StrictIncrease or StrictOnce. Then the newest partial
// conversion at a step beats every older one (its anchor is no earlier, since anchors
// only move forward, and its last event is later), so one per step is enough: this is
// ClickHouse's windowFunnel algorithm, extended to remember the events it used. It
// computes exactly what engine computes (a property test holds them equal).
//
// The chains are kept as links: each entry that extends a chain records the entry
// before it (prev), so extending a chain is one store rather than a copy of the chain
// (those copies were a tenth of RunBatch's matching time).
type kernel struct {
	p     *plan
	ents  []entry
	last  [MaxSteps]int32 // per step: the entry at that step of the newest chain ending there
	first [MaxSteps]int32 // per step: the entry at that step of the first chain to reach it
	prev  []int32         // per entry past step 0: the entry before it in its chain
}

func (k *kernel) profile(rows []row, out *outcome) {
	k.ents = buildEntries(k.ents[:0], rows, k.p.n, k.p.mode&StrictOrder != 0)
	k.match(out)
}

// match matches k.ents, the profile's entries in ClickHouse's order.
func (k *kernel) match(out *outcome) {
	if cap(k.prev) < len(k.ents) {
		k.prev = make([]int32, len(k.ents), 2*len(k.ents))
	}
	k.prev = k.prev[:len(k.ents)]
	for pos, firstPass := 0, true; pos < len(k.ents); firstPass = false {
		level, reached, end, origin := k.pass(pos)
		if firstPass {
			out.level, out.origin = level, origin
			if level > 0 {
				q := k.first[level-1]
				for s := level - 1; s > 0; s-- {
					out.path[s] = k.ents[q].row
					q = k.prev[q]
				}
				out.path[0] = k.ents[q].row
			}
		}
		if reached == 0 {
			break
		}
		out.reached |= reached
		out.passes = append(out.passes, reached)
		if end < 0 {
			break
		}
		pos = end + 1
	}
}

func (k *kernel) pass(p0 int) (level int, reached uint32, end int, origin int64) {
	p := k.p
	n, window, mode := p.n, p.window, p.mode
	var anchor [MaxSteps]int64
	var has uint32
	started := false
	end = -1
	for q := p0; q < len(k.ents); q++ {
		e := k.ents[q]
		s := int(e.step)
		switch {
		case s < 0:
			if started {
				return
			}
			continue
		case s == 0:
			if mode&StrictOrder != 0 && started && reached&^1 != 0 {
				if mode&AllowReentry != 0 {
					continue
				}
				return
			}
			started = true
			origin = e.t
			anchor[0] = e.t
			has |= 1
			k.last[0] = int32(q)
		default:
			if mode&StrictDeduplication != 0 && reached&(1<<s) != 0 {
				return
			}
			if has&(1<<(s-1)) == 0 {
				if mode&StrictOrder != 0 && started {
					return
				}
				continue
			}
			if window > 0 && e.t-anchor[s-1] > window {
				continue
			}
			anchor[s] = anchor[s-1]
			has |= 1 << s
			k.prev[q] = k.last[s-1]
			k.last[s] = int32(q)
		}
		if reached&(1<<s) == 0 {
			reached |= 1 << s
			level = s + 1
			k.first[s] = int32(q)
		}
		if s == n-1 {
			end = q
			return
		}
	}
	return
}
