// Package storetest checks an identity.Store implementation against the contract the
// resolver relies on, in the way testing/fstest checks an fs.FS: a host that keeps
// identity's history in its own database runs the same assertions as MemStore and
// FileStore.
//
//	func TestMyStore(t *testing.T) {
//		storetest.Run(t, storetest.Harness{
//			Open:   func(dir string) (identity.Store, error) { return mystore.Create(dir) },
//			Reopen: func(dir string) (identity.Store, error) { return mystore.Open(dir) },
//		})
//	}
//
// The checks: a fresh store is empty; records come back in order, byte for byte,
// including empty-looking and large ones; Append copies what it is given; a batch is one
// unit; records appended concurrently all come back, each writer's in its order; breaking
// out of Records is allowed; Sync and Compact work when implemented; a durable store
// reopened (after Close) holds what was appended; and a resolver
// on the store rebuilds the same profiles and keys when opened again.
package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/clientele-go/clientele/identity"
	"github.com/clientele-go/clientele/internal/storecheck"
)

// Harness describes the store under test. The identity, segment and referral storetest
// packages share this shape.
type Harness struct {
	// Open returns a new, empty store whose state lives in dir. Every check starts with
	// a new, empty dir; a store that keeps its state elsewhere (a database schema, say)
	// may use dir as a name.
	Open func(dir string) (identity.Store, error)
	// Reopen returns a store over the state that the store opened on dir kept, after
	// that store was closed. The suite checks that nothing acknowledged was lost. Nil
	// means the store is not durable, and the durability checks are skipped.
	Reopen func(dir string) (identity.Store, error)
	// Close releases a store, before it is reopened and at the end of each check. Nil
	// calls Close on stores that are io.Closers.
	Close func(s identity.Store) error
}

func (h Harness) close(s identity.Store) error { return storecheck.Close(h.Close, s) }

// Run runs every check as a subtest of t.
func Run(t *testing.T, h Harness) {
	t.Helper()
	storecheck.Run(t, h, h.Open, h.close, checks)
}

// TestStore runs every check, each in a fresh directory under a temporary one, and
// returns an error describing the first failure, or nil.
func TestStore(h Harness) error {
	return storecheck.All(h, h.Open, h.close, checks)
}

var checks = []storecheck.Check[Harness, identity.Store]{
	{Name: "Empty", Fn: checkEmpty},
	{Name: "OrderAndBytes", Fn: checkOrder},
	{Name: "AppendCopies", Fn: checkCopies},
	{Name: "StopEarly", Fn: checkStopEarly},
	{Name: "ConcurrentAppends", Fn: checkConcurrent},
	{Name: "Sync", Fn: checkSync},
	{Name: "Compact", Fn: checkCompact},
	{Name: "Reopen", Fn: checkReopen},
	{Name: "Resolver", Fn: checkResolver},
}

// all reads every record, copying each (a record may share memory with the next).
func all(s identity.Store) ([][]byte, error) {
	var out [][]byte
	for r, err := range s.Records() {
		if err != nil {
			return out, fmt.Errorf("Records after %d records: %w", len(out), err)
		}
		out = append(out, bytes.Clone(r))
	}
	return out, nil
}

func same(want, got [][]byte) error {
	if len(want) != len(got) {
		return fmt.Errorf("Records yields %d records, want %d", len(got), len(want))
	}
	for i := range want {
		if !bytes.Equal(want[i], got[i]) {
			return fmt.Errorf("record %d is %q (%d bytes), want %q (%d bytes)", i, clip(got[i]), len(got[i]), clip(want[i]), len(want[i]))
		}
	}
	return nil
}

func clip(b []byte) []byte {
	if len(b) > 32 {
		return b[:32]
	}
	return b
}

// sample returns records of varied sizes and contents, including zero bytes and a
// record of 1 MiB.
func sample() [][]byte {
	big := make([]byte, 1<<20)
	for i := range big {
		big[i] = byte(i * 7)
	}
	return [][]byte{[]byte("a"), {0}, []byte("link a b"), bytes.Repeat([]byte{0xff}, 300), big, []byte("last")}
}

