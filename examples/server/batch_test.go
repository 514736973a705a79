package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/clientele-go/clientele"
	"github.com/clientele-go/clientele/internal/tracking"
)

// fileServer is a server on files in a fresh directory, its clock stopped at now.
func fileServer(t *testing.T, now time.Time) *server {
	t.Helper()
	s, _ := storageServer(t, "file:"+filepath.Join(t.TempDir(), "data"), "", clientele.FixedClock(now), nil)
	return s
}

// TestBatchAppliesEachCallAsLink: a request's calls are linked in one batch and their
// events kept after it, yet each ends where calls applied one by one would put it. An
// event whose profile a later call of the same request merged away is kept under the
// survivor, and a call the resolver refuses (a value over its length limit) is rejected
// with its own line while the calls after it are applied. On memory and on files.
func TestBatchAppliesEachCallAsLink(t *testing.T) {
	long := strings.Repeat("x", 2000)
	body := strings.Join([]string{
		`{"type":"track","event":"Viewed","anonymousId":"a1","timestamp":"2025-03-01T09:00:00Z"}`,
		`{"type":"track","event":"Bought","anonymousId":"a2","timestamp":"2025-03-01T09:01:00Z"}`,
		`{"type":"identify","userId":"` + long + `","timestamp":"2025-03-01T09:02:00Z"}`,
		`{"type":"identify","userId":"u1","anonymousId":"a1","timestamp":"2025-03-01T09:03:00Z"}`,
		`{"type":"identify","userId":"u1","anonymousId":"a2","timestamp":"2025-03-01T09:04:00Z"}`,
	}, "\n")
	for _, store := range []string{"mem:", "file:"} {
		t.Run(store, func(t *testing.T) {
			now := time.Date(2025, 3, 3, 0, 0, 0, 0, time.UTC)
			var s *server
			if store == "mem:" {
				var err error
				if s, err = newServer(clientele.FixedClock(now)); err != nil {
					t.Fatal(err)
				}
			} else {
				s = fileServer(t, now)
			}
			base, stop := start(t, s)
			defer stop()
			var posted struct {
				Accepted int
				Rejected []struct {
					Line  int
					Error string
				}
				Profiles []uint32
			}
			call(t, "POST", base+"/v1/events", body, http.StatusOK, &posted)
			if posted.Accepted != 4 || len(posted.Rejected) != 1 || posted.Rejected[0].Line != 3 ||
				!strings.Contains(posted.Rejected[0].Error, "value of 2000 bytes, over the 512-byte limit") || strings.Contains(posted.Rejected[0].Error, "of the batch") {
				t.Fatalf("posted %+v, want 4 accepted and line 3 rejected for its length", posted)
			}
			if want := []uint32{1, 2, 1, 1}; !slices.Equal(posted.Profiles, want) {
				t.Errorf("profiles %v, want %v (each call's profile when it was linked)", posted.Profiles, want)
			}
			call(t, "PUT", base+"/v1/segments/buyers", `did(Bought) AND did(Viewed)`, http.StatusOK, nil)
			var seg struct {
				Size    uint64
				Members []uint32
			}
			call(t, "GET", base+"/v1/segments/buyers", "", http.StatusOK, &seg)
			if seg.Size != 1 || seg.Members[0] != 1 {
				t.Errorf("buyers %+v, want profile 1 alone (a2's profile 2 merged into it)", seg)
			}
		})
	}
}

// cancelAfter is a context whose Err is nil for its first n calls and Canceled after:
// LinkBatch checks it before each call it decides, so the request goes away mid-batch.
type cancelAfter struct {
	context.Context
	n atomic.Int32
}

func (c *cancelAfter) Err() error {
	if c.n.Add(-1) < 0 {
		return context.Canceled
	}
	return nil
}

// TestBatchCancelledMidway: when the request's context ends in the middle of a batch,
// the calls linked before it are durable, so they are reported accepted (a client told
// otherwise would send them again, and they would count twice); the rest are rejected.
func TestBatchCancelledMidway(t *testing.T) {
	s := fileServer(t, time.Date(2025, 3, 3, 0, 0, 0, 0, time.UTC))
	var msgs []tracking.Message
	for i := range 5 {
		m, err := tracking.Parse([]byte(fmt.Sprintf(`{"type":"track","event":"Viewed","anonymousId":"a%d","timestamp":"2025-03-01T09:00:00Z"}`, i)), nil)
		if err != nil {
			t.Fatal(err)
		}
		msgs = append(msgs, m)
	}
	ctx := &cancelAfter{Context: t.Context()}
	ctx.n.Store(2)
	profiles, errs := s.applyAll(ctx, msgs, nil)
	for i := range msgs {
		if accepted := errs[i] == nil; accepted != (i < 2) || accepted != (profiles[i] != 0) {
			t.Errorf("call %d: profile %d, error %v; want the first two accepted, the rest cancelled", i, profiles[i], errs[i])
		}
	}
	if !errors.Is(errs[2], context.Canceled) {
		t.Errorf("call 2: %v, want context.Canceled", errs[2])
	}
}
