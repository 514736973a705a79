package english

import (
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"pgregory.net/rapid"
)

func TestName(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"Order Done", "Order Done"},
		{"émoji 🎉", "émoji 🎉"},
		{"", ""},
		{"new\nline", `"new\nline"`},
		{"tab\there", `"tab\there"`},
		{"\u202eevil", `"\u202eevil"`},
		{"bad\xffutf8", `"bad\xffutf8"`},
		{strings.Repeat("a", 12), "aaaaaaaaaa… (12 bytes)"},
		{strings.Repeat("é", 11), "éééééééééé… (22 bytes)"},
		{"line\n" + strings.Repeat("b", 20), `"line\nbbbbb"… (25 bytes)`},
	} {
		if got := Name(c.in, 10); got != c.want {
			t.Errorf("Name(%q, 10) = %q, want %q", c.in, got, c.want)
		}
	}
}

// TestNameIsOneLine holds what a report relies on: whatever the data, a name is one
// printable line of bounded length, and a short printable name is untouched.
func TestNameIsOneLine(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		s := rapid.String().Draw(t, "s")
		if rapid.Bool().Draw(t, "bytes") {
			s = string(rapid.SliceOf(rapid.Byte()).Draw(t, "raw"))
		}
		maxRunes := rapid.IntRange(1, 64).Draw(t, "max")
		got := Name(s, maxRunes)
		if !utf8.ValidString(got) || strings.ContainsFunc(got, func(r rune) bool { return r == '\n' || r == '\r' || r == '\t' || r == '\u202e' }) {
			t.Fatalf("Name(%q) = %q: not one printable line", s, got)
		}
		// Quoting can at most make each rune 10 bytes ("\U0010ffff"), plus quotes and
		// the length after the cut.
		if len(got) > 10*maxRunes+40 {
			t.Fatalf("Name(%q, %d) = %d bytes", s, maxRunes, len(got))
		}
		if utf8.RuneCountInString(s) <= maxRunes && !strings.ContainsFunc(s, func(r rune) bool { return !strconv.IsPrint(r) }) && utf8.ValidString(s) && got != s {
			t.Fatalf("Name(%q) = %q: a short printable name changed", s, got)
		}
	})
}
