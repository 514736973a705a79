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
	"github.com/jackc/pgx/v5/pgxpool"
)

// TestTimeoutOnLock: while another session holds an ACCESS EXCLUSIVE lock on the table
// (as a stuck migration or a long maintenance would), every call of a store opened with
// a Timeout fails with an error wrapping context.DeadlineExceeded that names the
// operation and blob, instead of waiting for the lock; once the lock is released the
// same store puts and gets again. On a pool with pgx's default, which gives up on a
// query by a deadline on its socket, and on one that first asks the server to cancel
// the statement.
func TestTimeoutOnLock(t *testing.T) {
	for _, c := range pgtest.PoolKinds {
		t.Run(c.Name, func(t *testing.T) {
			pool := c.Pool(t)
			ctx := context.Background()
			schema := pgtest.Schema(t, pool)
			s, err := Open(ctx, pool, &Options{Schema: schema, Timeout: pgtest.Timeout})
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
				err := pgtest.Within(t, prefix, call.do)
				if !errors.Is(err, context.DeadlineExceeded) || !strings.HasPrefix(err.Error(), prefix+": ") {
					t.Errorf("%s under a lock: %v; want an error wrapping context.DeadlineExceeded that begins %q", call.op, err, prefix)
				}
			}
			release()
			err = pgtest.Within(t, "put after the lock", func() error { return s.Put("after", []byte("bytes")) })
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
	pgtest.NegativeTimeout(t, func(pool *pgxpool.Pool, d time.Duration) error {
		_, err := Open(context.Background(), pool, &Options{Timeout: d})
		return err
	}, segment.ErrInvalid, "segment: ", "segment/pgstore: ")
}
