package referral

import (
	"fmt"
	"slices"
	"time"
)

// checkRefund returns the order that refund ev takes back (part of), or why it may not:
// the order must be known, placed no later than the refund and not yet fully refunded,
// and the refunds of one order may not add up to more than its amount.
func (s *state) checkRefund(ev *Record) (*Record, error) {
	o := s.orders[ev.Order]
	switch {
	case ev.Order == "":
		return nil, fmt.Errorf("%w: field Order: missing order id", ErrInvalid)
	case o == nil:
		return nil, fmt.Errorf("%w: order %q", ErrNotFound, ev.Order)
	case ev.At.Before(o.At):
		return nil, fmt.Errorf("%w: order %q placed %v, refunded %v", ErrRefundBeforeOrder, ev.Order, o.At.Format(time.RFC3339), ev.At.Format(time.RFC3339))
	case s.fullyRefunded(o):
		return nil, fmt.Errorf("%w: order %q of %d already fully refunded", ErrConflict, ev.Order, o.Amount)
	}
	if done := s.refunded(ev.Order); ev.Amount > o.Amount-done {
		return nil, fmt.Errorf("%w: order %q of %d with %d refunded: a refund of %d exceeds the %d left", ErrRefundExceeds, ev.Order, o.Amount, done, ev.Amount, o.Amount-done)
	}
	return o, nil
}

// stoppedQualifying reports whether the refunds of order o (those recorded, and extra,
// the refund being decided, when not nil) have made it stop qualifying a referral, when,
// and why. The order qualifies while its net amount (its amount minus the refunds dated
// no later) does: with FirstPurchase until it is fully refunded, with PurchaseOver while
// the net amount is at least MinAmount. It stopped at the date of the first refund, in
// event time, after which it no longer qualifies. Taking refunds by their dates and not
// by their arrival makes the answer the same whatever order the webhooks came in.
func (p *Program) stoppedQualifying(o, extra *Record) (time.Time, string, bool) {
	rs := slices.Clone(p.st.refunds[o.Order])
	if extra != nil {
		amount := extra.Amount
		if amount == 0 {
			amount = o.Amount - p.st.refunded(o.Order)
		}
		rs = append(rs, refund{at: extra.At, amount: amount})
	}
	slices.SortStableFunc(rs, func(a, b refund) int { return a.at.Compare(b.at) })
	// An order below MinAmount never qualified by its amount (the rule may have changed
	// since it was placed): only a full refund takes its rewards back.
	over := p.cfg.Qualify == PurchaseOver && o.Amount >= p.cfg.MinAmount
	net := o.Amount
	for _, r := range rs {
		net -= r.amount
		switch {
		case net <= 0:
			return r.at, "refund of order " + o.Order, true
		case over && net < p.cfg.MinAmount:
			return r.at, fmt.Sprintf("refunds of order %s leave %d of %d, below the minimum of %d", o.Order, net, o.Amount, p.cfg.MinAmount), true
		}
	}
	return time.Time{}, "", false
}

// reverse returns the records that make reward r reversed as of at, because of the event
// whose key is key: a claw-back if r stands; if a claw-back dated later already reverses
// it (a refund dated earlier arrived after it), that one cancelled and a claw-back at
// the earlier date, so that balances as of any time are those of the events delivered in
// time order. A zero reward, or one already reversed by then, needs nothing.
func (s *state) reverse(key string, at time.Time, r *Record, why string) []Record {
	if r.Amount == 0 {
		return nil
	}
	c := clawback(key, at, r, why)
	old := s.clawed[r.Key]
	if old == nil {
		return []Record{c}
	}
	if !c.At.Before(old.At) {
		return nil
	}
	undo := Record{Kind: KindClawback, Key: key + "\x00cancel:" + old.Key, At: old.At, Profile: old.Profile, Other: old.Other,
		Order: old.Order, Amount: -old.Amount, PayableAt: old.PayableAt, Ref: old.Key,
		Reasons: []string{fmt.Sprintf("cancelled: reversed from %v instead (%s)", c.At.Format(time.RFC3339), why)}}
	return []Record{undo, c}
}

// clawback reverses reward r, because of the event whose key is key, as of at (or of the
// reward, if that is later). It takes effect on the payable balance when the reward
// would have become payable, or at that date if later: a reward reversed while held
// never becomes payable; one reversed after it became payable (or was paid) reduces what
// is payable from then on, possibly below zero.
func clawback(key string, at time.Time, r *Record, why string) Record {
	if at.Before(r.At) {
		at = r.At
	}
	pay := r.PayableAt
	if at.After(pay) {
		pay = at
	}
	return Record{Kind: KindClawback, Key: key + "\x00clawback:" + r.Key, At: at, Profile: r.Profile, Other: r.Other,
		Order: r.Order, Amount: -r.Amount, PayableAt: pay, Ref: r.Key, Reasons: []string{why}}
}
