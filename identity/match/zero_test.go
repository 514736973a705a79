package match_test

import (
	"testing"

	"github.com/clientele-go/clientele/identity/match"
	"github.com/clientele-go/clientele/internal/zerocheck"
)

// TestNilLinker calls every method of a nil Linker (what New returns with an error):
// none panics, and those that return an error say ErrInvalid and name the Linker. The
// zero Linker, a linker of no records, is only held to not panicking.
func TestNilLinker(t *testing.T) {
	zerocheck.Methods(t, new(match.Linker), match.ErrInvalid, "Linker", "Predict", "Train", "Waterfall")
	var l *match.Linker
	if n := l.Len(); n != 0 {
		t.Errorf("nil Linker's Len = %d", n)
	}
}
