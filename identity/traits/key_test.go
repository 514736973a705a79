package traits

import (
	"slices"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
	"pgregory.net/rapid"
)

// invisibles are the runes unionKey drops wherever they stand, and joiners the two it
// drops where they do not show (see unionKey).
var (
	invisibles = []rune{'\u00ad', '\u061c', '\u200b', '\u200e', '\u200f', '\u2060', '\ufeff'}
	joiners    = []rune{'\u200c', '\u200d'}
	spaces     = []rune{' ', '\t', '\n', '\r', '\u00a0', '\u2000', '\u2002', '\u2009', '\u202f', '\u3000'}
)

// ignorables are the ranges of the runes besides white space, the invisible
// characters and the joiners that show nothing alone (see blankShows): the variation
// selectors VS1-VS16 and VS17-VS256, Mongolian's free variation selectors and vowel
// separator, the Hangul fillers, the combining grapheme joiner, the tag characters,
// the bidirectional embeddings, overrides and isolates, the braille pattern blank.
var ignorables = [][2]rune{{0xfe00, 0xfe0f}, {0xe0100, 0xe01ef}, {0x180b, 0x180f}, {0x115f, 0x1160}, {0x3164, 0x3164},
	{0xffa0, 0xffa0}, {0x034f, 0x034f}, {0xe0001, 0xe0001}, {0xe0020, 0xe007f}, {0x202a, 0x202e}, {0x2066, 0x2069}, {0x2800, 0x2800}}

func ignorable(r rune) bool {
	return slices.ContainsFunc(ignorables, func(x [2]rune) bool { return x[0] <= r && r <= x[1] })
}

// ignorableRunes has one or two of each range of ignorables, and the runes they act on:
// a Mongolian letter, Hangul jamo (leading, vowel, compatibility) and a syllable, a
// unified ideograph, a black flag, a keycap, a combining mark.
var ignorableRunes = []rune{'\ufe0f', '\ufe0e', '\ufe00', '\U000e0100', '\u180b', '\u180e', '\u115f', '\u1160', '\u3164', '\uffa0',
	'\u034f', '\U000e0067', '\U000e007f', '\u202a', '\u202c', '\u202e', '\u2066', '\u2069', '\u2800',
	'\u1820', '\u1100', '\u1161', '\u3131', '\uac00', '\u845b', '\U0001f3f4', '\u20e3', '\u0300'}

// keyAlphabet mixes the scripts where a joiner shows (Devanagari and Bengali with
// their viramas, Arabic letters and vowel marks, emoji with variation selectors and
// skin tones) with Latin letters and accents, white space of several kinds, and the
// invisible characters, so that joiners fall in every kind of context.
var keyAlphabet = slices.Concat([]rune{'a', 'J', 'e', '\u00e9', '\u0301', '\u0323', '\u212b', '-', '1',
	'\u0915', '\u0937', '\u094d', '\u0930', '\u09b0', '\u09cd', '\u09af', '\u0924',
	'\u0645', '\u06cc', '\u062e', '\u0627', '\u0654', '\u064e',
	'\U0001f469', '\U0001f4bb', '\U0001f3fd', '\ufe0f', '\U0001f3f3', '\U0001f308', '\u2764',
	'\u5c71', '\u7530'}, invisibles, joiners, joiners, spaces, ignorableRunes)

// isSpaceOrInvisible is the reference for blank: a rune that shows nothing alone.
func isSpaceOrInvisible(r rune) bool {
	return unicode.IsSpace(r) || slices.Contains(invisibles, r) || slices.Contains(joiners, r) || ignorable(r)
}

