// Package storetest is a conformance suite for implementations of segment.Store, in the
// manner of testing/fstest: a host that keeps snapshots in its own storage runs
//
//	func TestMyStore(t *testing.T) {
//		storetest.Run(t, storetest.Harness{
//			Open:   func(dir string) (segment.Store, error) { return mystore.Create(dir) },
//			Reopen: func(dir string) (segment.Store, error) { return mystore.Open(dir) },
//		})
//	}
//
// and its store is held to the same contract as segment.MemStore and FileStore: blobs
// come back byte for byte and are copied in and out; Put replaces; missing blobs and bad
// names fail with ErrNotFound and ErrInvalid; List is sorted; concurrent use is safe;
// and a durable store, closed and reopened, holds every blob whose Put or Delete
// returned.
package storetest

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/clientele-go/clientele/internal/storecheck"
	"github.com/clientele-go/clientele/segment"
)

// Harness describes the store under test. The identity, segment and referral storetest
// packages share this shape.
type Harness struct {
	// Open returns a new, empty store whose state lives in dir. Every check starts with
	// a new, empty dir; a store that keeps its state elsewhere (a database schema, say)
	// may use dir as a name.
	Open func(dir string) (segment.Store, error)
	// Reopen returns a store over the state that the store opened on dir kept, after
	// that store was closed. The suite checks that nothing acknowledged was lost. Nil
	// means the store is not durable, and the durability checks are skipped.
	Reopen func(dir string) (segment.Store, error)
	// Close releases a store, before it is reopened and at the end of each check: every
	// store Open or Reopen returned, once. An error fails the check. Nil calls Close on
	// stores that are io.Closers.
	Close func(s segment.Store) error
}

// Run runs every check as a subtest of t, each on a new store in its own directory.
func Run(t *testing.T, h Harness) {
	t.Helper()
	storecheck.Run(t, storecheck.Harness[segment.Store](h), checks)
}

// TestStore runs every check, each in a fresh directory under a temporary one, and
// returns an error describing the first failure, or nil.
func TestStore(h Harness) error {
	return storecheck.All(storecheck.Harness[segment.Store](h), checks)
}

var checks = []storecheck.Check[segment.Store]{
	{Name: "PutGet", Fn: checkPutGet},
	{Name: "Replace", Fn: checkReplace},
	{Name: "Binary", Fn: checkBinary},
	{Name: "NotFound", Fn: checkNotFound},
	{Name: "DeleteList", Fn: checkDeleteList},
	{Name: "BadNames", Fn: checkBadNames},
	{Name: "Concurrent", Fn: checkConcurrent},
	storecheck.Reopened(write, held),
}

func get(s segment.Store, name, want string) error {
	got, err := s.Get(name)
	if err != nil {
		return fmt.Errorf("Get(%q): %w", name, err)
	}
	if string(got) != want {
		return fmt.Errorf("Get(%q) = %q, want %q", name, clip(got), clip([]byte(want)))
	}
	return nil
}

func clip(b []byte) []byte {
	if len(b) > 40 {
		return b[:40]
	}
	return b
}

func checkPutGet(_ storecheck.Harness[segment.Store], _ string, s segment.Store) error {
	data := []byte("snapshot bytes")
	if err := s.Put("a", data); err != nil {
		return err
	}
	data[0] = 'X' // the store must not keep the caller's slice
	got, err := s.Get("a")
	if err != nil {
		return err
	}
	if string(got) != "snapshot bytes" {
		return fmt.Errorf("Get(a) after the caller changed the slice it put = %q", got)
	}
	got[0] = 'Y' // nor hand out its own
	if err := get(s, "a", "snapshot bytes"); err != nil {
		return fmt.Errorf("after changing a returned slice: %w", err)
	}
	return nil
}

func checkReplace(_ storecheck.Harness[segment.Store], _ string, s segment.Store) error {
	for _, v := range []string{"old", "new, and longer", ""} {
		if err := s.Put("a", []byte(v)); err != nil {
			return err
		}
		if err := get(s, "a", v); err != nil {
			return fmt.Errorf("after replacing: %w", err)
		}
	}
	return nil
}

func big() []byte {
	data := make([]byte, 1<<20+3)
	for i := range data {
		data[i] = byte(i * 7)
	}
	return data
}

func checkBinary(_ storecheck.Harness[segment.Store], _ string, s segment.Store) error {
	if err := s.Put("big.bin", big()); err != nil {
		return err
	}
	if got, err := s.Get("big.bin"); err != nil || !bytes.Equal(got, big()) {
		return fmt.Errorf("a 1 MiB binary blob came back different (err %v)", err)
	}
	return nil
}

