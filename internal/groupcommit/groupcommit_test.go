package groupcommit

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/clientele-go/clientele/internal/errtext"
	"pgregory.net/rapid"
)

// store is a flush target that records every batch and can be told to fail one.
type store struct {
	mu      sync.Mutex
	batches [][]int
	durable map[int]bool
	failAt  int // 1-based index of the flush that fails; 0: none
	calls   int
	slow    time.Duration
}

var errDisk = errors.New("disk on fire")

func (s *store) flush(items []int) error {
	if s.slow > 0 {
		time.Sleep(s.slow)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls++
	s.batches = append(s.batches, slices.Clone(items))
	if s.calls == s.failAt {
		return fmt.Errorf("flush %d: %w", s.calls, errDisk)
	}
	for _, it := range items {
		s.durable[it] = true
	}
	return nil
}

// owner is a minimal user of a Group: it decides items (here, numbers them) under its
// mutex, as the ledgers do.
type owner struct {
	mu    sync.Mutex
	next  int
	order []int // decided order
	g     *Group[int]
}

func newOwner(s *store) *owner {
	o := &owner{}
	o.g = New(&o.mu, s.flush)
	return o
}

// record decides one item and commits it; claim takes the leader's role under the lock
// when it is free, as Ledger.submit does.
func (o *owner) record(claim bool) (int, error) {
	o.mu.Lock()
	if err := o.g.Err(); err != nil {
		o.mu.Unlock()
		return -1, err
	}
	it := o.next
	o.next++
	o.order = append(o.order, it)
	b := o.g.Add(it)
	lead := claim && o.g.Claim()
	o.mu.Unlock()
	if lead {
		return it, o.g.Lead(b)
	}
	return it, o.g.Commit(b)
}

// TestConcurrentCommit: every acknowledged item was flushed successfully before its
// Commit returned; batches hold the items in decided order, each once; concurrent
// callers share flushes.
func TestConcurrentCommit(t *testing.T) {
	s := &store{durable: map[int]bool{}, slow: 200 * time.Microsecond}
	o := newOwner(s)
	const workers, each = 16, 50
	var wg sync.WaitGroup
	errs := make(chan error, workers*each)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				it, err := o.record((w+i)%2 == 0)
				if err != nil {
					errs <- err
					return
				}
				s.mu.Lock()
				ok := s.durable[it]
				s.mu.Unlock()
				if !ok {
					errs <- fmt.Errorf("item %d acknowledged before it was flushed", it)
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	var flushed []int
	for _, b := range s.batches {
		if len(b) == 0 {
			t.Fatal("an empty batch was flushed")
		}
		flushed = append(flushed, b...)
	}
	if !slices.Equal(flushed, o.order) {
		t.Fatalf("flushed %d items not in decided order (%d decided)", len(flushed), len(o.order))
	}
	if len(s.batches) >= workers*each {
		t.Logf("no flush was shared (%d flushes for %d items): the machine ran the callers one by one", len(s.batches), workers*each)
	}
}

// TestFailedFlush: with concurrent callers and the k-th flush failing, the callers
// whose items were in that batch get its error, those of earlier batches get nil, no
// flush runs after it, and any caller after it gets the same error.
func TestFailedFlush(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		workers := rapid.IntRange(1, 12).Draw(rt, "workers")
		each := rapid.IntRange(1, 20).Draw(rt, "each")
		s := &store{durable: map[int]bool{}, failAt: rapid.IntRange(1, 6).Draw(rt, "failAt")}
		o := newOwner(s)
		type result struct {
			item int
			err  error
		}
		results := make(chan result, workers*each)
		var wg sync.WaitGroup
		for w := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range each {
					it, err := o.record((w+i)%3 == 0)
					results <- result{it, err}
				}
			}()
		}
		wg.Wait()
		close(results)
		if s.calls > s.failAt {
			rt.Fatalf("%d flushes after the failed flush %d", s.calls-s.failAt, s.failAt)
		}
		inFailed := map[int]bool{}
		if s.calls == s.failAt {
			for _, it := range s.batches[s.failAt-1] {
				inFailed[it] = true
			}
		}
		for r := range results {
			switch {
			case r.item < 0: // refused before deciding: the Group had stopped
				if !errors.Is(r.err, errDisk) {
					rt.Fatalf("a call after the failure: %v, want the flush's error", r.err)
				}
			case s.durable[r.item]:
				if r.err != nil {
					rt.Fatalf("item %d was flushed but its caller got %v", r.item, r.err)
				}
			case inFailed[r.item]:
				if !errors.Is(r.err, errDisk) {
					rt.Fatalf("item %d was in the failed batch but its caller got %v", r.item, r.err)
				}
			default: // decided after the failed batch was taken: never written
				if !errors.Is(r.err, errDisk) {
					rt.Fatalf("item %d was never written but its caller got %v", r.item, r.err)
				}
			}
		}
	})
}