func checkEmpty(_ Harness, _ string, s identity.Store) error {
	got, err := all(s)
	if err != nil {
		return err
	}
	if len(got) != 0 {
		return fmt.Errorf("a new store yields %d records", len(got))
	}
	return s.Append()
}

func checkOrder(_ Harness, _ string, s identity.Store) error {
	want := sample()
	if err := s.Append(want[0]); err != nil {
		return fmt.Errorf("Append: %w", err)
	}
	if err := s.Append(want[1:4]...); err != nil {
		return fmt.Errorf("Append of a batch: %w", err)
	}
	for _, r := range want[4:] {
		if err := s.Append(r); err != nil {
			return fmt.Errorf("Append: %w", err)
		}
	}
	got, err := all(s)
	if err != nil {
		return err
	}
	return same(want, got)
}

func checkCopies(_ Harness, _ string, s identity.Store) error {
	buf := []byte("original")
	if err := s.Append(buf); err != nil {
		return err
	}
	copy(buf, "CHANGED!")
	got, err := all(s)
	if err != nil {
		return err
	}
	return same([][]byte{[]byte("original")}, got)
}

func checkStopEarly(_ Harness, _ string, s identity.Store) error {
	if err := s.Append(sample()...); err != nil {
		return err
	}
	n := 0
	for _, err := range s.Records() {
		if err != nil {
			return err
		}
		if n++; n == 2 {
			break
		}
	}
	got, err := all(s) // the store still works
	if err != nil {
		return err
	}
	return same(sample(), got)
}

func checkConcurrent(_ Harness, _ string, s identity.Store) error {
	const writers, each = 8, 50
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				batch := [][]byte{fmt.Appendf(nil, "w%d-%d-a", w, i), fmt.Appendf(nil, "w%d-%d-b", w, i)}
				if err := s.Append(batch...); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	// A reader running alongside must see whole batches, in order.
	wg.Add(1)
	go func() {
		defer wg.Done()
		for range 5 {
			got, err := all(s)
			if err != nil {
				errs <- err
				return
			}
			for i := 0; i+1 < len(got); i += 2 {
				if !bytes.HasSuffix(got[i], []byte("-a")) || !bytes.Equal(got[i][:len(got[i])-2], got[i+1][:len(got[i+1])-2]) {
					errs <- fmt.Errorf("a reader saw records %d and %d, %q and %q, not one batch", i, i+1, got[i], got[i+1])
					return
				}
			}
		}
	}()
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return err
	}
	got, err := all(s)
	if err != nil {
		return err
	}
	if len(got) != writers*each*2 {
		return fmt.Errorf("%d records after concurrent appends, want %d", len(got), writers*each*2)
	}
	next := map[int]int{}
	for i := 0; i < len(got); i += 2 {
		var w, n int
		if _, err := fmt.Sscanf(string(got[i]), "w%d-%d-a", &w, &n); err != nil {
			return fmt.Errorf("record %d is %q: %v", i, got[i], err)
		}
		if n != next[w] || string(got[i+1]) != fmt.Sprintf("w%d-%d-b", w, n) {
			return fmt.Errorf("writer %d's batch %d out of order or split at record %d", w, n, i)
		}
		next[w]++
	}
	return nil
}

func checkSync(_ Harness, _ string, s identity.Store) error {
	sy, ok := s.(identity.Syncer)
	if !ok {
		return nil
	}
	if err := s.Append([]byte("x")); err != nil {
		return err
	}
	if err := sy.Sync(); err != nil {
		return fmt.Errorf("Sync: %w", err)
	}
	return sy.Sync() // nothing new: still fine
}

func checkCompact(h Harness, dir string, s identity.Store) error {
	c, ok := s.(identity.Compacter)
	if !ok {
		return nil
	}
	if err := s.Append(sample()...); err != nil {
		return err
	}
	repl := [][]byte{[]byte("one"), []byte("two")}
	if err := c.Compact(slices.Values(repl)); err != nil {
		return fmt.Errorf("Compact: %w", err)
	}
	if err := s.Append([]byte("three")); err != nil {
		return fmt.Errorf("Append after Compact: %w", err)
	}
	want := append(repl, []byte("three"))
	got, err := all(s)
	if err != nil {
		return err
	}
	if err := same(want, got); err != nil {
		return fmt.Errorf("after Compact: %w", err)
	}
	if h.Reopen == nil {
		return nil
	}
	if err := h.close(s); err != nil {
		return err
	}
	s2, err := h.Reopen(dir)
	if err != nil {
		return err
	}
	defer h.close(s2)
	if got, err = all(s2); err != nil {
		return err
	}
	if err := same(want, got); err != nil {
		return fmt.Errorf("reopened after Compact: %w", err)
	}
	return nil
}

