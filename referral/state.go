package referral

import (
	"fmt"
	"math"
	"slices"
	"time"
)

// state is what replaying the ledger yields. Profiles are kept under the raw keys the
// records name; identity merges are resolved at read time through canon and members,
// so that a merge is one record and never rewrites history.
type state struct {
	keys      map[string]*Record // input key -> the input, to tell retries from reuse
	derived   map[string]*Record // derived record key -> the record, to absorb a replayed one
	codeByKey map[string]Code

	codes   map[Code]uint32        // code -> owner
	signals map[uint32][]Signals   // raw profile -> signals seen with it
	clicks  map[uint32][]touch     // raw prospect -> links followed
	invited map[string][]touch     // contact (email or phone) -> invitations
	invites []Invite               // every invitation, for growth
	signup  map[uint32]time.Time   // raw profile -> sign-up time
	signups []uint32               // raw profiles in sign-up order
	bySig   map[string][]time.Time // "d:"+device or "n:"+network -> referred sign-up times

	attr       map[uint32]*Record   // raw referred -> attribution record
	blocked    map[uint32]*Record   // raw referred -> blocked record
	referred   map[uint32][]uint32  // raw referrer -> raw referred, in order
	orders     map[string]*Record   // order id -> order
	refunds    map[string][]refund  // order id -> its refunds, as recorded
	ordersOf   map[uint32][]*Record // raw profile -> its orders
	done       map[uint32]bool      // raw referred whose referral has qualified
	entries    map[uint32][]*Record // raw profile -> its rewards, claw-backs and payouts
	lastPayout map[uint32]time.Time // raw profile -> date of its latest payout
	rewards    map[string]*Record   // reward key -> reward
	clawed     map[string]*Record   // reward key -> the claw-back that reverses it
	byOrder    map[string][]string  // order id -> keys of the rewards it qualified

	alias   map[uint32]uint32   // absorbed -> the profile that absorbed it
	members map[uint32][]uint32 // survivor -> every raw key it holds, itself included

	volume int64 // the amounts of every record so far, in absolute value: see maxVolume

	// What Forget needs to find a person's signals (see forget.go): the records that
	// carry a raw profile's own Signals (its codes, sign-ups, attributions and refused
	// referrals, blank or not, so that a replay of a compacted ledger marks the same
	// records erased as the live forget did), the attributions and refusals that name it as the referrer (whose
	// Reasons may quote its signals), and the invitations by contact ("e:"+email,
	// "p:"+phone) whose signals are not yet blank.
	sigRecs    map[uint32][]*Record
	otherRecs  map[uint32][]*Record
	inviteRecs map[string][]*Record
	erased     map[string]bool // keys of the records a forget blanked
	forgets    map[uint32]int  // profile -> forget records naming it, for their keys
	unerased   bool            // a forget blanked signals that the store's records still hold

	scratch []byte
}

// refund is what one refund took back of its order: its Amount, or for a refund without
// one (a whole-order refund) what remained of the order when it was recorded.
type refund struct {
	at     time.Time
	amount int64
}

type touch struct {
	referrer uint32
	code     Code
	at       time.Time
}

func newState() *state {
	return &state{
		keys: map[string]*Record{}, derived: map[string]*Record{}, codeByKey: map[string]Code{}, codes: map[Code]uint32{},
		signals: map[uint32][]Signals{}, clicks: map[uint32][]touch{}, invited: map[string][]touch{},
		signup: map[uint32]time.Time{}, bySig: map[string][]time.Time{}, attr: map[uint32]*Record{},
		blocked: map[uint32]*Record{}, referred: map[uint32][]uint32{}, orders: map[string]*Record{}, refunds: map[string][]refund{},
		ordersOf: map[uint32][]*Record{}, done: map[uint32]bool{}, entries: map[uint32][]*Record{}, lastPayout: map[uint32]time.Time{},
		rewards: map[string]*Record{}, clawed: map[string]*Record{}, byOrder: map[string][]string{},
		alias: map[uint32]uint32{}, members: map[uint32][]uint32{},
		sigRecs: map[uint32][]*Record{}, otherRecs: map[uint32][]*Record{}, inviteRecs: map[string][]*Record{},
		erased: map[string]bool{}, forgets: map[uint32]int{},
	}
}

// canon returns the key that now holds profile.
func (s *state) canon(p uint32) uint32 {
	for {
		q, ok := s.alias[p]
		if !ok {
			return p
		}
		p = q
	}
}

// keysOf returns every raw key held by profile's person.
func (s *state) keysOf(p uint32) []uint32 {
	c := s.canon(p)
	if m, ok := s.members[c]; ok {
		return m
	}
	return []uint32{c}
}

