package wal_test

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/clientele-go/clientele/identity"
	"github.com/clientele-go/clientele/internal/wal"
	"github.com/clientele-go/clientele/referral"
)

// TestIdentityFileStoreFailedSync: a Link whose fsync fails is an error wrapping
// ErrBroken (a host, or examples/server's /healthz, tells it from a failure that may
// pass), the resolver refuses later Links, and after reopening the store the event is
// not there, so that sending it again links it once.
func TestIdentityFileStoreFailedSync(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "identity.log")
	open := func() (*identity.Resolver, *identity.FileStore) {
		t.Helper()
		st, err := identity.OpenFileStore(path, nil)
		if err != nil {
			t.Fatal(err)
		}
		r, err := identity.New(identity.DefaultRules(), identity.WithStore(st))
		if err != nil {
			t.Fatal(err)
		}
		return r, st
	}
	at := time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)
	first := []identity.ID{{Kind: "email", Value: "ann@example.com"}, {Kind: "anonymous_id", Value: "a-1"}}
	failed := []identity.ID{{Kind: "email", Value: "ann@example.com"}, {Kind: "device_id", Value: "d-1"}}
	r, st := open()
	if _, err := r.Link(ctx, at, "web", first...); err != nil {
		t.Fatal(err)
	}
	wal.FailSyncs(t, 1)
	_, err := r.Link(ctx, at, "web", failed...)
	if !errors.Is(err, wal.ErrInjected) || !errors.Is(err, wal.ErrBroken) {
		t.Fatalf("Link whose fsync failed: %v, want the failure, wrapping ErrBroken", err)
	}
	if _, err := r.Link(ctx, at, "web", identity.ID{Kind: "email", Value: "bob@example.com"}); !errors.Is(err, wal.ErrBroken) {
		t.Errorf("Link after the failed fsync: %v, want ErrBroken", err)
	}
	st.Close()

	r, st = open()
	defer st.Close()
	if p, ok := r.Lookup(identity.ID{Kind: "device_id", Value: "d-1"}); ok {
		t.Fatalf("reopened, the failed Link's identifier is in profile %d", p)
	}
	if _, err := r.Link(ctx, at, "web", failed...); err != nil {
		t.Fatal(err)
	}
	links := 0
	for range r.History() {
		links++
	}
	if links != 2 {
		t.Errorf("after the retry the history holds %d entries, want 2 (the first Link and the retry)", links)
	}
}

// TestReferralFileStoreFailedSync: an order whose fsync fails is an error wrapping
// ErrBroken, later events fail too, and after reopening the ledger the order is not
// there, so that the webhook's retry pays the reward once.
func TestReferralFileStoreFailedSync(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "referral.log")
	rules := referral.Rules{ReferrerReward: 1000}
	open := func() (*referral.Program, *referral.FileStore) {
		t.Helper()
		st, err := referral.OpenFileStore(path, nil)
		if err != nil {
			t.Fatal(err)
		}
		p, err := referral.Open(st, rules)
		if err != nil {
			t.Fatal(err)
		}
		return p, st
	}
	day := func(d int) time.Time { return time.Date(2026, 3, 1+d, 0, 0, 0, 0, time.UTC) }
	p, st := open()
	code, err := p.IssueCode(ctx, day(0), "code:ann", 1, referral.Signals{}, bytes.NewReader(make([]byte, 10)))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.SignUp(ctx, day(1), "signup:bob", 2, string(code), referral.Signals{}); err != nil {
		t.Fatal(err)
	}
	wal.FailSyncs(t, 1)
	if err := p.Order(ctx, day(2), "order:1", 2, "A-1", 4900); !errors.Is(err, wal.ErrInjected) || !errors.Is(err, wal.ErrBroken) {
		t.Fatalf("Order whose fsync failed: %v, want the failure, wrapping ErrBroken", err)
	}
	// The programme stops (its queries may still count the order: see Program).
	if err := p.Order(ctx, day(2), "order:2", 2, "A-2", 4900); !errors.Is(err, wal.ErrBroken) {
		t.Errorf("Order after the failed fsync: %v, want ErrBroken", err)
	}
	st.Close()

	p, st = open()
	defer st.Close()
	if b := p.Balance(day(3), 1); b.Earned != 0 {
		t.Fatalf("reopened, the failed order counts: %+v", b)
	}
	if err := p.Order(ctx, day(2), "order:1", 2, "A-1", 4900); err != nil {
		t.Fatal(err)
	}
	if b := p.Balance(day(3), 1); b.Earned != 1000 {
		t.Errorf("after the retry Ann earned %d, want 1000", b.Earned)
	}
}
