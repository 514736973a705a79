package pg_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/clientele-go/clientele/internal/pg"
	"github.com/clientele-go/clientele/internal/pg/pgtest"
	"github.com/jackc/pgx/v5/pgxpool"
)

// first returns the first error seq yields, reading it to the end.
func first(seq func(func([]byte, error) bool)) error {
	var got error
	seq(func(_ []byte, err error) bool { got = err; return err == nil })
	return got
}

// newLog makes an empty log in a fresh schema of pool, bounded by timeout, and returns
// it with its quoted table name.
func newLog(t *testing.T, pool *pgxpool.Pool, schema string, timeout time.Duration) *pg.Log {
	t.Helper()
	if err := pg.Migrate(context.Background(), pool, schema, "test", []string{`CREATE TABLE %[1]s.log (pos bigint PRIMARY KEY, rec bytea NOT NULL)`}); err != nil {
		t.Fatal(err)
	}
	l := pg.NewLog(pool, schema, "log", pg.Errors{Prefix: "test", Closed: errClosed, Diverged: errDiverged, Invalid: errors.New("invalid")})
	l.Timeout = timeout
	t.Cleanup(func() { l.Close() })
	return l
}

// records returns what l holds, from position 0.
func records(t *testing.T, l *pg.Log) []string {
	t.Helper()
	var got []string
	for r, err := range l.Records() {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, string(r))
	}
	return got
}

// TestTimeoutOnLock: with a Timeout, while another session holds the log's table, a
// plain Append, Since and Records fail with an error wrapping context.DeadlineExceeded
// instead of waiting; a lead's flush that waits fails as one whose connection was lost
// (the records may or may not be in the log: errDiverged), and its connection closes,
// which releases the log's lock for other writers at once. After the lock is released
// the same log reads the whole log again, leads and appends, and holds each record
// once. On a pool with pgx's default and on one that sends a cancel request.
func TestTimeoutOnLock(t *testing.T) {
	for _, c := range []struct {
		name string
		pool func(t testing.TB) *pgxpool.Pool
	}{
		{"deadline", pgtest.Pool},
		{"cancel request", pgtest.CancelRequestPool},
	} {
		t.Run(c.name, func(t *testing.T) {
			ctx := context.Background()
			pool := c.pool(t)
			schema := pgtest.Schema(t, pool)
			l := newLog(t, pool, schema, pgtest.Timeout)
			if err := l.Append([]byte("0")); err != nil {
				t.Fatal(err)
			}
			table := pg.Ident(schema) + ".log"
			pgtest.Stuck(t, "LOCK TABLE "+table+" IN ACCESS EXCLUSIVE MODE",
				pgtest.Call{Name: "Append", Do: func() error { return l.Append([]byte("x")) }},
				pgtest.Call{Name: "Since", Do: func() error { return first(l.Since(0)) }},
				pgtest.Call{Name: "Records", Do: func() error { return first(l.Records()) }},
			)

			// A lead's flush: the reads pass under a SHARE lock, the INSERT waits.
			if err := l.Lead(ctx); err != nil {
				t.Fatal(err)
			}
			if err := first(l.Since(0)); err != nil {
				t.Fatal(err)
			}
			if err := l.Append([]byte("1")); err != nil {
				t.Fatal(err)
			}
			pgtest.Stuck(t, "LOCK TABLE "+table+" IN SHARE MODE",
				pgtest.Call{Name: "Settle", Do: l.Settle, Also: []error{errDiverged}})
			// The flush's connection was closed, and the log's lock with it: another
			// writer leads at once.
			other := newLog(t, pool, schema, 0)
			if err := pgtest.Within(t, "another writer's Lead after the flush ran out", func() error { return other.Lead(ctx) }); err != nil {
				t.Fatalf("another writer's Lead after the flush ran out: %v", err)
			}
			if err := l.Lead(ctx); !errors.Is(err, errDiverged) {
				t.Fatalf("Lead after the failed flush: %v, want errDiverged", err)
			}
			got := records(t, l) // ends the refusal

			// While the other writer leads, this log's Lead and plain Append wait for
			// the log's lock, and run out; a Lead's ctx ends it before a longer Timeout.
			long := newLog(t, pool, schema, time.Hour)
			for _, c := range []struct {
				name string
				call func() error
			}{
				{"Lead while another writer leads", func() error { return l.Lead(ctx) }},
				{"Append while another writer leads", func() error { return l.Append([]byte("x")) }},
				{"Lead with a ctx that ends before Timeout", func() error {
					// Made here, not before the calls above, which take Timeout each:
					// an already ended ctx would fail Lead before it waits.
					short, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
					defer cancel()
					return long.Lead(short)
				}},
			} {
				if err := pgtest.Within(t, c.name, c.call); !errors.Is(err, context.DeadlineExceeded) {
					t.Errorf("%s: %v; want an error wrapping context.DeadlineExceeded", c.name, err)
				}
			}
			if err := other.Settle(); err != nil {
				t.Fatal(err)
			}

			if err := l.Lead(ctx); err != nil {
				t.Fatalf("Lead once the log was read again: %v", err)
			}
			if err := first(l.Since(uint64(len(got)))); err != nil {
				t.Fatal(err)
			}
			if err := l.Append([]byte("2")); err != nil {
				t.Fatal(err)
			}
			if err := l.Settle(); err != nil {
				t.Fatal(err)
			}
			got = records(t, l)
			if !slices.Equal(got, []string{"0", "2"}) && !slices.Equal(got, []string{"0", "1", "2"}) {
				t.Fatalf("the log holds %q; want 0, 2 with or without the 1 whose flush ran out", got)
			}
		})
	}
}

