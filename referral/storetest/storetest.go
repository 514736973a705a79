// Package storetest checks an implementation of referral.Store against the contract
// written on that interface, the way testing/fstest checks an fs.FS. A host that keeps
// the referral ledger in its own database runs it from a test:
//
//	func TestMyStore(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) (referral.Store, func() referral.Store) {
//			s := openMyStore(t)
//			return s, func() referral.Store { return reopenMyStore(t) }
//		})
//	}
package storetest

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/clientele-go/clientele/referral"
)

// Open returns a fresh, empty store and a function that reopens it: for a durable
// store, closing and opening the same place again; for one that is not durable, nil.
type Open func(t *testing.T) (s referral.Store, reopen func() referral.Store)

// Run runs every conformance check, each as a subtest on a fresh store.
func Run(t *testing.T, open Open) {
	t.Run("Empty", func(t *testing.T) { testEmpty(t, open) })
	t.Run("RoundTrip", func(t *testing.T) { testRoundTrip(t, open) })
	t.Run("Order", func(t *testing.T) { testOrder(t, open) })
	t.Run("NoAliasing", func(t *testing.T) { testNoAliasing(t, open) })
	t.Run("Concurrent", func(t *testing.T) { testConcurrent(t, open) })
	t.Run("EarlyStop", func(t *testing.T) { testEarlyStop(t, open) })
	t.Run("Reopen", func(t *testing.T) { testReopen(t, open) })
	t.Run("DeliveredTwice", func(t *testing.T) { testDeliveredTwice(t, open) })
}

// testDeliveredTwice: a programme's history appended to the store, then again as a
// retried write would append it (whole, and one batch of it), replays to the same
// balances as the history once: replay is idempotent by record key.
func testDeliveredTwice(t *testing.T, open Open) {
	s, _ := open(t)
	day := func(d int) time.Time { return time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, d) }
	cfg := referral.Config{ReferrerReward: 500, ReferredReward: 100, Clock: fixedClock(day(90))}
	p, err := referral.Open(s, cfg)
	if err != nil {
		t.Fatal(err)
	}
	code, err := p.IssueCode("code-1", day(0), 1, referral.Signals{}, zeros{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		prof := uint32(10 + i)
		if _, err := p.SignUp(fmt.Sprint("signup-", i), day(1+i), prof, string(code), referral.Signals{}); err != nil {
			t.Fatal(err)
		}
		if err := p.Order(fmt.Sprint("order-", i), day(2+i), prof, fmt.Sprint("O", i), 1000); err != nil {
			t.Fatal(err)
		}
	}
	want := map[uint32]referral.Balance{}
	for _, prof := range []uint32{1, 10, 11, 12} {
		want[prof] = p.Balance(prof, day(90))
	}
	if want[1].Earned == 0 {
		t.Fatalf("the history earned the referrer nothing: %+v", want[1])
	}
	recs := all(t, s)
	if err := s.Append(recs[len(recs)-3:]...); err != nil { // the last batch, retried
		t.Fatal(err)
	}
	if err := s.Append(recs...); err != nil { // everything, redelivered
		t.Fatal(err)
	}
	q, err := referral.Open(s, cfg)
	if err != nil {
		t.Fatalf("replay of records delivered twice: %v", err)
	}
	for prof, b := range want {
		if got := q.Balance(prof, day(90)); got != b {
			t.Errorf("profile %d: balance %+v after records were delivered twice, want %+v", prof, got, b)
		}
	}
}

type fixedClock time.Time

func (c fixedClock) Now() time.Time { return time.Time(c) }

// zeros is a deterministic source for IssueCode.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) { clear(p); return len(p), nil }

