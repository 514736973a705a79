package identity_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clientele-go/clientele/identity"
)

// TestErrorPrefixOnce drives error paths of the public functions that the other error
// tests check for their sentinel, and holds each message to naming "identity:" exactly
// once however deeply it was wrapped.
func TestErrorPrefixOnce(t *testing.T) {
	r := seeded(t)
	damaged := filepath.Join(t.TempDir(), "identity.log")
	if err := os.WriteFile(damaged, []byte("this is not an identity log, and it is long enough"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		err  error
		want error
	}{
		{"Link with an empty kind", second(r.Link(ctx, t0, "web", identity.ID{Kind: "", Value: "x"})), identity.ErrInvalid},
		{"Link with no identifiers", second(r.Link(ctx, t0, "web")), identity.ErrInvalid},
		{"Unmerge of an unknown identifier", second(r.Unmerge(ctx, t0, identity.ID{Kind: "email", Value: "ben@example.com"})), identity.ErrNotFound},
		{"Forget of an unknown profile", r.Forget(ctx, t0, 1, 99), identity.ErrNotFound},
		{"New with a negative hot limit", second(identity.New(identity.Rules{HotLimit: -1})), identity.ErrInvalid},
		{"OpenFileStore of a damaged file", second(identity.OpenFileStore(damaged, nil)), identity.ErrCorrupt},
	} {
		if !errors.Is(c.err, c.want) {
			t.Errorf("%s: err = %v, want %v", c.name, c.err, c.want)
			continue
		}
		if n := strings.Count(c.err.Error(), "identity:"); n != 1 {
			t.Errorf("%s: %q carries the package prefix %d times", c.name, c.err, n)
		}
	}
}

func second[T any](_ T, err error) error { return err }
