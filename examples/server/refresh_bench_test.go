package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/clientele-go/clientele"
	"github.com/clientele-go/clientele/internal/pg/pgtest"
	"github.com/clientele-go/clientele/segment"
)

// unversioned hides segment/pgstore's Versions, so that the server's sync lists and
// reads every definition at each refresh: the naive way to follow other writers.
type unversioned struct{ segment.Store }

// refreshSegments is how many saved segments the read benchmarks' server holds.
const refreshSegments = 20

// BenchmarkReadRefresh measures what following other servers' definitions adds to a
// read on PostgreSQL, where every read refreshes first (fresh): with refreshSegments
// segments saved and nothing written between reads, so that each sync finds nothing
// new. "versions" is the server's sync (one Versions query, reading no definition);
// "reload" the naive baseline, a store without Versions, whose sync lists the blobs and
// reads every definition. "sync" is syncSaved alone, under the PUT lock; "read" a whole
// GET /v1/lookup through the handler (no network), whose refresh also catches up the
// identity log, the referral ledger and the event log, a query each. "roundtrip" is
// one SELECT 1 on the pool, the least any check of the database costs. Each reports
// the client's CPU per operation (cpu-ns/op) beside the wall time, which the shared
// machine's load inflates more.
func BenchmarkReadRefresh(b *testing.B) {
	url := pgtest.URL(b)
	pool := pgtest.Pool(b)
	clock := clientele.FixedClock(time.Date(2025, 3, 3, 0, 0, 0, 0, time.UTC))
	b.Run("roundtrip", func(b *testing.B) {
		timeOps(b, func() error {
			_, err := pool.Exec(context.Background(), "SELECT 1")
			return err
		})
	})
	for _, mode := range []string{"versions", "reload"} {
		schema := pgtest.Schema(b, pool)
		prepare := func(st *storage) {
			if mode == "reload" {
				st.segments = unversioned{st.segments}
			}
		}
		s, _ := storageServer(b, url, schema, clock, prepare)
		h := s.routes()
		postX(b, h)
		for i := range refreshSegments {
			req := httptest.NewRequest("PUT", fmt.Sprintf("/v1/segments/s%d", i), strings.NewReader(`did("x")`))
			w := httptest.NewRecorder()
			h.ServeHTTP(w, req)
			if w.Code != http.StatusOK {
				b.Fatalf("PUT s%d: %d %s", i, w.Code, w.Body)
			}
		}
		b.Run("sync/"+mode, func(b *testing.B) { timeOps(b, func() error { return s.syncSaved(context.Background()) }) })
		b.Run("read/"+mode, func(b *testing.B) {
			timeOps(b, func() error {
				w := httptest.NewRecorder()
				h.ServeHTTP(w, httptest.NewRequest("GET", "/v1/lookup?kind=user_id&value=nobody", nil))
				if w.Code != http.StatusNotFound {
					return fmt.Errorf("lookup: %d %s", w.Code, w.Body)
				}
				return nil
			})
		})
		if got := len(s.seg.Segments()); got != refreshSegments {
			b.Fatalf("%s: the server holds %d segments, want %d", mode, got, refreshSegments)
		}
	}
}

// postX sends one call of event x, by a user it links, through h: the event the read
// benchmarks' segments name. The benchmarks recorded it on profile key 1, never linked,
// which the server now takes for a key an erasure retired (applyEvents): x was never
// recorded, and every PUT naming it was 400.
func postX(b *testing.B, h http.Handler) {
	b.Helper()
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("POST", "/v1/events", strings.NewReader(`{"type":"track","event":"x","userId":"u-1","timestamp":"2025-03-02T09:00:00Z"}`)))
	if w.Code != http.StatusOK {
		b.Fatalf("POST x: %d %s", w.Code, w.Body)
	}
}

// timeOps runs op b.N times, failing at its first error, and reports the client's CPU
// per operation (cpu-ns/op) beside the wall time, which the shared machine's load
// inflates more.
func timeOps(b *testing.B, op func() error) {
	cpu := cpuTime()
	for b.Loop() {
		if err := op(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64((cpuTime()-cpu).Nanoseconds())/float64(b.N), "cpu-ns/op")
}
