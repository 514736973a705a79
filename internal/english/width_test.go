package english

import (
	"strings"
	"testing"
	"unicode/utf8"

	"pgregory.net/rapid"
)

// Width counts terminal columns: two for a wide character, none for a combining mark,
// so that tables of labels in any script line up. Padding by runes (fmt's %-10s, and
// utf8.RuneCountInString) made "メール" (3 runes, 6 columns) three columns too wide and
// "é" written as e + U+0301 (2 runes, 1 column) one too narrow.
func TestWidth(t *testing.T) {
	for _, c := range []struct {
		in   string
		want int
	}{
		{"", 0},
		{"email", 5},
		{"café", 4},
		{"cafe\u0301", 4},    // e + combining acute accent
		{"メール", 6},           // Katakana: Wide
		{"广告", 4},            // Han: Wide
		{"ｅｍａｉｌ", 10},        // Fullwidth Latin
		{"ｱｲ", 2},            // Halfwidth Katakana: Narrow
		{"한국어", 6},           // Hangul syllables: Wide
		{"🎉", 2},             // emoji: Wide since Unicode 9
		{"a\u200db", 2},      // zero-width joiner: Cf
		{"\u20dd", 0},        // combining enclosing circle: Me
		{"±§", 2},            // East Asian Ambiguous: one column outside East Asia
		{"\xff", 1},          // not UTF-8: one replacement character
		{`"ads\nline2"`, 12}, // Name's quoting of a newline
	} {
		if got := Width(c.in); got != c.want {
			t.Errorf("Width(%q) = %d, want %d", c.in, got, c.want)
		}
	}
}

func TestPad(t *testing.T) {
	for _, c := range []struct {
		in      string
		columns int
		want    string
	}{
		{"email", 8, "email   "},
		{"メール", 8, "メール  "},
		{"cafe\u0301", 6, "cafe\u0301  "},
		{"メールマガジン", 8, "メールマガジン"}, // wider than the column: as it is
		{"email", 0, "email"},
	} {
		if got := Pad(c.in, c.columns); got != c.want {
			t.Errorf("Pad(%q, %d) = %q, want %q", c.in, c.columns, got, c.want)
		}
	}
}

// TestPadLeft: the right-aligned column's padding goes before the value, counted in
// columns: ASCII, wide characters and combining marks alike.
func TestPadLeft(t *testing.T) {
	for _, c := range []struct {
		in      string
		columns int
		want    string
	}{
		{"email", 8, "   email"},
		{"山田太郎", 10, "  山田太郎"},
		{"メール", 8, "  メール"},
		{"Jose\u0301", 6, "  Jose\u0301"},
		{"メールマガジン", 8, "メールマガジン"}, // wider than the column: as it is
		{"email", 0, "email"},
		{"", 3, "   "},
	} {
		if got := PadLeft(c.in, c.columns); got != c.want {
			t.Errorf("PadLeft(%q, %d) = %q, want %q", c.in, c.columns, got, c.want)
		}
	}
}

// Pad makes a string at least the asked width, adds spaces only, and adds none to a
// string that is that wide already; the width of ASCII is its length. PadLeft does the
// same with the spaces in front.
func TestPadProperty(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		s := rapid.String().Draw(t, "s")
		columns := rapid.IntRange(0, 40).Draw(t, "columns")
		got := Pad(s, columns)
		pad, ok := strings.CutPrefix(got, s)
		if !ok || strings.Trim(pad, " ") != "" {
			t.Fatalf("Pad(%q, %d) = %q: not s and spaces", s, columns, got)
		}
		if w := Width(got); w != max(columns, Width(s)) {
			t.Fatalf("Pad(%q, %d) is %d columns wide, want %d", s, columns, w, max(columns, Width(s)))
		}
		left := PadLeft(s, columns)
		if pad, ok := strings.CutSuffix(left, s); !ok || pad != got[len(s):] {
			t.Fatalf("PadLeft(%q, %d) = %q: not Pad's spaces and s", s, columns, left)
		}
		if w := Width(s); w > 2*utf8.RuneCountInString(s) {
			t.Fatalf("Width(%q) = %d, over two columns a rune", s, w)
		}
		ascii := strings.Map(func(r rune) rune {
			if r >= utf8.RuneSelf {
				return -1
			}
			return r
		}, s)
		if Width(ascii) != len(ascii) {
			t.Fatalf("Width(%q) = %d, want its length", ascii, Width(ascii))
		}
	})
}
