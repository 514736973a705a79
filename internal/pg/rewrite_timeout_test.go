package pg_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"iter"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/clientele-go/clientele/internal/pg"
	"github.com/clientele-go/clientele/internal/pg/pgtest"
)

// upper yields recs in upper case, calling pause (if not nil) before record i.
func upper(recs []string, pause func(i int)) iter.Seq[[]byte] {
	return func(yield func([]byte) bool) {
		for i, r := range recs {
			if pause != nil {
				pause(i)
			}
			if !yield([]byte(strings.ToUpper(r))) {
				return
			}
		}
	}
}

func toUpper(_ int64, rec []byte) ([]byte, error) { return bytes.ToUpper(rec), nil }

// TestRewriteTimeoutOnLock: with a Timeout, Rewrite (under a lead and without one) and
// Update fail with an error wrapping context.DeadlineExceeded, instead of waiting for
// ever, while another session holds the log's table (the rows cannot be read) or locks
// a row they would change (the rows are read, the write waits); and they leave the log
// as it was. Under a lead the rewrite fails as a failed flush: the lead's records are
// not in the log, the lead's Settle fails with errDiverged, and the log leads again
// once read. Once the lock is gone the same log rewrites. On a pool with pgx's default
// and on one that sends a cancel request.
func TestRewriteTimeoutOnLock(t *testing.T) {
	for _, c := range pgtest.PoolKinds {
		t.Run(c.Name, func(t *testing.T) {
			ctx := context.Background()
			pool := c.Pool(t)
			schema := pgtest.Schema(t, pool)
			l := newLog(t, pool, schema, pgtest.Timeout)
			old := []string{"a", "b", "c"}
			if err := l.Append([]byte("a"), []byte("b"), []byte("c")); err != nil {
				t.Fatal(err)
			}
			table := pg.Ident(schema) + ".log"
			unchanged := func(when string) {
				t.Helper()
				if got := records(t, l); !slices.Equal(got, old) {
					t.Fatalf("%s: the log holds %q, want %q as it was", when, got, old)
				}
			}
			for _, lock := range []string{
				"LOCK TABLE " + table + " IN ACCESS EXCLUSIVE MODE",
				"SELECT * FROM " + table + " WHERE pos = 2 FOR UPDATE",
			} {
				pgtest.Stuck(t, lock,
					pgtest.Call{Name: "Rewrite without a lead", Do: func() error { return l.Rewrite(upper(old, nil)) }},
					pgtest.Call{Name: "Update", Do: func() error { return l.Update(toUpper) }},
				)
				unchanged("after a Rewrite and an Update ran out on " + lock)
			}

			// Under a lead, with a record buffered that the rewrite would flush.
			for _, lock := range []string{
				"LOCK TABLE " + table + " IN ACCESS EXCLUSIVE MODE",
				"LOCK TABLE " + table + " IN SHARE MODE",
			} {
				if err := l.Lead(ctx); err != nil {
					t.Fatal(err)
				}
				if err := first(l.Since(0)); err != nil {
					t.Fatal(err)
				}
				if err := l.Append([]byte("d")); err != nil {
					t.Fatal(err)
				}
				pgtest.Stuck(t, lock,
					pgtest.Call{Name: "Rewrite under a lead", Do: func() error { return l.Rewrite(upper(append(old, "d"), nil)) }})
				if err := l.Settle(); !errors.Is(err, errDiverged) {
					t.Fatalf("Settle of the lead whose rewrite ran out on %s: %v, want errDiverged", lock, err)
				}
				if err := l.Lead(ctx); !errors.Is(err, errDiverged) {
					t.Fatalf("Lead after the rewrite ran out on %s: %v, want errDiverged", lock, err)
				}
				unchanged("after a Rewrite under a lead ran out on " + lock)
			}

			if err := l.Rewrite(upper(old, nil)); err != nil {
				t.Fatalf("Rewrite once the lock is released: %v", err)
			}
			if got, want := records(t, l), []string{"A", "B", "C"}; !slices.Equal(got, want) {
				t.Fatalf("after the rewrite: %q, want %q", got, want)
			}
		})
	}
}

// TestRewriteTimeoutHalfway: a Rewrite and an Update of a log several pages long, every
// row changed, whose last row another session locks, run out on the last page's write,
// after the earlier pages were written in the same transaction: the log holds every
// old row, none rewritten.
func TestRewriteTimeoutHalfway(t *testing.T) {
	const n = 10_000 // more than two pages of rows
	pool, schema, l := fill(t, n)
	l.Timeout = pgtest.Timeout
	old := make([]string, n)
	for i := range old {
		old[i] = padded(i)
	}
	pgtest.Stuck(t, fmt.Sprintf("SELECT * FROM %s.log WHERE pos = %d FOR UPDATE", pg.Ident(schema), n-1),
		pgtest.Call{Name: "Rewrite", Do: func() error { return l.Rewrite(upper(old, nil)) }},
		pgtest.Call{Name: "Update", Do: func() error { return l.Update(toUpper) }},
	)
	var changed int
	if err := pool.QueryRow(context.Background(), "SELECT count(*) FROM "+pg.Ident(schema)+".log WHERE rec <> convert_to(rpad('rec-' || pos, 48, '.'), 'UTF8')").Scan(&changed); err != nil {
		t.Fatal(err)
	}
	if changed != 0 {
		t.Fatalf("%d rows rewritten by a rewrite that ran out", changed)
	}
}

// TestRewriteTimeoutPerStatement: Timeout bounds each statement of a Rewrite and an
// Update, not the whole call. The log is several pages long and the caller, yielding
// the records (Rewrite) or rewriting one (Update), pauses for twice Timeout on the
// second page: both complete, every row rewritten.
func TestRewriteTimeoutPerStatement(t *testing.T) {
	const n = 10_000
	_, _, l := fill(t, n)
	l.Timeout = pgtest.Timeout
	old := make([]string, n)
	for i := range old {
		old[i] = padded(i)
	}
	const slow = 5000
	if err := l.Rewrite(upper(old, func(i int) {
		if i == slow {
			time.Sleep(2 * pgtest.Timeout)
		}
	})); err != nil {
		t.Fatalf("Rewrite with the caller pausing for longer than Timeout: %v", err)
	}
	for i, r := range records(t, l) {
		if w := strings.ToUpper(old[i]); r != w {
			t.Fatalf("record %d after the rewrite: %q, want %q", i, r, w)
		}
	}
	if err := l.Update(func(pos int64, rec []byte) ([]byte, error) {
		if pos == slow {
			time.Sleep(2 * pgtest.Timeout)
		}
		return bytes.ToLower(rec), nil
	}); err != nil {
		t.Fatalf("Update with the caller pausing for longer than Timeout: %v", err)
	}
	for i, r := range records(t, l) {
		if r != old[i] {
			t.Fatalf("record %d after the update: %q, want %q", i, r, old[i])
		}
	}
}
