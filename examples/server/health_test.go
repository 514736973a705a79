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
	"github.com/clientele-go/clientele/identity"
	"github.com/clientele-go/clientele/internal/wal"
	"github.com/clientele-go/clientele/referral"
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

// brokenIDs is an identity log whose appends and syncs fail, when fail holds an error,
// with it. It embeds the file store itself, so that the resolver finds every optional
// method of it (Sync, Compact, Scrub) as it would on the store alone.
type brokenIDs struct {
	*identity.FileStore
	fail atomic.Pointer[error]
}

func (b *brokenIDs) Append(records ...[]byte) error {
	if err := b.fail.Load(); err != nil {
		return *err
	}
	return b.FileStore.Append(records...)
}

func (b *brokenIDs) Sync() error {
	if err := b.fail.Load(); err != nil {
		return *err
	}
	return b.FileStore.Sync()
}

// brokenLedger is a referral ledger whose appends fail, when fail holds an error.
type brokenLedger struct {
	*referral.FileStore
	fail atomic.Pointer[error]
}

func (b *brokenLedger) Append(recs ...referral.Record) error {
	if err := b.fail.Load(); err != nil {
		return *err
	}
	return b.FileStore.Append(recs...)
}

func (b *brokenEvents) Erase(ctx context.Context, profiles []uint32) (int, error) {
	if err := b.fail.Load(); err != nil {
		return 0, *err
	}
	return b.eventLog.Erase(ctx, profiles)
}

// TestHealthzEveryWriteSite: each write endpoint that meets a broken store (an
// identity log, an event log or a referral ledger refusing writes until a restart)
// turns GET /healthz to 503, through each place the server notes storage errors: a
// write missing from noteStorage's seven callers would leave /healthz at 200 while
// every write of that store failed. (PUT and DELETE /v1/segments write the segment
// store, which no internal/wal log backs: it has no broken state to report.)
func TestHealthzEveryWriteSite(t *testing.T) {
	now := time.Date(2025, 3, 3, 0, 0, 0, 0, time.UTC)
	type stores struct {
		ids    *brokenIDs
		events *brokenEvents
		ledger *brokenLedger
	}
	const (
		page     = `{"type":"page","userId":"u-9","timestamp":"2025-03-01T09:00:00Z"}`
		merge    = `{"type":"identify","userId":"u-1","anonymousId":"a-1","timestamp":"2025-03-01T09:00:00Z"}`
		code     = `{"key":"code-9","user":"u-9","at":"2025-03-01T09:00:00Z"}`
		batch    = `{"batch":[` + page + `]}`
		idsLog   = "identity.log"
		eventLog = "events.log"
		ledger   = "referral.log"
	)
	for _, tc := range []struct {
		store                string
		method, path, body   string
		writeKey, wantFailed bool
	}{
		{idsLog, "POST", "/v1/events", page, false, true},
		{eventLog, "POST", "/v1/events", page, false, true},
		{idsLog, "POST", "/v1/batch", batch, true, true},
		{eventLog, "POST", "/v1/page", page, true, true},
		{ledger, "POST", "/v1/events", merge, false, false}, // the merge is logged, the call kept
		{idsLog, "POST", "/v1/referral/codes", code, false, true},
		{ledger, "POST", "/v1/referral/codes", code, false, true},
		{ledger, "DELETE", "/v1/profiles/1", "", false, true},
		{idsLog, "DELETE", "/v1/profiles/1", "", false, true},
		{eventLog, "DELETE", "/v1/profiles/1", "", false, true},
	} {
		t.Run(tc.method+" "+tc.path+", "+tc.store, func(t *testing.T) {
			var st stores
			s, _ := storageServer(t, "file:"+filepath.Join(t.TempDir(), "data"), "", clientele.FixedClock(now), func(sto *storage) {
				st.ids = &brokenIDs{FileStore: sto.ids.(*identity.FileStore)}
				st.events = &brokenEvents{eventLog: sto.events}
				st.ledger = &brokenLedger{FileStore: sto.ledger.(*referral.FileStore)}
				sto.ids, sto.events, sto.ledger = st.ids, st.events, st.ledger
			})
			s.writeKeys = map[string]string{"wk-web": "web"}
			base, stop := start(t, s)
			defer stop()
			// Profile 1 (u-1, with an event and a code) and profile 2 (a-1), apart until merge.
			call(t, "POST", base+"/v1/events", `{"type":"page","userId":"u-1","timestamp":"2025-03-01T08:00:00Z"}
{"type":"page","anonymousId":"a-1","timestamp":"2025-03-01T08:00:00Z"}`, http.StatusOK, nil)
			// A code with an e-mail, so that forgetting u-1 writes to the ledger.
			call(t, "POST", base+"/v1/referral/codes", `{"key":"code-1","user":"u-1","email":"u-1@example.com","at":"2025-03-01T08:00:00Z"}`, http.StatusOK, nil)
			call(t, "GET", base+"/healthz", "", http.StatusOK, nil)

			broken := fmt.Errorf("wal: sync %s: input/output error; %w", tc.store, wal.ErrBroken)
			switch tc.store {
			case idsLog:
				st.ids.fail.Store(&broken)
			case eventLog:
				st.events.fail.Store(&broken)
			default:
				st.ledger.fail.Store(&broken)
			}
			req, err := http.NewRequest(tc.method, base+tc.path, strings.NewReader(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			if tc.writeKey {
				req.SetBasicAuth("wk-web", "")
			}
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if failed := resp.StatusCode >= 500; failed != tc.wantFailed {
				t.Errorf("%s %s with a broken %s: status %d, want a failure %v", tc.method, tc.path, tc.store, resp.StatusCode, tc.wantFailed)
			}
			var health map[string]string
			call(t, "GET", base+"/healthz", "", http.StatusServiceUnavailable, &health)
			if !strings.Contains(health["error"], tc.store+": input/output error") {
				t.Errorf("GET /healthz: %v, want the broken %s named", health, tc.store)
			}
		})
	}
}
