package nfc

import (
	"testing"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
	"pgregory.net/rapid"
)

// TestAgainstReference: ASCII agrees with a byte-by-byte scan and String with
// norm.NFC on any string, and String returns an ASCII value itself.
func TestAgainstReference(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		v := rapid.OneOf(rapid.String(), rapid.StringMatching(`[ -~]{0,40}`),
			rapid.StringMatching(`[a-z]{0,12}[éè\x{0301}\x{00e9}]?[a-z]{0,12}`)).Draw(t, "v")
		want := true
		for i := 0; i < len(v); i++ {
			if v[i] >= utf8.RuneSelf {
				want = false
			}
		}
		if got := ASCII(v); got != want {
			t.Fatalf("ASCII(%q) = %v, want %v", v, got, want)
		}
		if got := String(v); got != norm.NFC.String(v) {
			t.Fatalf("String(%q) = %q, want %q", v, got, norm.NFC.String(v))
		}
	})
}
