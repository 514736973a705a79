package referral

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
	"time"
)

// derive checks an input event against the state and appends the records it makes to
// recs: the event itself, then the programme's decisions. It does not change the state.
func (p *Program) derive(ev *Record, recs []Record) ([]Record, error) {
	s := p.st
	recs = append(recs, *ev)
	switch ev.Kind {
	case KindCode:
		c, err := ParseCode(string(ev.Code))
		if err != nil {
			return nil, err
		}
		recs[0].Code = c
		if owner, ok := s.codes[c]; ok && s.canon(owner) != s.canon(ev.Profile) {
			return nil, fmt.Errorf("%w: code %s belongs to profile %d", ErrConflict, c, owner)
		}
	case KindInvite:
		if len(contacts(ev.Signals)) == 0 {
			return nil, fmt.Errorf("%w: field Signals: an invitation needs the invitee's Email or Phone", ErrInvalid)
		}
	case KindClick:
		if _, err := p.owner(ev.Code); err != nil {
			return nil, err
		}
	case KindSignup:
		if at, ok := s.signedUp(ev.Profile); ok {
			return nil, fmt.Errorf("%w: profile %d already signed up at %v", ErrConflict, ev.Profile, at.Format(time.RFC3339))
		}
		if ev.Code != "" {
			if _, err := p.owner(ev.Code); err != nil {
				return nil, err
			}
		}
		recs = append(recs, p.attribute(ev)...)
		if len(recs) > 1 && recs[1].Kind == KindAttribution {
			referrer := recs[1].Other
			if p.cfg.Qualify == AtSignup {
				recs = append(recs, p.rewards(ev.Key, ev.At, ev.Profile, referrer, "")...)
			} else if o := p.qualifyingOrder(ev.Profile, ev.At, nil); o != nil {
				// The order arrived before the sign-up it follows (webhooks are not
				// ordered): it qualifies now, dated as it happened.
				rw := p.rewards(ev.Key, o.At, ev.Profile, referrer, o.Order)
				recs = append(recs, rw...)
				if at, why, ok := p.stoppedQualifying(o, nil); ok {
					// ...and was refunded before the sign-up arrived too.
					for i := range rw {
						recs = append(recs, s.reverse(ev.Key, at, &rw[i], why)...)
					}
				}
			}
		}
	case KindOrder:
		if ev.Order == "" {
			return nil, fmt.Errorf("%w: field Order: missing order id", ErrInvalid)
		}
		if o := s.orders[ev.Order]; o != nil {
			return nil, fmt.Errorf("%w: order %q already recorded by event %q", ErrConflict, ev.Order, o.Key)
		}
		recs = append(recs, p.qualify(ev)...)
	case KindRefund:
		o, err := s.checkRefund(ev)
		if err != nil {
			return nil, err
		}
		if at, why, ok := p.stoppedQualifying(o, ev); ok {
			for _, k := range s.byOrder[ev.Order] {
				recs = append(recs, s.reverse(ev.Key, at, s.rewards[k], why)...)
			}
		}
	case KindPayout:
		if ev.Amount <= 0 {
			return nil, fmt.Errorf("%w: field Amount: payout of %d", ErrInvalid, ev.Amount)
		}
		for _, k := range s.keysOf(ev.Profile) {
			// In time order, so that a payout dated before another cannot slip past the
			// balance check of the later one.
			if last := s.lastPayout[k]; ev.At.Before(last) {
				return nil, fmt.Errorf("%w: payout dated %v before the payout of %v to profile %d", ErrInvalid, ev.At.Format(time.RFC3339), last.Format(time.RFC3339), ev.Profile)
			}
		}
		if b := s.balance(ev.Profile, ev.At); ev.Amount > b.Payable {
			return nil, fmt.Errorf("%w: payout of %d to profile %d, payable %d", ErrInsufficient, ev.Amount, ev.Profile, b.Payable)
		}
	case KindMerge:
		if ev.Profile == 0 || len(ev.Absorbed) == 0 || slices.Contains(ev.Absorbed, 0) || slices.Contains(ev.Absorbed, ev.Profile) {
			return nil, fmt.Errorf("%w: merge of %v into %d: want a survivor and absorbed profiles, all non-zero and distinct", ErrInvalid, ev.Absorbed, ev.Profile)
		}
		recs = append(recs, p.mergeVoids(ev)...)
	}
	return recs, nil
}

// owner returns the canonical owner of an issued code.
func (p *Program) owner(c Code) (uint32, error) {
	if _, err := ParseCode(string(c)); err != nil {
		return 0, err
	}
	o, ok := p.st.codes[c]
	if !ok {
		return 0, fmt.Errorf("%w: code %s was never issued", ErrCode, c)
	}
	return p.st.canon(o), nil
}

