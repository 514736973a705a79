// Package storetest checks an implementation of referral.Store against the contract
// written on that interface, the way testing/fstest checks an fs.FS. A host that keeps
// the referral ledger in its own database runs it from a test:
//
//	func TestMyStore(t *testing.T) {
//		storetest.Run(t, storetest.Harness{
//			Open:   func(dir string) (referral.Store, error) { return mystore.Create(dir) },
//			Reopen: func(dir string) (referral.Store, error) { return mystore.Open(dir) },
//		})
//	}
//
// The checks: a new store is empty; batches come back whole and in order, every field
// intact; Append copies what it is given and Records hands out copies; concurrent
// batches never interleave; breaking out of Records is allowed; a durable store,
// closed and reopened, holds every batch whose Append returned and takes more; records
// delivered twice replay to the same balances; and, when the store fails an append of
// a bulk Program.Apply (the suite makes it fail, with and without writing the
// records; a SharedStore's flush fails), Apply's error names exactly the events that
// append held, as a referral.AppendError, on every store, SharedStores included: the
// store holds the events before them, and none after, whether one event of the Apply
// was invalid too (the error then wraps both) or the failed append was one group of
// many; and a caller that sends again what the error says loses nothing. A bulk Apply
// that stops at an event, invalid or reached with a done context (on a SharedStore,
// the failed lead or read of what others appended), returns a referral.EventError
// naming that event's index, the store holding exactly the events before it; it is
// Permanent for each refusal of the ledger (an event refused with each of the
// package's sentinels: dead-lettered, and the events after it recorded) and not for a
// done context or a failed lead or read (the events sent again, all recorded). The apply checks are
// internal/storecheck's, shared with loyalty/storetest.
//
// A store that is a referral.Compacter is checked to erase (check Forget): after
// Program.Forget of one of the people of a programme, no record it returns holds one
// of that person's signal values in any field, nor does any file under the check's dir
// (where FileStore keeps its ledger; a store keeping its state elsewhere is checked by
// its records only); every other record, the others' signals included, is as before,
// followed by the forget record; a Program opened on the store, reopened when durable,
// has the same balances, payables, referrers, sign-ups, invitations and entries;
// records appended later are kept, and compacting again changes nothing. The same
// holds of Program.ForgetContact of an invitee who never signed up (check
// ForgetContact): after it no record nor file holds the contact, the invitations to it
// are as before but for their blank signals, one forget record follows, a Program
// opened again has the same state, and a second call appends nothing. And Compact
// must keep every record appended by another goroutine while it runs (check
// CompactConcurrent, which a suite run with -race checks for data races too).
package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/clientele-go/clientele"
	"github.com/clientele-go/clientele/internal/storecheck"
	"github.com/clientele-go/clientele/referral"
)

// Harness describes the store under test. The identity, segment and referral storetest
// packages share this shape.
type Harness struct {
	// Open returns a new, empty store whose state lives in dir. Every check starts with
	// a new, empty dir; a store that keeps its state elsewhere (a database schema, say)
	// may use dir as a name.
	Open func(dir string) (referral.Store, error)
	// Reopen returns a store over the state that the store opened on dir kept, after
	// that store was closed. The suite checks that nothing acknowledged was lost. Nil
	// means the store is not durable, and the durability checks are skipped.
	Reopen func(dir string) (referral.Store, error)
	// Close releases a store, before it is reopened and at the end of each check: every
	// store Open or Reopen returned, once. An error fails the check. Nil calls Close on
	// stores that are io.Closers.
	Close func(s referral.Store) error
}

// Run runs every check as a subtest of t, each on a new store in its own directory.
func Run(t *testing.T, h Harness) {
	t.Helper()
	storecheck.Run(t, storecheck.Harness[referral.Store](h), checks)
}

// TestStore runs every check, each in a fresh directory under a temporary one, and
// returns an error describing the first failure, or nil.
func TestStore(h Harness) error {
	return storecheck.All(storecheck.Harness[referral.Store](h), checks)
}

