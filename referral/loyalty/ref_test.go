package loyalty_test

import (
	"cmp"
	"slices"
	"time"

	"github.com/clientele-go/clientele/referral/loyalty"
)

// refLedger is the reference model of the lot rules, written from their definition
// and not from the code: a list of lots per member, scanned naively, and a history of
// accepted events that a query as of t replays from the start.
type refLedger struct {
	rules  loyalty.Rules // Unit 100, no tiers
	events []loyalty.Record
}

type refLot struct {
	idx                     int
	earned, unlock, expires time.Time // expires zero: never
	points, left, spent     int64
}

type refOrder struct {
	member                             uint32
	amount, refunded, points, reversed int64
	lot                                *refLot
}

type refState struct {
	lots    map[uint32][]*refLot
	debt    map[uint32]int64
	orders  map[string]*refOrder
	n       int
	merged  map[uint32]uint32    // absorbed -> survivor
	last    map[uint32]time.Time // each member's last event
	lastAny time.Time
}

// resolve follows merges: the member whose events m's events now are.
func (s *refState) resolve(m uint32) uint32 {
	for {
		into, ok := s.merged[m]
		if !ok {
			return m
		}
		m = into
	}
}

// mergeDate is, from ApplyMerge's definition, the later of the two members' last
// events, else the ledger's last event, else the Unix epoch.
func (s *refState) mergeDate(a, b uint32) time.Time {
	la, lb := s.last[s.resolve(a)], s.last[s.resolve(b)]
	switch {
	case la.IsZero() && lb.IsZero():
		if s.lastAny.IsZero() {
			return time.Unix(0, 0).UTC()
		}
		return s.lastAny
	case la.After(lb):
		return la
	}
	return lb
}

func (r *refLedger) expiry(at time.Time) time.Time {
	loc := r.rules.Location
	if loc == nil {
		loc = time.UTC
	}
	t := at.In(loc)
	switch r.rules.Expiry.Rule {
	case loyalty.AfterDays:
		return t.AddDate(0, 0, r.rules.Expiry.N)
	case loyalty.EndOfMonth:
		return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, loc).AddDate(0, r.rules.Expiry.N+1, 0)
	case loyalty.EndOfYear:
		return time.Date(t.Year()+r.rules.Expiry.N+1, 1, 1, 0, 0, 0, 0, loc)
	}
	return time.Time{}
}

func expired(l *refLot, t time.Time) bool { return !l.expires.IsZero() && !t.Before(l.expires) }

// order of spending: earliest expiry (never last), then earliest earned, then creation.
func spendOrder(a, b *refLot) int {
	ae, be := a.expires, b.expires
	switch {
	case ae.IsZero() && !be.IsZero():
		return 1
	case !ae.IsZero() && be.IsZero():
		return -1
	}
	return cmp.Or(ae.Compare(be), a.earned.Compare(b.earned), cmp.Compare(a.idx, b.idx))
}

func (r *refLedger) rate(l loyalty.Line) int64 {
	if v, ok := r.rules.Products[l.Product]; ok && l.Product != "" {
		return v
	}
	if v, ok := r.rules.Categories[l.Category]; ok && l.Category != "" {
		return v
	}
	if r.rules.Rate == 0 {
		return 1
	}
	return r.rules.Rate
}

// run replays the accepted events dated no later than t, and ev after them if ev is
// not nil, reporting whether ev is accepted.
func (r *refLedger) run(t time.Time, ev *loyalty.Record) (*refState, bool) {
	s := &refState{lots: map[uint32][]*refLot{}, debt: map[uint32]int64{}, orders: map[string]*refOrder{},
		merged: map[uint32]uint32{}, last: map[uint32]time.Time{}}
	for i := range r.events {
		if !r.events[i].At.After(t) {
			s.apply(r, &r.events[i])
		}
	}
	if ev == nil {
		return s, true
	}
	return s, s.apply(r, ev)
}

func (s *refState) credit(m uint32, at, unlock, expires time.Time, points int64) *refLot {
	s.n++
	l := &refLot{idx: s.n, earned: at, unlock: unlock, expires: expires, points: points, left: points}
	repay := min(s.debt[m], points)
	l.left -= repay
	s.debt[m] -= repay
	s.lots[m] = append(s.lots[m], l)
	return l
}

// take takes n points from member m's lots that pass ok, in spending order (counting
// them as spent when spend), and returns what they could not cover.
func (s *refState) take(m uint32, n int64, spend bool, ok func(*refLot) bool) int64 {
	var c []*refLot
	for _, l := range s.lots[m] {
		if l.left > 0 && ok(l) {
			c = append(c, l)
		}
	}
	slices.SortFunc(c, spendOrder)
	for _, l := range c {
		t := min(n, l.left)
		l.left -= t
		if spend {
			l.spent += t
		}
		n -= t
	}
	return n
}

func (s *refState) apply(r *refLedger, e *loyalty.Record) bool {
	ok := s.apply1(r, e)
	if ok {
		m := s.resolve(e.Member)
		if o := s.orders[e.Order]; e.Kind == loyalty.KindRefund && o != nil {
			m = o.member
		}
		s.last[m] = e.At
		if e.At.After(s.lastAny) {
			s.lastAny = e.At
		}
	}
	return ok
}

