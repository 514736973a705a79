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
	"github.com/clientele-go/clientele/internal/pg"
	"github.com/clientele-go/clientele/internal/pg/pgtest"
	"github.com/jackc/pgx/v5"
)

// BenchmarkRefreshBatch weighs issuing a read's refresh as one pgx Batch against the
// four round trips it makes (BENCHMARKS.md, "a read's refresh on PostgreSQL"): with
// refreshSegments segments saved and nothing written between reads, "sequential" sends
// the refresh's four statements one after another as it does (the identity log and
// the referral ledger from the server's positions, the event log from the first event
// not applied, the definitions' versions), "batch" the same four statements in one
// pgx.Batch (one round trip, run in order), and "refresh" is the server's refresh
// itself. It measures what batching would save. The server does not batch: identity's
// and the ledger's catch-ups read through their stores' Since(pos), which has no way to
// tell a catch-up's call from a leader's reading the tail before it appends, or from a
// later request's catch-up, so rows read ahead in a batch could not be handed to the
// right one (a leader given them fails its append; a later request given them misses
// writes acknowledged before it began). Batching needs the resolver and the programme
// to take rows read by their host.
func BenchmarkRefreshBatch(b *testing.B) {
	url := pgtest.URL(b)
	pool := pgtest.Pool(b)
	schema := pgtest.Schema(b, pool)
	clock := clientele.FixedClock(time.Date(2025, 3, 3, 0, 0, 0, 0, time.UTC))
	s, _ := storageServer(b, url, schema, clock, nil)
	ctx := context.Background()
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
	if err := s.refresh(ctx); err != nil {
		b.Fatal(err)
	}
	refPos, err := s.ref.CatchUp(ctx)
	if err != nil {
		b.Fatal(err)
	}
	s.mu.Lock()
	applied := s.applied
	s.mu.Unlock()
	q := func(table string) string { return pg.Ident(schema) + "." + table }
	type stmt struct {
		sql  string
		args []any
	}
	stmts := []stmt{
		{"SELECT pos, rec FROM " + q("identity_log") + " WHERE pos >= $1 ORDER BY pos", []any{int64(s.ids.Position())}},
		{"SELECT pos, rec FROM " + q("referral_log") + " WHERE pos >= $1 ORDER BY pos", []any{int64(refPos)}},
		{"SELECT pos, at, name, profile FROM " + q("server_event") + " WHERE pos >= $1 ORDER BY pos", []any{int64(applied)}},
		{"SELECT name, version, incarnation FROM " + q("segment_blob") + " WHERE starts_with(name, $1)", []any{savedPrefix}},
	}
	// Each statement's rows, counted, so that both ways read the same (nothing new but
	// the versions of the saved segments).
	want := []int{0, 0, 0, refreshSegments}
	check := func(i int, rows pgx.Rows) error {
		n := 0
		for rows.Next() {
			n++
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if n != want[i] {
			return fmt.Errorf("statement %d: %d rows, want %d", i, n, want[i])
		}
		return nil
	}
	b.Run("sequential", func(b *testing.B) {
		timeOps(b, func() error {
			for i, st := range stmts {
				rows, err := pool.Query(ctx, st.sql, st.args...)
				if err != nil {
					return err
				}
				if err := check(i, rows); err != nil {
					return err
				}
			}
			return nil
		})
	})
	b.Run("batch", func(b *testing.B) {
		timeOps(b, func() error {
			var batch pgx.Batch
			for _, st := range stmts {
				batch.Queue(st.sql, st.args...)
			}
			res := pool.SendBatch(ctx, &batch)
			for i := range stmts {
				rows, err := res.Query()
				if err != nil {
					res.Close()
					return err
				}
				if err := check(i, rows); err != nil {
					res.Close()
					return err
				}
			}
			return res.Close()
		})
	})
	b.Run("refresh", func(b *testing.B) { timeOps(b, func() error { return s.refresh(ctx) }) })
}
