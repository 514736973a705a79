package referral_test

import (
	"context"
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
	a, err := referral.Open(l.replica(), rules)
	if err != nil {
		t.Fatal(err)
	}
	b, err := referral.Open(l.replica(), rules)
	if err != nil {
		t.Fatal(err)
	}
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