// referrerOf returns the canonical referrer of profile's person, if attributed.
func (s *state) referrerOf(p uint32) (uint32, *Record) {
	for _, k := range s.keysOf(p) {
		if a := s.attr[k]; a != nil {
			return s.canon(a.Other), a
		}
	}
	return 0, nil
}

// signedUp returns when profile's person first signed up.
func (s *state) signedUp(p uint32) (time.Time, bool) {
	var first time.Time
	found := false
	for _, k := range s.keysOf(p) {
		if t, ok := s.signup[k]; ok && (!found || t.Before(first)) {
			first, found = t, true
		}
	}
	return first, found
}

// sameInput reports whether ev repeats the recorded input r: a retry rather than a
// different event that reuses its key.
//
// A record a forget blanked is compared without its Signals and Reasons: a retry of the
// event still carries the signals the ledger no longer holds, and a store that delivers
// at least once may yield a copy it wrote before the forget.
func (s *state) sameInput(r, ev *Record) bool {
	if s.erased[r.Key] {
		a, b := *r, *ev
		a.Signals, a.Reasons, b.Signals, b.Reasons = Signals{}, nil, Signals{}, nil
		r, ev = &a, &b
	}
	s.scratch = appendRecord(s.scratch[:0], r)
	n := len(s.scratch)
	s.scratch = appendRecord(s.scratch, ev)
	return string(s.scratch[:n]) == string(s.scratch[n:])
}

// replayed reports whether r repeats a record already applied: the same key with the
// same content, which a store that delivers at least once may yield twice. The same key
// with other content is an error: the ledger contradicts itself.
func (s *state) replayed(r *Record) (bool, error) {
	prev := s.derived[r.Key]
	if !r.Kind.derived() {
		prev = s.keys[r.Key]
	}
	if prev == nil {
		return false, nil
	}
	if !s.sameInput(prev, r) {
		return false, fmt.Errorf("%w: record key %q already holds a different %s record", ErrCorrupt, r.Key, prev.Kind)
	}
	return true, nil
}

// apply adds one record to the state. It trusts the record: decisions were checked
// before the record was written, and a replay must reproduce them as they were.
func (s *state) apply(r *Record) {
	s.volume += volumeOf(r)
	if !r.Kind.derived() {
		s.keys[r.Key] = r
	} else {
		s.derived[r.Key] = r
	}
	switch r.Kind {
	case KindCode:
		s.codes[r.Code] = r.Profile
		s.codeByKey[r.Key] = r.Code
		if r.Signals != (Signals{}) {
			s.signals[r.Profile] = append(s.signals[r.Profile], r.Signals)
		}
		s.sigRecs[r.Profile] = append(s.sigRecs[r.Profile], r)
	case KindInvite:
		t := touch{referrer: r.Profile, at: r.At}
		for _, c := range contacts(r.Signals) {
			s.invited[c] = append(s.invited[c], t)
			s.inviteRecs[c] = append(s.inviteRecs[c], r)
		}
		s.invites = append(s.invites, Invite{From: r.Profile, At: r.At})
	case KindClick:
		s.clicks[r.Profile] = append(s.clicks[r.Profile], touch{referrer: s.codes[r.Code], code: r.Code, at: r.At})
	case KindSignup:
		s.signup[r.Profile] = r.At
		s.signups = append(s.signups, r.Profile)
		if r.Signals != (Signals{}) {
			s.signals[r.Profile] = append(s.signals[r.Profile], r.Signals)
		}
		s.sigRecs[r.Profile] = append(s.sigRecs[r.Profile], r)
	case KindAttribution:
		s.indexReferral(r)
		s.attr[r.Profile] = r
		s.referred[r.Other] = append(s.referred[r.Other], r.Profile)
		s.countReferred(r)
	case KindBlocked:
		s.indexReferral(r)
		s.blocked[r.Profile] = r
		if r.Ref == "" {
			s.countReferred(r) // a refused attempt still counts against the limits
		}
		if a := s.attr[r.Profile]; r.Ref != "" && a != nil && a.Key == r.Ref {
			// A referral voided after the fact (by a merge): it leaves the tree.
			delete(s.attr, r.Profile)
			s.referred[a.Other] = slices.DeleteFunc(s.referred[a.Other], func(x uint32) bool { return x == r.Profile })
		}
	case KindOrder:
		s.orders[r.Order] = r
		s.ordersOf[r.Profile] = append(s.ordersOf[r.Profile], r)
	case KindRefund:
		amount := r.Amount
		if o := s.orders[r.Order]; amount == 0 && o != nil {
			amount = o.Amount - s.refunded(r.Order)
		}
		s.refunds[r.Order] = append(s.refunds[r.Order], refund{at: r.At, amount: amount})
	case KindReward:
		s.entries[r.Profile] = append(s.entries[r.Profile], r)
		s.rewards[r.Key] = r
		if r.Order != "" {
			s.byOrder[r.Order] = append(s.byOrder[r.Order], r.Key)
		}
		if len(r.Reasons) > 0 && r.Reasons[0] == roleReferrer {
			s.done[r.Other] = true
		} else {
			s.done[r.Profile] = true
		}
	case KindClawback:
		s.entries[r.Profile] = append(s.entries[r.Profile], r)
		if s.rewards[r.Ref] != nil {
			s.clawed[r.Ref] = r // not for a cancelled claw-back: its replacement follows it
		}
	case KindPayout:
		s.entries[r.Profile] = append(s.entries[r.Profile], r)
		if r.At.After(s.lastPayout[r.Profile]) {
			s.lastPayout[r.Profile] = r.At
		}
	case KindMerge:
		s.merge(r.Profile, r.Absorbed)
	case KindForget:
		s.forget(r)
	}
}

