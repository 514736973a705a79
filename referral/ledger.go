package referral

import (
	"cmp"
	"slices"
	"time"
)

// Balance is a person's reward account as of a time. Earned counts rewards minus
// claw-backs recorded by then, Held the part of it not yet payable (inside its hold
// period), Paid the payouts, and Payable = Earned - Held - Paid: what may be paid now.
// Payable is negative when a claw-back reversed a reward already paid: the person owes it.
type Balance struct {
	Earned, Held, Paid, Payable int64
}

// balance sums the entries of profile's person dated no later than asOf.
func (s *state) balance(profile uint32, asOf time.Time) Balance {
	var b Balance
	for _, k := range s.keysOf(profile) {
		for _, e := range s.entries[k] {
			if e.At.After(asOf) {
				continue
			}
			switch e.Kind {
			case KindReward, KindClawback:
				b.Earned += e.Amount
				if e.PayableAt.After(asOf) {
					b.Held += e.Amount
				}
			case KindPayout:
				b.Paid += e.Amount
			}
		}
	}
	b.Payable = b.Earned - b.Held - b.Paid
	return b
}

// Balance returns the reward account of profile's person (all the profiles merged into
// it) as of asOf.
func (p *Program) Balance(asOf time.Time, profile uint32) Balance {
	if p.zero() {
		return Balance{}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.st.balance(profile, asOf)
}

// Payable is what one person may be paid.
type Payable struct {
	Profile uint32
	Amount  int64
}

// Payables lists every person with a positive payable balance as of asOf, by profile
// key: the payout run of that day.
func (p *Program) Payables(asOf time.Time) []Payable {
	if p.zero() {
		return nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	seen := map[uint32]bool{}
	var out []Payable
	for k := range p.st.entries {
		c := p.st.canon(k)
		if seen[c] {
			continue
		}
		seen[c] = true
		if b := p.st.balance(c, asOf); b.Payable > 0 {
			out = append(out, Payable{Profile: c, Amount: b.Payable})
		}
	}
	slices.SortFunc(out, func(a, b Payable) int { return cmp.Compare(a.Profile, b.Profile) })
	return out
}

// Entries returns the ledger entries (rewards, claw-backs, payouts) of profile's
// person (every profile merged into it) by time. The records are copies.
func (p *Program) Entries(profile uint32) []Record {
	if p.zero() {
		return nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []Record
	for _, k := range p.st.keysOf(profile) {
		for _, e := range p.st.entries[k] {
			out = append(out, e.clone())
		}
	}
	slices.SortStableFunc(out, func(a, b Record) int { return a.At.Compare(b.At) })
	return out
}
