package pgstore

import (
	"context"
	"testing"
	"time"

	"github.com/clientele-go/clientele/internal/pg"
	"github.com/clientele-go/clientele/internal/pg/pgtest"
	"github.com/clientele-go/clientele/referral"
)

// noCompact hides the store's Compact: a Program on it records a forget without
// rewriting the ledger, as a process that died between the two would leave it.
type noCompact struct{ referral.SharedStore }

// TestInterruptedForgetOnOpenCancelled: with no Timeout, Open given WithReplayContext on
// a ledger whose forget record is in but whose rows still hold the erased device, while
// another session holds those rows FOR UPDATE (the replay reads them, the rewrite's
// UPDATE waits), returns no Program and an error wrapping context.Canceled once its ctx
// is cancelled, instead of waiting for the lock as long as it is held. Nothing of the
// rewrite commits; once the lock is released the next Open finishes the forget.
func TestInterruptedForgetOnOpenCancelled(t *testing.T) {
	pool := pgtest.Pool(t)
	schema := pgtest.Schema(t, pool)
	ctx := context.Background()
	at := func(d int) time.Time { return time.Date(2026, 3, 1+d, 0, 0, 0, 0, time.UTC) }
	rules := referral.Rules{ReferrerReward: 100}
	p, err := referral.Open(noCompact{openTimeout(t, pool, schema, 0)}, rules)
	if err != nil {
		t.Fatal(err)
	}
	code, err := p.IssueCode(ctx, at(0), "c", 1, referral.Signals{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.SignUp(ctx, at(1), "s", 2, string(code), referral.Signals{Device: "bob-dev"}); err != nil {
		t.Fatal(err)
	}
	if err := p.Forget(ctx, at(2), 2); err != nil {
		t.Fatal(err)
	}
	table := pg.Ident(schema) + ".referral_log"
	held := holding(t, pool, schema, "bob-dev")
	if held == 0 {
		t.Fatal("the interrupted forget left no device behind: the test shows nothing")
	}
	s := openTimeout(t, pool, schema, 0)
	pgtest.Interrupt(t, "SELECT 1 FROM "+table+" WHERE position('bob-dev'::bytea in rec) > 0 FOR UPDATE", "Open", func(ctx context.Context) error {
		q, err := referral.Open(s, rules, referral.WithReplayContext(ctx))
		if q != nil {
			t.Errorf("Open whose forget was interrupted returned a Program")
		}
		return err
	})
	if n := holding(t, pool, schema, "bob-dev"); n != held {
		t.Fatalf("%d rows hold the device after the interrupted Open, %d before", n, held)
	}
	if _, err := referral.Open(openTimeout(t, pool, schema, 0), rules); err != nil {
		t.Fatal(err)
	}
	if n := holding(t, pool, schema, "bob-dev"); n != 0 {
		t.Errorf("Open left %d rows holding the erased device", n)
	}
}