// attribute picks the referrer of a sign-up among the touches in the window (links
// followed, the code entered, invitations to its email or phone) by the rule, and runs
// the guards. It returns no record for an organic sign-up.
func (p *Program) attribute(ev *Record) []Record {
	s := p.st
	from := ev.At.Add(-p.cfg.Window)
	var cands []touch
	for _, k := range s.keysOf(ev.Profile) {
		cands = append(cands, s.clicks[k]...)
	}
	for _, c := range contacts(ev.Signals) {
		cands = append(cands, s.invited[c]...)
	}
	if ev.Code != "" {
		cands = append(cands, touch{referrer: s.codes[ev.Code], code: ev.Code, at: ev.At})
	}
	var best *touch
	for i := range cands {
		t := &cands[i]
		if t.at.Before(from) || t.at.After(ev.At) {
			continue
		}
		if best == nil || (p.cfg.Attribution == FirstReferrer && t.at.Before(best.at)) || (p.cfg.Attribution == LastReferrer && !t.at.Before(best.at)) {
			best = t
		}
	}
	if best == nil {
		return nil
	}
	referrer := s.canon(best.referrer)
	flags, blocked := p.guard(ev, referrer)
	r := Record{Key: ev.Key + "\x00attribution", At: ev.At, Profile: ev.Profile, Other: referrer, Code: best.code, Reasons: flags,
		Signals: Signals{Device: ev.Signals.Device, Network: ev.Signals.Network}}
	r.Kind = KindAttribution
	if blocked {
		r.Kind = KindBlocked
		r.Key = ev.Key + "\x00blocked"
	}
	return []Record{r}
}

// qualify returns the reward records an order earns, if it is the referred person's
// qualifying action.
func (p *Program) qualify(ev *Record) []Record {
	s := p.st
	referrer, a := s.referrerOf(ev.Profile)
	if a == nil || p.cfg.Qualify == AtSignup {
		return nil
	}
	signed, _ := s.signedUp(ev.Profile)
	if p.qualifyingOrder(ev.Profile, signed, ev) != ev {
		return nil
	}
	return p.rewards(ev.Key, ev.At, a.Profile, referrer, ev.Order)
}

// qualifyingOrder returns the order that qualifies the referral of profile's person,
// who signed up at signed, among the recorded orders and extra (may be nil), or nil if
// none does or the referral has already qualified. Orders are taken by the time they
// were placed, not by arrival: FirstPurchase takes the person's first order, which must
// follow the sign-up; PurchaseOver the first order after the sign-up of at least
// MinAmount. Both must fall within QualifyWithin of the sign-up when it is set.
func (p *Program) qualifyingOrder(profile uint32, signed time.Time, extra *Record) *Record {
	s := p.st
	var orders []*Record
	for _, k := range s.keysOf(profile) {
		if s.done[k] {
			return nil
		}
		orders = append(orders, s.ordersOf[k]...)
	}
	if extra != nil {
		orders = append(orders, extra)
	}
	slices.SortStableFunc(orders, func(a, b *Record) int { return a.At.Compare(b.At) })
	for _, o := range orders {
		if p.cfg.Qualify == FirstPurchase || !o.At.Before(signed) && o.Amount >= p.cfg.MinAmount {
			if o.At.Before(signed) || (p.cfg.QualifyWithin > 0 && o.At.Sub(signed) > p.cfg.QualifyWithin) {
				return nil
			}
			return o
		}
	}
	return nil
}

// lastPayable is the last instant a record's PayableAt holds: records keep times as
// Unix nanoseconds (to 2262), and a hold past that (290 years after 2026, 100 after
// 2200) was written as an instant wrapped into the 1700s, so that after a restart a
// reward held for good was payable at once.
var lastPayable = time.Unix(0, math.MaxInt64-1).UTC()

// rewards returns both sides' rewards for a referral that qualified at time at, the
// referrer's capped by the per-referrer and per-period caps.
func (p *Program) rewards(key string, at time.Time, referred, referrer uint32, orderID string) []Record {
	var out []Record
	payable := at.Add(p.cfg.Hold)
	if payable.After(lastPayable) {
		payable = lastPayable // held past the records' time range: held for good
	}
	if amt := p.capped(referrer, at, p.cfg.ReferrerReward); amt > 0 {
		r := Record{Kind: KindReward, Key: key + "\x00reward:referrer", At: at, Profile: referrer, Other: referred,
			Order: orderID, Amount: amt, PayableAt: payable, Reasons: []string{roleReferrer}}
		if amt < p.cfg.ReferrerReward {
			r.Reasons = append(r.Reasons, fmt.Sprintf("capped from %d to %d", p.cfg.ReferrerReward, amt))
		}
		out = append(out, r)
	}
	if p.cfg.ReferredReward > 0 {
		out = append(out, Record{Kind: KindReward, Key: key + "\x00reward:referred", At: at, Profile: referred, Other: referrer,
			Order: orderID, Amount: p.cfg.ReferredReward, PayableAt: payable, Reasons: []string{roleReferred}})
	}
	if len(out) == 0 {
		// The referral qualified but earned nothing (caps, zero rewards): a zero reward
		// still marks it done, so a later order does not qualify it again.
		out = append(out, Record{Kind: KindReward, Key: key + "\x00reward:referred", At: at, Profile: referred, Other: referrer,
			Order: orderID, PayableAt: payable, Reasons: []string{roleReferred, "no reward: caps reached or rewards zero"}})
	}
	return out
}

