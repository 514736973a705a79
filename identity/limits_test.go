package identity_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/clientele-go/clientele/identity"
)

func wideEvent(n int) []identity.ID {
	ids := make([]identity.ID, n)
	for i := range ids {
		ids[i] = identity.ID{Kind: "anonymous_id", Value: fmt.Sprintf("anon-%06d", i)}
	}
	return ids
}

// Caller errors of issue 14: each fails with ErrInvalid and changes nothing, none panics.
func TestCallerErrors(t *testing.T) {
	r, err := identity.New(identity.DefaultRules())
	if err != nil {
		t.Fatal(err)
	}
	//lint:ignore SA1012 a nil context is the caller error under test
	if _, err := r.Link(nil, t0, "web", identity.ID{Kind: "email", Value: "a@x.com"}); !errors.Is(err, identity.ErrInvalid) { //nolint:staticcheck
		t.Errorf("Link(nil ctx) = %v, want ErrInvalid", err)
	}
	//lint:ignore SA1012 as above
	if err := r.Forget(nil, t0, 1); !errors.Is(err, identity.ErrInvalid) { //nolint:staticcheck
		t.Errorf("Forget(nil ctx) = %v, want ErrInvalid", err)
	}
	//lint:ignore SA1012 as above
	if _, err := r.Unmerge(nil, t0, identity.ID{Kind: "email", Value: "a@x.com"}); !errors.Is(err, identity.ErrInvalid) { //nolint:staticcheck
		t.Errorf("Unmerge(nil ctx) = %v, want ErrInvalid", err)
	}
	for _, key := range [][]byte{nil, {}} {
		if _, err := identity.New(identity.DefaultRules(), identity.WithHMAC(key)); !errors.Is(err, identity.ErrInvalid) {
			t.Errorf("WithHMAC(%q) = %v, want ErrInvalid", key, err)
		}
	}
	for _, n := range []int{0, -1, 1<<16 + 1} {
		if _, err := identity.New(identity.DefaultRules(), identity.WithEventLimit(n)); !errors.Is(err, identity.ErrInvalid) {
			t.Errorf("WithEventLimit(%d) = %v, want ErrInvalid", n, err)
		}
	}
	for _, n := range []int{0, -1, 1 << 28} {
		if _, err := identity.New(identity.DefaultRules(), identity.WithCapacity(n)); !errors.Is(err, identity.ErrInvalid) {
			t.Errorf("WithCapacity(%d) = %v, want ErrInvalid", n, err)
		}
	}
	if st := r.Stats(); st.Identifiers != 0 || st.Profiles != 0 || st.Records != 0 {
		t.Errorf("refused calls changed the resolver: %+v", r.Stats())
	}
}

// Link caps the identifiers of one event (DefaultEventLimit unless WithEventLimit says
// otherwise) and links everything below the cap.
func TestEventLimit(t *testing.T) {
	r, _ := identity.New(identity.Rules{})
	if _, err := r.Link(ctx, t0, "web", wideEvent(identity.DefaultEventLimit+1)...); !errors.Is(err, identity.ErrInvalid) {
		t.Fatalf("an event of %d identifiers = %v, want ErrInvalid", identity.DefaultEventLimit+1, err)
	}
	if r.Stats().Identifiers != 0 {
		t.Fatal("a refused event changed the resolver")
	}
	p, err := r.Link(ctx, t0, "web", wideEvent(identity.DefaultEventLimit)...)
	if err != nil {
		t.Fatal(err)
	}
	if got := len(r.Identifiers(p)); got != identity.DefaultEventLimit {
		t.Fatalf("profile holds %d identifiers, want %d", got, identity.DefaultEventLimit)
	}
	// A host that raises the limit gets a wide event linked, duplicates dropped.
	wide, _ := identity.New(identity.Rules{}, identity.WithEventLimit(1<<14))
	ids := append(wideEvent(1<<13), wideEvent(1<<13)...)
	p, err = wide.Link(ctx, t0, "web", ids...)
	if err != nil {
		t.Fatal(err)
	}
	if got := len(wide.Identifiers(p)); got != 1<<13 {
		t.Fatalf("wide event: %d identifiers, want %d", got, 1<<13)
	}
}
