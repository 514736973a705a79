package loyalty_test

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/clientele-go/clientele/referral/loyalty"
)

// TestConcurrentCallersReplay: many goroutines earn, spend and retry on one ledger over
// the file store; every call returns once durable, retries return the first record,
// and a replay of the file equals the live state.
func TestConcurrentCallersReplay(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "l.wal")
	fs, err := loyalty.OpenFileStore(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	rules := benchRules()
	var changes int
	var mu sync.Mutex
	l, err := loyalty.Open(fs, rules, loyalty.WithOnTier(func(loyalty.TierChange) { mu.Lock(); changes++; mu.Unlock() }))
	if err != nil {
		t.Fatal(err)
	}
	const workers, each = 8, 60
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			m := uint32(w + 1) // one member per goroutine: its events in time order
			for i := range each {
				at := day(1).Add(time.Duration(i) * time.Hour)
				key := fmt.Sprintf("e%d-%d", w, i)
				first, err := l.Earn(ctx, at, key, m, fmt.Sprintf("O%d-%d", w, i), 10000+int64(i))
				if err != nil {
					errs <- err
					return
				}
				again, err := l.Earn(ctx, at, key, m, fmt.Sprintf("O%d-%d", w, i), 10000+int64(i))
				if err != nil || again.Points != first.Points {
					errs <- fmt.Errorf("retry of %s: %v, %d points, first %d", key, err, again.Points, first.Points)
					return
				}
				if i%5 == 4 {
					if _, err := l.Spend(ctx, at.Add(15*24*time.Hour), fmt.Sprintf("s%d-%d", w, i), m, 10); err != nil {
						errs <- err
						return
					}
					break
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	want := map[uint32]string{}
	for m := uint32(1); m <= workers; m++ {
		want[m] = fmt.Sprintf("%+v %+v", l.Balance(day(30), m), l.Tier(day(30), m))
	}
	if err := fs.Close(); err != nil {
		t.Fatal(err)
	}
	fs, err = loyalty.OpenFileStore(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer fs.Close()
	again, err := loyalty.Open(fs, rules)
	if err != nil {
		t.Fatal(err)
	}
	for m, w := range want {
		if got := fmt.Sprintf("%+v %+v", again.Balance(day(30), m), again.Tier(day(30), m)); got != w {
			t.Fatalf("member %d: replay %s, live %s", m, got, w)
		}
	}
	if changes == 0 {
		t.Fatal("no tier change reached the hook")
	}
}
