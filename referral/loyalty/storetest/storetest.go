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
// closed and reopened, holds every batch whose Append returned and takes more; and
// records delivered twice replay to the same balances.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
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
	// Close releases a store, before it is reopened and at the end of each check. Nil
	// calls Close on stores that are io.Closers.
	Close func(s loyalty.Store) error
}

func (h Harness) close(s loyalty.Store) error { return storecheck.Close(h.Close, s) }

// Run runs every check as a subtest of t, each on a new store in its own directory.
func Run(t *testing.T, h Harness) {
	t.Helper()
	storecheck.Run(t, h, h.Open, h.close, checks)
}

// TestStore runs every check, each in a fresh directory under a temporary one, and
// returns an error describing the first failure, or nil.
func TestStore(h Harness) error {
	return storecheck.All(h, h.Open, h.close, checks)
}

var checks = []storecheck.Check[Harness, loyalty.Store]{
	{Name: "Empty", Fn: checkEmpty},
	{Name: "RoundTrip", Fn: checkRoundTrip},
	{Name: "Order", Fn: checkOrder},
	{Name: "NoAliasing", Fn: checkNoAliasing},
	{Name: "Concurrent", Fn: checkConcurrent},
	{Name: "EarlyStop", Fn: checkEarlyStop},
	{Name: "Reopen", Fn: checkReopen},
	{Name: "DeliveredTwice", Fn: checkDeliveredTwice},
}

func all(s loyalty.Store) ([]loyalty.Record, error) {
	var out []loyalty.Record
	for r, err := range s.Records() {
		if err != nil {
			return nil, fmt.Errorf("Records: %w", err)
		}
		out = append(out, r)
	}
	return out, nil
}

// Sample returns n records with every field set, distinct by index. They are records
// as a store keeps them, not a history a ledger would accept.
func Sample(n int) []loyalty.Record {
	base := time.Date(2026, 11, 23, 10, 0, 0, 123, time.UTC)
	out := make([]loyalty.Record, n)
	for i := range out {
		out[i] = loyalty.Record{
			Kind:      loyalty.Kind(1 + i%5),
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
		if i%3 == 0 {
			out[i].Lines, out[i].ExpiresAt, out[i].Reason = nil, time.Time{}, ""
		}
	}
	return out
}

// same compares records with times compared as instants.
var timeEq = cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) })

func same(what string, want []loyalty.Record, s loyalty.Store) ([]loyalty.Record, error) {
	got, err := all(s)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	if len(want) != len(got) {
		return nil, fmt.Errorf("%s: %d records, want %d", what, len(got), len(want))
	}
	for i := range want {
		if diff := cmp.Diff(want[i], got[i], timeEq); diff != "" {
			return nil, fmt.Errorf("%s: record %d (-want +got):\n%s", what, i, diff)
		}
	}
	return got, nil
}

func checkEmpty(_ Harness, _ string, s loyalty.Store) error {
	if _, err := same("new store", nil, s); err != nil {
		return err
	}
	if err := s.Append(); err != nil {
		return fmt.Errorf("Append of nothing: %w", err)
	}
	_, err := same("after an empty Append", nil, s)
	return err
}

func checkRoundTrip(_ Harness, _ string, s loyalty.Store) error {
	want := Sample(24)
	if err := s.Append(want...); err != nil {
		return err
	}
	_, err := same("round trip", want, s)
	return err
}

func checkOrder(_ Harness, _ string, s loyalty.Store) error {
	want := Sample(30)
	for i := 0; i < len(want); i += 7 {
		if err := s.Append(want[i:min(i+7, len(want))]...); err != nil {
			return err
		}
	}
	_, err := same("batches in order", want, s)
	return err
}

func checkNoAliasing(_ Harness, _ string, s loyalty.Store) error {
	recs := Sample(4)
	want := Sample(4)
	if err := s.Append(recs...); err != nil {
		return err
	}
	recs[1].Lines[0].Product = "changed after Append"
	recs[2].Key = "changed"
	got, err := same("after the caller changed its records", want, s)
	if err != nil {
		return err
	}
	got[1].Lines[0].Category = "changed by a reader"
	_, err = same("after a reader changed what it got", want, s)
	return err
}

