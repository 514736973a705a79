package loyalty

import (
	"cmp"
	"context"
	"iter"
	"slices"
	"time"
)

// Earn records that member placed order worth amount (minor units), with its lines,
// and credits the points it earns: Rules.Rate per currency unit, or the rate of each
// line's product or category, the whole order times the multiplier of the tier the
// member holds when the order is recorded, floored once. The points are one lot,
// locked for Rules.Lock (the returns window) and expiring as Rules.Expiry says; if the
// member is in debt, the lot repays it first. The lines add up to at most amount; the
// rest earns Rules.Rate. An order id is earned once ([ErrConflict] under another key).
// The record returned holds the points, the unlock and the expiry; a retry with the
// same key returns the first record.
// Its error is the event's fault when it wraps a refusal sentinel, and not when it is a
// done context's or the store's: see "Bulk apply from a queue" in the package doc.
func (l *Ledger) Earn(ctx context.Context, at time.Time, key string, member uint32, order string, amount int64, lines ...Line) (Record, error) {
	if l.zero() {
		return Record{}, errZeroLedger
	}
	return l.submit(ctx, Record{Kind: KindEarn, Key: key, At: at, Member: member, Order: order, Amount: amount, Lines: lines})
}

// Spend takes points from member's lots available at `at` (unlocked, not expired),
// earliest-expiring first (then earliest earned). More than the available points fails
// with [ErrInsufficient] and records nothing. A lot that expires at T is spent at T
// minus a nanosecond at the latest.
// Its error is the event's fault when it wraps a refusal sentinel, and not when it is a
// done context's or the store's: see "Bulk apply from a queue" in the package doc.
func (l *Ledger) Spend(ctx context.Context, at time.Time, key string, member uint32, points int64) (Record, error) {
	if l.zero() {
		return Record{}, errZeroLedger
	}
	return l.submit(ctx, Record{Kind: KindSpend, Key: key, At: at, Member: member, Points: points})
}

// Refund records the refund of amount (minor units) of an order, 0 meaning all that
// remains of it, and reverses the order's points in proportion: after refunds adding up
// to R of an order of amount A that earned P points, floor(P·R/A) points are reversed
// in all, so that partial refunds adding up to the whole reverse exactly P. Refunds of
// an order add up to at most its amount ([ErrRefundExceeds]); an unknown order is
// [ErrNotFound].
//
// The debt rule. The reversal comes first from the order's own lot, whatever is left
// of it (locked, available, or expired). What the lot no longer holds was spent (or
// taken by an earlier charge); it is charged to the member's other lots that are not
// expired, locked ones included, earliest-expiring first, and what they cannot cover
// becomes a debt: [Balance.Debt], repaid first from the member's next credited points.
// The balance never goes negative without that debt being recorded; a member in debt
// has no points to spend.
//
// Its error is the event's fault when it wraps a refusal sentinel, and not when it is a
// done context's or the store's: see "Bulk apply from a queue" in the package doc.
func (l *Ledger) Refund(ctx context.Context, at time.Time, key string, order string, amount int64) (Record, error) {
	if l.zero() {
		return Record{}, errZeroLedger
	}
	return l.submit(ctx, Record{Kind: KindRefund, Key: key, At: at, Order: order, Amount: amount})
}

// Bonus credits member with points for reason (a sign-up, a birthday, a campaign), as
// a lot that is not locked and expires as Rules.Expiry says. Bonuses do not count
// towards tiers and earn no multiplier. If the member is in debt, the bonus repays it
// first.
// Its error is the event's fault when it wraps a refusal sentinel, and not when it is a
// done context's or the store's: see "Bulk apply from a queue" in the package doc.
func (l *Ledger) Bonus(ctx context.Context, at time.Time, key string, member uint32, points int64, reason string) (Record, error) {
	if l.zero() {
		return Record{}, errZeroLedger
	}
	return l.submit(ctx, Record{Kind: KindBonus, Key: key, At: at, Member: member, Points: points, Reason: reason})
}

// Adjust corrects member's points by points for reason: a positive adjustment is a
// credit like a bonus, a negative one is charged like a refund's shortfall (lots not
// expired, locked ones included, earliest-expiring first, and the rest as debt).
// Its error is the event's fault when it wraps a refusal sentinel, and not when it is a
// done context's or the store's: see "Bulk apply from a queue" in the package doc.
func (l *Ledger) Adjust(ctx context.Context, at time.Time, key string, member uint32, points int64, reason string) (Record, error) {
	if l.zero() {
		return Record{}, errZeroLedger
	}
	return l.submit(ctx, Record{Kind: KindAdjust, Key: key, At: at, Member: member, Points: points, Reason: reason})
}

