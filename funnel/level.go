package funnel

import "math/bits"

// Level returns the deepest step one profile reached, 0 to len(s.Steps), from that
// profile's events in any order (their Profile fields are ignored).
//
// For a Spec that ClickHouse can express (no AnyOrder, optional step, per-step window
// or exclusion) it equals ClickHouse's windowFunnel(Window, modes...) with one
// condition per step, in every mode, as ClickHouse's own tests pin it down (see
// clickhouse_test.go); otherwise it is the level Run reports for the profile. Level
// returns 0 for an invalid Spec (Validate says why) and for events whose timestamps
// cannot be represented.
func (s Spec) Level(events []Event) int {
	p, err := s.compile()
	if err != nil {
		return 0
	}
	rows := make([]row, len(events))
	for i, e := range events {
		t, err := nanos(e.Time)
		if err != nil {
			return 0
		}
		steps, excl := p.masks(e)
		rows[i] = row{t: t, steps: steps, excl: excl, idx: int32(i)}
	}
	sortRows(rows)
	if p.mode&(StrictIncrease|StrictOnce) == StrictIncrease && p.optional == 0 && len(p.excl) == 0 && !hasWithin(p) {
		return clickhouseLevel(p, buildEntries(nil, rows, p.n, p.mode&StrictOrder != 0))
	}
	var out outcome
	newMatcher(p).profile(rows, &out)
	return out.level
}

func hasWithin(p *plan) bool {
	for _, w := range p.within {
		if w != 0 {
			return true
		}
	}
	return false
}

// clickhouseLevel is ClickHouse's windowFunnel scan: for each step it keeps only the
// newest partial conversion's (anchor, last) times. With StrictIncrease that is not
// always enough, because a newer conversion's last event can share the instant of the
// event that would extend an older one; ClickHouse then misses the older conversion
// (ClickHouse issue #93789), and so does this function, on purpose: Level equals
// ClickHouse, while Run finds every conversion.
func clickhouseLevel(p *plan, ents []entry) int {
	var first, last [MaxSteps]int64
	var set uint32
	started := false
	mode := p.mode
scan:
	for _, e := range ents {
		s := int(e.step)
		switch {
		case s < 0:
			if started {
				break scan
			}
		case s == 0:
			if mode&StrictOrder != 0 && started && set&^1 != 0 {
				if mode&AllowReentry != 0 {
					continue
				}
				break scan
			}
			first[0], last[0] = e.t, e.t
			set |= 1
			started = true
		case mode&StrictDeduplication != 0 && set&(1<<s) != 0:
			break scan
		case mode&StrictOrder != 0 && started && set&(1<<(s-1)) == 0:
			break scan
		case set&(1<<(s-1)) != 0:
			ok := p.window == 0 || e.t-first[s-1] <= p.window
			if mode&StrictIncrease != 0 {
				ok = ok && last[s-1] < e.t
			}
			if ok {
				first[s], last[s] = first[s-1], e.t
				set |= 1 << s
				if s == p.n-1 {
					return p.n
				}
			}
		}
	}
	return bits.Len32(set)
}