// TestUnionKeyProperties: on text drawn from keyAlphabet, the key is invariant under
// inserting an invisible character anywhere, under doubling or respelling a white
// space (NBSP, the ideographic space, a tab), under inserting a joiner where it cannot
// show (next to white space, at either end, between Latin letters), and under
// canonical equivalence; it is idempotent, in NFC, holds no invisible character and no
// white space but single inner spaces, and is empty (as blank says) exactly for text of white space
// and invisible characters alone. The first four failed: the key only trimmed.
func TestUnionKeyProperties(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		rs := rapid.SliceOfN(rapid.SampledFrom(keyAlphabet), 0, 12).Draw(t, "runes")
		v := string(rs)
		k := unionKey(v)
		insert := func(at int, r ...rune) string {
			return string(slices.Insert(slices.Clone(rs), at, r...))
		}
		at := rapid.IntRange(0, len(rs)).Draw(t, "at")
		if r := rapid.SampledFrom(invisibles).Draw(t, "invisible"); unionKey(insert(at, r)) != k {
			t.Fatalf("%+q has key %+q; with %U inserted at %d, %+q", v, k, r, at, unionKey(insert(at, r)))
		}
		if i := slices.IndexFunc(rs, unicode.IsSpace); i >= 0 {
			more := rapid.SliceOfN(rapid.SampledFrom(spaces), 1, 3).Draw(t, "more white space")
			w := string(slices.Replace(slices.Clone(rs), i, i+1, more...))
			if unionKey(w) != k {
				t.Fatalf("%+q has key %+q; with its white space at %d as %+q, %+q", v, k, i, string(more), unionKey(w))
			}
		}
		j := rapid.SampledFrom(joiners).Draw(t, "joiner")
		latin := func(i int) bool {
			return i < 0 || i >= len(rs) || unicode.Is(unicode.Latin, rs[i]) || rs[i] < utf8.RuneSelf
		}
		if at == 0 || at == len(rs) || unicode.IsSpace(rs[at-1]) || unicode.IsSpace(rs[at]) || latin(at-1) && latin(at) {
			if unionKey(insert(at, j)) != k {
				t.Fatalf("%+q has key %+q; with %U inserted at %d, %+q", v, k, j, at, unionKey(insert(at, j)))
			}
		}
		if got := unionKey(norm.NFD.String(v)); got != k {
			t.Fatalf("%+q has key %+q, its NFD %+q", v, k, got)
		}
		if got := unionKey(k); got != k {
			t.Fatalf("%+q has key %+q, whose key is %+q", v, k, got)
		}
		if !norm.NFC.IsNormalString(k) || strings.ContainsFunc(k, func(r rune) bool { return slices.Contains(invisibles, r) || unicode.IsSpace(r) && r != ' ' }) ||
			strings.Contains(k, "  ") || strings.TrimSpace(k) != k {
			t.Fatalf("%+q has key %+q", v, k)
		}
		if ref := !strings.ContainsFunc(v, func(r rune) bool { return !isSpaceOrInvisible(r) }); ref != (k == "") || blankValue(v) != ref {
			t.Fatalf("%+q has key %+q, blank %v", v, k, blankValue(v))
		}
	})
}

// TestUnionKeyIgnorablesAtTheEnds: on text drawn from keyAlphabet, runes that show
// nothing alone, put before the text (but a bidirectional opener, which acts on what
// follows) and after it, each side apart from it by a space, leave the key as it is:
// a variation selector with no base, a filler beside no jamo, tags after no emoji, a
// bidirectional control after the text or a closer before it, a braille blank at
// either end. And the key stays idempotent and empty exactly when blank says so. They
// made a value of their own, and Observe did not take one of them alone for blank.
func TestUnionKeyIgnorablesAtTheEnds(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		v := string(rapid.SliceOfN(rapid.SampledFrom(keyAlphabet), 0, 10).Draw(t, "runes"))
		blanks := slices.Concat(spaces, invisibles, joiners, slices.DeleteFunc(slices.Clone(ignorableRunes), func(r rune) bool { return !ignorable(r) }))
		lead := rapid.SliceOfN(rapid.SampledFrom(slices.DeleteFunc(slices.Clone(blanks), func(r rune) bool {
			return r == '\u202a' || r == '\u202e' || r == '\u2066'
		})), 0, 6).Draw(t, "before")
		trail := rapid.SliceOfN(rapid.SampledFrom(blanks), 0, 6).Draw(t, "after")
		w := string(lead) + " " + v + " " + string(trail)
		if k, kw := unionKey(v), unionKey(w); k != kw {
			t.Fatalf("%+q has key %+q; %+q has %+q", v, k, w, kw)
		}
		if k := unionKey(w); unionKey(k) != k || blankValue(w) != (k == "") || blankValue(w) != blankValue(v) {
			t.Fatalf("%+q has key %+q, whose key is %+q; blank %v", w, k, unionKey(k), blankValue(w))
		}
	})
}

