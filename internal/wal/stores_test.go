package wal_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/clientele-go/clientele/identity"
	"github.com/clientele-go/clientele/internal/wal"
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
