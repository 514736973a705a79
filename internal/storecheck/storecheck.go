// Package storecheck runs the checks of a store conformance suite. The identity,
// segment and referral storetest packages share it: their suites differ in the store
// type and the checks, not in how a check is run.
package storecheck

import (
	"fmt"
	"io"
	"os"
	"testing"
)

// Check is one named check of a suite over a harness H and a store S. Fn gets a store
// opened on a new, empty dir.
type Check[H, S any] struct {
	Name string
	Fn   func(h H, dir string, s S) error
}

// Close releases s with fn, or, when fn is nil, with s's Close if it is an io.Closer.
func Close[S any](fn func(S) error, s S) error {
	if fn != nil {
		return fn(s)
	}
	if c, ok := any(s).(io.Closer); ok {
		return c.Close()
	}
	return nil
}

// Run runs every check as a subtest of t, each on a store opened on its own
// temporary directory.
func Run[H, S any](t *testing.T, h H, open func(string) (S, error), close func(S) error, checks []Check[H, S]) {
	t.Helper()
	for _, c := range checks {
		t.Run(c.Name, func(t *testing.T) {
			if err := run(c, h, open, close, t.TempDir()); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// All runs every check, each in a fresh directory under a temporary one, and returns
// an error naming the first check that failed, or nil.
func All[H, S any](h H, open func(string) (S, error), close func(S) error, checks []Check[H, S]) error {
	base, err := os.MkdirTemp("", "storetest")
	if err != nil {
		return err
	}
	defer os.RemoveAll(base)
	for _, c := range checks {
		dir, err := os.MkdirTemp(base, "check")
		if err != nil {
			return err
		}
		if err := run(c, h, open, close, dir); err != nil {
			return fmt.Errorf("storetest: %s: %w", c.Name, err)
		}
	}
	return nil
}

func run[H, S any](c Check[H, S], h H, open func(string) (S, error), close func(S) error, dir string) error {
	s, err := open(dir)
	if err != nil {
		return fmt.Errorf("open: %w", err)
	}
	defer close(s)
	return c.Fn(h, dir, s)
}