// TestUnionKeyJoiners: a zero-width joiner or non-joiner is part of the key where it
// changes what is shown: after or before a virama (a Devanagari half form, Bengali's
// ya-phala), between two letters of a script whose letters join (Persian's
// non-joiner), and a joiner between two emoji (an emoji ZWJ sequence: a woman
// technologist, not a woman and a computer). Elsewhere it shows nothing and is not:
// between Latin letters, next to a space, at either end, a non-joiner between emoji.
func TestUnionKeyJoiners(t *testing.T) {
	for _, c := range []struct {
		v, without string
		apart      bool
	}{
		{"\u0915\u094d\u200d\u0937", "\u0915\u094d\u0937", true},                                                 // क्\u200dष: half KA, not the KSSA ligature
		{"\u0915\u094d\u200c\u0937", "\u0915\u094d\u0937", true},                                                 // explicit virama
		{"\u09b0\u200d\u09cd\u09af", "\u09b0\u09cd\u09af", true},                                                 // র\u200d্য: ya-phala
		{"\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645", "\u0645\u06cc\u062e\u0648\u0627\u0647\u0645", true}, // می\u200cخواهم
		{"\u0628\u064e\u200d\u0628", "\u0628\u064e\u0628", true},                                                 // an Arabic letter with a vowel mark, then a joiner
		{"\U0001f469\u200d\U0001f4bb", "\U0001f469\U0001f4bb", true},
		{"\U0001f469\U0001f3fd\u200d\U0001f4bb", "\U0001f469\U0001f3fd\U0001f4bb", true},
		{"\U0001f3f3\ufe0f\u200d\U0001f308", "\U0001f3f3\ufe0f\U0001f308", true},
		{"Jane\u200dDoe", "JaneDoe", false},
		{"Ja\u200cne Doe", "Jane Doe", false},
		{"Jane\u200c Doe", "Jane Doe", false},
		{"\u200dJane Doe\u200c", "Jane Doe", false},
		{"\U0001f469\u200c\U0001f4bb", "\U0001f469\U0001f4bb", false},
		{"\u0645\u200c\u0020\u062e", "\u0645 \u062e", false},
		{"\u5c71\u200d\u7530", "\u5c71\u7530", false},
		{"\u0915\u094d\u200d", "\u0915\u094d\u200d", false}, // kept, and the same
	} {
		if apart := unionKey(c.v) != unionKey(c.without); apart != c.apart {
			t.Errorf("%+q (key %+q) and %+q (key %+q): apart %v, want %v", c.v, unionKey(c.v), c.without, unionKey(c.without), apart, c.apart)
		}
	}
}

// TestUnionKeyOverEveryRune: for every rune r, the key of "a", r, "b" is "a b" when r
// is white space, "ab" when r is invisible or a joiner (between Latin letters), and
// otherwise keeps r as NFC has it; it is idempotent, and so is the key of r after a
// virama and before an Arabic letter, where joiners are kept. The invisible characters
// are starters that no decomposition holds, so dropping them cannot part canonically
// equivalent values (their NFD forms differ by none of them).
func TestUnionKeyOverEveryRune(t *testing.T) {
	for _, r := range slices.Concat(invisibles, joiners) {
		if p := norm.NFD.PropertiesString(string(r)); p.CCC() != 0 || p.Decomposition() != nil {
			t.Fatalf("%U: combining class %d, decomposition %+q", r, p.CCC(), p.Decomposition())
		}
	}
	for r := rune(0); r <= unicode.MaxRune; r++ {
		if !utf8.ValidRune(r) {
			continue
		}
		s := string(r)
		if d := norm.NFD.PropertiesString(s).Decomposition(); d != nil && strings.ContainsFunc(string(d), func(x rune) bool {
			return slices.Contains(invisibles, x) || slices.Contains(joiners, x)
		}) {
			t.Fatalf("%U decomposes to %+q", r, d)
		}
		k := unionKey("a" + s + "b")
		var want string
		switch {
		case unicode.IsSpace(r):
			want = "a b"
		case slices.Contains(invisibles, r) || slices.Contains(joiners, r):
			want = "ab"
		case ignorable(r) && !(0x202a <= r && r <= 0x202e || 0x2066 <= r && r <= 0x2069 || r == 0x2800):
			want = "ab" // nothing here to select a variant of, to fill or to join; bidirectional controls and the braille space are between runes that show
		default:
			want = norm.NFC.String("a" + s + "b")
		}
		if k != want {
			t.Fatalf("%U: key %+q, want %+q", r, k, want)
		}
		for _, v := range []string{"\u0915\u094d\u200d" + s + "\u0915", "\u0628\u200c" + s + "\u200d\u0628", s + "\u200d\U0001f4bb",
			"\u1820" + s + "\u180b\u1820", "\u3164" + s + "\u3164\u1160", "\U0001f3f4" + s + "\U000e0067\u034f", "\u202c" + s + "\ufe0f\u2066", s + "\u3164\u3131"} {
			if k := unionKey(v); unionKey(k) != k {
				t.Fatalf("%+q has key %+q, whose key is %+q", v, k, unionKey(k))
			}
		}
	}
}

