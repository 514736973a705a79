package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/clientele-go/clientele"
	"github.com/clientele-go/clientele/internal/wal"
)

// brokenEvents is an event log whose appends fail, when fail holds an error, with it.
type brokenEvents struct {
	eventLog
	fail atomic.Pointer[error]
}

func (b *brokenEvents) Append(ctx context.Context, evs ...event) ([]bool, error) {
	if err := b.fail.Load(); err != nil {
		return nil, *err
	}
	return b.eventLog.Append(ctx, evs...)
}

// TestHealthzReportsBrokenStorage: once the storage says it refuses writes until a
// restart (a file store's log after a failed fsync), GET /healthz answers 503 and says
// to restart, so that a supervisor does; a failure that may pass (a full disk, a
// timeout) leaves it 200. It answered 200 while every write failed.
func TestHealthzReportsBrokenStorage(t *testing.T) {
	now := time.Date(2025, 3, 3, 0, 0, 0, 0, time.UTC)
	events := &brokenEvents{}
	s, _ := storageServer(t, "file:"+filepath.Join(t.TempDir(), "data"), "", clientele.FixedClock(now),
		func(st *storage) { events.eventLog, st.events = st.events, events })
	base, stop := start(t, s)
	defer stop()
	page := `{"type":"page","anonymousId":"a-1","timestamp":"2025-03-01T09:00:00Z"}`
	call(t, "POST", base+"/v1/events", page, http.StatusOK, nil)
	call(t, "GET", base+"/healthz", "", http.StatusOK, nil)

	passing := errors.New("no space left on device")
	events.fail.Store(&passing)
	call(t, "POST", base+"/v1/events", page, http.StatusServiceUnavailable, nil)
	call(t, "GET", base+"/healthz", "", http.StatusOK, nil)

	broken := fmt.Errorf("wal: sync events.log: input/output error; %w", wal.ErrBroken)
	events.fail.Store(&broken)
	call(t, "POST", base+"/v1/events", page, http.StatusServiceUnavailable, nil)
	var health map[string]string
	call(t, "GET", base+"/healthz", "", http.StatusServiceUnavailable, &health)
	if health["status"] != "failed" || !strings.Contains(health["error"], "input/output error") || !strings.Contains(health["error"], "restart") {
		t.Errorf("GET /healthz after a broken log: %v, want status failed, the cause and what to do", health)
	}
	// It stays so: the storage does not mend without a restart.
	events.fail.Store(nil)
	call(t, "GET", base+"/healthz", "", http.StatusServiceUnavailable, nil)
}