// TestScanTimeoutPerFetch: Timeout bounds each fetch of a scan, not the scan, and not
// the time its caller takes over the records. The log is many times longer than a
// scan reads ahead of its caller, and the caller pauses for longer than Timeout, twice,
// while the query still has rows to send: the scan, which lasts several Timeouts in
// all, yields every record.
func TestScanTimeoutPerFetch(t *testing.T) {
	const n, timeout = 100_000, pgtest.Timeout
	_, _, l := fill(t, n)
	l.Timeout = timeout
	i := 0
	for r, err := range l.Records() {
		if err != nil {
			t.Fatalf("record %d: %v", i, err)
		}
		if got, w := string(r), padded(i); got != w {
			t.Fatalf("record %d: %q, want %q", i, got, w)
		}
		if i == 10 || i == n/3 {
			time.Sleep(2 * timeout)
		}
		i++
	}
	if i != n {
		t.Fatalf("read %d records, want %d", i, n)
	}
}

// TestSinceContextOnLock: with no Timeout, while another session holds the log's table,
// SinceContext ends with an error wrapping its context's error once the context ends,
// cancelled or past its deadline, instead of waiting for the lock; then the log reads
// whole. On a pool with pgx's default, which reports any end as "context canceled", and
// on one that sends a cancel request, which reports PostgreSQL's 57014.
func TestSinceContextOnLock(t *testing.T) {
	for _, c := range pgtest.PoolKinds {
		t.Run(c.Name, func(t *testing.T) {
			pool := c.Pool(t)
			schema := pgtest.Schema(t, pool)
			l := newLog(t, pool, schema, 0)
			if err := l.Append([]byte("0"), []byte("1")); err != nil {
				t.Fatal(err)
			}
			lock := "LOCK TABLE " + pg.Ident(schema) + ".log IN ACCESS EXCLUSIVE MODE"
			pgtest.Interrupt(t, lock, "SinceContext", func(ctx context.Context) error { return first(l.SinceContext(ctx, 0)) })
			release := pgtest.Hold(t, lock)
			ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
			defer cancel()
			err := pgtest.Within(t, "SinceContext past its deadline", func() error { return first(l.SinceContext(ctx, 0)) })
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("SinceContext past its deadline: %v; want an error wrapping context.DeadlineExceeded", err)
			}
			release()
			if got := records(t, l); !slices.Equal(got, []string{"0", "1"}) {
				t.Fatalf("after the lock: %q", got)
			}
		})
	}
}

// TestSinceContextCancelledMidway: a context cancelled while the scan's query still has
// rows to send (the log is longer than the scan reads ahead) ends the sequence with an
// error wrapping context.Canceled, or lets it end whole: never short without an error,
// which the caller would take for the end of the log.
func TestSinceContextCancelledMidway(t *testing.T) {
	const n = 30000
	pool := pgtest.Pool(t)
	l := newLog(t, pool, pgtest.Schema(t, pool), 0)
	recs := make([][]byte, n)
	for i := range recs {
		recs[i] = []byte{byte(i)}
	}
	if err := l.Append(recs...); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	read := 0
	var err error
	for _, e := range l.SinceContext(ctx, 0) {
		if err = e; err != nil {
			break
		}
		if read++; read == 10 {
			cancel()
			time.Sleep(100 * time.Millisecond) // the query sees the cancel while it is ahead
		}
	}
	if read < n && !errors.Is(err, context.Canceled) {
		t.Fatalf("SinceContext cancelled after 10 records: %d records, then %v; want all %d or an error wrapping context.Canceled", read, err, n)
	}
}