// capped returns how much of amount the referrer may still earn at time at.
func (p *Program) capped(referrer uint32, at time.Time, amount int64) int64 {
	if p.cfg.CapPerReferrer == 0 && p.cfg.CapPerPeriod == 0 {
		return amount
	}
	var total, period int64
	from := at.Add(-p.cfg.CapPeriod)
	for _, k := range p.st.keysOf(referrer) {
		for _, e := range p.st.entries[k] {
			if e.Kind != KindReward || len(e.Reasons) == 0 || e.Reasons[0] != roleReferrer || p.st.clawed[e.Key] != nil {
				continue
			}
			total += e.Amount
			if e.At.After(from) && !e.At.After(at) {
				period += e.Amount
			}
		}
	}
	if p.cfg.CapPerReferrer > 0 {
		amount = min(amount, p.cfg.CapPerReferrer-total)
	}
	if p.cfg.CapPerPeriod > 0 {
		amount = min(amount, p.cfg.CapPerPeriod-period)
	}
	return max(amount, 0)
}

// mergeVoids returns what a merge undoes. After it the merged person may hold several
// referrals (one per merged profile): the earliest stands and the others are voided, as
// the first-referrer rule would have decided. The one that stands is voided too if the
// merge shows it was a self-referral (its referrer is now the same person) or closes a
// referral cycle (its referrer descends from the person). A voided referral loses its
// rewards (claw-backs) and its place in the invite tree (a KindBlocked record whose Ref
// is the attribution's key).
func (p *Program) mergeVoids(ev *Record) []Record {
	s := p.st
	into := s.canon(ev.Profile)
	group := map[uint32]bool{into: true}
	for _, a := range ev.Absorbed {
		group[s.canon(a)] = true
	}
	// canon' and the referrer of a person as they will be after the merge.
	after := func(x uint32) uint32 {
		if c := s.canon(x); group[c] {
			return into
		}
		return s.canon(x)
	}
	var mine []*Record // the group's own referrals
	for _, c := range slices.Sorted(maps.Keys(group)) {
		for _, k := range s.keysOf(c) {
			if a := s.attr[k]; a != nil {
				mine = append(mine, a)
			}
		}
	}
	if len(mine) == 0 {
		return nil
	}
	slices.SortStableFunc(mine, func(x, y *Record) int { return x.At.Compare(y.At) })
	void := map[*Record]string{}
	for _, a := range mine[1:] {
		void[a] = fmt.Sprintf("a second referral of profile %d, revealed by merge of %v into %d", a.Profile, ev.Absorbed, ev.Profile)
	}
	first := mine[0]
	parent := func(c uint32) uint32 { // the referrer, after the merge, of person c
		if c == into {
			return after(first.Other)
		}
		r, _ := s.referrerOf(c)
		return after(r)
	}
	seen := map[uint32]bool{}
	for cur := after(first.Other); cur != 0 && !seen[cur]; cur = parent(cur) {
		if cur == into {
			why := "a referral cycle"
			if after(first.Other) == into {
				why = "a self-referral"
			}
			void[first] = fmt.Sprintf("%s, revealed by merge of %v into %d", why, ev.Absorbed, ev.Profile)
			break
		}
		seen[cur] = true
	}
	var out []Record
	for _, a := range mine {
		why, ok := void[a]
		if !ok {
			continue
		}
		for _, r := range s.rewardsOfReferral(a.Profile) {
			out = append(out, clawback(ev.Key, ev.At, r, why))
		}
		out = append(out, Record{Kind: KindBlocked, Key: ev.Key + "\x00void:" + a.Key, At: ev.At, Profile: a.Profile,
			Other: a.Other, Code: a.Code, Ref: a.Key, Reasons: []string{"void: " + why}})
	}
	return out
}

// rewardsOfReferral returns the unreversed rewards, both sides, of the referral of raw
// profile referred.
func (s *state) rewardsOfReferral(referred uint32) []*Record {
	a := s.attr[referred]
	if a == nil {
		return nil
	}
	var out []*Record
	for _, who := range []uint32{a.Other, referred} {
		for _, k := range s.keysOf(who) {
			for _, e := range s.entries[k] {
				if e.Kind != KindReward || s.clawed[e.Key] != nil || e.Amount == 0 {
					continue
				}
				role := ""
				if len(e.Reasons) > 0 {
					role = e.Reasons[0]
				}
				if (role == roleReferrer && e.Other == referred) || (role == roleReferred && e.Profile == referred) {
					out = append(out, e)
				}
			}
		}
	}
	slices.SortFunc(out, func(x, y *Record) int { return strings.Compare(x.Key, y.Key) })
	return slices.CompactFunc(out, func(x, y *Record) bool { return x.Key == y.Key })
}
