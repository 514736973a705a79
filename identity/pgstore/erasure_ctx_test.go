package pgstore

import (
	"context"
	"testing"

	"github.com/clientele-go/clientele/identity"
	"github.com/clientele-go/clientele/internal/pg"
	"github.com/clientele-go/clientele/internal/pg/pgtest"
	"github.com/google/go-cmp/cmp"
)

// TestInterruptedErasureOnOpenCancelled: with no Timeout, New given WithReplayContext on
// a log whose Forget record is in but whose older rows still hold the values, while
// another session holds the log's table in SHARE mode (the replay and the lead read it,
// the rewrite's UPDATE waits), returns no resolver and an error wrapping
// context.Canceled once its ctx is cancelled, instead of waiting for the lock as long
// as it is held. Nothing of the rewrite commits; once the lock is released the next New
// finishes the erasure.
func TestInterruptedErasureOnOpenCancelled(t *testing.T) {
	const n = 60
	pool := pgtest.Pool(t)
	schema := pgtest.Schema(t, pool)
	ctx := context.Background()
	a := resolver(t, noCompact{open(t, pgtest.Pool(t), schema)})
	feed(t, a, a, n)
	p, _ := a.Lookup(ann[0])
	if err := a.Forget(ctx, eventAt(n), p); err != nil {
		t.Fatal(err)
	}
	held := holding(t, pool, schema, nil)
	if held == 0 {
		t.Fatal("the interrupted erasure left no value behind: the test shows nothing")
	}
	s := open(t, pool, schema)
	pgtest.Interrupt(t, "LOCK TABLE "+pg.Ident(schema)+".identity_log IN SHARE MODE", "New", func(ctx context.Context) error {
		r, err := identity.New(identity.DefaultRules(), identity.WithStore(s), identity.WithReplayContext(ctx))
		if r != nil {
			t.Errorf("New whose erasure was interrupted returned a resolver")
		}
		return err
	})
	if got := holding(t, pool, schema, nil); got != held {
		t.Fatalf("%d rows hold ann's values after the interrupted New, %d before", got, held)
	}
	fresh := resolver(t, open(t, pool, schema))
	if got := holding(t, pool, schema, nil); got != 0 {
		t.Fatalf("%d rows still hold ann's values after New finished the erasure", got)
	}
	if diff := cmp.Diff(answers(a, n), answers(fresh, n)); diff != "" {
		t.Fatalf("the reopened log answers otherwise (-before +after):\n%s", diff)
	}
}
