package pgstore

import (
	"context"
	"testing"
	"time"

	"github.com/clientele-go/clientele/internal/pg"
	"github.com/clientele-go/clientele/internal/pg/pgtest"
	"github.com/clientele-go/clientele/referral"
)

// TestForgetTimeoutOnLock: with a Timeout, a Forget whose rewrite of the ledger cannot
// write a row (another session holds the row of the sign-up that carries the device, as
// FOR UPDATE: the forget record is appended, the rows are read, their UPDATE waits)
// fails with an error wrapping context.DeadlineExceeded instead of waiting for ever,
// and the row still holds the device (the rewrite was rolled back). Once the lock is
// released the caller's retry rewrites it.
func TestForgetTimeoutOnLock(t *testing.T) {
	pool := pgtest.Pool(t)
	schema := pgtest.Schema(t, pool)
	ctx := context.Background()
	at := func(d int) time.Time { return time.Date(2026, 3, 1+d, 0, 0, 0, 0, time.UTC) }
	s, err := Open(ctx, pool, &Options{Schema: schema, Timeout: pgtest.Timeout})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	p, err := referral.Open(s, referral.Rules{ReferrerReward: 100})
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
	table := pg.Ident(schema) + ".referral_log"
	if holding(t, pool, schema, "bob-dev") == 0 {
		t.Fatal("no row holds the device: the test shows nothing")
	}
	pgtest.Stuck(t, "SELECT 1 FROM "+table+" WHERE position('bob-dev'::bytea in rec) > 0 FOR UPDATE",
		pgtest.Call{Name: "Forget whose rewrite waits", Do: func() error { return p.Forget(ctx, at(2), 2) }})
	if n := holding(t, pool, schema, "bob-dev"); n == 0 {
		t.Fatal("the rows changed although the rewrite that ran out never committed")
	}
	if err := pgtest.Within(t, "Forget once the lock is released", func() error { return p.Forget(ctx, at(2), 2) }); err != nil {
		t.Fatalf("Forget once the lock is released: %v", err)
	}
	if n := holding(t, pool, schema, "bob-dev"); n != 0 {
		t.Fatalf("%d rows still hold the forgotten device after the retry", n)
	}
}
