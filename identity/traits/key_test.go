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

// keyAlphabet mixes the scripts where a joiner shows (Devanagari and Bengali with
// their viramas, Arabic letters and vowel marks, emoji with variation selectors and
// skin tones) with Latin letters and accents, white space of several kinds, and the
// invisible characters, so that joiners fall in every kind of context.
var keyAlphabet = slices.Concat([]rune{'a', 'J', 'e', '\u00e9', '\u0301', '\u0323', '\u212b', '-', '1',
	'\u0915', '\u0937', '\u094d', '\u0930', '\u09b0', '\u09cd', '\u09af', '\u0924',
	'\u0645', '\u06cc', '\u062e', '\u0627', '\u0654', '\u064e',
	'\U0001f469', '\U0001f4bb', '\U0001f3fd', '\ufe0f', '\U0001f3f3', '\U0001f308', '\u2764',
	'\u5c71', '\u7530'}, invisibles, joiners, joiners, spaces)

func isSpaceOrInvisible(r rune) bool {
	return unicode.IsSpace(r) || slices.Contains(invisibles, r) || slices.Contains(joiners, r)
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
		if ref := !strings.ContainsFunc(v, func(r rune) bool { return !isSpaceOrInvisible(r) }); ref != (k == "") || blank(v) != ref {
			t.Fatalf("%+q has key %+q, blank %v", v, k, blank(v))
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
		default:
			want = norm.NFC.String("a" + s + "b")
		}
		if k != want {
			t.Fatalf("%U: key %+q, want %+q", r, k, want)
		}
		for _, v := range []string{"\u0915\u094d\u200d" + s + "\u0915", "\u0628\u200c" + s + "\u200d\u0628", s + "\u200d\U0001f4bb"} {
			if k := unionKey(v); unionKey(k) != k {
				t.Fatalf("%+q has key %+q, whose key is %+q", v, k, unionKey(k))
			}
		}
	}
}

// TestBlankIsEmptyKey: for every rune r, alone, between white space and invisible
// characters, between joiners, and after a virama and a joiner, blank (what Observe
// skips) says a value is blank exactly when its Union key is empty, and that is when r
// is white space, an invisible character or a joiner: a value that shows nothing is no
// observation, and one that shows anything is, under every rule.
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
		for _, v := range []string{s, " " + s + "\u200b", "\ufeff\u200d" + s + "\u200c\t", "\u0915\u094d\u200d" + s} {
			k := unionKey(v)
			if blank(v) != (k == "") {
				t.Fatalf("%+q: blank %v, key %+q", v, blank(v), k)
			}
			if v == s && blank(v) != want {
				t.Fatalf("%U: blank %v, want %v", r, blank(v), want)
			}
		}
	}
	if n != 25+len(invisibles)+len(joiners) { // 25 runes have the White_Space property
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
		"\U0001f469\U0001f3fd\u200d\U0001f4bb", "e\u200d\u0301", "\u200d\u200c", "\u5c71\u7530\u3000\u592a\u90ce", "\u0627\u200d\u0654\u200c\u0628"} {
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
		if blank(v) != (k == "") {
			t.Fatalf("%+q has key %+q, blank %v", v, k, blank(v))
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