// Balance returns member's points as of at: the events dated no later, and the locks
// and expiries at that instant. An unknown member has a zero balance.
func (l *Ledger) Balance(at time.Time, member uint32) Balance {
	if l.zero() {
		return Balance{}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	m := l.st.members[member]
	if m == nil {
		return Balance{}
	}
	return m.balance(nanos(at))
}

// Lot is what remains of one credit of points as of an instant.
type Lot struct {
	Earned, UnlockAt, ExpiresAt time.Time // ExpiresAt zero: never
	Points, Remaining           int64
}

// Lots returns member's lots with points left that are not expired as of at, in the
// order Spend consumes them: earliest-expiring first, then earliest earned.
func (l *Ledger) Lots(at time.Time, member uint32) []Lot {
	if l.zero() {
		return nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	m := l.st.members[member]
	if m == nil {
		return nil
	}
	t := nanos(at)
	k := int32(len(m.times))
	for k > 0 && m.times[k-1] > t {
		k--
	}
	var idx []int32
	for i := range m.lots {
		lt := &m.lots[i]
		if !lt.present(k) || t >= lt.expires {
			continue
		}
		if s, tk := lt.totalsBefore(k); lt.points-s-tk > 0 {
			idx = append(idx, int32(i))
		}
	}
	slices.SortFunc(idx, func(a, b int32) int {
		if m.spendsBefore(a, b) {
			return -1
		}
		return 1
	})
	if len(idx) == 0 {
		return nil
	}
	out := make([]Lot, len(idx))
	for j, i := range idx {
		lt := &m.lots[i]
		s, tk := lt.totalsBefore(k)
		out[j] = Lot{Earned: time.Unix(0, lt.earned).UTC(), UnlockAt: time.Unix(0, lt.unlock).UTC(), Points: lt.points, Remaining: lt.points - s - tk}
		if lt.expires != never {
			out[j].ExpiresAt = time.Unix(0, lt.expires).UTC()
		}
	}
	return out
}

// TierStatus is the tier a member holds at an instant.
type TierStatus struct {
	Level int       // index in Rules.Tiers
	Name  string    // Rules.Tiers[Level].Name
	Since time.Time // when the member reached it; zero for the base tier never left
}

// Tier returns the tier member holds at `at`, as of every event recorded so far, at
// any instant, past or future.
//
// The rules: an order counts towards tiers (its points or its amount, Rules.QualifyBy,
// net of refunds dated no later) from its instant until Rules.Window later; a refund
// after the order left the window changes nothing. Whenever the qualifying total
// reaches a higher tier's threshold the member reaches that tier at once. When the
// total falls below the held tier's threshold, the member keeps the tier for
// Rules.Grace; if the total reaches it again within the grace the tier is kept,
// otherwise at the end of the grace the member drops to the tier the total then
// reaches. Events at one instant are evaluated one after another in ledger order;
// an order leaving the window at the instant of an event leaves before the event.
func (l *Ledger) Tier(at time.Time, member uint32) TierStatus {
	if l.zero() {
		return TierStatus{}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	var level int
	var since int64
	if m := l.st.members[member]; m != nil && l.rules.tiered() {
		level, since = m.tier.at(&l.rules, nanos(at))
	}
	s := TierStatus{Level: level, Name: l.rules.tierName(level)}
	if since != 0 {
		s.Since = time.Unix(0, since).UTC()
	}
	return s
}

// TierHistory returns member's tier changes up to until, in time order: those the
// recorded events caused and those time causes after them if no other event comes.
func (l *Ledger) TierHistory(until time.Time, member uint32) []TierChange {
	if l.zero() {
		return nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	m := l.st.members[member]
	if m == nil || !l.rules.tiered() {
		return nil
	}
	var out []TierChange
	l.changesOf(m, mintime, nanos(until), &out)
	return out
}

const mintime = -1 << 63

func (l *Ledger) changesOf(m *member, after, until int64, out *[]TierChange) {
	m.tier.project(&l.rules)
	for _, list := range [][]tierChange{m.tier.hist, m.tier.future} {
		for _, c := range list {
			if c.at > after && c.at <= until {
				*out = append(*out, l.rules.change(m.id, c))
			}
		}
	}
}

// TierChanges yields every member's tier changes in (after, until], by time and then
// member: what a host applies to segment tags on a ticker (see [WithOnTier]).
func (l *Ledger) TierChanges(after, until time.Time) iter.Seq[TierChange] {
	if l.zero() {
		return func(func(TierChange) bool) {}
	}
	return func(yield func(TierChange) bool) {
		var out []TierChange
		l.mu.Lock()
		if l.rules.tiered() {
			for _, m := range l.st.members {
				l.changesOf(m, nanos(after), nanos(until), &out)
			}
		}
		l.mu.Unlock()
		slices.SortStableFunc(out, func(a, b TierChange) int {
			return cmp.Or(a.At.Compare(b.At), cmp.Compare(a.Member, b.Member))
		})
		for _, c := range out {
			if !yield(c) {
				return
			}
		}
	}
}
