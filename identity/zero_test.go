package identity_test

import (
	"testing"
	"time"

	"github.com/clientele-go/clientele/identity"
	"github.com/clientele-go/clientele/internal/zerocheck"
)

// TestZeroValues calls every method of a zero and a nil Resolver, View and FileStore: none
// panics, and those that return an error say ErrInvalid and name the type.
func TestZeroValues(t *testing.T) {
	zerocheck.Methods(t, new(identity.Resolver), identity.ErrInvalid, "Resolver")
	zerocheck.Methods(t, new(identity.View), identity.ErrInvalid, "View")
	zerocheck.Methods(t, new(identity.FileStore), identity.ErrInvalid, "FileStore")
}

// TestZeroResolverAnswersEmpty: the methods of a zero Resolver without an error result
// answer as an empty resolver does.
func TestZeroResolverAnswersEmpty(t *testing.T) {
	for _, r := range []*identity.Resolver{new(identity.Resolver), nil} {
		id := identity.ID{Kind: "email", Value: "a@example.com"}
		if p, ok := r.Lookup(id); p != 0 || ok {
			t.Errorf("Lookup = %d, %v, want 0, false", p, ok)
		}
		if got := r.LookupMany([]uint32{7}, id, id); len(got) != 3 || got[0] != 7 || got[1] != 0 || got[2] != 0 {
			t.Errorf("LookupMany = %v, want [7 0 0]", got)
		}
		if c, ids, s, pos := r.Current(1), r.Identifiers(1), r.Stats(), r.Position(); c != 0 || ids != nil || s != (identity.Stats{}) || pos != 0 {
			t.Errorf("Current, Identifiers, Stats, Position = %d, %v, %+v, %d, want zeros", c, ids, s, pos)
		}
		for e := range r.History() {
			t.Errorf("History yielded %+v", e)
		}
		v := r.AsOf(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
		if v == nil {
			t.Fatal("AsOf = nil, want an empty View")
		}
		if p, ok := v.Lookup(id); p != 0 || ok || v.Current(1) != 0 || v.Identifiers(1) != nil {
			t.Errorf("AsOf's View answers %d, %v, %d, %v, want nothing", p, ok, v.Current(1), v.Identifiers(1))
		}
	}
}
