// Package storetest checks an implementation of loyalty.Store against the contract
// written on that interface, the way testing/fstest checks an fs.FS. A host that keeps
// the loyalty ledger in its own database runs it from a test:
//
//	func TestMyStore(t *testing.T) {
//		storetest.Run(t, storetest.Harness{
//			Open:   func(dir string) (loyalty.Store, error) { return mystore.Create(dir) },
//			Reopen: func(dir string) (loyalty.Store, error) { return mystore.Open(dir) },
//		})
//	}
//
// The checks: a new store is empty; batches come back whole and in order, every field
// intact; Append copies what it is given and Records hands out copies; concurrent
// batches never interleave; breaking out of Records is allowed; a durable store,
// closed and reopened, holds every batch whose Append returned and takes more;
// records delivered twice replay to the same balances; and, when the store fails an
// append of a bulk Ledger.Apply (the suite makes it fail, with and without writing
// the records; a SharedStore's flush fails), Apply's error names exactly the events
// that append held, as a loyalty.AppendError, on every store, SharedStores included:
// the store holds the events before them, and none after, whether one event of the
// Apply was invalid too (the error then wraps both) or the failed append was one group
// of many; and a caller that sends again what the error says loses nothing. A bulk Apply
// that stops at an event, invalid or reached with a done context (on a SharedStore,
// the failed lead or read of what others appended), returns a loyalty.EventError
// naming that event's index, the store holding exactly the events before it; it is
// Permanent for each refusal of the ledger (an event refused with each of the
// package's sentinels: dead-lettered, and the events after it recorded) and not for a
// done context or a failed lead or read (the events sent again, all recorded). The apply checks are
// internal/storecheck's, shared with referral/storetest.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/clientele-go/clientele/internal/storecheck"
	"github.com/clientele-go/clientele/referral/loyalty"
	"github.com/google/go-cmp/cmp"
)

// Harness describes the store under test; the identity, segment, referral and loyalty
// storetest packages share this shape.
type Harness struct {
	// Open returns a new, empty store whose state lives in dir. Every check starts with
	// a new, empty dir; a store that keeps its state elsewhere (a database schema, say)
	// may use dir as a name.
	Open func(dir string) (loyalty.Store, error)
	// Reopen returns a store over the state that the store opened on dir kept, after
	// that store was closed. Nil means the store is not durable, and the durability
	// checks are skipped.
	Reopen func(dir string) (loyalty.Store, error)
	// Close releases a store, before it is reopened and at the end of each check: every
	// store Open or Reopen returned, once. An error fails the check. Nil calls Close on
	// stores that are io.Closers.
	Close func(s loyalty.Store) error
}

// Run runs every check as a subtest of t, each on a new store in its own directory.
func Run(t *testing.T, h Harness) {
	t.Helper()
	storecheck.Run(t, storecheck.Harness[loyalty.Store](h), checks)
}

// TestStore runs every check, each in a fresh directory under a temporary one, and
// returns an error describing the first failure, or nil.
func TestStore(h Harness) error {
	return storecheck.All(storecheck.Harness[loyalty.Store](h), checks)
}

// The log checks every log store passes, and those of the loyalty ledger.
var checks = append(append(storecheck.Checks[loyalty.Store](log), storecheck.Redelivered(log, writeHistory, balances)),
	storecheck.ApplyChecks(storecheck.Apply[loyalty.Store, loyalty.Record]{
		Log: log, Prefix: "loyalty: ", Invalid: loyalty.ErrInvalid,
		Open: func(s loyalty.Store) (func(context.Context, ...loyalty.Record) error, error) {
			l, err := loyalty.Open(s, rules)
			if err != nil {
				return nil, err
			}
			return l.Apply, nil
		},
		Events: bonuses,
		Bad: func() loyalty.Record { // no At: ErrInvalid
			return loyalty.Record{Kind: loyalty.KindEarn, Key: "earn-bad", Member: 3, Order: "O2", Amount: 7000}
		},
		AsAppend: func(err error) (int, int, bool) {
			var ae *loyalty.AppendError
			if !errors.As(err, &ae) {
				return 0, 0, false
			}
			return ae.Lo, ae.Hi, true
		},
		AsEvent: func(err error) (int, bool, bool) {
			var ee *loyalty.EventError
			if !errors.As(err, &ee) {
				return 0, false, false
			}
			return ee.Index, ee.Permanent, true
		},
		Refusals: refusals,
	})...)

