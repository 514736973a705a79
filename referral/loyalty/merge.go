package loyalty

import (
	"context"
	"fmt"
	"math"
	"slices"
	"sort"
	"time"
)

// ApplyMerge records an identity merge: member absorbed is now member survivor (call it
// once for each of identity.Merge's Absorbed, as for referral.Program.ApplyMerge).
//
// The absorbed member's lots (with what was spent and taken of them), debt, orders
// (a later refund of one reverses the survivor's points) and tier inputs (its orders
// still in the window) move to the survivor. The two debts are added and charged to
// the merged lots like a refund's charge (earliest-expiring first, locked ones
// included; what they cannot cover stays debt), so that a balance still never holds
// debt beside points. Later events naming the absorbed member are redirected to the
// survivor (recorded under the survivor), as the referral programme does; an event
// retried under its first key still returns its first record.
//
// The merge is a durable record (KindMerge, idempotency key "merge:S<[A]") dated by
// the ledger, which never reads a clock: at the later of the two members' last events
// (the ledger's last event if neither has any), so replay equals live. The ledger's
// rule that a member's events come in time order applies to the merged member: its
// events dated before the merge are refused. Balance, Lots and Tier as of an instant
// before the merge show each member as it was; from the merge on, the survivor holds
// the union and the absorbed member holds nothing (it drops to the base tier at the
// merge instant). The survivor's tier is re-evaluated from the merged window at the
// merge instant and follows the usual rules from there; its history before the merge
// is unchanged.
//
// Repeating a merge, or merging two members already merged, changes nothing; a zero
// member or a merge into itself fails with ErrInvalid.
func (l *Ledger) ApplyMerge(survivor, absorbed uint32) error {
	if l.zero() {
		return errZeroLedger
	}
	key := fmt.Sprintf("merge:%d<%v", survivor, []uint32{absorbed})
	_, err := l.submit(context.Background(), Record{Kind: KindMerge, Key: key, Member: survivor, Absorbed: absorbed})
	return err
}

// resolve returns the member that id's events go to: id, or the member that absorbed it.
func (s *state) resolve(id uint32) uint32 {
	for {
		into, ok := s.merged[id]
		if !ok {
			return id
		}
		id = into
	}
}

// sameRedirected reports whether ev is the event first was recorded from, naming the
// member first names or one that member absorbed since (directly or through others):
// a retry after a merge is still recognised.
func (s *state) sameRedirected(first *Record, ev Record) bool {
	for {
		if sameInput(first, &ev) {
			return true
		}
		into, ok := s.merged[ev.Member]
		if !ok {
			return false
		}
		ev.Member = into
	}
}

// mergeDate is the instant the ledger dates a merge of a and b: the later of their
// last events, or the ledger's last event if neither has any.
func (s *state) mergeDate(a, b uint32) time.Time {
	at := int64(math.MinInt64)
	for _, id := range []uint32{a, b} {
		if m := s.members[id]; m != nil {
			at = max(at, m.last())
		}
	}
	if at == math.MinInt64 {
		at = s.last
	}
	return time.Unix(0, at).UTC()
}

// checkMerge checks a merge against the ledger: neither member already absorbed, and no
// earlier than either member's last event.
func (s *state) checkMerge(r *Record) error {
	at := r.At.UnixNano()
	for _, id := range []uint32{r.Member, r.Absorbed} {
		if into, ok := s.merged[id]; ok {
			return fmt.Errorf("%w: merge event %q: member %d was merged into member %d", ErrInvalid, r.Key, id, into)
		}
		if m := s.members[id]; m != nil && at < m.last() {
			return fmt.Errorf("%w: merge event %q: dated %v, before member %d's last event (%v)", ErrInvalid, r.Key, r.At, id, time.Unix(0, m.last()).UTC())
		}
	}
	return nil
}

// merge applies a merge record: the absorbed member's lots, debt, orders and tier
// window move to the survivor. Each moved lot is a new lot of the survivor, created by
// the merge event, with the points and dates of the original and its spent and taken
// totals as of the merge; the original leaves the absorbed member at the merge, so
// that queries before the merge still see it there.
func (s *state) merge(r *Record) {
	at := r.At.UnixNano()
	sv, ab := s.member(r.Member), s.member(r.Absorbed)
	s.merged[ab.id] = sv.id
	seqS, seqA := int32(len(sv.times)), int32(len(ab.times))
	sv.times = append(sv.times, at)
	ab.times = append(ab.times, at)

	moved := make([]int32, len(ab.lots))
	for i := range ab.lots {
		old := &ab.lots[i]
		n := lot{seq: seqS, earned: old.earned, unlock: old.unlock, expires: old.expires, points: old.points, gone: noMove}
		if sp, tk := old.totals(); sp+tk > 0 {
			n.uses = []use{{seq: seqS, spent: sp, taken: tk}}
		}
		old.gone = seqA
		moved[i] = int32(len(sv.lots))
		sv.lots = append(sv.lots, n)
	}
	for _, i := range ab.live {
		j := moved[i]
		k := sort.Search(len(sv.live), func(x int) bool { return sv.spendsBefore(j, sv.live[x]) })
		sv.live = slices.Insert(sv.live, k, j)
	}
	ab.live = nil
	for _, o := range ab.orders {
		o.m = sv
		if o.lot >= 0 {
			o.lot = moved[o.lot]
		}
	}
	sv.orders = append(sv.orders, ab.orders...)
	ab.orders = nil

	d := sv.debtNow() + ab.debtNow()
	if ab.debtNow() != 0 {
		ab.setDebt(seqA, 0)
	}
	if sv.debtNow() != 0 {
		sv.setDebt(seqS, 0)
	}
	sv.charge(seqS, at, d) // records what the merged lots cannot cover as debt; compacts
	s.mergeTiers(&sv.tier, &ab.tier, at)
}

// mergeTiers moves the absorbed member's orders still in the window at `at` to the
// survivor's window and re-evaluates the survivor there; the absorbed member, left with
// no orders, drops to the base tier at once.
func (s *state) mergeTiers(sv, ab *tierState, at int64) {
	r := s.rules
	if !r.tiered() {
		return
	}
	sv.reach(r, at)
	ab.reach(r, at)
	a, b := sv.win[sv.head:], ab.win[ab.head:]
	win := make([]*order, 0, len(a)+len(b))
	for len(a) > 0 || len(b) > 0 {
		if len(b) == 0 || (len(a) > 0 && a[0].at <= b[0].at) {
			win, a = append(win, a[0]), a[1:]
		} else {
			win, b = append(win, b[0]), b[1:]
		}
	}
	sv.win, sv.head = win, 0
	sv.total += ab.total
	sv.evaluate(r, at, &sv.hist)
	ab.win, ab.head, ab.total = nil, 0, 0
	if ab.level > 0 {
		ab.hist = append(ab.hist, tierChange{at, int16(ab.level), 0})
	}
	ab.level, ab.below = 0, false
}
