package traits_test

import (
	"slices"
	"testing"
	"time"

	"github.com/clientele-go/clientele/identity"
	"github.com/clientele-go/clientele/identity/traits"
	"github.com/clientele-go/clientele/internal/zerocheck"
)

// TestZeroBook: every method of a zero or nil Book returns without panicking, and
// Observe on a nil Book fails with ErrInvalid naming the Book.
func TestZeroBook(t *testing.T) {
	zerocheck.Methods(t, new(traits.Book), traits.ErrInvalid, "Book", "Observe")
}

// TestZeroBookIsNewBook: the zero Book keeps and merges observations as
// NewBook(Policy{}) does.
func TestZeroBookIsNewBook(t *testing.T) {
	made, err := traits.NewBook(traits.Policy{})
	if err != nil {
		t.Fatal(err)
	}
	var zero traits.Book
	id := identity.ID{Kind: "email", Value: "a@example.com"}
	at := time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)
	for _, b := range []*traits.Book{made, &zero} {
		for i, v := range []string{"Ann", "Anne", "Ann B."} {
			o := traits.Observation{ID: id, Trait: "name", Value: v, Source: "crm", At: at.Add(time.Duration(2-i) * time.Hour)}
			if err := b.Observe(o); err != nil {
				t.Fatal(err)
			}
		}
	}
	want, got := made.Traits(members{1: {id}}, 1), zero.Traits(members{1: {id}}, 1)
	if len(got) != 1 || !slices.Equal(got["name"].Values, want["name"].Values) || !slices.Equal(want["name"].Values, []string{"Ann"}) {
		t.Errorf("zero Book's traits %+v, NewBook's %+v, want name Ann in both", got, want)
	}
	zero.Forget(id)
	if got := zero.Traits(members{1: {id}}, 1); len(got) != 0 {
		t.Errorf("after Forget the zero Book has %+v", got)
	}
	var nilBook *traits.Book
	if got := nilBook.Traits(members{1: {id}}, 1); got == nil || len(got) != 0 {
		t.Errorf("nil Book's Traits = %#v, want an empty map", got)
	}
}