// TestPending: a caller waiting for an item another caller added waits for the batch
// that makes it durable.
func TestPending(t *testing.T) {
	s := &store{durable: map[int]bool{}}
	o := newOwner(s)
	o.mu.Lock()
	if b := o.g.Pending(); b != nil {
		t.Fatal("Pending of an empty group is not nil")
	}
	b := o.g.Add(7)
	if o.g.Pending() != b {
		t.Fatal("Pending is not the open batch holding the item")
	}
	o.mu.Unlock()
	if err := o.g.Commit(o.pending()); err != nil {
		t.Fatal(err)
	}
	if !s.durable[7] {
		t.Fatal("Commit of the pending batch returned before its item was flushed")
	}
	if err := o.g.Commit(b); err != nil { // committing a flushed batch again
		t.Fatal(err)
	}
	if o.pending() != nil {
		t.Fatal("Pending after every batch was flushed is not nil")
	}
}

func (o *owner) pending() *Batch[int] {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.g.Pending()
}

// TestBulk: a bulk caller's batches are all flushed when Bulk returns, which returns
// decide's error and the failed flush's, both when both failed.
func TestBulk(t *testing.T) {
	errStop := errors.New("stop at 60")
	for _, failAt := range []int{0, 1, 3} {
		for _, stop := range []bool{false, true} {
			s := &store{durable: map[int]bool{}, failAt: failAt}
			o := newOwner(s)
			flushed, decided := o.g.Bulk(100, 10, func(i int) (*Batch[int], error) {
				if stop && i == 60 {
					return nil, errStop
				}
				o.mu.Lock()
				defer o.mu.Unlock()
				return o.g.Add(i), nil
			})
			want := 100
			if stop {
				want = 60
			}
			failed := failAt > 0 && s.calls >= failAt
			switch {
			case stop != (decided != nil) || stop && !errors.Is(decided, errStop):
				t.Fatalf("stop at 60 %v, Bulk returned %v from decide", stop, decided)
			case failed != (flushed != nil) || failed && !errors.Is(flushed.Err, errDisk):
				t.Fatalf("flush %d failed %v (%d flushes), Bulk returned %v from the flushes", failAt, failed, s.calls, flushed)
			case !failed && len(s.durable) != want:
				t.Fatalf("%d of %d items durable when Bulk returned", len(s.durable), want)
			case failed:
				// The error names exactly the items of the failed flush; those before it
				// are durable.
				b := s.batches[failAt-1]
				if flushed.Lo != b[0] || flushed.Hi != b[len(b)-1]+1 {
					t.Fatalf("flush %d of items %v failed; Bulk named items [%d, %d)", failAt, b, flushed.Lo, flushed.Hi)
				}
				for i := range flushed.Lo {
					if !s.durable[i] {
						t.Fatalf("item %d, before the failed flush's [%d, %d), is not durable", i, flushed.Lo, flushed.Hi)
					}
				}
			}
			// A Bulk of no items after a failed flush is refused like any later call.
			none := func(int) (*Batch[int], error) { t.Fatal("decide called for no items"); return nil, nil }
			if flushed, decided := o.g.Bulk(0, 10, none); decided != nil || failed != (flushed != nil) || failed && (!errors.Is(flushed.Err, errDisk) || flushed.Lo != 0 || flushed.Hi != 0) {
				t.Fatalf("Bulk of no items after flush %d failed %v: %v, %v", failAt, failed, decided, flushed)
			}
		}
	}
}

