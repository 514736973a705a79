package loyalty

import (
	"math"
	"sort"
	"time"
)

// tierState evaluates a member's tier as the member's events arrive (see Ledger.Tier
// for the rules). Orders count towards tiers from their instant until Window later;
// the state moves forward through the instants at which something changes (an order
// leaves the window, a grace period ends) up to each new event, so its cost is a
// constant per event, amortised.
type tierState struct {
	level   int
	below   bool  // the qualifying total is below the threshold of level
	belowAt int64 // since when
	total   int64 // the qualifying total of the orders in the window
	win     []*order
	head    int          // win[head:] are in the window
	hist    []tierChange // every change up to the last event
	future  []tierChange // the changes after the last event if nothing else happens
	fresh   bool         // future is up to date
}

type tierChange struct {
	at       int64
	from, to int16
}

// qualifyingValue is what an order counts towards tiers: its points or amount, net of
// refunds.
func (r *Rules) qualifyingValue(o *order) int64 {
	if r.QualifyBy == BySpend {
		return o.amount - o.refunded
	}
	return o.points - o.reversed
}

// qualified returns the highest tier whose threshold total reaches.
func (r *Rules) qualified(total int64) int {
	return max(0, sort.Search(len(r.Tiers), func(i int) bool { return r.Tiers[i].Threshold > total })-1)
}

func (r *Rules) tiered() bool { return len(r.Tiers) > 1 }

// next returns the next instant at which the state changes without an event: an order
// leaving the window or the end of a grace period (math.MaxInt64 if none).
func (s *tierState) next(r *Rules) int64 {
	c := int64(math.MaxInt64)
	if s.head < len(s.win) {
		c = satAdd(s.win[s.head].at, int64(r.Window))
	}
	if s.below {
		c = min(c, satAdd(s.belowAt, int64(r.Grace)))
	}
	return c
}

func satAdd(a, b int64) int64 {
	if a > math.MaxInt64-b {
		return math.MaxInt64
	}
	return a + b
}

// advance moves the state through the instants before t (through t too when
// inclusive), recording the changes in out.
func (s *tierState) advance(r *Rules, t int64, inclusive bool, out *[]tierChange) {
	for {
		c := s.next(r)
		if c == math.MaxInt64 || c > t || (c == t && !inclusive) {
			return
		}
		s.leave(r, c)
		s.evaluate(r, c, out)
	}
}

// leave removes the orders whose window ended by c.
func (s *tierState) leave(r *Rules, c int64) {
	for s.head < len(s.win) && satAdd(s.win[s.head].at, int64(r.Window)) <= c {
		s.total -= r.qualifyingValue(s.win[s.head])
		s.head++
	}
}

// trim drops the orders that left the window from win. Only the member's own state
// trims: copies made by levelBefore and project share win's array and only read it.
func (s *tierState) trim() {
	if s.head > 64 && s.head > len(s.win)/2 {
		n := copy(s.win, s.win[s.head:])
		clear(s.win[n:])
		s.win, s.head = s.win[:n], 0
	}
}

// evaluate applies the tier rules at instant c: a total that reaches a higher tier
// lifts the member at once; one below the held tier's threshold starts the grace
// period, and at its end (at once with no grace) the member drops to the tier the
// total then reaches.
func (s *tierState) evaluate(r *Rules, c int64, out *[]tierChange) {
	q := r.qualified(s.total)
	if q >= s.level {
		s.below = false
		if q > s.level {
			*out = append(*out, tierChange{c, int16(s.level), int16(q)})
			s.level = q
		}
		return
	}
	if !s.below {
		s.below, s.belowAt = true, c
	}
	if c >= satAdd(s.belowAt, int64(r.Grace)) {
		*out = append(*out, tierChange{c, int16(s.level), int16(q)})
		s.level, s.below = q, false
	}
}

// earned counts order o, recorded at its instant, towards the member's tier.
func (s *tierState) earned(r *Rules, o *order) {
	if !r.tiered() {
		return
	}
	s.fresh = false
	s.advance(r, o.at, false, &s.hist)
	s.leave(r, o.at)
	s.trim()
	s.win = append(s.win, o)
	s.total += r.qualifyingValue(o)
	s.evaluate(r, o.at, &s.hist)
}

// reach moves the state up to instant at, before an event at that instant changes
// anything: the orders that leave the window by then leave with the values they had.
func (s *tierState) reach(r *Rules, at int64) {
	if !r.tiered() {
		return
	}
	s.fresh = false
	s.advance(r, at, false, &s.hist)
	s.leave(r, at)
}

// refunded takes what a refund at `at` removed from o's qualifying value (before, its
// value until then) off the total, if o is still in the window. reach(at) came first.
func (s *tierState) refunded(r *Rules, o *order, at, before int64) {
	if !r.tiered() {
		return
	}
	if satAdd(o.at, int64(r.Window)) > at {
		s.total -= before - r.qualifyingValue(o)
	}
	s.evaluate(r, at, &s.hist)
}

// levelBefore returns the tier held just before instant at, after every event
// recorded so far: the tier whose multiplier an order at `at` earns with.
func (s *tierState) levelBefore(r *Rules, at int64) int {
	if !r.tiered() {
		return 0
	}
	c := *s
	c.win = c.win[c.head:len(c.win):len(c.win)] // advance may only shorten the copy's view
	c.head = 0
	var none []tierChange
	c.advance(r, at, false, &none)
	return c.level
}

// project fills future with the changes that follow the last event if no other
// event comes: orders leaving the window and grace periods ending.
func (s *tierState) project(r *Rules) {
	if s.fresh {
		return
	}
	c := *s
	c.win = c.win[c.head:len(c.win):len(c.win)]
	c.head = 0
	s.future = s.future[:0]
	c.advance(r, math.MaxInt64, true, &s.future)
	s.fresh = true
}

// at returns the tier held at t and the instant it was reached (0 if it was never
// reached by a change: the base tier since the first event).
func (s *tierState) at(r *Rules, t int64) (level int, since int64) {
	s.project(r)
	for _, list := range [][]tierChange{s.future, s.hist} {
		i := sort.Search(len(list), func(i int) bool { return list[i].at > t })
		if i > 0 {
			return int(list[i-1].to), list[i-1].at
		}
	}
	return 0, 0
}

// TierChange is a member's move from one tier to another.
type TierChange struct {
	Member   uint32
	At       time.Time
	From, To string
}

func (r *Rules) tierName(level int) string {
	if level < len(r.Tiers) {
		return r.Tiers[level].Name
	}
	return ""
}

func (r *Rules) change(member uint32, c tierChange) TierChange {
	return TierChange{Member: member, At: time.Unix(0, c.at).UTC(), From: r.tierName(int(c.from)), To: r.tierName(int(c.to))}
}
