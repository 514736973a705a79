package main

import (
	"net/http"
	"testing"
	"time"

	"github.com/clientele-go/clientele"
)

// TestTrackPageApartFromPageCalls: a track call named "page" is not a page view: the
// server records it as "track:page", as ingest does, and did(page) and a funnel's page
// step count page calls alone. Both people below were counted as page viewers.
func TestTrackPageApartFromPageCalls(t *testing.T) {
	s := memoryServer(t, clientele.FixedClock(time.Date(2025, 3, 3, 0, 0, 0, 0, time.UTC)))
	base, stop := start(t, s)
	defer stop()
	call(t, "POST", base+"/v1/events", `{"type":"track","event":"page","userId":"u-1","timestamp":"2025-03-01T10:00:00Z"}
{"type":"page","userId":"u-2","timestamp":"2025-03-01T10:00:00Z"}
`, http.StatusOK, nil)
	for _, step := range []string{"page", "track:page"} {
		var fun struct{ Steps []struct{ Profiles int64 } }
		call(t, "GET", base+"/v1/funnel?steps="+step, "", http.StatusOK, &fun)
		if len(fun.Steps) != 1 || fun.Steps[0].Profiles != 1 {
			t.Errorf("steps=%s: %+v, want 1 profile", step, fun)
		}
	}
	put(t, base, "viewers", `did(page)`, http.StatusOK)
	var got struct{ Size int }
	call(t, "GET", base+"/v1/segments/viewers", "", http.StatusOK, &got)
	if got.Size != 1 {
		t.Errorf("did(page): %d members, want 1 (the page call's)", got.Size)
	}
}