// The log checks every log store passes, and those of referral's ledger.
var checks = append(append(append(storecheck.Checks[referral.Store](log), storecheck.Redelivered(log, writeHistory, balances)),
	storecheck.ApplyChecks(storecheck.Apply[referral.Store, referral.Record]{
		Log: log, Prefix: "referral: ", Invalid: referral.ErrInvalid,
		Open: func(s referral.Store) (func(context.Context, ...referral.Record) error, error) {
			p, err := referral.Open(s, rules, clock)
			if err != nil {
				return nil, err
			}
			return p.Apply, nil
		},
		Events: invites,
		Bad: func() referral.Record { // no At: ErrInvalid
			return referral.Record{Kind: referral.KindOrder, Key: "order-bad", Profile: 11, Order: "O1", Amount: 1000}
		},
		AsAppend: func(err error) (int, int, bool) {
			var ae *referral.AppendError
			if !errors.As(err, &ae) {
				return 0, 0, false
			}
			return ae.Lo, ae.Hi, true
		},
		AsEvent: func(err error) (int, bool, bool) {
			var ee *referral.EventError
			if !errors.As(err, &ee) {
				return 0, false, false
			}
			return ee.Index, ee.Permanent, true
		},
		Refusals: refusals,
	})...),
	storecheck.Check[referral.Store]{Name: "Forget", Fn: checkForget},
	storecheck.Check[referral.Store]{Name: "ForgetContact", Fn: checkForgetContact},
	storecheck.Check[referral.Store]{Name: "CompactConcurrent", Fn: checkCompactConcurrent},
)

// refusals are an event for each of the Program's refusals, each of its own profiles,
// orders and keys (the checks' good events are invitations of profiles 1 to 2n).
var refusals = func() []storecheck.Refusal[referral.Record] {
	type rec = referral.Record
	order := func(key string, prof uint32, id string, amount int64, d int) rec {
		return rec{Kind: referral.KindOrder, Key: key, At: day(d), Profile: prof, Order: id, Amount: amount}
	}
	refund := func(key, id string, amount int64, d int) rec {
		return rec{Kind: referral.KindRefund, Key: key, At: day(d), Order: id, Amount: amount}
	}
	invite := func(key string, prof uint32, email string) rec {
		return rec{Kind: referral.KindInvite, Key: key, At: day(1), Profile: prof, Signals: referral.Signals{Email: email}}
	}
	signup := func(key string, prof uint32, code string) rec {
		return rec{Kind: referral.KindSignup, Key: key, At: day(2), Profile: prof, Code: referral.Code(code)}
	}
	undated := func(r rec) rec { r.At = time.Time{}; return r } // no time: malformed
	return []storecheck.Refusal[rec]{
		{Name: "ErrInvalid malformed", Event: undated(order("refuse-no-time", 5001, "R1", 100, 0)), Want: referral.ErrInvalid},
		{Name: "ErrInvalid invitation without a contact", Event: invite("refuse-invite", 5002, ""), Want: referral.ErrInvalid},
		{Name: "ErrKeyReused", Before: []rec{invite("refuse-reused", 5003, "a@example.com")},
			Event: invite("refuse-reused", 5003, "b@example.com"), Want: referral.ErrKeyReused},
		{Name: "ErrCode", Event: signup("refuse-code", 5004, "ZZZZ-ZZZZ-ZZZZ"), Want: referral.ErrCode},
		{Name: "ErrConflict", Before: []rec{signup("refuse-signup-1", 5005, "")},
			Event: signup("refuse-signup-2", 5005, ""), Want: referral.ErrConflict},
		{Name: "ErrNotFound", Event: refund("refuse-refund-unknown", "no-such-order", 0, 3), Want: referral.ErrNotFound},
		{Name: "ErrRefundBeforeOrder", Before: []rec{order("refuse-order-early", 5006, "R2", 1000, 5)},
			Event: refund("refuse-refund-early", "R2", 0, 4), Want: referral.ErrRefundBeforeOrder},
		{Name: "ErrRefundExceeds", Before: []rec{order("refuse-order-exceeds", 5007, "R3", 1000, 5)},
			Event: refund("refuse-refund-exceeds", "R3", 2000, 6), Want: referral.ErrRefundExceeds},
		{Name: "ErrInsufficient", Event: rec{Kind: referral.KindPayout, Key: "refuse-payout", At: day(6), Profile: 5008, Amount: 100},
			Want: referral.ErrInsufficient},
	}
}()

// invites returns n invitations, each of its own person and recorded as one record.
func invites(n int) []referral.Record {
	out := make([]referral.Record, n)
	for i := range out {
		out[i] = referral.Record{Kind: referral.KindInvite, Key: fmt.Sprint("invite-", i), At: day(1), Profile: uint32(1 + i),
			Signals: referral.Signals{Email: fmt.Sprintf("invitee-%d@example.com", i)}}
	}
	return out
}

