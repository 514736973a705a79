package pg_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/clientele-go/clientele/internal/pg"
	"github.com/clientele-go/clientele/internal/pg/pgtest"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgconn/ctxwatch"
	"github.com/jackc/pgx/v5/pgxpool"
)

// lateCancelPool is a pool whose connections give up on a statement as pgx's
// CancelRequestContextWatcherHandler does, but hold its cancel request back until the
// statement has returned, so that it is never sent: the test sends it late itself, with
// pg_cancel_backend. When a statement's context ends, its backend's pid goes to the
// channel returned.
func lateCancelPool(t *testing.T) (*pgxpool.Pool, <-chan uint32) {
	t.Helper()
	cfg, err := pgxpool.ParseConfig(pgtest.URL(t))
	if err != nil {
		t.Fatal(err)
	}
	ended := make(chan uint32, 16)
	cfg.ConnConfig.BuildContextWatcherHandler = func(c *pgconn.PgConn) ctxwatch.Handler {
		return heldBack{
			// Neither the delay nor the deadline comes before the test lets the
			// statement through.
			CancelRequestContextWatcherHandler: &pgconn.CancelRequestContextWatcherHandler{Conn: c, CancelRequestDelay: time.Hour, DeadlineDelay: time.Hour},
			pid:                                c.PID(),
			ended:                              ended,
		}
	}
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return pool, ended
}

type heldBack struct {
	*pgconn.CancelRequestContextWatcherHandler
	pid   uint32
	ended chan<- uint32
}

func (h heldBack) HandleCancel(ctx context.Context) {
	select {
	case h.ended <- h.pid:
	default:
	}
	h.CancelRequestContextWatcherHandler.HandleCancel(ctx)
}

// TestLateCancel: a statement on the lead's connection whose context ends (its Timeout
// runs out) while another session's lock holds it at the server, and that then
// succeeds, may have sent a cancel request that reaches the server late, after it
// returned. The lead's wait for the lock fails as one that ran out; a flush and a
// rewrite under a lead succeed, and a lead open then settles. When the cancel request
// then reaches that statement's backend while the next flush waits at the server, the
// flush succeeds all the same: the log took a fresh connection, and the lock again, for
// it.
func TestLateCancel(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct {
		name string
		// lock holds the statement call makes on the lead's connection, at its
		// execution: %[1]s is the log's table; %[2]d, %[3]d its advisory lock. want is
		// what call returns once let through.
		lock  string
		setup func(l *pg.Log) error
		call  func(l *pg.Log) error
		want  error
		after func(l *pg.Log) error // ends the lead call left open
		recs  []string
	}{
		{
			name:  "flush",
			lock:  "INSERT INTO %[1]s (pos, rec) VALUES (0, '')",
			setup: func(l *pg.Log) error { return lead(l, "a") },
			call:  func(l *pg.Log) error { return l.Settle() },
			recs:  []string{"a"},
		},
		{
			// The other lead flushes on the connection, the last to: nothing else holds
			// the lock for its records.
			name: "flush with another lead open",
			lock: "INSERT INTO %[1]s (pos, rec) VALUES (0, '')",
			setup: func(l *pg.Log) error {
				if err := lead(l, "a"); err != nil {
					return err
				}
				return l.Lead(ctx)
			},
			call: func(l *pg.Log) error { return l.Settle() },
			after: func(l *pg.Log) error {
				if err := l.Append([]byte("b")); err != nil {
					return err
				}
				return l.Settle()
			},
			recs: []string{"a", "b"},
		},
		{
			name: "lead's wait for the lock",
			lock: "SELECT pg_advisory_xact_lock(%[2]d, %[3]d)",
			call: func(l *pg.Log) error { return l.Lead(ctx) },
			want: context.DeadlineExceeded,
		},
		{
			name: "rewrite under a lead",
			lock: "SELECT * FROM %[1]s WHERE pos = 0 FOR UPDATE",
			setup: func(l *pg.Log) error {
				if err := l.Append([]byte("a")); err != nil {
					return err
				}
				return lead(l, "b")
			},
			call:  func(l *pg.Log) error { return l.Rewrite(upper([]string{"a", "b"}, nil)) },
			after: func(l *pg.Log) error { return l.Settle() },
			recs:  []string{"A", "B"},
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			pool, ended := lateCancelPool(t)
			schema := pgtest.Schema(t, pool)
			l := newLog(t, pool, schema, pgtest.Timeout)
			table := pg.Ident(schema) + ".log"
			if c.setup != nil {
				if err := c.setup(l); err != nil {
					t.Fatal(err)
				}
			}
			k1, k2 := l.Lock()
			release := pgtest.Hold(t, fmt.Sprintf(c.lock, table, k1, k2))
			done := make(chan error, 1)
			go func() { done <- c.call(l) }()
			var pid uint32
			pgtest.Eventually(t, func() (bool, string) {
				select {
				case pid = <-ended:
					return true, ""
				default:
					return false, "the statement's context has not ended"
				}
			})
			release()
			err := pgtest.Within(t, c.name, func() error { return <-done })
			if c.want == nil && err != nil || c.want != nil && !errors.Is(err, c.want) {
				t.Fatalf("%s let through after its context ended: %v, want %v", c.name, err, c.want)
			}
			if c.after != nil {
				if err := c.after(l); err != nil {
					t.Fatal(err)
				}
			}

			// The late cancel request reaches pid's backend while the next flush
			// waits at the server.
			if err := lead(l, "z"); err != nil {
				t.Fatal(err)
			}
			release = pgtest.Hold(t, fmt.Sprintf("INSERT INTO %s (pos, rec) VALUES (%d, '')", table, len(c.recs)))
			go func() { done <- l.Settle() }()
			pgtest.Eventually(t, func() (bool, string) {
				var waits bool
				err := pool.QueryRow(ctx, "SELECT EXISTS (SELECT FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND strpos(query, $1) > 0)", schema).Scan(&waits)
				if err != nil {
					return false, err.Error()
				}
				return waits, "the flush does not wait for the row"
			})
			if _, err := pool.Exec(ctx, "SELECT pg_cancel_backend($1)", int32(pid)); err != nil {
				t.Fatal(err)
			}
			release()
			if err := pgtest.Within(t, "the next flush", func() error { return <-done }); err != nil {
				t.Fatalf("the flush after the %s, when a late cancel request for backend %d came: %v", c.name, pid, err)
			}
			if got, want := records(t, l), append(c.recs, "z"); !slices.Equal(got, want) {
				t.Fatalf("the log holds %q, want %q", got, want)
			}
		})
	}
}

// lead leads l, reads its tail and appends rec under the lead.
func lead(l *pg.Log, rec string) error {
	if err := l.Lead(context.Background()); err != nil {
		return err
	}
	if err := first(l.Since(0)); err != nil {
		return err
	}
	return l.Append([]byte(rec))
}
