package pgstore

import (
	"context"
	"testing"
	"time"

	"github.com/clientele-go/clientele/internal/pg"
	"github.com/clientele-go/clientele/internal/pg/pgtest"
	"github.com/clientele-go/clientele/referral/loyalty"
	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5/pgxpool"
)

// TestTimeoutOnLock: with a Timeout, while another session holds the log's table,
// an Apply (its lead reads the ledger's tail, or flushes) and another replica's CatchUp
// fail with an error wrapping context.DeadlineExceeded instead of waiting; while it
// holds a lock that lets reads through, an Apply's flush runs out and fails as a lost
// connection does (loyalty.ErrDiverged). Once the lock is released the same programmes
// take the rest of the events, those that failed sent again: the ledger is the single
// writer's, no event or reward twice, and both replicas answer as it does.
func TestTimeoutOnLock(t *testing.T) {
	const n = 12
	pool := pgtest.Pool(t)
	schema := pgtest.Schema(t, pool)
	ctx := context.Background()
	p := openLedger(t, openTimeout(t, pool, schema, pgtest.Timeout))
	reader := openLedger(t, openTimeout(t, pool, schema, pgtest.Timeout))
	evs := events(n)
	half := len(evs) / 2
	for _, ev := range evs[:half] {
		send(t, p, ev)
	}
	table := pg.Ident(schema) + ".loyalty_log"
	pgtest.Stuck(t, "LOCK TABLE "+table+" IN ACCESS EXCLUSIVE MODE",
		pgtest.Call{Name: "Apply", Do: func() error { return p.Apply(ctx, evs[half]) }},
		pgtest.Call{Name: "CatchUp", Do: func() error { return second(reader.CatchUp(ctx)) }},
	)
	pgtest.Stuck(t, "LOCK TABLE "+table+" IN SHARE MODE",
		pgtest.Call{Name: "Apply whose flush waits", Do: func() error { return p.Apply(ctx, evs[half+1]) }, Also: []error{loyalty.ErrDiverged}},
	)
	for _, ev := range evs[half:] {
		if err := pgtest.Within(t, "Apply after the lock", func() error { send(t, p, ev); return nil }); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := reader.CatchUp(ctx); err != nil {
		t.Fatalf("CatchUp once the lock is released: %v", err)
	}
	want := checkLedger(t, openStore(t, pool, schema))
	for name, got := range map[string]*loyalty.Ledger{"the writer": p, "the reader": reader} {
		if diff := cmp.Diff(want, answers(got)); diff != "" {
			t.Fatalf("%s differs from the single writer (-single +%s):\n%s", name, name, diff)
		}
	}
}

// TestCatchUpInterrupted: with no Timeout, while another session holds the log's
// table, a CatchUp, and an Apply (whose lead reads the log's tail), return an error
// wrapping context.Canceled once their ctx is cancelled, instead of waiting for the lock
// as long as it is held. Once the lock is released the same replicas take the rest of
// the events, the interrupted one sent again, and answer as the single writer does.
func TestCatchUpInterrupted(t *testing.T) {
	const n = 12
	pool := pgtest.Pool(t)
	schema := pgtest.Schema(t, pool)
	ctx := context.Background()
	p := openLedger(t, openStore(t, pool, schema))
	reader := openLedger(t, openStore(t, pool, schema))
	evs := events(n)
	half := len(evs) / 2
	for _, ev := range evs[:half] {
		send(t, p, ev)
	}
	lock := "LOCK TABLE " + pg.Ident(schema) + ".loyalty_log IN ACCESS EXCLUSIVE MODE"
	pgtest.Interrupt(t, lock, "CatchUp", func(ctx context.Context) error { return second(reader.CatchUp(ctx)) })
	pgtest.Interrupt(t, lock, "Apply", func(ctx context.Context) error { return p.Apply(ctx, evs[half]) })
	for _, ev := range evs[half:] {
		send(t, p, ev)
	}
	if _, err := reader.CatchUp(ctx); err != nil {
		t.Fatalf("CatchUp once the lock is released: %v", err)
	}
	want := checkLedger(t, openStore(t, pool, schema))
	for name, got := range map[string]*loyalty.Ledger{"the writer": p, "the reader": reader} {
		if diff := cmp.Diff(want, answers(got)); diff != "" {
			t.Fatalf("%s differs from the single writer (-single +%s):\n%s", name, name, diff)
		}
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

func openTimeout(t testing.TB, pool *pgxpool.Pool, schema string, timeout time.Duration) *Store {
	t.Helper()
	s, err := Open(context.Background(), pool, &Options{Schema: schema, Timeout: timeout})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}
