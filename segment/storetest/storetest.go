// Package storetest is a conformance suite for implementations of segment.Store, in the
// manner of testing/fstest: a host that keeps snapshots in its own storage runs
//
//	func TestMyStore(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) segment.Store { return newMyStore(t) })
//	}
//
// and its store is held to the same contract as segment.MemoryStore and FileStore.
package storetest

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/clientele-go/clientele/segment"
)

// Run tests the Store contract. newStore must return an empty store for each subtest.
func Run(t *testing.T, newStore func(t *testing.T) segment.Store) {
	t.Run("PutGet", func(t *testing.T) {
		s := newStore(t)
		data := []byte("snapshot bytes")
		mustPut(t, s, "a", data)
		data[0] = 'X' // the store must not keep the caller's slice
		got := mustGet(t, s, "a")
		if string(got) != "snapshot bytes" {
			t.Fatalf("Get(a) = %q, want %q", got, "snapshot bytes")
		}
		got[0] = 'Y' // nor hand out its own
		if again := mustGet(t, s, "a"); string(again) != "snapshot bytes" {
			t.Fatalf("Get after modifying a returned slice = %q", again)
		}
	})
	t.Run("Replace", func(t *testing.T) {
		s := newStore(t)
		mustPut(t, s, "a", []byte("old"))
		mustPut(t, s, "a", []byte("new, and longer"))
		if got := mustGet(t, s, "a"); string(got) != "new, and longer" {
			t.Fatalf("Get after replace = %q", got)
		}
		mustPut(t, s, "a", nil)
		if got := mustGet(t, s, "a"); len(got) != 0 {
			t.Fatalf("Get of an empty blob = %q", got)
		}
	})
	t.Run("Binary", func(t *testing.T) {
		s := newStore(t)
		data := make([]byte, 1<<20+3)
		for i := range data {
			data[i] = byte(i * 7)
		}
		mustPut(t, s, "big.bin", data)
		if got := mustGet(t, s, "big.bin"); !bytes.Equal(got, data) {
			t.Fatalf("a 1 MiB binary blob came back different")
		}
	})
	t.Run("NotFound", func(t *testing.T) {
		s := newStore(t)
		if _, err := s.Get("missing"); !errors.Is(err, segment.ErrNotFound) {
			t.Fatalf("Get(missing) = %v, want ErrNotFound", err)
		}
		if err := s.Delete("missing"); !errors.Is(err, segment.ErrNotFound) {
			t.Fatalf("Delete(missing) = %v, want ErrNotFound", err)
		}
	})
	t.Run("DeleteList", func(t *testing.T) {
		s := newStore(t)
		for _, n := range []string{"c", "a", "b-2.snap", "B_1"} {
			mustPut(t, s, n, []byte(n))
		}
		if err := s.Delete("c"); err != nil {
			t.Fatalf("Delete(c): %v", err)
		}
		names, err := s.List()
		if err != nil {
			t.Fatalf("List: %v", err)
		}
		if want := []string{"B_1", "a", "b-2.snap"}; !slices.Equal(names, want) {
			t.Fatalf("List() = %q, want %q", names, want)
		}
		if _, err := s.Get("c"); !errors.Is(err, segment.ErrNotFound) {
			t.Fatalf("Get after Delete = %v, want ErrNotFound", err)
		}
	})
	t.Run("BadNames", func(t *testing.T) {
		s := newStore(t)
		for _, n := range []string{"", ".hidden", "a/b", "../x", "a b", "é", string(make([]byte, 129))} {
			if err := s.Put(n, []byte("x")); !errors.Is(err, segment.ErrBadName) {
				t.Errorf("Put(%q) = %v, want ErrBadName", n, err)
			}
			if _, err := s.Get(n); !errors.Is(err, segment.ErrBadName) {
				t.Errorf("Get(%q) = %v, want ErrBadName", n, err)
			}
			if err := s.Delete(n); !errors.Is(err, segment.ErrBadName) {
				t.Errorf("Delete(%q) = %v, want ErrBadName", n, err)
			}
		}
		if names, err := s.List(); err != nil || len(names) != 0 {
			t.Errorf("List after refused puts = %q, %v", names, err)
		}
	})
	t.Run("Concurrent", func(t *testing.T) {
		s := newStore(t)
		var wg sync.WaitGroup
		for w := range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				name := fmt.Sprintf("w%d", w)
				for i := range 20 {
					want := fmt.Sprintf("%s-%d", name, i)
					if err := s.Put(name, []byte(want)); err != nil {
						t.Errorf("Put: %v", err)
						return
					}
					got, err := s.Get(name)
					if err != nil || string(got) != want {
						t.Errorf("Get(%s) = %q, %v; want %q", name, got, err, want)
						return
					}
					if _, err := s.List(); err != nil {
						t.Errorf("List: %v", err)
						return
					}
				}
			}()
		}
		wg.Wait()
	})
}

func mustPut(t *testing.T, s segment.Store, name string, data []byte) {
	t.Helper()
	if err := s.Put(name, data); err != nil {
		t.Fatalf("Put(%q): %v", name, err)
	}
}

func mustGet(t *testing.T, s segment.Store, name string) []byte {
	t.Helper()
	b, err := s.Get(name)
	if err != nil {
		t.Fatalf("Get(%q): %v", name, err)
	}
	return b
}