func checkNotFound(_ storecheck.Harness[segment.Store], _ string, s segment.Store) error {
	if _, err := s.Get("missing"); !errors.Is(err, segment.ErrNotFound) {
		return fmt.Errorf("Get(missing) = %v, want ErrNotFound", err)
	}
	if err := s.Delete("missing"); !errors.Is(err, segment.ErrNotFound) {
		return fmt.Errorf("Delete(missing) = %v, want ErrNotFound", err)
	}
	return nil
}

func checkDeleteList(_ storecheck.Harness[segment.Store], _ string, s segment.Store) error {
	for _, n := range []string{"c", "a", "b-2.snap", "B_1"} {
		if err := s.Put(n, []byte(n)); err != nil {
			return err
		}
	}
	if err := s.Delete("c"); err != nil {
		return fmt.Errorf("Delete(c): %w", err)
	}
	return listed(s, "after Delete", []string{"B_1", "a", "b-2.snap"})
}

func listed(s segment.Store, when string, want []string) error {
	names, err := s.List()
	if err != nil {
		return fmt.Errorf("List %s: %w", when, err)
	}
	if !slices.Equal(names, want) && (len(names) != 0 || len(want) != 0) {
		return fmt.Errorf("List %s = %q, want %q", when, names, want)
	}
	for _, n := range names {
		if err := get(s, n, n); err != nil {
			return fmt.Errorf("%s: %w", when, err)
		}
	}
	if _, err := s.Get("c"); !errors.Is(err, segment.ErrNotFound) {
		return fmt.Errorf("Get of the deleted blob %s = %v, want ErrNotFound", when, err)
	}
	return nil
}

func checkBadNames(_ storecheck.Harness[segment.Store], _ string, s segment.Store) error {
	for _, n := range []string{"", ".hidden", "a/b", "../x", "a b", "é", string(make([]byte, 129))} {
		if err := s.Put(n, []byte("x")); !errors.Is(err, segment.ErrInvalid) {
			return fmt.Errorf("Put(%q) = %v, want ErrInvalid", n, err)
		}
		if _, err := s.Get(n); !errors.Is(err, segment.ErrInvalid) {
			return fmt.Errorf("Get(%q) = %v, want ErrInvalid", n, err)
		}
		if err := s.Delete(n); !errors.Is(err, segment.ErrInvalid) {
			return fmt.Errorf("Delete(%q) = %v, want ErrInvalid", n, err)
		}
	}
	if names, err := s.List(); err != nil || len(names) != 0 {
		return fmt.Errorf("List after refused puts = %q, %v", names, err)
	}
	return nil
}

func checkConcurrent(_ storecheck.Harness[segment.Store], _ string, s segment.Store) error {
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for w := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			name := fmt.Sprintf("w%d", w)
			for i := range 20 {
				want := fmt.Sprintf("%s-%d", name, i)
				if err := s.Put(name, []byte(want)); err != nil {
					errs[w] = fmt.Errorf("Put: %w", err)
					return
				}
				if err := get(s, name, want); err != nil {
					errs[w] = err
					return
				}
				if _, err := s.List(); err != nil {
					errs[w] = fmt.Errorf("List: %w", err)
					return
				}
			}
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// write is the durability check's writing: every Put and Delete that returned nil
// survives closing and reopening, including an empty blob and a large one. Round 0
// puts blobs, replaces them and deletes one; round 1, on the reopened store, deletes
// and puts again.
func write(s segment.Store, round int) error {
	if round == 1 {
		for _, n := range []string{"big.bin", "empty"} {
			if err := s.Delete(n); err != nil {
				return fmt.Errorf("Delete(%q): %w", n, err)
			}
		}
		return s.Put("d", []byte("d"))
	}
	for _, n := range []string{"a", "b-2.snap", "c", "B_1"} {
		if err := s.Put(n, []byte("first "+n)); err != nil {
			return err
		}
		if err := s.Put(n, []byte(n)); err != nil {
			return err
		}
	}
	if err := s.Put("big.bin", big()); err != nil {
		return err
	}
	if err := s.Put("empty", nil); err != nil {
		return err
	}
	return s.Delete("c")
}

// held checks that s holds what write wrote up to round.
func held(s segment.Store, round int) error {
	if round == 1 {
		return listed(s, "after round 1", []string{"B_1", "a", "b-2.snap", "d"})
	}
	if got, err := s.Get("big.bin"); err != nil || !bytes.Equal(got, big()) {
		return fmt.Errorf("the 1 MiB blob came back different (err %v)", err)
	}
	if err := get(s, "empty", ""); err != nil {
		return err
	}
	if names, err := s.List(); err != nil || !slices.Equal(names, []string{"B_1", "a", "b-2.snap", "big.bin", "empty"}) {
		return fmt.Errorf("List = %q, %v, want B_1, a, b-2.snap, big.bin and empty", names, err)
	}
	return nil
}