func checkConcurrent(_ Harness, _ string, s loyalty.Store) error {
	const writers, each = 8, 25
	var wg sync.WaitGroup
	errs := make([]error, writers)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				r := loyalty.Record{Kind: loyalty.KindSpend, Key: fmt.Sprintf("w%d-%d", w, i), Member: uint32(w + 1), Points: int64(i)}
				pair := []loyalty.Record{r, r}
				pair[1].Key += "-b"
				if err := s.Append(pair...); err != nil {
					errs[w] = err
					return
				}
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	got, err := all(s)
	if err != nil {
		return err
	}
	if len(got) != 2*writers*each {
		return fmt.Errorf("%d records after concurrent appends, want %d", len(got), 2*writers*each)
	}
	next := map[uint32]int64{}
	for i := 0; i < len(got); i += 2 {
		a, b := got[i], got[i+1]
		if b.Key != a.Key+"-b" {
			return fmt.Errorf("records %d and %d (%q, %q) are not one batch: batches interleaved", i, i+1, a.Key, b.Key)
		}
		if a.Points != next[a.Member] {
			return fmt.Errorf("writer %d: record %d out of order", a.Member, a.Points)
		}
		next[a.Member]++
	}
	return nil
}

func checkEarlyStop(_ Harness, _ string, s loyalty.Store) error {
	if err := s.Append(Sample(10)...); err != nil {
		return err
	}
	n := 0
	for _, err := range s.Records() {
		if err != nil {
			return err
		}
		if n++; n == 3 {
			break
		}
	}
	_, err := same("after an early stop", Sample(10), s)
	return err
}

func checkReopen(h Harness, dir string, s loyalty.Store) error {
	if h.Reopen == nil {
		return nil
	}
	want := Sample(12)
	if err := s.Append(want[:5]...); err != nil {
		return err
	}
	if err := s.Append(want[5:]...); err != nil {
		return err
	}
	if err := h.close(s); err != nil {
		return fmt.Errorf("Close: %w", err)
	}
	s2, err := h.Reopen(dir)
	if err != nil {
		return fmt.Errorf("reopen: %w", err)
	}
	if _, err := same("after reopening", want, s2); err != nil {
		h.close(s2)
		return err
	}
	more := Sample(14)[12:]
	if err := s2.Append(more...); err != nil {
		h.close(s2)
		return err
	}
	if err := h.close(s2); err != nil {
		return fmt.Errorf("Close: %w", err)
	}
	s3, err := h.Reopen(dir)
	if err != nil {
		return fmt.Errorf("reopen: %w", err)
	}
	defer h.close(s3)
	_, err = same("appending after reopening", append(want, more...), s3)
	return err
}

// checkDeliveredTwice: a ledger's history appended to the store, then again as a
// retried write would append it (the last batch, and everything), replays to the same
// balances as the history once: replay is idempotent by record key.
func checkDeliveredTwice(_ Harness, _ string, s loyalty.Store) error {
	ctx := context.Background()
	day := func(d int) time.Time { return time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, d) }
	rules := loyalty.Rules{Lock: 24 * time.Hour, Expiry: loyalty.Expiry{Rule: loyalty.AfterDays, N: 30}}
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
	if _, err := l.Refund(ctx, day(5), "refund-1", "O1", 5000); err != nil {
		return err
	}
	want := map[uint32]loyalty.Balance{}
	for m := uint32(1); m <= 3; m++ {
		want[m] = l.Balance(m, day(10))
	}
	recs, err := all(s)
	if err != nil {
		return err
	}
	if err := s.Append(recs[len(recs)-1:]...); err != nil {
		return err
	}
	if err := s.Append(recs...); err != nil {
		return err
	}
	again, err := loyalty.Open(s, rules)
	if err != nil {
		return fmt.Errorf("replay of records delivered twice: %w", err)
	}
	for m, b := range want {
		if got := again.Balance(m, day(10)); got != b {
			return fmt.Errorf("member %d: balance %+v after records were delivered twice, want %+v", m, got, b)
		}
	}
	return nil
}
