package pgstore

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/clientele-go/clientele/internal/pg"
	"github.com/clientele-go/clientele/internal/pg/pgtest"
	"github.com/clientele-go/clientele/referral"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Forget on the PostgreSQL ledger: decided under its lead, applied by every replica,
// the accounts kept, and the rows rewritten without the erased signals.
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
	if n != 0 {
		t.Errorf("%d rows still hold the forgotten device", n)
	}
	// The rows were rewritten in place: a replica that follows on reads on, and one
	// that opens now replays the rewritten rows to the same answers.
	if err := a.Order(ctx, at(3), "o", 2, "A", 900); err != nil {
		t.Fatal(err)
	}
	if _, err := b.CatchUp(ctx); err != nil {
		t.Fatal(err)
	}
	c := open()
	for name, p := range map[string]*referral.Program{"a": a, "b": b, "c": c} {
		if got := p.Balance(at(4), 1); got.Earned != 100 {
			t.Errorf("%s: referrer's balance %+v", name, got)
		}
	}
}

// A rewrite cut short inside its transaction (here a panic after the UPDATE, before the
// commit, standing in for a crash) leaves every row as it was; the next Open finishes
// the erasure.
func TestForgetRewriteCutShort(t *testing.T) {
	pool := pgtest.Pool(t)
	schema := pgtest.Schema(t, pool)
	ctx := context.Background()
	at := func(d int) time.Time { return time.Date(2026, 3, 1+d, 0, 0, 0, 0, time.UTC) }
	rules := referral.Rules{ReferrerReward: 100}
	s, err := Open(ctx, pool, &Options{Schema: schema})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	p, err := referral.Open(s, rules)
	if err != nil {
		t.Fatal(err)
	}
	code, err := p.IssueCode(ctx, at(0), "c", 1, referral.Signals{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.SignUp(ctx, at(1), "s", 2, string(code), referral.Signals{Email: "cut@x"}); err != nil {
		t.Fatal(err)
	}
	s.log.RewriteHook = func(step string) {
		if step == "update" {
			panic("cut")
		}
	}
	func() {
		defer func() {
			if recover() == nil {
				t.Fatal("the rewrite did not reach its update")
			}
		}()
		p.Forget(ctx, at(2), 2)
	}()
	s.log.RewriteHook = nil
	if n := holding(t, pool, schema, "cut@x"); n == 0 {
		t.Fatal("the rows changed although the transaction never committed")
	}
	s2, err := Open(ctx, pool, &Options{Schema: schema})
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if _, err := referral.Open(s2, rules); err != nil {
		t.Fatal(err)
	}
	if n := holding(t, pool, schema, "cut@x"); n != 0 {
		t.Errorf("Open left %d rows holding the erased e-mail", n)
	}
}

// Forget while the same process records events on the ledger: the rewrite waits for
// their lead and they for its lock, and neither waits for ever.
func TestForgetConcurrentWithEvents(t *testing.T) {
	pool := pgtest.Pool(t)
	schema := pgtest.Schema(t, pool)
	ctx := context.Background()
	at := func(d int) time.Time { return time.Date(2026, 3, 1+d, 0, 0, 0, 0, time.UTC) }
	s, err := Open(ctx, pool, &Options{Schema: schema})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	p, err := referral.Open(s, referral.Rules{ReferrerReward: 100})
	if err != nil {
		t.Fatal(err)
	}
	code, err := p.IssueCode(ctx, at(0), "c", 1, referral.Signals{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 3)
	for g := range 3 {
		go func() {
			var err error
			for i := range 20 {
				pr := uint32(100 + g*100 + i)
				if _, e := p.SignUp(ctx, at(1), fmt.Sprint("s", pr), pr, string(code), referral.Signals{Email: fmt.Sprint("p", pr, "@x")}); e != nil {
					err = e
				}
			}
			done <- err
		}()
	}
	for i := range 20 {
		if err := p.Forget(ctx, at(2), uint32(100+i)); err != nil {
			t.Fatal(err)
		}
	}
	for range 3 {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	if err := p.Forget(ctx, at(3), 100); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := pool.QueryRow(ctx, "SELECT count(*) FROM "+schema+".referral_log WHERE position($1::bytea in rec) > 0", []byte("p100@x")).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("%d rows hold a forgotten e-mail", n)
	}
}

// ForgetContact on the PostgreSQL ledger: decided on one replica, applied by another on
// CatchUp and by one opened later, and the rows rewritten without the contact.
func TestForgetContact(t *testing.T) {
	pool := pgtest.Pool(t)
	schema := pgtest.Schema(t, pool)
	ctx := context.Background()
	at := func(d int) time.Time { return time.Date(2026, 3, 1+d, 0, 0, 0, 0, time.UTC) }
	open := func() *referral.Program {
		s, err := Open(ctx, pool, &Options{Schema: schema})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		p, err := referral.Open(s, referral.Rules{ReferrerReward: 100})
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	a, b := open(), open()
	if err := a.Invite(ctx, at(0), "invite-zoe", 1, referral.Signals{Email: "zoe@x", Phone: "+15550100099"}); err != nil {
		t.Fatal(err)
	}
	if err := b.ForgetContact(ctx, at(1), referral.Signals{Phone: "+15550100099"}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.CatchUp(ctx); err != nil {
		t.Fatal(err)
	}
	for _, v := range []string{"zoe@x", "+15550100099"} {
		var n int
		if err := pool.QueryRow(ctx, "SELECT count(*) FROM "+schema+".referral_log WHERE position($1::bytea in rec) > 0", []byte(v)).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 0 {
			t.Errorf("%d rows still hold the forgotten %q", n, v)
		}
	}
	for i, p := range []*referral.Program{a, b, open()} {
		d, err := p.SignUp(ctx, at(2), fmt.Sprint("signup-", i), uint32(10+i), "", referral.Signals{Email: "zoe@x"})
		if err != nil {
			t.Fatalf("replica %d: sign-up: %v", i, err)
		}
		if d.Referrer != 0 {
			t.Errorf("replica %d: a sign-up with the forgotten e-mail was attributed to %d", i, d.Referrer)
		}
		if n := len(p.Invites()); n != 1 {
			t.Errorf("replica %d: %d invitations, want 1", i, n)
		}
	}
}

// holding counts the rows of schema's referral log that hold value.
func holding(t *testing.T, pool *pgxpool.Pool, schema, value string) int {
	t.Helper()
	var n int
	if err := pool.QueryRow(context.Background(), "SELECT count(*) FROM "+pg.Ident(schema)+".referral_log WHERE position($1::bytea in rec) > 0", []byte(value)).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}