// TestBlankIsEmptyKey: for every rune r, alone, between white space and invisible
// characters, between joiners, and after a virama and a joiner, blank (what Observe
// skips) says a value is blank exactly when its Union key is empty, and that is when r
// is white space, an invisible character, a joiner or one of ignorables (a variation
// selector, a Hangul filler, a bidirectional control...): a value that shows nothing
// is no observation, and one that shows anything is, under every rule.
func TestBlankIsEmptyKey(t *testing.T) {
	n := 0
	for r := rune(0); r <= unicode.MaxRune; r++ {
		if !utf8.ValidRune(r) {
			continue
		}
		s := string(r)
		want := isSpaceOrInvisible(r)
		if want {
			n++
		}
		for _, v := range []string{s, " " + s + "\u200b", "\ufeff\u200d" + s + "\u200c\t", "\u0915\u094d\u200d" + s,
			"\u3164" + s + "\u3164", "\u202e" + s + "\ufe0f\u2069", "\u034f" + s + "\U000e007f\u2800"} {
			k := unionKey(v)
			if blankValue(v) != (k == "") {
				t.Fatalf("%+q: blank %v, key %+q", v, blankValue(v), k)
			}
			if v == s && blankValue(v) != want {
				t.Fatalf("%U: blank %v, want %v", r, blankValue(v), want)
			}
		}
	}
	nIgnorable := 0
	for _, x := range ignorables {
		nIgnorable += int(x[1]-x[0]) + 1
	}
	if nIgnorable != 373 || n != 25+len(invisibles)+len(joiners)+nIgnorable { // 25 runes have the White_Space property
		t.Fatalf("%d runes blank alone", n)
	}
}

// FuzzUnionKey holds the key, on any valid text, to what TestUnionKeyProperties does on
// its alphabet: idempotent, the same for the text's NFD and with a zero-width space or
// a byte order mark inserted at any byte between runes, in NFC, without invisible
// characters or white space other than single inner spaces; and empty exactly when
// blank says the text is.
func FuzzUnionKey(f *testing.F) {
	for _, s := range []string{"", "Jane  Doe", "Jane\u00a0Doe", "\ufeffJane\u200b Doe\u200e", "\u0915\u094d\u200d\u0937", "\u0645\u06cc\u200c\u0646",
		"\U0001f469\U0001f3fd\u200d\U0001f4bb", "e\u200d\u0301", "\u200d\u200c", "\u5c71\u7530\u3000\u592a\u90ce", "\u0627\u200d\u0654\u200c\u0628",
		"\ufe0f", "\u2764\ufe0f", "Ann\ufe0f", "\u3164", "\u1100\u1160", "\u202eAnn\u2069", "\u202c\u2066 a \u2069", "\u2800a\u2800b\u2800",
		"a\u034f\u0301", "\u0301\U000e0067\u094d\u200ca", "\U0001f3f4\U000e0067\U000e0062\U000e007f", "\u1820\u180b\u180e\u1820", "\u845b\U000e0100"} {
		f.Add(s, 0)
	}
	f.Fuzz(func(t *testing.T, v string, at int) {
		if !utf8.ValidString(v) || len(v) > MaxValueLen {
			return
		}
		k := unionKey(v)
		if got := unionKey(k); got != k {
			t.Fatalf("%+q has key %+q, whose key is %+q", v, k, got)
		}
		if blankValue(v) != (k == "") {
			t.Fatalf("%+q has key %+q, blank %v", v, k, blankValue(v))
		}
		if got := unionKey(norm.NFD.String(v)); got != k {
			t.Fatalf("%+q has key %+q, its NFD %+q", v, k, got)
		}
		if at < 0 {
			at = -(at + 1)
		}
		at %= len(v) + 1
		for at > 0 && at < len(v) && !utf8.RuneStart(v[at]) {
			at--
		}
		for _, r := range []string{"\u200b", "\ufeff"} {
			if got := unionKey(v[:at] + r + v[at:]); got != k {
				t.Fatalf("%+q has key %+q; with %+q at byte %d, %+q", v, k, r, at, got)
			}
		}
		if !norm.NFC.IsNormalString(k) || strings.ContainsFunc(k, func(r rune) bool { return slices.Contains(invisibles, r) || unicode.IsSpace(r) && r != ' ' }) ||
			strings.Contains(k, "  ") || strings.TrimSpace(k) != k {
			t.Fatalf("%+q has key %+q", v, k)
		}
	})
}
