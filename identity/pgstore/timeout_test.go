package pgstore

import (
	"context"
	"testing"
	"time"

	"github.com/clientele-go/clientele/identity"
	"github.com/clientele-go/clientele/internal/pg/pgtest"
	"github.com/jackc/pgx/v5/pgxpool"
)

// TestTimeoutOnLock: with a Timeout, while another session holds the log's table, a
// Link (its lead reads the log's tail, or flushes) and another replica's CatchUp fail
// with an error wrapping context.DeadlineExceeded instead of waiting; while it holds a
// lock that lets reads through, a Link's flush runs out and fails as a lost connection
// does (identity.ErrDiverged). Once the lock is released the same resolvers link and
// catch up again: every acknowledged link is in the log once, none twice, and both
// hold the graph a fresh replica reads from the log (see pgtest.TimeoutOnLock).
func TestTimeoutOnLock(t *testing.T) { pgtest.TimeoutOnLock(t, writers()) }

// TestCatchUpInterrupted: with no Timeout, while another session holds the log's table,
// a CatchUp, and a Link (whose lead reads the log's tail), return an error wrapping
// context.Canceled once their ctx is cancelled, instead of waiting for the lock as long
// as it is held. Once the lock is released the same resolvers link and catch up again:
// every acknowledged link is in the log once, and both answer as a fresh replica does
// (see pgtest.CatchUpInterrupted).
func TestCatchUpInterrupted(t *testing.T) { pgtest.CatchUpInterrupted(t, writers()) }

// writers is the workload of 30 links for the tests of a stuck PostgreSQL. A Link has
// no key to send it again by, so those that failed are not: the log must hold every
// acknowledged one once, and may hold a failed one at most once.
func writers() pgtest.Writers[*identity.Resolver] {
	const events = 30
	acked := make([]bool, events)
	return pgtest.Writers[*identity.Resolver]{
		Table: "identity_log",
		Open: func(t *testing.T, pool *pgxpool.Pool, schema string, timeout time.Duration) *identity.Resolver {
			return resolver(t, openTimeout(t, pool, schema, timeout))
		},
		Events: events, Before: 10,
		Call: "Link",
		Write: func(ctx context.Context, r *identity.Resolver, i int) error {
			err := link(ctx, r, 0, i)
			acked[i] = err == nil
			return err
		},
		Diverged: identity.ErrDiverged,
		Check: func(t *testing.T, pool *pgxpool.Pool, schema string) string {
			fresh := resolver(t, open(t, pool, schema))
			onceEach(t, fresh, acked)
			return answers(fresh, events)
		},
		Reference: "a fresh replica",
		Answers:   func(r *identity.Resolver) string { return answers(r, events) },
	}
}

// TestNegativeTimeoutRefused: Open refuses a negative Timeout before it touches the
// database (the pool connects lazily: no server is needed).
func TestNegativeTimeoutRefused(t *testing.T) {
	pgtest.NegativeTimeout(t, func(pool *pgxpool.Pool, d time.Duration) error {
		_, err := Open(context.Background(), pool, &Options{Timeout: d})
		return err
	}, identity.ErrInvalid, "identity: ", "identity/pgstore: ")
}

// openTimeout opens a store over schema with timeout as its Options.Timeout, closed
// when t ends.
func openTimeout(t testing.TB, pool *pgxpool.Pool, schema string, timeout time.Duration) *Store {
	t.Helper()
	s, err := Open(context.Background(), pool, &Options{Schema: schema, Timeout: timeout})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}
