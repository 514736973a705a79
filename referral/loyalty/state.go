package loyalty

import (
	"math"
	"math/bits"
	"slices"
	"sort"
)

// never is the expiry of a lot that never expires.
const never = math.MaxInt64

// A lot is the points of one credit (an order, a bonus, a positive adjustment), with
// the instant they were earned, unlock and expire. Points leave a lot by spending
// (spent) or by being taken back (taken: a refund's reversal, a charge for a refund of
// points already spent, a negative adjustment, the repayment of a debt); what remains
// of a lot past its expiry is expired.
type lot struct {
	seq                     int32 // the member's event that created it
	earned, unlock, expires int64 // Unix nanoseconds; expires is never for no expiry
	points                  int64
	uses                    []use // cumulative totals after each event that touched the lot
	gone                    int32 // the member's event that moved the lot to another member (a merge); noMove if none
}

const noMove = math.MaxInt32

// present reports whether the lot belongs to the member after its events before seq k.
func (l *lot) present(k int32) bool { return l.seq < k && l.gone >= k }

// use is a lot's cumulative totals after the member's event seq.
type use struct {
	seq          int32
	spent, taken int64
}

func (l *lot) totals() (spent, taken int64) {
	if n := len(l.uses); n > 0 {
		return l.uses[n-1].spent, l.uses[n-1].taken
	}
	return 0, 0
}

// totalsBefore returns the totals after the member's events before seq k.
func (l *lot) totalsBefore(k int32) (spent, taken int64) {
	i := sort.Search(len(l.uses), func(i int) bool { return l.uses[i].seq >= k })
	if i == 0 {
		return 0, 0
	}
	return l.uses[i-1].spent, l.uses[i-1].taken
}

func (l *lot) remaining() int64 {
	s, t := l.totals()
	return l.points - s - t
}

// add records that event seq spent and took points of the lot.
func (l *lot) add(seq int32, spent, taken int64) {
	s, t := l.totals()
	if n := len(l.uses); n > 0 && l.uses[n-1].seq == seq {
		l.uses[n-1].spent, l.uses[n-1].taken = s+spent, t+taken
		return
	}
	l.uses = append(l.uses, use{seq: seq, spent: s + spent, taken: t + taken})
}

// order is an earned order: its amount and points and what refunds took back.
type order struct {
	m                *member
	lot              int32 // index in m.lots; -1 when the order earned no points
	at               int64
	amount, refunded int64
	points, reversed int64
}

// member is one member's ledger state.
type member struct {
	id     uint32
	times  []int64  // the instant of each of the member's events, in ledger order (non-decreasing)
	lots   []lot    // in creation order
	orders []*order // the orders whose points and tier value are the member's
	live   []int32  // the lots with points left that are not expired as of the last event, in spending order
	debt   []debt   // the debt after each event that changed it
	tier   tierState
}

// debt is the member's debt (points owed: a refund reversed points already spent and
// nothing was left to take them from) after event seq.
type debt struct {
	seq    int32
	points int64
}

func (m *member) debtNow() int64 {
	if n := len(m.debt); n > 0 {
		return m.debt[n-1].points
	}
	return 0
}

func (m *member) setDebt(seq int32, d int64) {
	if n := len(m.debt); n > 0 && m.debt[n-1].seq == seq {
		m.debt[n-1].points = d
		return
	}
	m.debt = append(m.debt, debt{seq, d})
}

// last returns the instant of the member's last event (math.MinInt64 if none).
func (m *member) last() int64 {
	if n := len(m.times); n > 0 {
		return m.times[n-1]
	}
	return math.MinInt64
}

// spendsBefore reports whether lot a is spent before lot b: earliest expiry first, then
// earliest earned, then the order of creation.
func (m *member) spendsBefore(a, b int32) bool {
	la, lb := &m.lots[a], &m.lots[b]
	if la.expires != lb.expires {
		return la.expires < lb.expires
	}
	if la.earned != lb.earned {
		return la.earned < lb.earned
	}
	return a < b
}

