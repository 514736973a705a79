package pgstore

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/clientele-go/clientele/internal/pg"
	"github.com/clientele-go/clientele/internal/pg/pgtest"
	"github.com/clientele-go/clientele/segment"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgconn/ctxwatch"
	"github.com/jackc/pgx/v5/pgxpool"
)

// watchdog is how long a test waits for a call that Options.Timeout should have ended
// in a fraction of a second: far longer than any slow machine needs, so that only a
// call left unbounded reaches it, and the test fails instead of hanging.
const watchdog = 20 * time.Second

// TestTimeoutOnLock: while another session holds an ACCESS EXCLUSIVE lock on the table
// (as a stuck migration or a long maintenance would), every call of a store opened with
// a Timeout fails with an error wrapping context.DeadlineExceeded that names the
// operation and blob, instead of waiting for the lock; once the lock is released the
// same store puts and gets again. On a pool with pgx's default, which gives up on a
// query by a deadline on its socket, and on one that first asks the server to cancel
// the statement.
func TestTimeoutOnLock(t *testing.T) {
	for _, c := range []struct {
		name string
		pool func(t testing.TB) *pgxpool.Pool
	}{
		{"deadline", pgtest.Pool},
		{"cancel request", cancelRequestPool},
	} {
		t.Run(c.name, func(t *testing.T) {
			pool := c.pool(t)
			ctx := context.Background()
			schema := pgtest.Schema(t, pool)
			s, err := Open(ctx, pool, &Options{Schema: schema, Timeout: 200 * time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			if err := s.Put("d", []byte("to delete")); err != nil {
				t.Fatal(err)
			}
			release := pgtest.Hold(t, "LOCK TABLE "+pg.Ident(schema)+".segment_blob IN ACCESS EXCLUSIVE MODE")
			for _, call := range []struct {
				op, blob string
				do       func() error
			}{
				{"put", "p", func() error { return s.Put("p", []byte("p")) }},
				{"put", "pv", func() error { return second(s.PutVersion("pv", []byte("pv"))) }},
				{"get", "d", func() error { return second(s.Get("d")) }},
				{"delete", "d", func() error { return s.Delete("d") }},
				{"list", "", func() error { return second(s.List()) }},
				{"versions", "", func() error { return second(s.Versions("")) }},
			} {
				prefix := "segment/pgstore: " + call.op
				if call.blob != "" {
					prefix += ` "` + call.blob + `"`
				}
				err := within(t, prefix, call.do)
				if !errors.Is(err, context.DeadlineExceeded) || !strings.HasPrefix(err.Error(), prefix+": ") {
					t.Errorf("%s under a lock: %v; want an error wrapping context.DeadlineExceeded that begins %q", call.op, err, prefix)
				}
			}
			release()
			err = within(t, "put after the lock", func() error { return s.Put("after", []byte("bytes")) })
			if err != nil {
				t.Fatalf("Put once the lock is released: %v", err)
			}
			got, err := s.Get("after")
			if err != nil || string(got) != "bytes" {
				t.Fatalf("Get once the lock is released: %q, %v; want %q", got, err, "bytes")
			}
		})
	}
}

// TestNegativeTimeoutRefused: Open refuses a negative Timeout before it touches the
// database (the pool connects lazily: no server is needed).
func TestNegativeTimeoutRefused(t *testing.T) {
	pool, err := pgxpool.New(context.Background(), "postgres://127.0.0.1:1/none")
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	_, err = Open(context.Background(), pool, &Options{Timeout: -time.Second})
	pgtest.CheckError(t, "Open with a negative timeout", err, segment.ErrInvalid, "segment: ", "segment/pgstore: ")
	if !strings.Contains(err.Error(), "timeout -1s") {
		t.Errorf("Open with a negative timeout: %v; want it to name the timeout", err)
	}
}

// within runs call and returns its error, failing t if it has not returned after
// watchdog (the call is then left to end when the test's cleanups release its lock).
func within(t *testing.T, what string, call func() error) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- call() }()
	select {
	case err := <-done:
		return err
	case <-time.After(watchdog):
		t.Fatalf("%s: still waiting after %v: the call is not bounded", what, watchdog)
		return nil
	}
}

// cancelRequestPool is a pool on the test server whose connections, when a query's
// context ends, ask the server to cancel the statement before giving up on the socket
// (pgx's alternative to its default), closed when t ends.
func cancelRequestPool(t testing.TB) *pgxpool.Pool {
	t.Helper()
	cfg, err := pgxpool.ParseConfig(pgtest.URL(t))
	if err != nil {
		t.Fatal(err)
	}
	cfg.ConnConfig.BuildContextWatcherHandler = func(c *pgconn.PgConn) ctxwatch.Handler {
		return &pgconn.CancelRequestContextWatcherHandler{Conn: c, DeadlineDelay: 5 * time.Second}
	}
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return pool
}
