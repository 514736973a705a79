package pgstore

import (
	"context"
	"testing"
	"time"

	"github.com/clientele-go/clientele/internal/pg/pgtest"
	"github.com/clientele-go/clientele/referral/loyalty"
	"github.com/jackc/pgx/v5/pgxpool"
)

// TestTimeoutOnLock: with a Timeout, while another session holds the log's table, an
// Apply (its lead reads the tail, or flushes) and another replica's CatchUp fail with an
// error wrapping context.DeadlineExceeded instead of waiting; while it holds a lock that
// lets reads through, an Apply's flush runs out and fails as a lost connection does
// (loyalty.ErrDiverged). Once the lock is released the same ledgers take the rest of the
// events, those that failed sent again: the log is the single writer's, no event or
// reward twice, and both replicas answer as it does (see pgtest.TimeoutOnLock).
func TestTimeoutOnLock(t *testing.T) { pgtest.TimeoutOnLock(t, writers()) }

// TestCatchUpInterrupted: with no Timeout, while another session holds the log's table,
// a CatchUp, and an Apply (whose lead reads the log's tail), return an error wrapping
// context.Canceled once their ctx is cancelled, instead of waiting for the lock as long
// as it is held. Once the lock is released the same replicas take the rest of the
// events, the interrupted one sent again, and answer as the single writer does (see
// pgtest.CatchUpInterrupted).
func TestCatchUpInterrupted(t *testing.T) { pgtest.CatchUpInterrupted(t, writers()) }

// writers is the workload of 12 people's events for the tests of a stuck PostgreSQL,
// each event sent again until it is taken once the lock is released.
func writers() pgtest.Writers[*loyalty.Ledger] {
	const n = 12
	evs := events(n)
	return pgtest.Writers[*loyalty.Ledger]{
		Table: "loyalty_log",
		Open: func(t *testing.T, pool *pgxpool.Pool, schema string, timeout time.Duration) *loyalty.Ledger {
			return openLedger(t, openTimeout(t, pool, schema, timeout))
		},
		Events: len(evs), Before: len(evs) / 2,
		Call:   "Apply",
		Write:  func(ctx context.Context, o *loyalty.Ledger, i int) error { return o.Apply(ctx, evs[i]) },
		Send:   func(t *testing.T, o *loyalty.Ledger, i int) { send(t, o, evs[i]) },
		Resend: true, Diverged: loyalty.ErrDiverged,
		Check: func(t *testing.T, pool *pgxpool.Pool, schema string) string {
			return checkLedger(t, openStore(t, pool, schema))
		},
		Reference: "the single writer",
		Answers:   func(o *loyalty.Ledger) string { return answers(o) },
	}
}

// TestNegativeTimeoutRefused: Open refuses a negative Timeout before it touches the
// database (the pool connects lazily: no server is needed).
func TestNegativeTimeoutRefused(t *testing.T) {
	pgtest.NegativeTimeout(t, func(pool *pgxpool.Pool, d time.Duration) error {
		_, err := Open(context.Background(), pool, &Options{Timeout: d})
		return err
	}, loyalty.ErrInvalid, "loyalty: ", "loyalty/pgstore: ")
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