func (s *refState) apply1(r *refLedger, e *loyalty.Record) bool {
	at := e.At
	ev := *e
	ev.Member = s.resolve(ev.Member) // an absorbed member's events are the survivor's
	switch ev.Kind {
	case loyalty.KindMerge:
		// The definition: the survivor's lot list becomes the union of the two (the
		// absorbed's after the survivor's where the spending order ties), the orders
		// follow, and the two debts are charged to the union like a refund's.
		sv, ab := ev.Member, s.resolve(ev.Absorbed)
		if sv == ab {
			return true
		}
		s.merged[ab] = sv
		for _, l := range s.lots[ab] {
			s.n++
			l.idx = s.n
		}
		s.lots[sv] = append(s.lots[sv], s.lots[ab]...)
		delete(s.lots, ab)
		for _, o := range s.orders {
			if o.member == ab {
				o.member = sv
			}
		}
		d := s.debt[sv] + s.debt[ab]
		s.debt[sv], s.debt[ab] = 0, 0
		s.debt[sv] = s.take(sv, d, false, func(l *refLot) bool { return !expired(l, at) })
	case loyalty.KindEarn:
		if s.orders[ev.Order] != nil {
			return false
		}
		var sum, rest int64 = 0, ev.Amount
		for _, l := range ev.Lines {
			sum += l.Amount * r.rate(l)
			rest -= l.Amount
		}
		rate := r.rules.Rate
		if rate == 0 {
			rate = 1
		}
		pts := (sum + rest*rate) / 100
		o := &refOrder{member: ev.Member, amount: ev.Amount, points: pts}
		if pts > 0 {
			o.lot = s.credit(ev.Member, at, at.Add(r.rules.Lock), r.expiry(at), pts)
		}
		s.orders[ev.Order] = o
	case loyalty.KindBonus:
		s.credit(ev.Member, at, at, r.expiry(at), ev.Points)
	case loyalty.KindAdjust:
		if ev.Points > 0 {
			s.credit(ev.Member, at, at, r.expiry(at), ev.Points)
		} else {
			s.debt[ev.Member] += s.take(ev.Member, -ev.Points, false, func(l *refLot) bool { return !expired(l, at) })
		}
	case loyalty.KindSpend:
		spendable := func(l *refLot) bool { return !at.Before(l.unlock) && !expired(l, at) }
		var avail int64
		for _, l := range s.lots[ev.Member] {
			if spendable(l) {
				avail += l.left
			}
		}
		if avail < ev.Points {
			return false
		}
		s.take(ev.Member, ev.Points, true, spendable)
	case loyalty.KindRefund:
		o := s.orders[ev.Order]
		if o == nil {
			return false
		}
		amount := ev.Amount
		if amount == 0 {
			amount = o.amount - o.refunded
		}
		if amount == 0 || o.refunded+amount > o.amount {
			return false
		}
		o.refunded += amount
		// The reversal in all is floor(points × refunded / amount), from the definition.
		total := o.points * o.refunded / o.amount
		rev := total - o.reversed
		o.reversed = total
		if o.lot != nil {
			t := min(rev, o.lot.left)
			o.lot.left -= t
			rev -= t
		}
		s.debt[o.member] += s.take(o.member, rev, false, func(l *refLot) bool { return !expired(l, at) })
	}
	return true
}

func (r *refLedger) balance(m uint32, t time.Time) loyalty.Balance {
	s, _ := r.run(t, nil)
	var b loyalty.Balance
	for _, l := range s.lots[m] {
		switch {
		case expired(l, t):
			b.Expired += l.left
		case t.Before(l.unlock):
			b.Locked += l.left
		default:
			b.Available += l.left
		}
	}
	b.Debt = s.debt[m]
	return b
}

// lots returns member m's lots with points left and not expired at t, in spending order.
func (r *refLedger) lots(m uint32, t time.Time) []loyalty.Lot {
	s, _ := r.run(t, nil)
	var c []*refLot
	for _, l := range s.lots[m] {
		if l.left > 0 && !expired(l, t) {
			c = append(c, l)
		}
	}
	slices.SortFunc(c, spendOrder)
	var out []loyalty.Lot
	for _, l := range c {
		out = append(out, loyalty.Lot{Earned: l.earned.UTC(), UnlockAt: l.unlock.UTC(), ExpiresAt: l.expires.UTC(), Points: l.points, Remaining: l.left})
		if l.expires.IsZero() {
			out[len(out)-1].ExpiresAt = time.Time{}
		}
	}
	return out
}

// cohorts returns, per earn month in the rules' location (its first instant, Unix
// seconds), the points spent, expired and outstanding as of t over every member's lots.
func (r *refLedger) cohorts(t time.Time) map[int64][3]int64 {
	s, _ := r.run(t, nil)
	loc := r.rules.Location
	if loc == nil {
		loc = time.UTC
	}
	out := map[int64][3]int64{}
	for _, lots := range s.lots {
		for _, l := range lots {
			e := l.earned.In(loc)
			mo := time.Date(e.Year(), e.Month(), 1, 0, 0, 0, 0, loc).Unix()
			c := out[mo]
			c[0] += l.spent
			if expired(l, t) {
				c[1] += l.left
			} else {
				c[2] += l.left
			}
			out[mo] = c
		}
	}
	return out
}
