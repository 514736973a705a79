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
// batches never interleave; breaking out of Records is allowed; and a durable store,
// closed and reopened, holds every batch whose Append returned and takes more.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

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
	// Close releases a store, before it is reopened and at the end of each check. Nil
	// calls Close on stores that are io.Closers.
	Close func(s referral.Store) error
}

func (h Harness) close(s referral.Store) error { return storecheck.Close(h.Close, s) }

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

var checks = []storecheck.Check[Harness, referral.Store]{
	{Name: "Empty", Fn: checkEmpty},
	{Name: "RoundTrip", Fn: checkRoundTrip},
	{Name: "Order", Fn: checkOrder},
	{Name: "NoAliasing", Fn: checkNoAliasing},
	{Name: "Concurrent", Fn: checkConcurrent},
	{Name: "EarlyStop", Fn: checkEarlyStop},
	{Name: "Reopen", Fn: checkReopen},
	{Name: "DeliveredTwice", Fn: checkDeliveredTwice},
}

func all(s referral.Store) ([]referral.Record, error) {
	var out []referral.Record
	for r, err := range s.Records() {
		if err != nil {
			return nil, fmt.Errorf("Records: %w", err)
		}
		out = append(out, r)
	}
	return out, nil
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

func same(what string, want []referral.Record, s referral.Store) ([]referral.Record, error) {
	got, err := all(s)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	if len(want) != len(got) {
		return nil, fmt.Errorf("%s: %d records, want %d", what, len(got), len(want))
	}
	for i := range want {
		if !equal(want[i], got[i]) {
			return nil, fmt.Errorf("%s: record %d is\n%+v\nwant\n%+v", what, i, got[i], want[i])
		}
	}
	return got, nil
}

func checkEmpty(_ Harness, _ string, s referral.Store) error {
	if _, err := same("new store", nil, s); err != nil {
		return err
	}
	if err := s.Append(); err != nil {
		return fmt.Errorf("Append of nothing: %w", err)
	}
	_, err := same("after an empty Append", nil, s)
	return err
}

func checkRoundTrip(_ Harness, _ string, s referral.Store) error {
	want := Sample(24)
	if err := s.Append(want...); err != nil {
		return err
	}
	_, err := same("round trip", want, s)
	return err
}

func checkOrder(_ Harness, _ string, s referral.Store) error {
	want := Sample(30)
	for i := 0; i < len(want); i += 7 {
		if err := s.Append(want[i:min(i+7, len(want))]...); err != nil {
			return err
		}
	}
	_, err := same("batches in order", want, s)
	return err
}

func checkNoAliasing(_ Harness, _ string, s referral.Store) error {
	recs := Sample(4)
	want := Sample(4)
	if err := s.Append(recs...); err != nil {
		return err
	}
	recs[1].Reasons[0] = "changed after Append"
	recs[1].Absorbed[0] = 999
	recs[2].Key = "changed"
	got, err := same("after the caller changed its records", want, s)
	if err != nil {
		return err
	}
	got[1].Reasons[0] = "changed by a reader"
	_, err = same("after a reader changed what it got", want, s)
	return err
}

func checkConcurrent(_ Harness, _ string, s referral.Store) error {
	const writers, each = 8, 25
	var wg sync.WaitGroup
	errs := make([]error, writers)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				r := referral.Record{Kind: referral.KindOrder, Key: fmt.Sprintf("w%d-%d", w, i), Profile: uint32(w + 1), Amount: int64(i)}
				pair := []referral.Record{r, r}
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
		if a.Amount != next[a.Profile] {
			return fmt.Errorf("writer %d: record %d out of order", a.Profile, a.Amount)
		}
		next[a.Profile]++
	}
	return nil
}

func checkEarlyStop(_ Harness, _ string, s referral.Store) error {
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

func checkReopen(h Harness, dir string, s referral.Store) error {
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

// checkDeliveredTwice: a programme's history appended to the store, then again as a
// retried write would append it (whole, and one batch of it), replays to the same
// balances as the history once: replay is idempotent by record key.
func checkDeliveredTwice(_ Harness, _ string, s referral.Store) error {
	day := func(d int) time.Time { return time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, d) }
	cfg := referral.Config{ReferrerReward: 500, ReferredReward: 100, Clock: fixedClock(day(90))}
	p, err := referral.Open(s, cfg)
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
	want := map[uint32]referral.Balance{}
	for _, prof := range []uint32{1, 10, 11, 12} {
		want[prof] = p.Balance(prof, day(90))
	}
	if want[1].Earned == 0 {
		return fmt.Errorf("the history earned the referrer nothing: %+v", want[1])
	}
	recs, err := all(s)
	if err != nil {
		return err
	}
	if err := s.Append(recs[len(recs)-3:]...); err != nil { // the last batch, retried
		return err
	}
	if err := s.Append(recs...); err != nil { // everything, redelivered
		return err
	}
	q, err := referral.Open(s, cfg)
	if err != nil {
		return fmt.Errorf("replay of records delivered twice: %w", err)
	}
	for prof, b := range want {
		if got := q.Balance(prof, day(90)); got != b {
			return fmt.Errorf("profile %d: balance %+v after records were delivered twice, want %+v", prof, got, b)
		}
	}
	return nil
}

type fixedClock time.Time

func (c fixedClock) Now() time.Time { return time.Time(c) }

// zeros is a deterministic source for IssueCode.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) { clear(p); return len(p), nil }
