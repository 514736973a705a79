package english

import (
	"math"
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
		// Clusters: an emoji sequence is one wide character, not each of its parts.
		{"\u1112\u1161\u11ab", 2},                         // conjoining jamo ᄒ+ᅡ+ᆫ: one syllable
		{"\u1100\ud7b0", 2},                               // Jamo Extended-B vowel: none
		{"\U0001f469\u200d\U0001f4bb", 2},                 // woman + ZWJ + laptop
		{"\U0001f468\u200d\U0001f469\u200d\U0001f467", 2}, // family: two joins
		{"\u2764\ufe0f", 2},                               // heart (neutral) + VS16
		{"\u2764\ufe0f\u200d\U0001f525", 2},               // heart on fire
		{"\u2764\u200d\U0001f525", 2},                     // the same without VS16
		{"\U0001f3f3\ufe0f\u200d\U0001f308", 2},           // rainbow flag
		{"\U0001f1eb\U0001f1f7", 2},                       // flag of France: RI pair
		{"\U0001f1eb\U0001f1f7\U0001f1e9\U0001f1ea", 4},   // two flags
		{"\U0001f1eb\U0001f1f7\U0001f1e9", 3},             // a flag and a lone RI
		{"\U0001f1eb", 1},                                 // a lone RI: neutral
		{"\U0001f44d\U0001f3fd", 2},                       // thumbs up, medium skin
		{"\u261d\U0001f3fd", 2},                           // neutral base + skin tone
		{"a\U0001f3fd", 3},                                // a skin tone after a letter is its own
		{"1\ufe0f\u20e3", 2},                              // keycap one
		{"a\ufe0f", 1},                                    // VS16 after a letter: nothing
		{"\U0001f3f4\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f", 2}, // flag of Scotland: tags
		{"\u0301", 0},               // a mark without a base
		{"\U0001f469\u200d", 2},     // a ZWJ at the end
		{"\U0001f469\u200d\xff", 3}, // a ZWJ before a bad byte
		{"\u03b1\u0416\u2500", 3},   // Ambiguous Greek, Cyrillic, box drawing: narrow
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
		s := drawText(t, "s")
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

// cut cuts by columns at a cluster boundary: a label of wide characters cut by runes
// was up to twice as wide as its limit, and a cut between e and its accent, between
// the halves of a flag or inside an emoji sequence printed another character.
func TestCut(t *testing.T) {
	for _, c := range []struct {
		in      string
		columns int
		want    string
	}{
		{"email", 3, "ema"},
		{"email", 9, "email"},
		{"メールマガジン", 5, "メー"},
		{"メールマガジン", 6, "メール"},
		{"cafe\u0301s", 4, "cafe\u0301"},
		{"ab\U0001f1eb\U0001f1f7", 3, "ab"},
		{"ab\U0001f1eb\U0001f1f7", 4, "ab\U0001f1eb\U0001f1f7"},
		{"\U0001f468\u200d\U0001f469\u200d\U0001f467x", 2, "\U0001f468\u200d\U0001f469\u200d\U0001f467"},
		{"\U0001f468\u200d\U0001f469\u200d\U0001f467x", 1, ""},
		{"\u1112\u1161\u11ab\u1100\u1161", 3, "\u1112\u1161\u11ab"},
		{"\u2764\ufe0fx", 1, ""},
		{"a\xffb", 2, "a\xff"},
		{"abc", 0, ""},
		{"abc", -1, ""},
	} {
		if got := cut(c.in, c.columns, math.MaxInt); got != c.want {
			t.Errorf("cut(%q, %d) = %q, want %q", c.in, c.columns, got, c.want)
		}
	}
}

// pieces are what drawText builds strings of: the characters and joiners whose
// clusters Width and cut must keep whole, a byte that is not UTF-8, and plain text.
var pieces = []string{
	"a", "Z", " ", "\n", "é", "e", "\u0301", "\u20dd", "メ", "漢", "ｅ", "ｱ", "±", "α",
	"\u1100", "\u1161", "\u11ab", "\ud7b0", "한",
	"\u200d", "\u200c", "\u200b", "\ufe0f", "\ufe0e", "\u2764", "\U0001f469", "\U0001f4bb", "\U0001f3f3",
	"\U0001f1eb", "\U0001f1f7", "\U0001f3fd", "\U0001f44d", "\u261d", "1", "\u20e3", "\U000e0067", "\U000e007f",
	"\xff", "\xe3\x81", "\u202e",
}

// drawText draws a string of pieces most of the time, otherwise any string or bytes.
func drawText(t *rapid.T, label string) string {
	switch rapid.IntRange(0, 3).Draw(t, label+" kind") {
	case 0:
		return rapid.String().Draw(t, label)
	case 1:
		return string(rapid.SliceOf(rapid.Byte()).Draw(t, label))
	}
	return strings.Join(rapid.SliceOf(rapid.SampledFrom(pieces)).Draw(t, label), "")
}

// clustersOf splits s into its clusters, as Width counts them.
func clustersOf(s string) []string {
	var out []string
	for len(s) > 0 {
		n, _ := cluster(s)
		out = append(out, s[:n])
		s = s[n:]
	}
	return out
}

// Width is the sum of its clusters' widths, each 0, 1 or 2; cut returns a prefix of
// whole clusters at most the asked columns wide, and the longest one: the next
// cluster would not fit.
func TestCutProperty(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		s := drawText(t, "s")
		columns := rapid.IntRange(-1, 30).Draw(t, "columns")
		cs := clustersOf(s)
		if strings.Join(cs, "") != s {
			t.Fatalf("clusters %q do not make %q", cs, s)
		}
		sum := 0
		for _, c := range cs {
			w := Width(c)
			if w < 0 || w > 2 {
				t.Fatalf("cluster %q of %q is %d columns", c, s, w)
			}
			sum += w
		}
		if w := Width(s); w != sum {
			t.Fatalf("Width(%q) = %d, its clusters add up to %d", s, w, sum)
		}
		got := cut(s, columns, math.MaxInt)
		if w := Width(got); w > max(columns, 0) {
			t.Fatalf("cut(%q, %d) = %q, %d columns", s, columns, got, w)
		}
		prefix, k := "", 0
		for k < len(cs) && len(prefix) < len(got) {
			prefix += cs[k]
			k++
		}
		if prefix != got {
			t.Fatalf("cut(%q, %d) = %q: not a prefix of whole clusters %q", s, columns, got, cs)
		}
		if k < len(cs) && Width(got)+Width(cs[k]) <= columns {
			t.Fatalf("cut(%q, %d) = %q: the next cluster %q fits", s, columns, got, cs[k])
		}
		// Name's cut, bounded in runes too, keeps whole clusters within both bounds.
		runes := rapid.IntRange(0, 40).Draw(t, "runes")
		got = cut(s, columns, runes)
		if !wholeClusters(s, got) || Width(got) > max(columns, 0) || utf8.RuneCountInString(got) > runes {
			t.Fatalf("cut(%q, %d, %d) = %q", s, columns, runes, got)
		}
	})
}

// Width never panics and is never negative, whatever the bytes; cut and Pad keep
// their promises on them too.
func FuzzWidth(f *testing.F) {
	for _, s := range pieces {
		f.Add(s, 3)
	}
	f.Add("\U0001f468\u200d\U0001f469\u200d\U0001f467\U0001f1eb\U0001f1f7\xff\u1112\u1161\u11ab", 4)
	f.Fuzz(func(t *testing.T, s string, columns int) {
		w := Width(s)
		if w < 0 || w > 2*len(s) {
			t.Fatalf("Width(%q) = %d", s, w)
		}
		columns %= 64
		c := cut(s, columns, math.MaxInt)
		if !strings.HasPrefix(s, c) || Width(c) > max(columns, 0) {
			t.Fatalf("cut(%q, %d) = %q", s, columns, c)
		}
		if p := Pad(s, columns); Width(p) != max(w, columns) {
			t.Fatalf("Pad(%q, %d) is %d columns wide", s, columns, Width(p))
		}
	})
}