func checkReopen(h Harness, dir string, s identity.Store) error {
	if h.Reopen == nil {
		return nil
	}
	want := sample()
	if err := s.Append(want...); err != nil {
		return err
	}
	if sy, ok := s.(identity.Syncer); ok {
		if err := sy.Sync(); err != nil {
			return err
		}
	}
	if err := h.close(s); err != nil {
		return fmt.Errorf("Close: %w", err)
	}
	s2, err := h.Reopen(dir)
	if err != nil {
		return fmt.Errorf("reopen: %w", err)
	}
	defer h.close(s2)
	got, err := all(s2)
	if err != nil {
		return err
	}
	if err := same(want, got); err != nil {
		return fmt.Errorf("reopened: %w", err)
	}
	return nil
}

// checkResolver links events with merges, refusals, drops, a quarantine, an unmerge and
// a forget through a resolver on the store, then opens a second resolver on the same
// store (reopened, when durable) and compares everything it answers.
func checkResolver(h Harness, dir string, s identity.Store) error {
	ctx := context.Background()
	at := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	rules := identity.DefaultRules()
	rules.HotLimit = 3
	r, err := identity.New(rules, identity.WithStore(s))
	if err != nil {
		return fmt.Errorf("New on an empty store: %w", err)
	}
	id := func(k, v string) identity.ID { return identity.ID{Kind: k, Value: v} }
	var ids []identity.ID
	link := func(xs ...identity.ID) error {
		at = at.Add(time.Minute)
		ids = append(ids, xs...)
		_, err := r.Link(ctx, at, "web", xs...)
		return err
	}
	events := [][]identity.ID{
		{id("anonymous_id", "a1"), id("device_id", "family")},
		{id("user_id", "u1"), id("email", "u1@example.com"), id("device_id", "family")},
		{id("user_id", "u2"), id("device_id", "family"), id("email", "null")},
		{id("user_id", "u3"), id("device_id", "family"), id("phone", "+447700900123")},
		{id("user_id", "u4"), id("device_id", "family")},
		{id("anonymous_id", "a2"), id("email", "u1@example.com")},
		{id("phone", "+447700900123"), id("email", "u3@example.com")},
	}
	for _, ev := range events {
		if err := link(ev...); err != nil {
			return fmt.Errorf("Link: %w", err)
		}
	}
	if _, err := r.Unmerge(ctx, at, id("anonymous_id", "a1")); err != nil {
		return fmt.Errorf("Unmerge: %w", err)
	}
	if p, ok := r.Lookup(id("user_id", "u4")); ok {
		if err := r.Forget(ctx, at, p); err != nil {
			return fmt.Errorf("Forget: %w", err)
		}
	}
	answers := func(r *identity.Resolver) string {
		var b bytes.Buffer
		for _, x := range ids {
			p, ok := r.Lookup(x)
			fmt.Fprintf(&b, "%v=%d,%v ", x, p, ok)
		}
		for k := uint32(0); k < 20; k++ {
			fmt.Fprintf(&b, "\n%d->%d %v", k, r.Current(k), r.Identifiers(k))
		}
		return b.String()
	}
	want := answers(r)
	if h.Reopen != nil {
		if sy, ok := s.(identity.Syncer); ok {
			if err := sy.Sync(); err != nil {
				return err
			}
		}
		if err := h.close(s); err != nil {
			return err
		}
		if s, err = h.Reopen(dir); err != nil {
			return fmt.Errorf("reopen: %w", err)
		}
		defer h.close(s)
	}
	r2, err := identity.New(rules, identity.WithStore(s))
	if err != nil {
		return fmt.Errorf("New on the store again: %w", err)
	}
	if got := answers(r2); got != want {
		return errors.New("a resolver opened on the store answers differently:\nbefore: " + want + "\nafter:  " + got)
	}
	return nil
}
