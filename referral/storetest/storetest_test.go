package storetest_test

import (
	"iter"
	"strings"
	"sync"
	"testing"

	"github.com/clientele-go/clientele/referral"
	"github.com/clientele-go/clientele/referral/storetest"
)

// The suite run on the simplest store, so that the suite itself is exercised where it
// lives; referral's own tests run it on the file store too.
func TestMemStore(t *testing.T) {
	storetest.Run(t, storetest.Harness{Open: func(string) (referral.Store, error) { return &referral.MemStore{}, nil }})
}

// The suite must catch broken stores: each of these breaks one rule of the contract.
func TestSuiteCatchesBrokenStores(t *testing.T) {
	mem := func(string) (referral.Store, error) { return &referral.MemStore{}, nil }
	for _, tc := range []struct {
		name string
		h    storetest.Harness
		want string
	}{
		{"keeps the caller's records", storetest.Harness{Open: func(string) (referral.Store, error) { return &aliasing{}, nil }}, "NoAliasing"},
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
	recs []referral.Record
}

func (s *aliasing) Append(recs ...referral.Record) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.recs = append(s.recs, recs...) // shares Reasons and Absorbed: a bug
	return nil
}

func (s *aliasing) Records() iter.Seq2[referral.Record, error] {
	return func(yield func(referral.Record, error) bool) {
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
