package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	neturl "net/url"
	"strings"
	"testing"
	"time"

	"github.com/clientele-go/clientele"
	"github.com/clientele-go/clientele/internal/pg"
	"github.com/clientele-go/clientele/internal/pg/pgtest"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// pgLatency, if set, puts BenchmarkRefreshBatch's connections behind a proxy that holds
// what passes in each direction for it: a database on another host, whose round trip is
// the network's rather than the CPU of a database on the same loaded machine.
var pgLatency = flag.Duration("server.pglatency", 0, "BenchmarkRefreshBatch: one-way delay added to every connection to PostgreSQL (0: none)")

// BenchmarkRefreshBatch weighs issuing a read's refresh as one pgx Batch against the
// four round trips it makes (BENCHMARKS.md, "a read's refresh on PostgreSQL"): with
// refreshSegments segments saved and nothing written between reads, "sequential" sends
// the refresh's four statements one after another as it did (the identity log and
// the referral ledger from the server's positions, the event log from the first event
// not applied, the definitions' versions), "batch" the same four statements in one
// pgx.Batch (one round trip, run in order), and "refresh" is the server's refresh
// itself, which now runs them in two rounds of two at once (refresh). It measures what
// batching would save. The server does not batch: identity's
// and the ledger's catch-ups read through their stores' Since(pos), which has no way to
// tell a catch-up's call from a leader's reading the tail before it appends, or from a
// later request's catch-up, so rows read ahead in a batch could not be handed to the
// right one (a leader given them fails its append; a later request given them misses
// writes acknowledged before it began). Batching needs the resolver and the programme
// to take rows read by their host.
func BenchmarkRefreshBatch(b *testing.B) {
	url := pgtest.URL(b)
	pool := pgtest.Pool(b)
	ctx := context.Background()
	if *pgLatency > 0 {
		url = delayed(b, url, *pgLatency)
		var err error
		if pool, err = pgxpool.New(ctx, url); err != nil {
			b.Fatal(err)
		}
		b.Cleanup(pool.Close)
	}
	schema := pgtest.Schema(b, pool)
	clock := clientele.FixedClock(time.Date(2025, 3, 3, 0, 0, 0, 0, time.UTC))
	s, _ := storageServer(b, url, schema, clock, nil)
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

// delayed returns url with its host replaced by a proxy's on 127.0.0.1, which forwards
// each connection to the host, writing what it reads in either direction d later.
func delayed(b *testing.B, url string, d time.Duration) string {
	u, err := neturl.Parse(url)
	if err != nil {
		b.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { ln.Close() })
	target := u.Host
	go func() {
		for {
			client, err := ln.Accept()
			if err != nil {
				return // closed
			}
			go func() {
				server, err := net.Dial("tcp", target)
				if err != nil {
					client.Close()
					return
				}
				go pipe(server, client, d)
				pipe(client, server, d)
			}()
		}
	}()
	u.Host = ln.Addr().String()
	return u.String()
}

// pipe writes to dst what it reads from src, each chunk d after it was read, in order,
// until either side fails or closes; then it closes both.
func pipe(dst, src net.Conn, d time.Duration) {
	type chunk struct {
		due  time.Time
		data []byte
	}
	chunks := make(chan chunk, 1024)
	go func() {
		defer close(chunks)
		for {
			buf := make([]byte, 32<<10)
			n, err := src.Read(buf)
			if n > 0 {
				chunks <- chunk{time.Now().Add(d), buf[:n]}
			}
			if err != nil {
				return
			}
		}
	}()
	for c := range chunks {
		time.Sleep(time.Until(c.due))
		if _, err := dst.Write(c.data); err != nil {
			break
		}
	}
	dst.Close()
	src.Close()
	for range chunks { // until the reader sees src closed
	}
}
