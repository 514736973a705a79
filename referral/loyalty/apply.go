package loyalty

import (
	"fmt"
	"time"

	"github.com/clientele-go/clientele/internal/english"
)

// state is the ledger's state: every record applied, by key, and what they add up to.
type state struct {
	rules   *Rules
	keys    map[string]*Record
	orders  map[string]*order
	members map[uint32]*member
	merged  map[uint32]uint32 // an absorbed member -> the member that absorbed it
	last    int64             // the latest instant of any record (0: none)
	volume  int64             // the amounts and points of every record so far: see maxVolume
	slab    []Record          // where applied records live: the keys point into slabs
	oslab   []order           // where orders live, allocated as slab is
	mslab   []member          // where members live, allocated as slab is
	// A new member's first memberCap event times, lots, orders, live lots and tier
	// changes are carved from these, so that a member with a few events costs no
	// allocation of its own (growing each slice from nothing was a tenth of a one-event
	// call's CPU).
	times []int64
	lots  []lot
	ords  []*order
	live  []int32
	hist  []tierChange
}

// memberCap is how many of each a new member has room for before its slices grow: two
// spares a member's second event the allocations, and costs a member with one event
// a slot of each (about 100 bytes).
const memberCap = 2

// carve returns an empty slice with room for n, cut from *slab (refilled with room for
// 1,024 when short). Its capacity stops at n, so an append beyond it moves the slice
// out rather than into its neighbour's room.
func carve[T any](slab *[]T, n int) []T {
	if len(*slab) < n {
		*slab = make([]T, 1024*n)
	}
	s := (*slab)[:0:n]
	*slab = (*slab)[n:]
	return s
}

func newState(r *Rules) *state {
	return &state{rules: r, keys: map[string]*Record{}, orders: map[string]*order{}, members: map[uint32]*member{}, merged: map[uint32]uint32{}}
}

func (s *state) member(id uint32) *member {
	m := s.members[id]
	if m == nil {
		if len(s.mslab) == cap(s.mslab) {
			s.mslab = make([]member, 0, 64)
		}
		s.mslab = append(s.mslab, member{id: id})
		m = &s.mslab[len(s.mslab)-1]
		m.times, m.lots, m.live = carve(&s.times, memberCap), carve(&s.lots, memberCap), carve(&s.live, memberCap)
		m.orders, m.tier.win = carve(&s.ords, memberCap), carve(&s.ords, memberCap)
		m.tier.hist = carve(&s.hist, memberCap)
		s.members[id] = m
	}
	return m
}

// check checks r, whose shape checkShape accepted, against the ledger: the member's
// events come in time order, an order id is earned once, a spend is covered, a refund
// names a known order and does not exceed it. It changes nothing.
func (s *state) check(r *Record, input bool) error {
	if r.Kind == KindMerge {
		return s.checkMerge(r)
	}
	if into, ok := s.merged[r.Member]; ok {
		return fmt.Errorf("%w: %s event %q: member %d was merged into member %d", ErrInvalid, r.Kind, r.Key, r.Member, into)
	}
	at := r.At.UnixNano()
	member := r.Member
	var o *order
	if r.Kind == KindRefund {
		if o = s.orders[r.Order]; o == nil {
			return fmt.Errorf("%w: refund event %q: order %q", ErrNotFound, r.Key, r.Order)
		}
		if member != 0 && member != o.m.id {
			return fmt.Errorf("%w: refund event %q: order %q is member %d's, not member %d's", ErrInvalid, r.Key, r.Order, o.m.id, member)
		}
		member = o.m.id
	}
	m := s.members[member]
	if m != nil && at < m.last() {
		return fmt.Errorf("%w: %s event %q: dated %v, before member %d's last event (%v): a member's events are recorded in time order",
			ErrInvalid, r.Kind, r.Key, r.At, member, time.Unix(0, m.last()).UTC())
	}
	switch r.Kind {
	case KindEarn:
		if s.orders[r.Order] != nil {
			return fmt.Errorf("%w: earn event %q: order %q already earned", ErrConflict, r.Key, r.Order)
		}
	case KindSpend:
		var avail int64
		if m != nil {
			avail = m.available(at)
		}
		if avail < r.Points {
			return fmt.Errorf("%w: spend event %q: %s, member %d has %d available at %v", ErrInsufficient, r.Key, english.Count(r.Points, "point"), member, avail, r.At)
		}
	case KindRefund:
		rest := o.amount - o.refunded
		if rest == 0 || r.Amount > rest {
			return fmt.Errorf("%w: refund event %q: %d of order %q, of which %d of %d is left to refund", ErrRefundExceeds, r.Key, r.Amount, r.Order, rest, o.amount)
		}
		if !input {
			amount := r.Amount
			if amount == 0 {
				amount = rest
			}
			if want := o.reversal(amount); r.Points != want {
				return fmt.Errorf("%w: refund event %q reverses %s where the order's refunds reverse %d", ErrCorrupt, r.Key, english.Count(r.Points, "point"), want)
			}
		}
	}
	if !input {
		// A stored record carries its points; an input event's are known once decided
		// (see Ledger.decideLocked).
		return s.checkVolume(r)
	}
	return nil
}