// BenchmarkCommit: 64 concurrent callers, each item durable on return, over a flush
// that takes 50 µs (an fsync of a fast disk), with group commit.
func BenchmarkCommit(b *testing.B) {
	s := &store{durable: map[int]bool{}, slow: 50 * time.Microsecond}
	o := newOwner(s)
	b.SetParallelism(32)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := o.record(true); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/float64(len(s.batches)), "items/flush")
}

// BenchmarkCommitNaive is the baseline: the same callers, one flush per item under one
// lock.
func BenchmarkCommitNaive(b *testing.B) {
	s := &store{durable: map[int]bool{}, slow: 50 * time.Microsecond}
	var mu sync.Mutex
	next := 0
	b.SetParallelism(32)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			mu.Lock()
			next++
			err := s.flush([]int{next})
			mu.Unlock()
			if err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// TestBulkStopped: a Bulk whose decide is refused because another caller's flush
// failed, with none of its own batches failed, reports that failure at the refused
// item, with no items in it (Lo = Hi), its items before durable.
func TestBulkStopped(t *testing.T) {
	s := &store{durable: map[int]bool{}, failAt: 21}
	o := newOwner(s)
	flushed, decided := o.g.Bulk(30, 10, func(i int) (*Batch[int], error) {
		if i == 20 {
			o.record(false) // another caller's item: the 21st flush, which fails
		}
		o.mu.Lock()
		if err := o.g.Err(); err != nil {
			o.mu.Unlock()
			return nil, fmt.Errorf("item %d: %w", i, err)
		}
		b := o.g.Add(i)
		o.mu.Unlock()
		// Each item flushed alone, before the next is decided: the flush that fails is
		// the other caller's.
		if err := o.g.Commit(b); err != nil {
			t.Fatalf("flush of item %d: %v", i, err)
		}
		return b, nil
	})
	switch {
	case !errors.Is(decided, errDisk):
		t.Fatalf("decide's error %v, want the failed flush's", decided)
	case flushed == nil || flushed.Lo != 20 || flushed.Hi != 20 || !errors.Is(flushed.Err, errDisk):
		t.Fatalf("Bulk refused at item 20 after another caller's flush failed: %v, want items [20, 20) and the flush's error", flushed)
	}
}

// appendErr and eventErr are an owner's error types (referral's AppendError and
// EventError), made as the owners make theirs, under the prefix "x: ".
type appendErr struct {
	Lo, Hi int
	Err    error
}

func (e *appendErr) Error() string { return AppendMessage("x: ", e.Lo, e.Hi, e.Err) }
func (e *appendErr) Unwrap() error { return e.Err }

type eventErr struct {
	Index int
	Err   error
}

func (e *eventErr) Error() string { return EventMessage("x: ", e.Index, e.Err) }
func (e *eventErr) Unwrap() error { return e.Err }

// bulkError is BulkError as an owner calls it, making its appendErr of f.
func bulkError(decided error, f *Failed) error {
	if f == nil {
		return BulkError("x: ", decided, nil, nil)
	}
	return BulkError("x: ", decided, f, &appendErr{f.Lo, f.Hi, f.Err})
}

// TestAppendMessage: the message of a failed append names its events, the durable
// prefix when there is one, and why, the prefix once.
func TestAppendMessage(t *testing.T) {
	flush := fmt.Errorf("x: flush failed: %w", errDisk)
	for _, c := range []struct {
		lo, hi int
		want   string
	}{
		{2, 5, "x: the append of events [2, 5) failed, events [0, 2) are durable: flush failed: disk on fire"},
		{0, 5, "x: the append of events [0, 5) failed: flush failed: disk on fire"},
		{3, 3, "x: apply stopped before event 3, events [0, 3) are durable: flush failed: disk on fire"},
		{0, 0, "x: apply stopped before event 0: flush failed: disk on fire"},
	} {
		if got := AppendMessage("x: ", c.lo, c.hi, flush); got != c.want {
			t.Errorf("AppendMessage(%d, %d) = %q, want %q", c.lo, c.hi, got, c.want)
		}
	}
}

// TestBulkError: an item's error and a failed flush make one error that errors.Is and
// errors.As see through, naming the item and then the flush's items, the prefix once;
// an item refused because the flush failed adds nothing to the flush's error.
func TestBulkError(t *testing.T) {
	errItem := errors.New("x: invalid")
	flush := fmt.Errorf("x: flush failed: %w", errDisk)
	err := bulkError(errtext.Errorf("x: ", "item 7: %w", errItem), &Failed{Lo: 2, Hi: 5, Err: flush})
	var ae *appendErr
	const want = "x: item 7: invalid; the append of events [2, 5) failed, events [0, 2) are durable: flush failed: disk on fire"
	switch {
	case !errors.Is(err, errItem) || !errors.Is(err, errDisk):
		t.Fatalf("%v does not wrap both the item's error and the flush's", err)
	case !errors.As(err, &ae) || ae.Lo != 2 || ae.Hi != 5:
		t.Fatalf("%v: errors.As finds %+v, want items [2, 5)", err, ae)
	case err.Error() != want:
		t.Fatalf("message %q, want %q", err, want)
	}
	refused := fmt.Errorf("x: item 7: %w", flush)
	if err := bulkError(refused, &Failed{Lo: 2, Hi: 5, Err: flush}); !errors.As(err, &ae) || err != error(ae) || ae.Lo != 2 {
		t.Fatalf("an item refused after the failed flush: %v, want the flush's AppendError alone", err)
	}
	if err := bulkError(errItem, nil); err != errItem {
		t.Fatalf("no failed flush: %v, want the item's error", err)
	}
}

// TestEventMessage: the error of an apply stopped at an event names it, in the message
// (the prefix once, the wrapped error's taken out); with a failed flush, errors.As
// finds both it and the AppendError, and an item refused because the flush failed
// still gives the flush's AppendError alone.
func TestEventMessage(t *testing.T) {
	errItem := errors.New("x: invalid")
	if got := EventMessage("x: ", 7, fmt.Errorf("order %q: %w", "k", errItem)); got != `x: apply event 7: order "k": invalid` {
		t.Fatalf("message %q", got)
	}

	flush := fmt.Errorf("x: flush failed: %w", errDisk)
	err := bulkError(&eventErr{7, errItem}, &Failed{Lo: 2, Hi: 5, Err: flush})
	var ae *appendErr
	var ee *eventErr
	const want = "x: apply event 7: invalid; the append of events [2, 5) failed, events [0, 2) are durable: flush failed: disk on fire"
	switch {
	case !errors.As(err, &ee) || ee.Index != 7 || !errors.As(err, &ae) || ae.Lo != 2:
		t.Fatalf("%v: errors.As finds %+v and %+v, want event 7 and items [2, 5)", err, ee, ae)
	case !errors.Is(err, errItem) || !errors.Is(err, errDisk):
		t.Fatalf("%v does not wrap both the item's error and the flush's", err)
	case err.Error() != want:
		t.Fatalf("message %q, want %q", err, want)
	}
	err = bulkError(&eventErr{7, flush}, &Failed{Lo: 7, Hi: 7, Err: flush})
	if _, alone := err.(*appendErr); !alone || errors.As(err, new(*eventErr)) {
		t.Fatalf("an item refused after the failed flush: %v, want the flush's AppendError alone", err)
	}
}
