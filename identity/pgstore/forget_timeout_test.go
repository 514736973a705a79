package pgstore

import (
	"context"
	"testing"

	"github.com/clientele-go/clientele/identity"
	"github.com/clientele-go/clientele/internal/pg"
	"github.com/clientele-go/clientele/internal/pg/pgtest"
	"github.com/google/go-cmp/cmp"
)

// TestForgetTimeoutOnLock: with a Timeout, a Forget whose rewrite cannot write (another
// session holds the log's table in SHARE mode: the lead reads the log, the rewrite's
// UPDATE waits) fails with an error wrapping context.DeadlineExceeded instead of
// waiting for ever, as a failed flush: the rows that held ann's values still hold them
// and the Forget's record is not in the log. Once the lock is released the caller's
// retry forgets her: no row holds her values, and the resolver answers as a fresh
// replica does.
func TestForgetTimeoutOnLock(t *testing.T) {
	const n = 40
	ctx := context.Background()
	pool := pgtest.Pool(t)
	schema := pgtest.Schema(t, pool)
	s, err := Open(ctx, pool, &Options{Schema: schema, Timeout: pgtest.Timeout})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	a := resolver(t, s)
	feed(t, a, resolver(t, open(t, pool, schema)), n)
	if _, err := a.CatchUp(ctx); err != nil {
		t.Fatal(err)
	}
	p, ok := a.Lookup(ann[0])
	if !ok {
		t.Fatal("ann unknown")
	}
	held := holding(t, pool, schema, nil)
	if held == 0 {
		t.Fatal("no row holds ann's values: the test shows nothing")
	}
	pgtest.Stuck(t, "LOCK TABLE "+pg.Ident(schema)+".identity_log IN SHARE MODE",
		pgtest.Call{Name: "Forget whose rewrite waits", Do: func() error { return a.Forget(ctx, eventAt(n), p) }})
	if got := holding(t, pool, schema, nil); got != held {
		t.Fatalf("%d rows hold ann's values after the Forget ran out, %d before", got, held)
	}
	for e := range resolver(t, open(t, pool, schema)).History() {
		if e.Op == identity.OpForget {
			t.Fatal("the log holds the record of the Forget that ran out")
		}
	}

	forgetUntilDone(t, a, eventAt(n))
	if got := holding(t, pool, schema, nil); got != 0 {
		t.Fatalf("%d rows hold ann's values after her Forget was retried", got)
	}
	if _, err := a.CatchUp(ctx); err != nil {
		t.Fatal(err)
	}
	fresh := resolver(t, open(t, pool, schema))
	if diff := cmp.Diff(answers(fresh, n), answers(a, n)); diff != "" {
		t.Fatalf("the resolver differs from a fresh replica (-fresh +resolver):\n%s", diff)
	}
}