// refusals are an event for each of the Ledger's refusals, each of its own members,
// orders and keys (the checks' good events are bonuses of members 1 to 2n).
var refusals = func() []storecheck.Refusal[loyalty.Record] {
	type rec = loyalty.Record
	earn := func(key string, m uint32, id string, amount int64, d int) rec {
		return rec{Kind: loyalty.KindEarn, Key: key, At: day(d), Member: m, Order: id, Amount: amount}
	}
	refund := func(key string, m uint32, id string, amount int64, d int) rec {
		return rec{Kind: loyalty.KindRefund, Key: key, At: day(d), Member: m, Order: id, Amount: amount}
	}
	bonus := func(key string, m uint32, points int64, d int) rec {
		return rec{Kind: loyalty.KindBonus, Key: key, At: day(d), Member: m, Points: points, Reason: "welcome"}
	}
	undated := func(r rec) rec { r.At = time.Time{}; return r } // no time: malformed
	return []storecheck.Refusal[rec]{
		{Name: "ErrInvalid malformed", Event: undated(earn("refuse-no-time", 5001, "L1", 100, 0)), Want: loyalty.ErrInvalid},
		{Name: "ErrInvalid out of time order", Before: []rec{bonus("refuse-late", 5002, 10, 5)},
			Event: bonus("refuse-early", 5002, 10, 4), Want: loyalty.ErrInvalid},
		{Name: "ErrInvalid refund of another member's order", Before: []rec{earn("refuse-earn-other", 5003, "L2", 1000, 2)},
			Event: refund("refuse-refund-other", 5004, "L2", 0, 3), Want: loyalty.ErrInvalid},
		{Name: "ErrKeyReused", Before: []rec{bonus("refuse-reused", 5005, 10, 2)},
			Event: bonus("refuse-reused", 5005, 20, 2), Want: loyalty.ErrKeyReused},
		{Name: "ErrConflict", Before: []rec{earn("refuse-earn-1", 5006, "L3", 1000, 2)},
			Event: earn("refuse-earn-2", 5006, "L3", 1000, 3), Want: loyalty.ErrConflict},
		{Name: "ErrNotFound", Event: refund("refuse-refund-unknown", 0, "no-such-order", 0, 3), Want: loyalty.ErrNotFound},
		{Name: "ErrInsufficient", Event: rec{Kind: loyalty.KindSpend, Key: "refuse-spend", At: day(3), Member: 5007, Points: 100},
			Want: loyalty.ErrInsufficient},
		{Name: "ErrRefundExceeds", Before: []rec{earn("refuse-earn-exceeds", 5008, "L4", 1000, 2)},
			Event: refund("refuse-refund-exceeds", 5008, "L4", 2000, 3), Want: loyalty.ErrRefundExceeds},
	}
}()

// bonuses returns n bonuses, each of its own member and recorded as one record.
func bonuses(n int) []loyalty.Record {
	out := make([]loyalty.Record, n)
	for i := range out {
		out[i] = loyalty.Record{Kind: loyalty.KindBonus, Key: fmt.Sprint("bonus-", i), At: day(1), Member: uint32(1 + i), Points: 10, Reason: "welcome"}
	}
	return out
}

// timeEq compares times as instants.
var timeEq = cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) })

var log = storecheck.Log[loyalty.Record]{
	Sample: Sample,
	Diff: func(want, got loyalty.Record) string {
		if d := cmp.Diff(want, got, timeEq); d != "" {
			return "(-want +got):\n" + d
		}
		return ""
	},
	Keyed: func(key string) loyalty.Record { return loyalty.Record{Kind: loyalty.KindSpend, Key: key} },
	Key:   func(r loyalty.Record) string { return r.Key },
	Scribble: func(r *loyalty.Record) {
		r.Key += " changed"
		if len(r.Lines) > 0 {
			r.Lines[0].Product += " changed"
		}
	},
}

// Sample returns n records with every field set, distinct by index. They are records
// as a store keeps them, not a history a ledger would accept.
func Sample(n int) []loyalty.Record {
	base := time.Date(2026, 11, 23, 10, 0, 0, 123, time.UTC)
	out := make([]loyalty.Record, n)
	for i := range out {
		out[i] = loyalty.Record{
			Kind:      loyalty.Kind(1 + i%6),
			Key:       fmt.Sprintf("key-%d", i),
			At:        base.Add(time.Duration(i) * time.Minute),
			Member:    uint32(i + 1),
			Order:     fmt.Sprintf("order-%d", i),
			Amount:    int64(i*100 - 50),
			Lines:     []loyalty.Line{{Product: "sku", Category: "wine", Amount: int64(i)}, {Amount: 7}},
			Points:    int64(i*3 - 5),
			UnlockAt:  base.Add(time.Duration(i) * time.Hour),
			ExpiresAt: base.Add(time.Duration(i) * 24 * time.Hour),
			Reason:    fmt.Sprint("reason ", i),
		}
		if out[i].Kind == loyalty.KindMerge {
			out[i].Absorbed = uint32(i + 2) // kept for merges only
		}
		if i%3 == 0 {
			out[i].Lines, out[i].ExpiresAt, out[i].Reason = nil, time.Time{}, ""
		}
	}
	return out
}

var (
	day   = func(d int) time.Time { return time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, d) }
	rules = loyalty.Rules{Lock: 24 * time.Hour, Expiry: loyalty.Expiry{Rule: loyalty.AfterDays, N: 30}}
)

// writeHistory runs a ledger on s: three members earn and spend, and one order is
// refunded.
func writeHistory(s loyalty.Store) error {
	ctx := context.Background()
	l, err := loyalty.Open(s, rules)
	if err != nil {
		return err
	}
	for i := range 3 {
		m := uint32(1 + i)
		if _, err := l.Earn(ctx, day(i), fmt.Sprint("earn-", i), m, fmt.Sprint("O", i), 10000); err != nil {
			return err
		}
		if _, err := l.Spend(ctx, day(i+2), fmt.Sprint("spend-", i), m, 30); err != nil {
			return err
		}
	}
	_, err = l.Refund(ctx, day(5), "refund-1", "O1", 5000)
	return err
}

// balances replays s and describes the balances of the history's members.
func balances(s loyalty.Store) (string, error) {
	l, err := loyalty.Open(s, rules)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	for m := uint32(1); m <= 3; m++ {
		fmt.Fprintf(&b, "member %d: %+v\n", m, l.Balance(day(10), m))
	}
	return b.String(), nil
}