var log = storecheck.Log[referral.Record]{
	Sample: Sample,
	Diff: func(want, got referral.Record) string {
		if equal(want, got) {
			return ""
		}
		return fmt.Sprintf("\n%+v\nwant\n%+v", got, want)
	},
	Keyed: func(key string) referral.Record { return referral.Record{Kind: referral.KindOrder, Key: key} },
	Key:   func(r referral.Record) string { return r.Key },
	Scribble: func(r *referral.Record) {
		r.Key += " changed"
		if len(r.Reasons) > 0 {
			r.Reasons[0] = "changed"
		}
		if len(r.Absorbed) > 0 {
			r.Absorbed[0]++
		}
	},
}

// Sample returns n records with every field set, distinct by index.
func Sample(n int) []referral.Record {
	base := time.Date(2026, 11, 23, 10, 0, 0, 123, time.UTC)
	out := make([]referral.Record, n)
	for i := range out {
		out[i] = referral.Record{
			Kind:      referral.Kind(1 + i%12),
			Key:       fmt.Sprintf("key-%d", i),
			At:        base.Add(time.Duration(i) * time.Minute),
			Profile:   uint32(i + 1),
			Other:     uint32(i * 7),
			Code:      referral.Code(fmt.Sprintf("CODE%07d", i)),
			Order:     fmt.Sprintf("order-%d", i),
			Amount:    int64(i*100 - 50),
			PayableAt: base.Add(time.Duration(i) * time.Hour),
			Ref:       fmt.Sprintf("ref-%d", i),
			Reasons:   []string{"flag: reason", fmt.Sprint(i)},
			Signals:   referral.Signals{Email: "e@x", Phone: "+1", Device: "d", Network: fmt.Sprint("n", i)},
			Absorbed:  []uint32{uint32(i + 2), 9},
		}
		if i%3 == 0 {
			out[i].Reasons, out[i].Absorbed, out[i].PayableAt = nil, nil, time.Time{}
		}
	}
	return out
}

func equal(a, b referral.Record) bool {
	return a.Kind == b.Kind && a.Key == b.Key && a.At.Equal(b.At) && a.Profile == b.Profile && a.Other == b.Other &&
		a.Code == b.Code && a.Order == b.Order && a.Amount == b.Amount && a.PayableAt.Equal(b.PayableAt) &&
		a.Ref == b.Ref && slices.Equal(a.Reasons, b.Reasons) && a.Signals == b.Signals && slices.Equal(a.Absorbed, b.Absorbed)
}

var (
	day   = func(d int) time.Time { return time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, d) }
	rules = referral.Rules{ReferrerReward: 500, ReferredReward: 100}
	clock = referral.WithClock(clientele.FixedClock(day(90)))
)

// writeHistory runs a programme on s: a code, three sign-ups through it and their
// orders, which earn the referrer rewards.
func writeHistory(s referral.Store) error {
	p, err := referral.Open(s, rules, clock)
	if err != nil {
		return err
	}
	code, err := p.IssueCode(context.Background(), day(0), "code-1", 1, referral.Signals{}, zeros{})
	if err != nil {
		return err
	}
	for i := range 3 {
		prof := uint32(10 + i)
		if _, err := p.SignUp(context.Background(), day(1+i), fmt.Sprint("signup-", i), prof, string(code), referral.Signals{}); err != nil {
			return err
		}
		if err := p.Order(context.Background(), day(2+i), fmt.Sprint("order-", i), prof, fmt.Sprint("O", i), 1000); err != nil {
			return err
		}
	}
	if b := p.Balance(day(90), 1); b.Earned == 0 {
		return fmt.Errorf("the history earned the referrer nothing: %+v", b)
	}
	return nil
}

// balances replays s and describes the balances of the history's profiles.
func balances(s referral.Store) (string, error) {
	p, err := referral.Open(s, rules, clock)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	for _, prof := range []uint32{1, 10, 11, 12} {
		fmt.Fprintf(&b, "profile %d: %+v\n", prof, p.Balance(day(90), prof))
	}
	return b.String(), nil
}

// zeros is a deterministic source for IssueCode.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) { clear(p); return len(p), nil }
