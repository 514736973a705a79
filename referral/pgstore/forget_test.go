package pgstore

import (
	"context"
	"testing"
	"time"

	"github.com/clientele-go/clientele/internal/pg/pgtest"
	"github.com/clientele-go/clientele/referral"
)

// Forget on the PostgreSQL ledger: decided under its lead, applied by every replica,
// the accounts kept; the rows keep the old bytes (a SharedStore is not rewritten), as
// referral.Program.Forget documents.
func TestForget(t *testing.T) {
	pool := pgtest.Pool(t)
	schema := pgtest.Schema(t, pool)
	ctx := context.Background()
	at := func(d int) time.Time { return time.Date(2026, 3, 1+d, 0, 0, 0, 0, time.UTC) }
	rules := referral.Rules{ReferrerReward: 100, Guards: referral.Guards{SelfReferral: referral.Flag}}
	open := func() *referral.Program {
		s, err := Open(ctx, pool, &Options{Schema: schema})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		p, err := referral.Open(s, rules)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	a, b := open(), open()
	code, err := a.IssueCode(ctx, at(0), "c", 1, referral.Signals{Email: "ann@x"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.SignUp(ctx, at(1), "s", 2, string(code), referral.Signals{Email: "ann@x", Device: "bob-dev"}); err != nil {
		t.Fatal(err)
	}
	if err := b.Forget(ctx, at(2), 2); err != nil {
		t.Fatal(err)
	}
	if _, err := a.CatchUp(ctx); err != nil {
		t.Fatal(err)
	}
	const erased = `flag: self-referral: shared email "(erased)"`
	for name, p := range map[string]*referral.Program{"a": a, "b": b, "reopened": open()} {
		d, err := p.SignUp(ctx, at(1), "s", 2, string(code), referral.Signals{Email: "ann@x", Device: "bob-dev"})
		if err != nil {
			t.Fatalf("%s: retried sign-up: %v", name, err)
		}
		if d.Referrer != 1 || len(d.Reasons) != 1 || d.Reasons[0] != erased {
			t.Errorf("%s: decision %+v, want referrer 1 and %q", name, d, erased)
		}
	}
	var n int
	if err := pool.QueryRow(ctx, "SELECT count(*) FROM "+schema+".referral_log WHERE position($1::bytea in rec) > 0", []byte("bob-dev")).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n == 0 {
		t.Errorf("the rows no longer hold the device: update referral.Program.Forget's documentation, which says they keep it")
	}
}
