package storecheck

import (
	"errors"
	"fmt"
	"iter"
	"sync"

	"github.com/clientele-go/clientele/internal/english"
)

// LogStore is a store that is an append-only log of records R written in batches:
// identity.Store, referral.Store and loyalty.Store.
type LogStore[R any] interface {
	Append(recs ...R) error
	Records() iter.Seq2[R, error]
}

// Log tells the log checks what they need to know of a package's records R.
type Log[R any] struct {
	// Sample returns n records, distinct by index and with every field set; record i
	// is the same whatever n, and no two calls share memory.
	Sample func(n int) []R
	// Diff says how got differs from want, or returns "" when it does not.
	Diff func(want, got R) string
	// Keyed returns a record carrying key, and Key reads the key back: the concurrency
	// check tells writers and batches apart by key.
	Keyed func(key string) R
	Key   func(r R) string
	// Scribble changes *r in place, through every slice it holds: the checks scribble
	// on records after Append and after Records to catch a store that shares memory
	// with its callers.
	Scribble func(r *R)
	// Clone, when set, says that Records lends its records until the next iteration
	// (identity's contract): the checks keep a clone of each and do not scribble on
	// what Records yields. When nil, what Records yields belongs to the caller.
	Clone func(r R) R
	// Flush, when set, makes what was appended durable before a store is closed (a
	// store whose Append only buffers until Sync).
	Flush func(s LogStore[R]) error
}

// All reads every record of s.
func (l Log[R]) All(s LogStore[R]) ([]R, error) {
	var out []R
	for r, err := range s.Records() {
		if err != nil {
			return out, fmt.Errorf("Records after %s: %w", english.Count(len(out), "record"), err)
		}
		if l.Clone != nil {
			r = l.Clone(r)
		}
		out = append(out, r)
	}
	return out, nil
}

// Same reads every record of s and compares them with want; what says when, for the
// error.
func (l Log[R]) Same(what string, want []R, s LogStore[R]) ([]R, error) {
	got, err := l.All(s)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	if len(want) != len(got) {
		return nil, fmt.Errorf("%s: %d records, want %d", what, len(got), len(want))
	}
	for i := range want {
		if d := l.Diff(want[i], got[i]); d != "" {
			return nil, fmt.Errorf("%s: record %d: %s", what, i, d)
		}
	}
	return got, nil
}

// Checks returns the checks of an append-only log: a new store is empty; batches come
// back whole, in order, every field intact; Append copies what it is given and Records
// hands out copies (unless it lends them); concurrent batches never interleave, also as
// seen by a concurrent reader; breaking out of Records is allowed; and a durable store,
// closed and reopened, holds every batch whose Append returned and takes more.
func Checks[S LogStore[R], R any](l Log[R]) []Check[S] {
	return []Check[S]{
		{Name: "Empty", Fn: func(_ Harness[S], _ string, s S) error { return l.empty(s) }},
		{Name: "RoundTrip", Fn: func(_ Harness[S], _ string, s S) error { return l.batches(s, 24) }},
		{Name: "Order", Fn: func(_ Harness[S], _ string, s S) error { return l.batches(s, 1, 3, 7, 7, 12) }},
		{Name: "NoAliasing", Fn: func(_ Harness[S], _ string, s S) error { return l.noAliasing(s) }},
		{Name: "Concurrent", Fn: func(_ Harness[S], _ string, s S) error { return l.concurrent(s) }},
		{Name: "EarlyStop", Fn: func(_ Harness[S], _ string, s S) error { return l.earlyStop(s) }},
		Reopened(func(s S, round int) error { return l.write(s, round) }, func(s S, round int) error { return l.held(s, round) }),
	}
}

func (l Log[R]) empty(s LogStore[R]) error {
	if _, err := l.Same("new store", nil, s); err != nil {
		return err
	}
	if err := s.Append(); err != nil {
		return fmt.Errorf("Append of nothing: %w", err)
	}
	_, err := l.Same("after an empty Append", nil, s)
	return err
}

// batches appends the sample in batches of the sizes given.
func (l Log[R]) batches(s LogStore[R], sizes ...int) error {
	n := 0
	for _, k := range sizes {
		n += k
	}
	want, i := l.Sample(n), 0
	for _, k := range sizes {
		if err := s.Append(l.Sample(n)[i : i+k]...); err != nil {
			return fmt.Errorf("Append of a batch of %d: %w", k, err)
		}
		i += k
	}
	_, err := l.Same(fmt.Sprintf("batches of %v", sizes), want, s)
	return err
}

