package main

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/clientele-go/clientele"
)

// TestEventsLineAtTheLimit: a body of POST /v1/events that is one line of exactly the
// 1 MiB the server takes is applied. It was answered 200 with nothing accepted and
// nothing rejected: the line scanner's buffer was the limit itself, so it gave up on
// the line (bufio.ErrTooLong), and its error was never read.
func TestEventsLineAtTheLimit(t *testing.T) {
	s := memoryServer(t, clientele.FixedClock(time.Date(2025, 3, 3, 0, 0, 0, 0, time.UTC)))
	base, stop := start(t, s)
	defer stop()
	head := `{"type":"track","event":"upload","userId":"u-big","timestamp":"2025-03-01T09:00:00Z","properties":{"blob":"`
	tail := `"}}`
	line := head + strings.Repeat("a", maxBody-len(head)-len(tail)) + tail
	if len(line) != maxBody {
		t.Fatalf("the line is %d bytes, want %d", len(line), maxBody)
	}
	var got struct {
		Accepted int
		Rejected []rejection
	}
	call(t, "POST", base+"/v1/events", line, http.StatusOK, &got)
	if got.Accepted != 1 || len(got.Rejected) != 0 {
		t.Fatalf("one line of %d bytes: %+v, want 1 accepted", maxBody, got)
	}
	call(t, "GET", base+"/v1/lookup?kind=user_id&value=u-big", "", http.StatusOK, nil)
	// One byte more is over the body's limit, and changes nothing.
	var e errorBody
	call(t, "POST", base+"/v1/events", line+"\n", http.StatusRequestEntityTooLarge, &e)
	if want := "the body is over 1 MiB (1048576 bytes), the limit of this endpoint"; e.Error != want {
		t.Errorf("a body over the limit: %q, want %q", e.Error, want)
	}
}
