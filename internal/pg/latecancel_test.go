package pg_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/clientele-go/clientele/internal/pg"
	"github.com/clientele-go/clientele/internal/pg/pgtest"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgconn/ctxwatch"
	"github.com/jackc/pgx/v5/pgxpool"
)

// lateCancelPool is a pool whose connections give up on a statement as pgx's
// CancelRequestContextWatcherHandler does, but hold its cancel request back until the
// statement has returned, so that it is never sent: the test sends it late itself, with
// pg_cancel_backend. When a statement's context ends, its backend's pid goes to the
// channel returned. Each of configure changes the pool's configuration first.
func lateCancelPool(t *testing.T, configure ...func(*pgxpool.Config)) (*pgxpool.Pool, <-chan uint32) {
	t.Helper()
	cfg, err := pgxpool.ParseConfig(pgtest.URL(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range configure {
		f(cfg)
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

// TestLateCancelOpenLead: the leads open when the lead's connection becomes spent still
// flush on it (no other connection holds the log's lock for their records), so the late
// cancel requests of the statements that spent it can end one of their flushes. Leads
// are opened, late+1 of them; the first late of them settle, each flush held at the
// server past its Timeout by another session's row lock and let through (so each may
// have sent a cancel request that reaches the server late); the last appends a record
// and settles, and the test sends pg_cancel_backend to the connection's backend cancels
// times, each while that flush waits at the server (in a statement begun after the
// last cancel), checking each time that the backend still holds the log's advisory
// lock. With no more cancels than late statements, the flush succeeds and the log holds
// each record once (a cancelled attempt that had committed would have failed the next
// on the primary key); with more, the extra cancel cannot be told from a failure of
// the flush's own, and it fails as a lost flush does (errDiverged, 57014).
func TestLateCancelOpenLead(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct {
		late, cancels int
		fails         bool
	}{
		{late: 1, cancels: 1},
		{late: 2, cancels: 2},
		{late: 2, cancels: 1},
		{late: 1, cancels: 2, fails: true},
	} {
		t.Run(fmt.Sprintf("%d late, %d cancels", c.late, c.cancels), func(t *testing.T) {
			pool, ended := lateCancelPool(t)
			schema := pgtest.Schema(t, pool)
			l := newLog(t, pool, schema, pgtest.Timeout)
			table := pg.Ident(schema) + ".log"
			k1, k2 := l.Lock()
			if err := l.Lead(ctx); err != nil {
				t.Fatal(err)
			}
			if err := first(l.Since(0)); err != nil {
				t.Fatal(err)
			}
			for range c.late {
				if err := l.Lead(ctx); err != nil {
					t.Fatal(err)
				}
			}
			var want []string
			var pid uint32
			for i := range c.late {
				rec := string(rune('a' + i))
				if err := l.Append([]byte(rec)); err != nil {
					t.Fatal(err)
				}
				pid = settleLate(t, l, table, i, ended)
				want = append(want, rec)
			}

			rec := string(rune('a' + c.late))
			if err := l.Append([]byte(rec)); err != nil {
				t.Fatal(err)
			}
			release := pgtest.Hold(t, fmt.Sprintf("INSERT INTO %s (pos, rec) VALUES (%d, '')", table, c.late))
			done := make(chan error, 1)
			go func() { done <- l.Settle() }()
			var since time.Time
			for i := range c.cancels {
				since = waitsAt(t, pool, pid, since, done)
				var held bool
				if err := pool.QueryRow(ctx, "SELECT EXISTS (SELECT FROM pg_locks WHERE locktype = 'advisory' AND classid = $1::int::oid AND objid = $2::int::oid AND objsubid = 2 AND granted AND pid = $3)", k1, k2, int32(pid)).Scan(&held); err != nil {
					t.Fatal(err)
				}
				if !held {
					t.Fatalf("after %d cancels, the backend %d that flushes does not hold the log's lock", i, pid)
				}
				if _, err := pool.Exec(ctx, "SELECT pg_cancel_backend($1)", int32(pid)); err != nil {
					t.Fatal(err)
				}
			}
			release()
			err := pgtest.Within(t, "the open lead's flush", func() error { return <-done })
			var pgErr *pgconn.PgError
			switch {
			case c.fails && (!errors.Is(err, errDiverged) || !errors.As(err, &pgErr) || pgErr.Code != "57014"):
				t.Fatalf("the open lead's flush, met by %d cancels after %d late statements: %v; want a failure wrapping errDiverged and 57014", c.cancels, c.late, err)
			case !c.fails && err != nil:
				t.Fatalf("the open lead's flush, met by %d late cancel requests for backend %d: %v", c.cancels, pid, err)
			case !c.fails:
				want = append(want, rec)
			}
			if got := records(t, l); !slices.Equal(got, want) {
				t.Fatalf("the log holds %q, want %q", got, want)
			}
			// The log goes on: a new lead flushes on a fresh connection.
			if err := lead(l, "z"); err != nil {
				t.Fatal(err)
			}
			if err := l.Settle(); err != nil {
				t.Fatal(err)
			}
			if got, want := records(t, l), append(want, "z"); !slices.Equal(got, want) {
				t.Fatalf("the log holds %q, want %q", got, want)
			}
		})
	}
}

// waitsAt waits until backend pid waits for a lock at the server in a statement that
// began after since, and returns when that statement began. It fails t if the call
// that should wait there returns (on done) first.
func waitsAt(t *testing.T, pool *pgxpool.Pool, pid uint32, since time.Time, done <-chan error) time.Time {
	t.Helper()
	var start time.Time
	pgtest.Eventually(t, func() (bool, string) {
		select {
		case err := <-done:
			t.Fatalf("the flush returned before it waited for a lock in a statement begun after %v: %v", since, err)
		default:
		}
		err := pool.QueryRow(context.Background(), "SELECT query_start FROM pg_stat_activity WHERE pid = $1 AND wait_event_type = 'Lock' AND query_start > $2", int32(pid), since).Scan(&start)
		switch {
		case errors.Is(err, pgx.ErrNoRows):
			return false, fmt.Sprintf("backend %d does not wait for a lock in a statement begun after %v", pid, since)
		case err != nil:
			return false, err.Error()
		}
		return true, ""
	})
	return start
}

// TestLateCancelUnlock: the log's unlock, when the last lead ends, is a statement on
// the lead's connection too, and one that returns after its context ended may have
// sent a cancel request that reaches the server late, so the connection must not go
// back to the pool for another call's statement to meet it. An advisory unlock never
// waits at the server, so the test holds its answer back on the client instead (see
// gate) until its Timeout has run out and pgx has given up on it (the cancel request
// held back, as in TestLateCancel), then lets it through: the unlock succeeds late,
// and the connection is closed, its backend gone, rather than given back to the pool.
// The log goes on, on a fresh connection.
func TestLateCancelUnlock(t *testing.T) {
	g := &gate{match: "pg_advisory_unlock", open: make(chan struct{})}
	pool, ended := lateCancelPool(t, func(cfg *pgxpool.Config) {
		// One round trip a statement, its text in it, so that the gate holds the
		// unlock's own answer back (the default first prepares the statement).
		cfg.ConnConfig.DefaultQueryExecMode = pgx.QueryExecModeExec
		dial := cfg.ConnConfig.DialFunc
		cfg.ConnConfig.DialFunc = func(ctx context.Context, network, addr string) (net.Conn, error) {
			c, err := dial(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			return &gatedConn{Conn: c, g: g}, nil
		}
	})
	t.Cleanup(g.release) // before the pool closes, if the test ends early
	schema := pgtest.Schema(t, pool)
	l := newLog(t, pool, schema, pgtest.Timeout)
	if err := lead(l, "a"); err != nil {
		t.Fatal(err)
	}
	if err := l.Settle(); err != nil { // the unlock follows, after linger
		t.Fatal(err)
	}
	var pid uint32
	pgtest.Eventually(t, func() (bool, string) {
		select {
		case pid = <-ended:
			return true, ""
		default:
			return false, "the unlock's context has not ended"
		}
	})
	g.release()
	l.Flushes() // waits for the unlock's end: release holds the log's mutex
	pgtest.Eventually(t, func() (bool, string) {
		var alive bool
		if err := pool.QueryRow(context.Background(), "SELECT EXISTS (SELECT FROM pg_stat_activity WHERE pid = $1)", int32(pid)).Scan(&alive); err != nil {
			return false, err.Error()
		}
		return !alive, fmt.Sprintf("backend %d, whose unlock returned after its context ended, still serves the pool", pid)
	})
	if err := lead(l, "b"); err != nil {
		t.Fatal(err)
	}
	if err := l.Settle(); err != nil {
		t.Fatal(err)
	}
	if got, want := records(t, l), []string{"a", "b"}; !slices.Equal(got, want) {
		t.Fatalf("the log holds %q, want %q", got, want)
	}
}

// gate holds back, once, the answer to the first message a client writes that holds
// match: its connection's next read waits until release.
type gate struct {
	match string
	fired atomic.Bool
	open  chan struct{}
	once  sync.Once
}

func (g *gate) release() { g.once.Do(func() { close(g.open) }) }

type gatedConn struct {
	net.Conn
	g     *gate
	armed atomic.Bool
}

func (c *gatedConn) Write(b []byte) (int, error) {
	if strings.Contains(string(b), c.g.match) && c.g.fired.CompareAndSwap(false, true) {
		c.armed.Store(true)
	}
	return c.Conn.Write(b)
}

func (c *gatedConn) Read(b []byte) (int, error) {
	if c.armed.CompareAndSwap(true, false) {
		<-c.g.open
	}
	return c.Conn.Read(b)
}

// TestLateCancelOpenLeadRewrite: a rewrite under a lead open when the lead's connection
// became spent runs on that connection too, and is not sent again when a late cancel
// ends one of its statements (its records come from the caller's iterator, which need
// not yield them twice): it fails loudly, with the 57014, as a failed rewrite under a
// lead does: the log refuses to go on (the lead's Settle fails with errDiverged) until
// it is read again, and holds what it held, the buffered record not in it.
func TestLateCancelOpenLeadRewrite(t *testing.T) {
	ctx := context.Background()
	pool, ended := lateCancelPool(t)
	schema := pgtest.Schema(t, pool)
	l := newLog(t, pool, schema, pgtest.Timeout)
	table := pg.Ident(schema) + ".log"
	if err := lead(l, "a"); err != nil {
		t.Fatal(err)
	}
	if err := l.Lead(ctx); err != nil {
		t.Fatal(err)
	}
	pid := settleLate(t, l, table, 0, ended)

	if err := l.Append([]byte("b")); err != nil {
		t.Fatal(err)
	}
	release := pgtest.Hold(t, fmt.Sprintf("SELECT * FROM %s WHERE pos = 0 FOR UPDATE", table))
	done := make(chan error, 1)
	go func() { done <- l.Rewrite(upper([]string{"a", "b"}, nil)) }()
	waitsAt(t, pool, pid, time.Time{}, done)
	if _, err := pool.Exec(ctx, "SELECT pg_cancel_backend($1)", int32(pid)); err != nil {
		t.Fatal(err)
	}
	release()
	err := pgtest.Within(t, "the rewrite", func() error { return <-done })
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != "57014" {
		t.Fatalf("a rewrite under the open lead, met by a late cancel: %v; want a failure wrapping 57014", err)
	}
	if err := l.Settle(); !errors.Is(err, errDiverged) {
		t.Fatalf("the open lead's Settle after its rewrite failed: %v; want errDiverged", err)
	}
	if got, want := records(t, l), []string{"a"}; !slices.Equal(got, want) {
		t.Fatalf("the log holds %q, want %q", got, want)
	}
}

// settleLate settles the lead's flush of the record at pos with its INSERT held at the
// server past the flush's Timeout, then let through, so that it returns after its
// context ended (the connection is then spent), and returns the backend pid that
// ended reports for it, the one a late cancel request would name.
func settleLate(t *testing.T, l *pg.Log, table string, pos int, ended <-chan uint32) uint32 {
	t.Helper()
	release := pgtest.Hold(t, fmt.Sprintf("INSERT INTO %s (pos, rec) VALUES (%d, '')", table, pos))
	done := make(chan error, 1)
	go func() { done <- l.Settle() }()
	var pid uint32
	pgtest.Eventually(t, func() (bool, string) {
		select {
		case pid = <-ended:
			return true, ""
		default:
			return false, "the flush's context has not ended"
		}
	})
	release()
	if err := pgtest.Within(t, "a flush let through", func() error { return <-done }); err != nil {
		t.Fatalf("the flush at %d, let through after its context ended: %v", pos, err)
	}
	return pid
}