// maxVolume bounds a ledger's volume: the order amounts of its earns plus the points of
// its credits and negative adjustments, over every record. Every balance, debt, tier
// total and liability sum is a part of that volume, so bounding it keeps them all
// inside int64; without it 923 orders at the largest amount, rate and multiplier sum
// past 2^63 and a balance turns negative without a word. 2^62 (about 4.6e18) is far
// beyond any programme's lifetime.
const maxVolume = 1 << 62

// volumeOf returns what r adds to the ledger's volume (at most maxAmount plus the
// points of one order, far below maxVolume).
func volumeOf(r *Record) int64 {
	switch r.Kind {
	case KindEarn:
		return r.Amount + r.Points
	case KindBonus:
		return r.Points
	case KindAdjust:
		if r.Points < 0 {
			return -r.Points
		}
		return r.Points
	}
	return 0
}

// checkVolume refuses r, decided, if it would bring the ledger's volume past maxVolume.
func (s *state) checkVolume(r *Record) error {
	if v := volumeOf(r); v > maxVolume-s.volume {
		return fmt.Errorf("%w: %s event %q: the ledger has recorded amounts and points of %d in all, and %d more would pass its limit of 2^62 (%d), beyond which balances and totals could overflow",
			ErrInvalid, r.Kind, r.Key, s.volume, v, int64(maxVolume))
	}
	return nil
}

// decide fills in what the ledger decides about ev, an input event that check
// accepted: the points of an order (at the multiplier of the tier held when it is
// recorded), when a credit unlocks and expires, the member and points of a refund.
func (s *state) decide(ev *Record) {
	at := ev.At.UnixNano()
	r := s.rules
	expires := func() time.Time {
		if x := r.expiry(ev.At); x != never {
			return time.Unix(0, x).UTC()
		}
		return time.Time{}
	}
	switch ev.Kind {
	case KindEarn:
		level := 0
		if m := s.members[ev.Member]; m != nil {
			level = m.tier.levelBefore(r, at)
		}
		ev.Points = r.points(ev.Amount, ev.Lines, r.multiplier(level))
		ev.UnlockAt = ev.At.Add(r.Lock).UTC()
		if ev.UnlockAt.After(lastInstant) {
			ev.UnlockAt = lastInstant.UTC() // locked past the ledger's time range
		}
		ev.ExpiresAt = expires()
	case KindBonus:
		ev.ExpiresAt = expires()
	case KindAdjust:
		if ev.Points > 0 {
			ev.ExpiresAt = expires()
		}
	case KindRefund:
		o := s.orders[ev.Order]
		ev.Member = o.m.id
		amount := ev.Amount
		if amount == 0 {
			amount = o.amount - o.refunded
		}
		ev.Points = o.reversal(amount)
	}
}

// apply adds r, which check accepted, to the state.
func (s *state) apply(r *Record) {
	s.keys[r.Key] = r
	s.last = max(s.last, r.At.UnixNano())
	s.volume += volumeOf(r)
	if r.Kind == KindMerge {
		s.merge(r)
		return
	}
	m := s.member(r.Member)
	at := r.At.UnixNano()
	seq := int32(len(m.times))
	m.times = append(m.times, at)
	credit := func() int32 {
		unlock, expires := at, int64(never)
		if !r.UnlockAt.IsZero() {
			unlock = nanos(r.UnlockAt)
		}
		if !r.ExpiresAt.IsZero() {
			expires = nanos(r.ExpiresAt)
		}
		return m.addLot(seq, at, unlock, expires, r.Points)
	}
	switch r.Kind {
	case KindEarn:
		// Orders are kept for good (by id and by member): allocated 256 at a time, as
		// records are, they cost the collector one object a slab.
		if len(s.oslab) == cap(s.oslab) {
			s.oslab = make([]order, 0, 256)
		}
		s.oslab = append(s.oslab, order{m: m, lot: -1, at: at, amount: r.Amount, points: r.Points})
		o := &s.oslab[len(s.oslab)-1]
		s.orders[r.Order] = o
		m.orders = append(m.orders, o)
		if r.Points > 0 {
			o.lot = credit()
		}
		m.tier.earned(s.rules, o)
	case KindBonus:
		credit()
	case KindAdjust:
		if r.Points > 0 {
			credit()
		} else {
			m.charge(seq, at, -r.Points)
		}
	case KindSpend:
		m.spend(seq, at, r.Points)
	case KindRefund:
		o := s.orders[r.Order]
		m.tier.reach(s.rules, at)
		before := s.rules.qualifyingValue(o)
		amount := r.Amount
		if amount == 0 {
			amount = o.amount - o.refunded
		}
		o.refunded += amount
		o.reversed += r.Points
		rest := r.Points
		if o.lot >= 0 {
			// The order's own points go first, whatever their state: locked (the usual
			// return within the window), available, or expired (then they leave the
			// expired count, since the order that earned them is undone).
			l := &m.lots[o.lot]
			t := min(rest, l.remaining())
			l.add(seq, 0, t)
			rest -= t
		}
		m.charge(seq, at, rest)
		m.tier.refunded(s.rules, o, at, before)
	}
}