// maxVolume bounds a ledger's volume: the absolute amounts of all its records (orders,
// refunds, rewards, claw-backs, payouts). Every balance (earned, held, paid, payable),
// cap total and sum of an order's refunds is a part of that volume, so bounding it keeps
// them all inside int64; without it two rewards of math.MaxInt64 summed to -2 and a
// referrer's balance turned negative without a word. 2^62 (about 4.6e18) is far beyond
// any programme's lifetime in any currency's minor unit.
const maxVolume = 1 << 62

// maxAmount bounds one amount: an event's, or a reward, minimum or cap in the Rules.
// Two of them fit in maxVolume, so that no single amount reaches the limit alone.
const maxAmount = math.MaxInt64 / 4

// volumeOf returns what r adds to the ledger's volume, or -1 for an amount no ledger
// could hold (beyond maxVolume either way, math.MinInt64 included).
func volumeOf(r *Record) int64 {
	a := r.Amount
	if a < -maxVolume || a > maxVolume {
		return -1
	}
	if a < 0 {
		return -a
	}
	return a
}

// fits returns an error unless recs, added to the ledger, keep its volume within
// maxVolume. It says what the totals are and names the limit.
func (s *state) fits(recs []Record) error {
	var v int64
	for i := range recs {
		a := volumeOf(&recs[i])
		if a < 0 || a > maxVolume-v {
			return fmt.Errorf("amount %d of %s record %q is beyond the ledger's limit of 2^62 (%d)", recs[i].Amount, recs[i].Kind, recs[i].Key, int64(maxVolume))
		}
		v += a
	}
	if v > maxVolume-s.volume {
		return fmt.Errorf("the ledger has recorded amounts of %d in all, and %d more would pass its limit of 2^62 (%d), beyond which balances and totals could overflow",
			s.volume, v, int64(maxVolume))
	}
	return nil
}

// refunded returns how much of order has been refunded.
func (s *state) refunded(order string) int64 {
	var sum int64
	for _, r := range s.refunds[order] {
		sum += r.amount
	}
	return sum
}

// fullyRefunded reports whether nothing of order is left to refund. An order of amount
// 0 is fully refunded by its first refund.
func (s *state) fullyRefunded(o *Record) bool {
	return len(s.refunds[o.Order]) > 0 && s.refunded(o.Order) >= o.Amount
}

// countReferred notes a referred sign-up (r is its attribution or refusal, which
// carries the sign-up's signals) for the device and network velocity limits.
func (s *state) countReferred(r *Record) {
	if d := r.Signals.Device; d != "" {
		s.bySig["d:"+d] = append(s.bySig["d:"+d], r.At)
	}
	if n := r.Signals.Network; n != "" {
		s.bySig["n:"+n] = append(s.bySig["n:"+n], r.At)
	}
}

func (s *state) merge(survivor uint32, absorbed []uint32) {
	into := s.canon(survivor)
	group := slices.Clone(s.keysOf(into))
	for _, a := range absorbed {
		ca := s.canon(a)
		if ca == into {
			continue
		}
		group = append(group, s.keysOf(ca)...)
		delete(s.members, ca)
		s.alias[ca] = into
	}
	s.members[into] = group
}

// contacts are the signals by which an invitation finds the person it invited.
func contacts(sig Signals) []string {
	var out []string
	if sig.Email != "" {
		out = append(out, "e:"+sig.Email)
	}
	if sig.Phone != "" {
		out = append(out, "p:"+sig.Phone)
	}
	return out
}

const (
	roleReferrer = "referrer"
	roleReferred = "referred"
)
