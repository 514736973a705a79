package storetest_test

import (
	"iter"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clientele-go/clientele/identity"
	"github.com/clientele-go/clientele/identity/storetest"
)

func TestMemStore(t *testing.T) {
	storetest.Run(t, storetest.Harness{Open: func(string) (identity.Store, error) { return &identity.MemStore{}, nil }})
}

func TestFileStore(t *testing.T) {
	storetest.Run(t, storetest.Harness{
		Open:   openFile,
		Reopen: openFile,
	})
}

func openFile(dir string) (identity.Store, error) {
	return identity.OpenFileStore(filepath.Join(dir, "identity.log"), nil)
}

// The suite must catch broken stores: each of these breaks one rule of the contract.
func TestSuiteCatchesBrokenStores(t *testing.T) {
	for _, tc := range []struct {
		name  string
		store func() identity.Store
		want  string
	}{
		{"keeps the caller's slice", func() identity.Store { return &aliasing{} }, "AppendCopies"},
		{"loses the last record", func() identity.Store { return &dropLast{} }, "OrderAndBytes"},
		{"splits batches", func() identity.Store { return &splitting{} }, "ConcurrentAppends"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := storetest.TestStore(storetest.Harness{Open: func(string) (identity.Store, error) { return tc.store(), nil }})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("TestStore = %v, want a failure of %s", err, tc.want)
			}
		})
	}
	// Claiming durability without it is caught too.
	forgetful := func(string) (identity.Store, error) { return &identity.MemStore{}, nil }
	err := storetest.TestStore(storetest.Harness{Open: forgetful, Reopen: forgetful})
	if err == nil || !strings.Contains(err.Error(), "Compact") && !strings.Contains(err.Error(), "Reopen") {
		t.Fatalf("TestStore of a forgetful 'durable' store = %v", err)
	}
}

type aliasing struct {
	mu   sync.Mutex
	recs [][]byte
}

func (s *aliasing) Append(recs ...[]byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.recs = append(s.recs, recs...) // no copy: a bug
	return nil
}

func (s *aliasing) Records() iter.Seq2[[]byte, error] {
	return func(yield func([]byte, error) bool) {
		s.mu.Lock()
		recs := s.recs
		s.mu.Unlock()
		for _, r := range recs {
			if !yield(r, nil) {
				return
			}
		}
	}
}

type dropLast struct{ identity.MemStore }

func (s *dropLast) Records() iter.Seq2[[]byte, error] {
	return func(yield func([]byte, error) bool) {
		n, i := s.Len(), 0
		for r, err := range s.MemStore.Records() {
			if i++; i == n && n > 1 {
				return
			}
			if !yield(r, err) {
				return
			}
		}
	}
}

// splitting appends a batch one record at a time without holding a lock across the
// batch, so concurrent batches interleave.
type splitting struct{ identity.MemStore }

func (s *splitting) Append(recs ...[]byte) error {
	for i, r := range recs {
		s.MemStore.Append(r)
		if i+1 < len(recs) {
			// Stay inside the batch long enough for another writer to append: a
			// Gosched here let CI's scheduler run the writers one after another once,
			// and the suite then passed this broken store.
			time.Sleep(50 * time.Microsecond)
		}
	}
	return nil
}