func (l Log[R]) noAliasing(s LogStore[R]) error {
	recs := l.Sample(4)
	if err := s.Append(recs...); err != nil {
		return err
	}
	for i := range recs {
		l.Scribble(&recs[i])
	}
	got, err := l.Same("after the caller changed what it appended", l.Sample(4), s)
	if err != nil || l.Clone != nil {
		return err
	}
	for i := range got {
		l.Scribble(&got[i])
	}
	_, err = l.Same("after a reader changed what it got", l.Sample(4), s)
	return err
}

func (l Log[R]) concurrent(s LogStore[R]) error {
	const writers, each = 8, 25
	var wg sync.WaitGroup
	errs := make([]error, writers+1)
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				batch := []R{l.Keyed(fmt.Sprintf("w%d-%d-a", w, i)), l.Keyed(fmt.Sprintf("w%d-%d-b", w, i))}
				if err := s.Append(batch...); err != nil {
					errs[w] = err
					return
				}
			}
		})
	}
	// A reader running alongside sees whole batches.
	wg.Go(func() {
		for range 5 {
			got, err := l.All(s)
			if err == nil {
				err = l.paired(got)
			}
			if err != nil {
				errs[writers] = fmt.Errorf("a concurrent reader: %w", err)
				return
			}
		}
	})
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	got, err := l.All(s)
	if err != nil {
		return err
	}
	if len(got) != 2*writers*each {
		return fmt.Errorf("%d records after concurrent appends, want %d", len(got), 2*writers*each)
	}
	return l.paired(got)
}

// paired checks that records come in the batches the concurrency check appends, each
// writer's in order.
func (l Log[R]) paired(got []R) error {
	next := map[int]int{}
	for i := 0; i < len(got); i += 2 {
		var w, n int
		a := l.Key(got[i])
		if _, err := fmt.Sscanf(a, "w%d-%d-a", &w, &n); err != nil {
			return fmt.Errorf("record %d has key %q, not the first of a batch", i, a)
		}
		if n != next[w] {
			return fmt.Errorf("writer %d's batch %d at record %d, want its batch %d", w, n, i, next[w])
		}
		if want := fmt.Sprintf("w%d-%d-b", w, n); i+1 < len(got) && l.Key(got[i+1]) != want {
			return fmt.Errorf("records %d and %d have keys %q and %q: batches interleaved", i, i+1, a, l.Key(got[i+1]))
		}
		next[w]++
	}
	return nil
}

func (l Log[R]) earlyStop(s LogStore[R]) error {
	if err := s.Append(l.Sample(10)...); err != nil {
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
	_, err := l.Same("after an early stop", l.Sample(10), s)
	return err
}

// write appends records 0 to 11 in two batches in round 0, 12 and 13 in round 1.
func (l Log[R]) write(s LogStore[R], round int) error {
	batches := [][2]int{{0, 5}, {5, 12}}
	if round == 1 {
		batches = [][2]int{{12, 14}}
	}
	for _, b := range batches {
		if err := s.Append(l.Sample(b[1])[b[0]:]...); err != nil {
			return err
		}
	}
	if l.Flush == nil {
		return nil
	}
	return l.Flush(s)
}

func (l Log[R]) held(s LogStore[R], round int) error {
	_, err := l.Same("what was appended", l.Sample(12+2*round), s)
	return err
}

// Redelivered is the check named DeliveredTwice: replay is idempotent by record key. A
// history that write puts in the store, delivered again as an at-least-once store may
// deliver it (its last record, its second half, and all of it, each after the first
// copy), replays to the same state as the history once; state replays a store and
// describes what it holds.
func Redelivered[S LogStore[R], R any](l Log[R], write func(s S) error, state func(s S) (string, error)) Check[S] {
	return Check[S]{Name: "DeliveredTwice", Fn: func(_ Harness[S], _ string, s S) error {
		if err := write(s); err != nil {
			return fmt.Errorf("writing the history: %w", err)
		}
		want, err := state(s)
		if err != nil {
			return fmt.Errorf("replay of the history: %w", err)
		}
		recs, err := l.All(s)
		if err != nil {
			return err
		}
		if len(recs) == 0 {
			return errors.New("the history left no records")
		}
		for _, again := range [][]R{recs[len(recs)-1:], recs[len(recs)/2:], recs} {
			if err := s.Append(again...); err != nil {
				return err
			}
		}
		got, err := state(s)
		if err != nil {
			return fmt.Errorf("replay of records delivered twice: %w", err)
		}
		if got != want {
			return fmt.Errorf("records delivered twice replay to\n%s\nwant\n%s", got, want)
		}
		return nil
	}}
}
