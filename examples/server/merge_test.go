package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clientele-go/clientele"
	"github.com/clientele-go/clientele/identity"
	"github.com/clientele-go/clientele/segment"
)

// mergeInWindow arms s's hooks: the next event whose key resolves to absorbed has merge
// run on another goroutine between its resolution and its Record, which waits until
// merge has returned or the merge it reports to s waits for mu. It returns a function
// that waits for merge to return and reports its error and whether the window was met.
func mergeInWindow(s *server, absorbed uint32, merge func() error) (wait func() (met bool, err error)) {
	var (
		once    sync.Once
		met     bool
		done    = make(chan error, 1)
		waiting = make(chan struct{}, 1)
	)
	s.merging = func(identity.Merge) {
		select {
		case waiting <- struct{}{}:
		default:
		}
	}
	s.resolved = func(key, p uint32) {
		if p != absorbed {
			return
		}
		once.Do(func() {
			met = true
			go func() { done <- merge() }()
			select {
			case err := <-done:
				done <- err
			case <-waiting:
			}
		})
	}
	return func() (bool, error) {
		if !met {
			return false, nil
		}
		return true, <-done
	}
}

// postProfile posts one tracking call to base's /v1/events and returns its profile.
func postProfile(t *testing.T, base, line string) uint32 {
	t.Helper()
	p, err := postCall(base, line)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// postCall is postProfile for a goroutine other than the test's.
func postCall(base, line string) (uint32, error) {
	resp, err := http.Post(base+"/v1/events", "application/json", strings.NewReader(line))
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	var out struct{ Profiles []uint32 }
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return 0, fmt.Errorf("POST %s: status %d: %w", line, resp.StatusCode, err)
	}
	if resp.StatusCode != http.StatusOK || len(out.Profiles) != 1 {
		return 0, fmt.Errorf("POST %s: status %d, profiles %v; want 200 and one", line, resp.StatusCode, out.Profiles)
	}
	return out.Profiles[0], nil
}

// checkMerged checks that s's index holds all want events of the two people under the
// survivor and no longer knows the absorbed key.
func checkMerged(t *testing.T, s *server, now time.Time, survivor, absorbed uint32, want int) {
	t.Helper()
	if got := s.ids.Current(absorbed); got != survivor {
		t.Fatalf("Current(%d) = %d after the merge, want the survivor %d", absorbed, got, survivor)
	}
	if s.seg.Profiles().Contains(absorbed) {
		t.Errorf("the index still holds the absorbed profile %d: %v", absorbed, s.seg.Profiles().ToArray())
	}
	// Every event under the survivor: it did x, want times, and no one else did.
	for _, q := range []string{`did(x)`, fmt.Sprintf(`count(x, 30d) >= %d`, want)} {
		got, err := s.seg.Eval(context.Background(), now, segment.Must(q), nil)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got.ToArray(), []uint32{survivor}) {
			t.Errorf("%s: %v, want [%d]", q, got.ToArray(), survivor)
		}
	}
}

const (
	anonCall     = `{"type":"track","event":"x","anonymousId":"a-1","timestamp":"2025-03-01T09:00:00Z"}`
	userCall     = `{"type":"track","event":"x","userId":"u-1","timestamp":"2025-03-01T10:00:00Z"}`
	userCall2    = `{"type":"track","event":"x","userId":"u-1","timestamp":"2025-03-01T11:00:00Z"}`
	identifyCall = `{"type":"identify","userId":"u-1","anonymousId":"a-1","timestamp":"2025-03-01T12:00:00Z"}`
)

// TestMergeBetweenResolveAndRecord: a merge that identity reports on another goroutine
// (another request's Link) between an event's resolution to a profile and its Record
// in the index. The index applies it after the Record, so the event moves to the
// survivor with the rest of the absorbed profile. Before, the merge moved what the
// absorbed profile held and took it out of the index, and the Record then brought it
// back holding the event alone: the person's count was split over two keys, the
// absorbed one a member of the segments on its own. On memory storage (applyEvents)
// and without storage (applyAll's own Record).
func TestMergeBetweenResolveAndRecord(t *testing.T) {
	now := time.Date(2025, 3, 10, 0, 0, 0, 0, time.UTC)
	for _, stored := range []bool{true, false} {
		t.Run(fmt.Sprintf("stored=%t", stored), func(t *testing.T) {
			var s *server
			if stored {
				s, _ = storageServer(t, "mem:", "", clientele.FixedClock(now), nil)
			} else {
				s = memoryServer(t, clientele.FixedClock(now))
			}
			base, stop := start(t, s)
			defer func() {
				if err := stop(); err != nil {
					t.Error(err)
				}
			}()
			p1, p2 := postProfile(t, base, anonCall), postProfile(t, base, userCall)
			if p1 == p2 {
				t.Fatalf("a-1 and u-1 are one profile %d before the merge", p1)
			}
			wait := mergeInWindow(s, p2, func() error {
				_, err := s.ids.Link(context.Background(), now, "test", idOf("user_id", "u-1"), idOf("anonymous_id", "a-1"))
				return err
			})
			if got := postProfile(t, base, userCall2); got != p2 {
				t.Fatalf("u-1's second call went to profile %d, want %d", got, p2)
			}
			met, err := wait()
			if !met {
				t.Fatal("the event of the absorbed profile never reached the hook")
			}
			if err != nil {
				t.Fatal(err)
			}
			checkMerged(t, s, now, p1, p2, 3)
		})
	}
}

// TestMergeCaughtUpBetweenResolveAndRecord: the same, with the merge decided on another
// server and reported on this one by a catch-up running beside its refresh (the
// follower's, or another request's), while the refresh applies an event of the
// absorbed profile.
func TestMergeCaughtUpBetweenResolveAndRecord(t *testing.T) {
	a, b, clock := pair(t, nil)
	ctx := context.Background()
	p1, p2 := postProfile(t, a.base, anonCall), postProfile(t, a.base, userCall)
	if p1 == p2 {
		t.Fatalf("a-1 and u-1 are one profile %d before the merge", p1)
	}
	if err := b.s.refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if got := postProfile(t, a.base, userCall2); got != p2 {
		t.Fatalf("u-1's second call went to profile %d, want %d", got, p2)
	}
	wait := mergeInWindow(b.s, p2, func() error {
		if got, err := postCall(a.base, identifyCall); err != nil || got != p1 {
			return fmt.Errorf("A's merge: profile %d, want %d (%v)", got, p1, err)
		}
		_, err := b.s.ids.CatchUp(ctx)
		return err
	})
	if err := b.s.refresh(ctx); err != nil {
		t.Fatal(err)
	}
	met, err := wait()
	if !met {
		t.Fatal("the event of the absorbed profile never reached B's hook")
	}
	if err != nil {
		t.Fatal(err)
	}
	checkMerged(t, b.s, clock.Now(), p1, p2, 3)
	if err := a.s.refresh(ctx); err != nil {
		t.Fatal(err)
	}
	checkMerged(t, a.s, clock.Now(), p1, p2, 3)
}
