// Package storecheck runs the checks of a store conformance suite and holds the checks
// that are the same idea in every suite. The identity, segment, referral and loyalty
// storetest packages share it: their suites differ in the store type and in the checks
// of what only their store promises, not in how a check is run, nor in what "durable"
// or "an append-only log" means.
package storecheck

import (
	"fmt"
	"io"
	"os"
	"testing"
)

// Harness is the shape of every storetest package's Harness, which converts to it
// (storecheck.Harness[segment.Store](h)): the field names and types are the same.
type Harness[S any] struct {
	Open   func(dir string) (S, error)
	Reopen func(dir string) (S, error)
	Close  func(s S) error
}

// Release releases s with h.Close, or, when that is nil, with s's Close if it is an
// io.Closer.
func (h Harness[S]) Release(s S) error {
	if h.Close != nil {
		return h.Close(s)
	}
	if c, ok := any(s).(io.Closer); ok {
		return c.Close()
	}
	return nil
}

// Check is one named check of a suite over a store S. Fn gets a store opened on a new,
// empty dir, and a harness through which it may release that store and reopen the
// dir. The suite releases, once, every store opened through that harness that Fn has
// not released through it when it returns; so Fn releases a store only where it must
// be closed (before reopening the dir), and never one twice.
type Check[S any] struct {
	Name string
	Fn   func(h Harness[S], dir string, s S) error
}

// Run runs every check as a subtest of t, each on a store opened on its own
// temporary directory.
func Run[S any](t *testing.T, h Harness[S], checks []Check[S]) {
	t.Helper()
	for _, c := range checks {
		t.Run(c.Name, func(t *testing.T) {
			if err := run(c, h, t.TempDir()); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// All runs every check, each in a fresh directory under a temporary one, and returns
// an error naming the first check that failed, or nil. The temporary directory is
// removed on every path; a removal that fails is reported where the checks passed,
// since All is the host's own call (storetest.TestStore), outside the testing package
// that would report it, and a suite run in a loop would otherwise fill the disk unseen.
func All[S any](h Harness[S], checks []Check[S]) (err error) {
	base, err := os.MkdirTemp("", "storetest")
	if err != nil {
		return fmt.Errorf("storetest: %w", err)
	}
	defer func() {
		if rerr := os.RemoveAll(base); rerr != nil && err == nil {
			err = fmt.Errorf("storetest: remove the checks' directory: %w", rerr)
		}
	}()
	for _, c := range checks {
		dir, err := os.MkdirTemp(base, "check")
		if err != nil {
			return fmt.Errorf("storetest: %s: %w", c.Name, err)
		}
		if err := run(c, h, dir); err != nil {
			return fmt.Errorf("storetest: %s: %w", c.Name, err)
		}
	}
	return nil
}

// run runs one check. A store that panics fails the check rather than the test binary
// (a Records that goes on after its caller stopped it panics in the range statement).
// Every store opened for the check is released exactly once: the check gets a harness
// that tracks which it holds, and run releases, after the check, those it did not. A
// Reopen check releases the first store before it reopens the dir, and releasing that
// store again at the end would fail a store whose Close is not idempotent. A Close that
// fails there fails a check that passed, as the Close of a Reopen check does.
func run[S any](c Check[S], h Harness[S], dir string) (err error) {
	var o owned[S]
	th := o.track(h)
	s, err := th.Open(dir)
	if err != nil {
		return fmt.Errorf("open: %w", err)
	}
	defer func() {
		if cerr := o.releaseAll(h); cerr != nil && err == nil {
			err = fmt.Errorf("Close: %w", cerr)
		}
	}()
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic: %v", p)
		}
	}()
	return c.Fn(th, dir, s)
}

// Reopened is the durability check, named Reopen: what a store holds survives closing
// it and reopening its state, which then takes more. write(s, round) writes round 0 on
// the new store and round 1 on the store reopened after round 0; held(s, round) checks
// that s holds what rounds 0 to round wrote, each time after closing and reopening. A
// harness without Reopen (a store that is not durable) passes.
func Reopened[S any](write func(s S, round int) error, held func(s S, round int) error) Check[S] {
	return Check[S]{Name: "Reopen", Fn: func(h Harness[S], dir string, s S) error {
		if h.Reopen == nil {
			return nil
		}
		for round := range 2 {
			if err := write(s, round); err != nil {
				return err
			}
			if err := h.Release(s); err != nil {
				return fmt.Errorf("Close: %w", err)
			}
			var err error
			if s, err = h.Reopen(dir); err != nil {
				return fmt.Errorf("reopen: %w", err)
			}
			if err := held(s, round); err != nil {
				h.Release(s)
				return fmt.Errorf("reopened after round %d: %w", round, err)
			}
		}
		return h.Release(s)
	}}
}
