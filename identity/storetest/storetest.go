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
	// Close releases a store, before it is reopened and at the end of each check: every
	// store Open or Reopen returned, once. An error fails the check. Nil calls Close on
	// stores that are io.Closers.
	Close func(s identity.Store) error
}

// Run runs every check as a subtest of t.
func Run(t *testing.T, h Harness) {
	t.Helper()
	storecheck.Run(t, storecheck.Harness[identity.Store](h), checks)
}

// TestStore runs every check, each in a fresh directory under a temporary one, and
// returns an error describing the first failure, or nil.
func TestStore(h Harness) error {
	return storecheck.All(storecheck.Harness[identity.Store](h), checks)
}

// The log checks every log store passes, and those of what identity adds to them.
var checks = append(storecheck.Checks[identity.Store](log),
	storecheck.Check[identity.Store]{Name: "Sync", Fn: checkSync},
	storecheck.Check[identity.Store]{Name: "Compact", Fn: checkCompact},
	storecheck.Check[identity.Store]{Name: "Resolver", Fn: checkResolver},
)

var log = storecheck.Log[[]byte]{
	Sample: sample,
	Diff: func(want, got []byte) string {
		if bytes.Equal(want, got) {
			return ""
		}
		return fmt.Sprintf("%q (%d bytes), want %q (%d bytes)", clip(got), len(got), clip(want), len(want))
	},
	Keyed: func(key string) []byte { return []byte(key) },
	Key:   func(r []byte) string { return string(r) },
	Scribble: func(r *[]byte) {
		for i := range *r {
			(*r)[i] ^= 0xa5
		}
	},
	Clone: bytes.Clone,
	Flush: func(s storecheck.LogStore[[]byte]) error { return flush(s) },
}

// flush syncs s when its Append only buffers.
func flush(s any) error {
	if sy, ok := s.(identity.Syncer); ok {
		return sy.Sync()
	}
	return nil
}

func clip(b []byte) []byte {
	if len(b) > 32 {
		return b[:32]
	}
	return b
}

// sample returns n records of varied sizes and contents, distinct by index: among them
// a zero byte, 300 bytes of 0xff and, from n = 5, a record of 1 MiB.
func sample(n int) [][]byte {
	out := make([][]byte, n)
	for i := range out {
		switch i {
		case 1:
			out[i] = []byte{0}
		case 3:
			out[i] = bytes.Repeat([]byte{0xff}, 300)
		case 4:
			out[i] = make([]byte, 1<<20)
			for j := range out[i] {
				out[i][j] = byte(j * 7)
			}
		default:
			out[i] = fmt.Appendf(nil, "link %d", i)
		}
	}
	return out
}

func checkSync(_ storecheck.Harness[identity.Store], _ string, s identity.Store) error {
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

func checkCompact(h storecheck.Harness[identity.Store], dir string, s identity.Store) error {
	c, ok := s.(identity.Compacter)
	if !ok {
		return nil
	}
	if err := s.Append(sample(6)...); err != nil {
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
	if _, err := log.Same("after Compact", want, s); err != nil {
		return err
	}
	if h.Reopen == nil {
		return nil
	}
	if err := h.Release(s); err != nil {
		return err
	}
	s2, err := h.Reopen(dir)
	if err != nil {
		return err
	}
	defer h.Release(s2)
	_, err = log.Same("reopened after Compact", want, s2)
	return err
}

// checkResolver links events with merges, refusals, drops, a quarantine, an unmerge and
// a forget through a resolver on the store, then opens a second resolver on the same
// store (reopened, when durable) and compares everything it answers.
func checkResolver(h storecheck.Harness[identity.Store], dir string, s identity.Store) error {
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
		if err := flush(s); err != nil {
			return err
		}
		if err := h.Release(s); err != nil {
			return err
		}
		if s, err = h.Reopen(dir); err != nil {
			return fmt.Errorf("reopen: %w", err)
		}
		defer h.Release(s)
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
