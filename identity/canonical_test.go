package identity_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/clientele-go/clientele/identity"
)

func ExampleResolver_Canonical() {
	r, _ := identity.New(identity.DefaultRules())
	for _, id := range []identity.ID{
		{Kind: "email", Value: " Anna.Li+news@Gmail.com"},
		{Kind: "phone", Value: "+44 20 7946 0958"},
		{Kind: "device_id", Value: "null"},
		{Kind: "email", Value: "no at sign"},
	} {
		c, err := r.Canonical(id)
		switch {
		case errors.Is(err, identity.ErrBlocked):
			fmt.Println(id, "-> blocked")
		case errors.Is(err, identity.ErrUnparseable):
			fmt.Println(id, "-> unparseable")
		default:
			fmt.Println(id, "->", c)
		}
	}
	// Output:
	// email: Anna.Li+news@Gmail.com -> email:annali@gmail.com
	// phone:+44 20 7946 0958 -> phone:+442079460958
	// device_id:null -> blocked
	// email:no at sign -> unparseable
}

// Canonical is what Link stores: an identifier linked alone is found under its
// canonical form and listed in it, and Canonical fails exactly when Link would drop
// the identifier or refuse the event.
func TestCanonicalIsWhatLinkStores(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		r, err := identity.New(identity.DefaultRules())
		if err != nil {
			t.Fatal(err)
		}
		kind := rapid.SampledFrom([]string{"user_id", "email", "phone", "device_id", "social_id", "", "k\xff", strings.Repeat("k", 65)}).Draw(t, "kind")
		value := rapid.OneOf(
			rapid.SampledFrom([]string{" null", "Anna@Example.com", "a.b+c@googlemail.com", "+1 (415) 555-0100", "0207 946 0958", "x", "\xff", strings.Repeat("a", 600)}),
			rapid.StringMatching(`[ a-zA-Z0-9@.+]{0,12}`),
		).Draw(t, "value")
		id := identity.ID{Kind: kind, Value: value}
		c, cerr := r.Canonical(id)
		out, lerr := r.Resolve(context.Background(), time.Unix(1e9, 0), "test", id)
		switch {
		case lerr != nil:
			if !errors.Is(cerr, identity.ErrInvalid) || !errors.Is(lerr, identity.ErrInvalid) {
				t.Fatalf("Link: %v; Canonical: %v", lerr, cerr)
			}
		case len(out.Dropped) == 1:
			if cerr == nil || !errors.Is(cerr, identity.ErrBlocked) && !errors.Is(cerr, identity.ErrUnparseable) {
				t.Fatalf("Link dropped %v (%v); Canonical: %v, %v", id, out.Dropped[0].Err, c, cerr)
			}
		default:
			if cerr != nil {
				t.Fatalf("Link kept %v; Canonical: %v", id, cerr)
			}
			if p, ok := r.Lookup(c); !ok || p != out.Profile {
				t.Fatalf("Lookup(%v) = %d, %v; want %d", c, p, ok, out.Profile)
			}
			if got := r.Identifiers(out.Profile); len(got) != 1 || got[0] != c {
				t.Fatalf("Identifiers = %v, want [%v]", got, c)
			}
		}
	})
}
