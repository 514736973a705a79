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
		// A joiner between two pictographs is one emoji (👩‍💻), shown as it is;
		// anywhere else it is quoted, as the other invisible characters are.
		{"\U0001f469\u200d\U0001f4bb", "\U0001f469\u200d\U0001f4bb"},
		{"a\u200db", `"a\u200db"`},
		{"\U0001f469\u200d", `"👩\u200d"`},
		{"\U0001f469\u200d\u0301\U0001f4bb", `"👩\u200d́💻"`},
		{"\U0001f3f4\U000e0067\U000e007f", `"🏴\U000e0067\U000e007f"`},
		{"bad\xffutf8", `"bad\xffutf8"`},
		{strings.Repeat("a", 12), "aaaaaaaaaa… (12 bytes)"},
		{strings.Repeat("é", 11), "éééééééééé… (22 bytes)"},
		{"line\n" + strings.Repeat("b", 20), `"line\nbbbbb"… (25 bytes)`},
		// Columns, not runes: ten runes of Chinese were twenty columns.
		{"广告广告广告广告广告广告", "广告广告广… (36 bytes)"},
		{"广告广告广", "广告广告广"},
		{"abcdefghi广", "abcdefghi… (12 bytes)"},
		// Never inside a cluster: the accent stays on its letter, the flag whole.
		{"abcdefghie\u0301x", "abcdefghie\u0301… (13 bytes)"},
		{"abcdefghi\U0001f1eb\U0001f1f7", "abcdefghi… (17 bytes)"},
		{"abcdefgh\U0001f1eb\U0001f1f7x", "abcdefgh\U0001f1eb\U0001f1f7… (17 bytes)"},
		// Zero-width marks are cut too, at 8 runes a column: a hundred marks on one
		// letter are one cluster, which is not cut into.
		{"ab" + strings.Repeat("\u200b", 100), strconv.Quote("ab"+strings.Repeat("\u200b", 78)) + "… (302 bytes)"},
		{"a" + strings.Repeat("\u0301", 100), "… (201 bytes)"},
	} {
		if got := Name(c.in, 10); got != c.want {
			t.Errorf("Name(%q, 10) = %q, want %q", c.in, got, c.want)
		}
	}
}

// TestNameIsOneLine holds what a report relies on: whatever the data, a name is one
// printable line of bounded length, what it keeps of the name is at most maxColumns
// wide (Width) and a prefix of whole clusters (cut), and a short printable name is
// untouched.
func TestNameIsOneLine(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		s := drawText(t, "s")
		maxColumns := rapid.IntRange(0, 64).Draw(t, "max")
		got := Name(s, maxColumns)
		if !utf8.ValidString(got) || strings.ContainsFunc(got, func(r rune) bool { return r == '\n' || r == '\r' || r == '\t' || r == '\u202e' }) {
			t.Fatalf("Name(%q) = %q: not one printable line", s, got)
		}
		// Quoting can at most make each rune 10 bytes ("\U0010ffff"), a byte 4
		// ("\xff"), plus quotes and the length after the cut.
		if len(got) > 10*runesPerColumn*maxColumns+40 {
			t.Fatalf("Name(%q, %d) = %d bytes", s, maxColumns, len(got))
		}
		kept, _, cutted := strings.Cut(got, "… (")
		if !strings.HasPrefix(s, kept) {
			q, err := strconv.Unquote(kept)
			if err != nil {
				t.Fatalf("Name(%q, %d) = %q: keeps %q, neither a prefix nor quoted", s, maxColumns, got, kept)
			}
			kept = q
		}
		if !strings.HasPrefix(s, kept) || Width(kept) > maxColumns || !wholeClusters(s, kept) {
			t.Fatalf("Name(%q, %d) = %q: keeps %q, not whole clusters of at most %d columns", s, maxColumns, got, kept, maxColumns)
		}
		if cutted != (len(kept) < len(s)) {
			t.Fatalf("Name(%q, %d) = %q: kept %q, said cut %v", s, maxColumns, got, kept, cutted)
		}
		short := Width(s) <= maxColumns && utf8.RuneCountInString(s) <= runesPerColumn*maxColumns
		if short && !strings.ContainsFunc(s, func(r rune) bool { return !strconv.IsPrint(r) }) && utf8.ValidString(s) && got != s {
			t.Fatalf("Name(%q) = %q: a short printable name changed", s, got)
		}
	})
}

// wholeClusters reports whether prefix is some of s's first clusters.
func wholeClusters(s, prefix string) bool {
	p := ""
	for _, c := range clustersOf(s) {
		if p == prefix {
			return true
		}
		p += c
	}
	return p == prefix
}