func all(t *testing.T, s referral.Store) []referral.Record {
	t.Helper()
	var out []referral.Record
	for r, err := range s.Records() {
		if err != nil {
			t.Fatalf("Records: %v", err)
		}
		out = append(out, r)
	}
	return out
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

func same(t *testing.T, what string, want, got []referral.Record) {
	t.Helper()
	if len(want) != len(got) {
		t.Fatalf("%s: %d records, want %d", what, len(got), len(want))
	}
	for i := range want {
		if !equal(want[i], got[i]) {
			t.Fatalf("%s: record %d is\n%+v\nwant\n%+v", what, i, got[i], want[i])
		}
	}
}

func testEmpty(t *testing.T, open Open) {
	s, _ := open(t)
	if got := all(t, s); len(got) != 0 {
		t.Fatalf("new store holds %d records", len(got))
	}
	if err := s.Append(); err != nil {
		t.Fatalf("Append of nothing: %v", err)
	}
	if got := all(t, s); len(got) != 0 {
		t.Fatalf("after an empty Append the store holds %d records", len(got))
	}
}

func testRoundTrip(t *testing.T, open Open) {
	s, _ := open(t)
	want := Sample(24)
	if err := s.Append(want...); err != nil {
		t.Fatal(err)
	}
	same(t, "round trip", want, all(t, s))
}

func testOrder(t *testing.T, open Open) {
	s, _ := open(t)
	want := Sample(30)
	for i := 0; i < len(want); i += 7 {
		if err := s.Append(want[i:min(i+7, len(want))]...); err != nil {
			t.Fatal(err)
		}
	}
	same(t, "batches in order", want, all(t, s))
}

func testNoAliasing(t *testing.T, open Open) {
	s, _ := open(t)
	recs := Sample(4)
	want := Sample(4)
	if err := s.Append(recs...); err != nil {
		t.Fatal(err)
	}
	recs[1].Reasons[0] = "changed after Append"
	recs[1].Absorbed[0] = 999
	recs[2].Key = "changed"
	got := all(t, s)
	same(t, "after the caller changed its records", want, got)
	got[1].Reasons[0] = "changed by a reader"
	same(t, "after a reader changed what it got", want, all(t, s))
}

func testConcurrent(t *testing.T, open Open) {
	s, _ := open(t)
	const writers, each = 8, 25
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				r := referral.Record{Kind: referral.KindOrder, Key: fmt.Sprintf("w%d-%d", w, i), Profile: uint32(w + 1), Amount: int64(i)}
				pair := []referral.Record{r, r}
				pair[1].Key += "-b"
				if err := s.Append(pair...); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	got := all(t, s)
	if len(got) != 2*writers*each {
		t.Fatalf("%d records after concurrent appends, want %d", len(got), 2*writers*each)
	}
	next := map[uint32]int64{}
	for i := 0; i < len(got); i += 2 {
		a, b := got[i], got[i+1]
		if b.Key != a.Key+"-b" {
			t.Fatalf("records %d and %d (%q, %q) are not one batch: batches interleaved", i, i+1, a.Key, b.Key)
		}
		if a.Amount != next[a.Profile] {
			t.Fatalf("writer %d: record %d out of order", a.Profile, a.Amount)
		}
		next[a.Profile]++
	}
}

func testEarlyStop(t *testing.T, open Open) {
	s, _ := open(t)
	if err := s.Append(Sample(10)...); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, err := range s.Records() {
		if err != nil {
			t.Fatal(err)
		}
		if n++; n == 3 {
			break
		}
	}
	same(t, "after an early stop", Sample(10), all(t, s))
}

func testReopen(t *testing.T, open Open) {
	s, reopen := open(t)
	if reopen == nil {
		t.Skip("store is not durable")
	}
	want := Sample(12)
	if err := s.Append(want[:5]...); err != nil {
		t.Fatal(err)
	}
	if err := s.Append(want[5:]...); err != nil {
		t.Fatal(err)
	}
	s2 := reopen()
	same(t, "after reopening", want, all(t, s2))
	more := Sample(14)[12:]
	if err := s2.Append(more...); err != nil {
		t.Fatal(err)
	}
	same(t, "appending after reopening", append(want, more...), all(t, reopen()))
}
