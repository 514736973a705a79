package referral_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/clientele-go/clientele/referral"
)

// On a SharedStore a forget decided on one replica reaches the others through the
// ledger: each blanks the signals when it applies the forget record, and the accounts
// stay. The shared ledger itself is not rewritten.
func TestForgetOnSharedStore(t *testing.T) {
	ctx := context.Background()
	at := func(d int) time.Time { return time.Date(2026, 3, 1+d, 0, 0, 0, 0, time.UTC) }
	l := &ledger{}
	rules := referral.Rules{ReferrerReward: 100, Guards: referral.Guards{SelfReferral: referral.Flag}}
	a, b := twoReplicas(t, l, rules)
	code, err := a.IssueCode(ctx, at(0), "c", 1, referral.Signals{Device: "shared-dev"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.SignUp(ctx, at(1), "s", 2, string(code), referral.Signals{Device: "shared-dev"}); err != nil {
		t.Fatal(err)
	}
	if err := a.Order(ctx, at(2), "o", 2, "A", 900); err != nil {
		t.Fatal(err)
	}
	if err := b.Forget(ctx, at(3), 2); err != nil {
		t.Fatal(err)
	}
	if _, err := a.CatchUp(ctx); err != nil {
		t.Fatal(err)
	}
	for name, p := range map[string]*referral.Program{"deciding": b, "other": a} {
		// The sign-up is retried with its signals: still a retry on both replicas.
		d, err := p.SignUp(ctx, at(1), "s", 2, string(code), referral.Signals{Device: "shared-dev"})
		if err != nil {
			t.Fatalf("%s replica: retry after forget: %v", name, err)
		}
		if want := `flag: self-referral: shared device "(erased)"`; d.Referrer != 1 || len(d.Reasons) != 1 || d.Reasons[0] != want {
			t.Errorf("%s replica: decision %+v, want referrer 1 and %q", name, d, want)
		}
		if got := p.Balance(at(3), 1); got.Earned != 100 {
			t.Errorf("%s replica: referrer's balance %+v", name, got)
		}
	}
	// A new replica replays the forget record over the ledger's old bytes.
	c, err := referral.Open(l.replica(), rules)
	if err != nil {
		t.Fatal(err)
	}
	if d, _ := c.SignUp(ctx, at(1), "s", 2, string(code), referral.Signals{}); len(d.Reasons) != 1 || d.Reasons[0] != `flag: self-referral: shared device "(erased)"` {
		t.Errorf("new replica: decision %+v", d)
	}
	if err := c.Compact(); err == nil {
		t.Errorf("Compact on a SharedStore succeeded")
	}
}

// On a SharedStore a contact forget decided on one replica reaches the others through
// the ledger, by CatchUp and by a replay of a new replica: none attributes a later
// sign-up with the contact to the erased invitation, and the invite tree stays.
func TestForgetContactOnSharedStore(t *testing.T) {
	ctx := context.Background()
	at := func(d int) time.Time { return time.Date(2026, 3, 1+d, 0, 0, 0, 0, time.UTC) }
	l := &ledger{}
	rules := referral.Rules{ReferrerReward: 100}
	a, b := twoReplicas(t, l, rules)
	if err := a.Invite(ctx, at(0), "invite:zoe", 1, referral.Signals{Email: "zoe@x"}); err != nil {
		t.Fatal(err)
	}
	if err := b.ForgetContact(ctx, at(1), referral.Signals{Email: "zoe@x"}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.CatchUp(ctx); err != nil {
		t.Fatal(err)
	}
	c, err := referral.Open(l.replica(), rules)
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range []*referral.Program{a, b, c} {
		if n := len(p.Invites()); n != 1 {
			t.Errorf("replica %d: %d invitations, want 1", i, n)
		}
		// Each replica decides a sign-up of its own with the contact, in turn.
		d, err := p.SignUp(ctx, at(2), fmt.Sprint("signup-", i), uint32(10+i), "", referral.Signals{Email: "zoe@x"})
		if err != nil {
			t.Fatalf("replica %d: sign-up: %v", i, err)
		}
		if d.Referrer != 0 {
			t.Errorf("replica %d: sign-up with the forgotten contact attributed to %d", i, d.Referrer)
		}
	}
	// Forgetting it again on the replica that did not decide it records nothing.
	before, err := a.CatchUp(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.ForgetContact(ctx, at(3), referral.Signals{Email: "zoe@x"}); err != nil {
		t.Fatal(err)
	}
	if after := a.Position(); after != before {
		t.Errorf("a repeated contact forget moved the ledger from %d to %d records", before, after)
	}
}

// twoReplicas opens two Programs on replicas of the shared ledger l.
func twoReplicas(t *testing.T, l *ledger, rules referral.Rules) (a, b *referral.Program) {
	t.Helper()
	a, err := referral.Open(l.replica(), rules)
	if err != nil {
		t.Fatal(err)
	}
	b, err = referral.Open(l.replica(), rules)
	if err != nil {
		t.Fatal(err)
	}
	return a, b
}
