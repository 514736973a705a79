package attribution_test

import (
	"errors"
	"iter"
	"strings"
	"testing"

	"github.com/clientele-go/clientele/referral/attribution"
)

// TestErrorPaths drives the error paths of the public functions: each error must wrap
// the package's sentinel that names its kind, and carry "attribution:" exactly once.
func TestErrorPaths(t *testing.T) {
	good := []attribution.Path{{Touches: []string{"a", "b"}, Conversions: 1}}
	attr := func(paths []attribution.Path, m attribution.CreditRule) error {
		_, err := attribution.Attribute(paths, m)
		return err
	}
	for _, c := range []struct {
		name string
		err  error
		want error
	}{
		{"Attribute with a nil model", attr(good, nil), attribution.ErrInvalid},
		{"Attribute a path without touches", attr([]attribution.Path{{Conversions: 1}}, attribution.Linear{}), attribution.ErrInvalid},
		{"Attribute a negative count", attr([]attribution.Path{{Touches: []string{"a"}, Conversions: -1}}, attribution.Linear{}), attribution.ErrInvalid},
		{"Attribute an empty channel name", attr([]attribution.Path{{Touches: []string{""}, Conversions: 1}}, attribution.Linear{}), attribution.ErrInvalid},
		{"Markov of order 9", attr(good, attribution.Markov{Order: 9}), attribution.ErrInvalid},
		{"PositionBased over 1", attr(good, attribution.PositionBased{First: 0.9, Last: 0.9}), attribution.ErrInvalid},
		{"ParsePath of an empty channel", second(attribution.ParsePath("a > > b")), attribution.ErrSyntax},
		{"ParsePath of a bad age", second(attribution.ParsePath("a@1.5h")), attribution.ErrSyntax},
		{"ReadPaths of a bad line", firstErr(attribution.ReadPaths(strings.NewReader("a > \n"), nil)), attribution.ErrSyntax},
		{"ReadPaths of an unusable path", firstErr(attribution.ReadPaths(strings.NewReader("a;0;5\n"), nil)), attribution.ErrInvalid},
		{"ReadPaths of a broken quote", firstErr(attribution.ReadPaths(strings.NewReader("a;\"1\n"), nil)), attribution.ErrSyntax},
	} {
		if !errors.Is(c.err, c.want) {
			t.Errorf("%s: err = %v, want %v", c.name, c.err, c.want)
			continue
		}
		if n := strings.Count(c.err.Error(), "attribution:"); n != 1 {
			t.Errorf("%s: %q carries the package prefix %d times", c.name, c.err, n)
		}
	}
}

func second[T any](_ T, err error) error { return err }

// firstErr returns the first error a reader yields.
func firstErr[T any](seq iter.Seq2[T, error]) error {
	for _, err := range seq {
		if err != nil {
			return err
		}
	}
	return nil
}