// addLot credits points earned at `at` (the member's event seq) as a new lot. A debt is
// repaid from it first.
func (m *member) addLot(seq int32, at, unlock, expires, points int64) int32 {
	i := int32(len(m.lots))
	m.lots = append(m.lots, lot{seq: seq, earned: at, unlock: unlock, expires: expires, points: points, gone: noMove})
	if d := m.debtNow(); d > 0 {
		r := min(d, points)
		m.lots[i].add(seq, 0, r)
		m.setDebt(seq, d-r)
	}
	if m.lots[i].remaining() > 0 && expires > at {
		j := sort.Search(len(m.live), func(j int) bool { return m.spendsBefore(i, m.live[j]) })
		m.live = slices.Insert(m.live, j, i)
	}
	return i
}

// available returns the points that can be spent at `at`: unlocked and not expired.
func (m *member) available(at int64) int64 {
	var n int64
	for _, i := range m.live {
		if l := &m.lots[i]; l.unlock <= at && at < l.expires {
			n += l.remaining()
		}
	}
	return n
}

// spend consumes n points available at `at`, earliest-expiring first; the caller has
// checked that there are enough.
func (m *member) spend(seq int32, at, n int64) {
	for _, i := range m.live {
		if n == 0 {
			break
		}
		l := &m.lots[i]
		if l.unlock > at || at >= l.expires {
			continue
		}
		t := min(n, l.remaining())
		l.add(seq, t, 0)
		n -= t
	}
	m.compact(at)
}

// charge takes n points back from the lots not expired at `at`, locked ones included,
// earliest-expiring first, and records what they cannot cover as debt.
func (m *member) charge(seq int32, at, n int64) {
	for _, i := range m.live {
		if n == 0 {
			break
		}
		l := &m.lots[i]
		if at >= l.expires {
			continue
		}
		t := min(n, l.remaining())
		l.add(seq, 0, t)
		n -= t
	}
	if n > 0 {
		m.setDebt(seq, m.debtNow()+n)
	}
	m.compact(at)
}

// compact drops from live the lots that are empty or expired at `at`: the member's
// later events are no earlier, so those lots can never give points again.
func (m *member) compact(at int64) {
	m.live = slices.DeleteFunc(m.live, func(i int32) bool {
		l := &m.lots[i]
		return l.remaining() <= 0 || at >= l.expires
	})
}

// reversal returns the points a refund of amount reverses: the order's points times the
// share of its amount refunded so far, floored, minus what earlier refunds reversed, so
// that partial refunds adding up to the whole reverse exactly the whole. The product
// is taken in 128 bits (points and amounts may each be near 2^50).
func (o *order) reversal(amount int64) int64 {
	hi, lo := bits.Mul64(uint64(o.points), uint64(o.refunded+amount))
	q, _ := bits.Div64(hi, lo, uint64(o.amount)) // hi < amount: refunded+amount <= amount
	return int64(q) - o.reversed
}

// Balance is a member's points as of an instant. Available can be spent; Locked is in
// its returns window; Debt is points owed (a refund reversed points already spent, see
// Ledger.Refund), repaid first from the next points credited, and is positive only
// while Available and Locked are 0. Expired counts every point that expired by then.
type Balance struct {
	Available, Locked, Debt, Expired int64
}

// Net returns Available + Locked - Debt: the member's points, negative while in debt.
func (b Balance) Net() int64 { return b.Available + b.Locked - b.Debt }

// balance returns the member's balance as of t (Unix nanoseconds): the events dated no
// later than t, and the lots' locks and expiries at t.
func (m *member) balance(t int64) Balance {
	k := int32(sort.Search(len(m.times), func(i int) bool { return m.times[i] > t }))
	var b Balance
	for i := range m.lots {
		l := &m.lots[i]
		if l.seq >= k {
			break
		}
		if !l.present(k) {
			continue
		}
		s, tk := l.totalsBefore(k)
		rem := l.points - s - tk
		switch {
		case t >= l.expires:
			b.Expired += rem
		case t < l.unlock:
			b.Locked += rem
		default:
			b.Available += rem
		}
	}
	if i := sort.Search(len(m.debt), func(i int) bool { return m.debt[i].seq >= k }); i > 0 {
		b.Debt = m.debt[i-1].points
	}
	return b
}
