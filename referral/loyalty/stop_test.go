package loyalty_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/clientele-go/clientele/referral/loyalty"
)

// failingStore fails its failAt-th Append (writing nothing) and passes the others to a
// MemStore.
type failingStore struct {
	loyalty.MemStore
	mu     sync.Mutex
	calls  int
	failAt int
}

var errDisk = errors.New("disk full")

func (s *failingStore) Append(recs ...loyalty.Record) error {
	s.mu.Lock()
	s.calls++
	fail := s.calls == s.failAt
	s.mu.Unlock()
	if fail {
		return errDisk
	}
	return s.MemStore.Append(recs...)
}

// TestAppendFailureStops: concurrent callers while the store fails one append. A caller
// that got nil has its record in the store; the failure reaches the callers of that
// batch and every later one; the store's records replay into a ledger.
func TestAppendFailureStops(t *testing.T) {
	ctx := context.Background()
	for _, failAt := range []int{1, 2, 5} {
		s := &failingStore{failAt: failAt}
		l, err := loyalty.Open(s, benchRules())
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		var mu sync.Mutex
		acked := map[string]bool{}
		failed := 0
		for w := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range 40 {
					key := fmt.Sprintf("e%d-%d", w, i)
					_, err := l.Earn(ctx, day(1).Add(time.Duration(i)*time.Hour), key, uint32(w+1), "O"+key, 5000)
					mu.Lock()
					if err == nil {
						acked[key] = true
					} else if errors.Is(err, errDisk) {
						failed++
					} else {
						t.Errorf("%s: %v, want the store's error", key, err)
					}
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		if s.calls < failAt {
			continue // every event fit in fewer batches
		}
		if failed == 0 {
			t.Fatalf("append %d failed and no caller was told", failAt)
		}
		if s.calls != failAt {
			t.Fatalf("%d appends after the failed append %d", s.calls-failAt, failAt)
		}
		if _, err := l.Earn(ctx, day(9), "late", 99, "late", 100); !errors.Is(err, errDisk) {
			t.Fatalf("an event after the failure: %v, want the store's error", err)
		}
		if err := l.Apply(ctx); !errors.Is(err, errDisk) {
			t.Fatalf("an Apply of no events after the failure: %v, want the store's error", err)
		}
		stored := map[string]bool{}
		for r, err := range s.MemStore.Records() {
			if err != nil {
				t.Fatal(err)
			}
			stored[r.Key] = true
		}
		for k := range acked {
			if !stored[k] {
				t.Fatalf("%s acknowledged but not stored", k)
			}
		}
		if len(stored) != len(acked) {
			t.Fatalf("%d records stored, %d acknowledged", len(stored), len(acked))
		}
		if _, err := loyalty.Open(&s.MemStore, benchRules()); err != nil {
			t.Fatalf("replay of what was stored: %v", err)
		}
	}
}
