package funnel

// kernel is the fast matcher for plain ordered funnels: no optional step, no per-step
// window, no exclusion, no StrictIncrease or StrictOnce. Then the newest partial
// conversion at a step beats every older one (its anchor is no earlier, since anchors
// only move forward, and its last event is later), so one per step is enough: this is
// ClickHouse's windowFunnel algorithm, extended to remember the events it used. It
// computes exactly what engine computes (a property test holds them equal).
type kernel struct {
	p     *plan
	ents  []entry
	path  [MaxSteps][MaxSteps]int32 // per step: entries of the newest chain ending there
	first [MaxSteps][MaxSteps]int32 // per step: entries of the first chain to reach it
}

func (k *kernel) profile(rows []row, out *outcome) {
	k.ents = buildEntries(k.ents[:0], rows, k.p.n, k.p.mode&StrictOrder != 0)
	k.match(out)
}

// match matches k.ents, the profile's entries in ClickHouse's order.
func (k *kernel) match(out *outcome) {
	for pos, firstPass := 0, true; pos < len(k.ents); firstPass = false {
		level, reached, end, origin := k.pass(pos)
		if firstPass {
			out.level, out.origin = level, origin
			if level > 0 {
				for s, q := range k.first[level-1][:level] {
					out.path[s] = k.ents[q].row
				}
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
			k.path[0][0] = int32(q)
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
			copy(k.path[s][:s], k.path[s-1][:s])
			k.path[s][s] = int32(q)
		}
		if reached&(1<<s) == 0 {
			reached |= 1 << s
			level = s + 1
			copy(k.first[s][:s+1], k.path[s][:s+1])
		}
		if s == n-1 {
			end = q
			return
		}
	}
	return
}
