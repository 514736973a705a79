package funnel

import (
	"math"
	"math/bits"
)

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
	// matchColumns's slots (see there): slot s+1 for step s's newest chain.
	anchor [64 + 1]int64
	lastAt [64 + 1]int32
}

func (k *kernel) profile(rows []row, out *outcome) {
	k.ents = buildEntries(k.ents[:0], rows, k.p.n, k.p.mode&StrictOrder != 0)
	k.match(out)
}

// match matches k.ents, the profile's entries in ClickHouse's order.
func (k *kernel) match(out *outcome) {
	if k.p.mode&(StrictOrder|StrictDeduplication) == 0 {
		k.matchWith(out, k.passPlain)
	} else {
		k.matchWith(out, k.pass)
	}
}

// matchWith is match with the pass given: passPlain when the mode allows it, pass
// otherwise (and in the test holding the two equal).
func (k *kernel) matchWith(out *outcome, pass func(p0 int) (level int, reached uint32, end int, origin int64)) {
	if cap(k.prev) < len(k.ents) {
		k.prev = make([]int32, len(k.ents), 2*len(k.ents))
	}
	k.prev = k.prev[:len(k.ents)]
	for pos, firstPass := 0, true; pos < len(k.ents); firstPass = false {
		level, reached, end, origin := pass(pos)
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

// passPlain is pass when neither StrictOrder nor StrictDeduplication is set (AllowReentry
// needs StrictOrder), the funnel of every default Spec. The general pass branches on each
// entry's step, and a profile's steps come in no pattern a predictor can learn: those
// branches were most of its time. Here every entry takes the same path, its step only
// choosing which slot it reads and writes:
//
//   - slot s+1 holds the newest chain at step s (its anchor and last entry); slot 0 is a
//     chain that is always there, anchored at the entry being read, so that starting a
//     chain at step 0 is extending slot 0's. A step with no chain yet has the anchor
//     maxNano, after every event: the window check, on the unsigned difference, fails.
//   - an entry at step s always writes slot s+1, with slot s's anchor and itself as the
//     last entry. When it does not extend slot s's chain, either slot s has no chain
//     (nor then has slot s+1) or that chain is out of the window of this entry, hence of
//     every later one (times never decrease), and so is slot s+1's (an anchor no later
//     than slot s's): slot s+1 was dead and stays dead, whatever it holds. Its last
//     entry is only read when an entry extends it, and a chain's links (prev) are
//     written once and never changed.
//   - reached gains bits only when an entry extends a chain, in step order, so the level
//     is its length; the first chain to reach the deepest step is the last entry to set
//     a new bit; origin, the time of the newest step-0 entry, is slot 1's anchor.
//
// The only branch taken on the data ends the pass at a whole conversion. A property
// test holds it equal to pass.
func (k *kernel) passPlain(p0 int) (level int, reached uint32, end int, origin int64) {
	n, window := uint(k.p.n), k.p.window
	if window <= 0 {
		window = math.MaxInt64
	}
	var anchor [MaxSteps + 1]int64
	var last [MaxSteps + 1]int32
	for s := 1; s <= int(n); s++ {
		anchor[s] = maxNano
	}
	full := uint32(1) << (n - 1) // reached >= full: the pass has a whole conversion
	deep := int32(-1)
	end = -1
	ents := k.ents
	prev := k.prev[:len(ents)]
	for q := p0; q < len(ents); q++ {
		e := ents[q]
		s := uint(e.step) % MaxSteps
		anchor[0] = e.t
		a := anchor[s]
		anchor[s+1] = a
		prev[q] = last[s]
		last[s+1] = int32(q)
		var ok uint32
		if uint64(e.t-a) <= uint64(window) {
			ok = 1
		}
		r := reached | ok<<s
		if r != reached {
			deep = int32(q)
		}
		reached = r
		if reached >= full {
			end = q
			break
		}
	}
	if reached != 0 {
		level = bits.Len32(reached)
		k.first[level-1] = deep
		origin = anchor[1]
	}
	return
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

// noStep is the slot matchColumns reads for an event that matches no step: past the
// last step's (slot MaxSteps), never written, so never with a chain. Such an event
// then changes nothing, the same way as an event at a step with no chain before it,
// and takes no branch (in most event streams most events are no step).
const noStep = MaxSteps + 1

// slotOf returns the slot matchColumns reads for an event matching the steps m (at
// most one): step s's is s, noStep for none.
func slotOf(m uint32) uint8 {
	if m == 0 {
		return noStep
	}
	return uint8(bits.TrailingZeros32(m))
}

// matchColumns is match for a profile whose events come straight from a batch's
// columns, times strictly increasing and each event matching at most one step: the
// entries would be the events themselves, so it reads them in place (slots: per name
// id, slotOf its steps), out.path holding offsets into times. The mode must allow
// passPlain, which it follows slot for slot, one pass after another (the next pass
// starting after a whole conversion, as match does).
func (k *kernel) matchColumns(out *outcome, times []int64, events []uint32, slots []uint8) {
	if cap(k.prev) < len(times) {
		k.prev = make([]int32, len(times), 2*len(times))
	}
	prev := k.prev[:len(times)]
	events = events[:len(times)]
	window := k.p.window
	if window <= 0 {
		window = math.MaxInt64
	}
	full := uint64(1) << (k.p.n - 1)
	k.startPass()
	anchor, last := &k.anchor, &k.lastAt
	var reached uint64
	deep := int32(-1)
	for q, ts := range times {
		s := uint(slots[events[q]]) & 63
		anchor[0] = ts
		a := anchor[s]
		anchor[s+1] = a
		prev[q] = last[s]
		last[s+1] = int32(q)
		var ext uint64
		if uint64(ts-a) <= uint64(window) {
			ext = 1
		}
		r := reached | ext<<s
		if r != reached {
			deep = int32(q)
		}
		reached = r
		if reached >= full {
			k.endPass(out, reached, deep, prev, true)
			reached = 0
		}
	}
	if reached != 0 {
		k.endPass(out, reached, deep, prev, false)
	}
}

// startPass empties matchColumns's slots of steps for a new pass.
func (k *kernel) startPass() {
	k.anchor[noStep] = maxNano
	for s := 1; s <= k.p.n; s++ {
		k.anchor[s] = maxNano
	}
}

// endPass records a pass of matchColumns that reached some step, as match does: the
// steps reached and, for the profile's first pass, its level, origin and conversion;
// with next, it empties the slots for the next pass.
func (k *kernel) endPass(o *outcome, reached uint64, deep int32, prev []int32, next bool) {
	if len(o.passes) == 0 {
		o.level, o.origin = bits.Len64(reached), k.anchor[1]
		q := deep
		for s := o.level - 1; s > 0; s-- {
			o.path[s] = q
			q = prev[q]
		}
		o.path[0] = q
	}
	o.reached |= uint32(reached)
	o.passes = append(o.passes, uint32(reached))
	if next {
		k.startPass() // not after a profile's last pass: matchColumns starts with it
	}
}
