package storetest_test

import (
	"iter"
	"strings"
	"sync"
	"testing"

	"github.com/clientele-go/clientele/referral/loyalty"
	"github.com/clientele-go/clientele/referral/loyalty/storetest"
)

// The suite run on the simplest store, so that the suite itself is exercised where it
// lives; loyalty's own tests run it on the file store too.
func TestMemStore(t *testing.T) {
	storetest.Run(t, storetest.Harness{Open: func(string) (loyalty.Store, error) { return &loyalty.MemStore{}, nil }})
}

// The suite must catch broken stores: each of these breaks one rule of the contract.
func TestSuiteCatchesBrokenStores(t *testing.T) {
	mem := func(string) (loyalty.Store, error) { return &loyalty.MemStore{}, nil }
	for _, tc := range []struct {
		name string
		h    storetest.Harness
		want string
	}{
		{"keeps the caller's records", storetest.Harness{Open: func(string) (loyalty.Store, error) { return &aliasing{}, nil }}, "NoAliasing"},
		{"forgets on reopen", storetest.Harness{Open: mem, Reopen: mem}, "Reopen"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := storetest.TestStore(tc.h)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("TestStore = %v, want a failure of %s", err, tc.want)
			}
		})
	}
}

type aliasing struct {
	mu   sync.Mutex
	recs []loyalty.Record
}

func (s *aliasing) Append(recs ...loyalty.Record) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.recs = append(s.recs, recs...) // shares Lines: a bug
	return nil
}

func (s *aliasing) Records() iter.Seq2[loyalty.Record, error] {
	return func(yield func(loyalty.Record, error) bool) {
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
