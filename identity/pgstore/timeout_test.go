package pgstore

import (
	"context"
	"testing"
	"time"

	"github.com/clientele-go/clientele/identity"
	"github.com/clientele-go/clientele/internal/pg"
	"github.com/clientele-go/clientele/internal/pg/pgtest"
	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5/pgxpool"
)

// TestTimeoutOnLock: with a Timeout, while another session holds the log's table, a
// Link (its lead reads the log's tail, or flushes) and another replica's CatchUp fail
// with an error wrapping context.DeadlineExceeded instead of waiting; while it holds a
// lock that lets reads through, a Link's flush runs out and fails as a lost connection
// does (identity.ErrDiverged). Once the lock is released the same resolvers link and
// catch up again: every acknowledged link is in the log once, none twice, and both
// hold the graph a fresh replica reads from the log.
func TestTimeoutOnLock(t *testing.T) {
	const events = 30
	pool := pgtest.Pool(t)
	schema := pgtest.Schema(t, pool)
	ctx := context.Background()
	r := resolver(t, openTimeout(t, pool, schema, pgtest.Timeout))
	reader := resolver(t, openTimeout(t, pool, schema, pgtest.Timeout))
	acked := make([]bool, events)
	linkAcked := func(i int) error {
		err := link(ctx, r, 0, i)
		acked[i] = err == nil
		return err
	}
	for i := range 10 {
		if err := linkAcked(i); err != nil {
			t.Fatal(err)
		}
	}
	table := pg.Ident(schema) + ".identity_log"
	pgtest.Stuck(t, "LOCK TABLE "+table+" IN ACCESS EXCLUSIVE MODE",
		pgtest.Call{Name: "Link", Do: func() error { return linkAcked(10) }},
		pgtest.Call{Name: "CatchUp", Do: func() error { return second(reader.CatchUp(ctx)) }},
	)
	pgtest.Stuck(t, "LOCK TABLE "+table+" IN SHARE MODE",
		pgtest.Call{Name: "Link whose flush waits", Do: func() error { return linkAcked(11) }, Also: []error{identity.ErrDiverged}},
	)
	for i := 12; i < events; i++ {
		if err := pgtest.Within(t, "Link after the lock", func() error { return linkAcked(i) }); err != nil {
			t.Fatalf("Link %d once the lock is released: %v", i, err)
		}
	}
	if _, err := reader.CatchUp(ctx); err != nil {
		t.Fatalf("CatchUp once the lock is released: %v", err)
	}
	fresh := resolver(t, open(t, pool, schema))
	onceEach(t, fresh, acked)
	want := answers(fresh, events)
	for name, got := range map[string]*identity.Resolver{"the writer": r, "the reader": reader} {
		if diff := cmp.Diff(want, answers(got, events)); diff != "" {
			t.Fatalf("%s differs from a fresh replica (-fresh +%s):\n%s", name, name, diff)
		}
	}
}

// TestCatchUpInterrupted: with no Timeout, while another session holds the log's table,
// a CatchUp, and a Link (whose lead reads the log's tail), return an error wrapping
// context.Canceled once their ctx is cancelled, instead of waiting for the lock as long
// as it is held. Once the lock is released the same resolvers link and catch up again,
// and answer as a fresh replica does.
func TestCatchUpInterrupted(t *testing.T) {
	const events = 20
	pool := pgtest.Pool(t)
	schema := pgtest.Schema(t, pool)
	ctx := context.Background()
	r := resolver(t, open(t, pool, schema))
	reader := resolver(t, open(t, pool, schema))
	for i := range 10 {
		if err := link(ctx, r, 0, i); err != nil {
			t.Fatal(err)
		}
	}
	lock := "LOCK TABLE " + pg.Ident(schema) + ".identity_log IN ACCESS EXCLUSIVE MODE"
	pgtest.Interrupt(t, lock, "CatchUp", func(ctx context.Context) error { return second(reader.CatchUp(ctx)) })
	pgtest.Interrupt(t, lock, "Link", func(ctx context.Context) error { return link(ctx, r, 0, 10) })
	for i := 10; i < events; i++ {
		if err := link(ctx, r, 0, i); err != nil {
			t.Fatalf("Link %d once the lock is released: %v", i, err)
		}
	}
	if _, err := reader.CatchUp(ctx); err != nil {
		t.Fatalf("CatchUp once the lock is released: %v", err)
	}
	want := answers(resolver(t, open(t, pool, schema)), events)
	for name, got := range map[string]*identity.Resolver{"the writer": r, "the reader": reader} {
		if diff := cmp.Diff(want, answers(got, events)); diff != "" {
			t.Fatalf("%s differs from a fresh replica (-fresh +%s):\n%s", name, name, diff)
		}
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

func openTimeout(t testing.TB, pool *pgxpool.Pool, schema string, timeout time.Duration) *Store {
	t.Helper()
	s, err := Open(context.Background(), pool, &Options{Schema: schema, Timeout: timeout})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}
