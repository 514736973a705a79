package traits

import "testing"

// ignorableBlanks are values that show nothing, made of the default-ignorable
// characters (and the braille blank) that a spammer or a broken form sends for a
// "blank" name: a lone emoji or text presentation selector, a bidirectional override,
// embedding or isolate alone or closed at once, the Hangul fillers, the braille
// pattern blank, the combining grapheme joiner, Mongolian's selectors, a tag sequence
// with no emoji before it, VS17, and mixes of them with white space and joiners.
var ignorableBlanks = []string{"\ufe0f", "\ufe0e", "\u202e", "\u202a\u202c", "\u2066\u2069", "\u2067 \u2068\u2069",
	"\u115f", "\u1160", "\u115f\u1160", "\u3164", "\uffa0", "\u3164\u3164\u3164", "\u2800", " \u2800 ", "\u034f",
	"\u180b", "\u180e", "\u180f", "\U000e0067\U000e0062\U000e007f", "\U000e0001\U000e0065\U000e006e", "\U000e0100",
	"\ufe0f\u200d\ufe0f", "\u3164\u200d\u3164", "\u202e\u3164\ufe0f\u2069", "\t\u2800\u3164\u200b\ufeff\u202c"}

// TestIgnorableBlankSkipped: a value made only of characters that show nothing alone
// is no observation, under every rule, as an empty cell is: it was recorded, won
// under MostRecent over the name another channel knows, and was listed under Union.
func TestIgnorableBlankSkipped(t *testing.T) {
	blanksSkipped(t, ignorableBlanks)
}

// TestUnionKeyIgnorables: a default-ignorable character is part of the key where it
// changes what is shown (a variation selector after a character with variants, a
// Hangul filler in a jamo sequence, a bidirectional override before text, tags after
// an emoji), and left out where it shows nothing (a variation selector after a Latin
// letter, after white space or another selector, a filler or a braille blank at
// either end, a bidirectional control after the text or a closer before it).
func TestUnionKeyIgnorables(t *testing.T) {
	for _, c := range []struct {
		v, without string
		apart      bool
	}{
		{"\u2764\ufe0f", "\u2764", true},                   // red heart, emoji presentation
		{"\u2764\ufe0e", "\u2764\ufe0f", true},             // text and emoji presentation
		{"1\ufe0f\u20e3", "1\u20e3", true},                 // keycap one
		{"\u845b\U000e0100", "\u845b", true},               // 葛 with its registered variant (UTS #37)
		{"\u845b\ufe00", "\u845b", true},                   // a CJK compatibility variant
		{"\u1820\u180b", "\u1820", true},                   // Mongolian A, second form
		{"\u1820\u180e\u1820", "\u1820\u1820", true},       // the vowel separator
		{"\u1100\u1160", "\u1100", true},                   // a leading consonant with no vowel
		{"\u115f\u1161", "\u1161", true},                   // a vowel with no leading consonant
		{"\u3164\u3131\u314f\u3164", "\u3131\u314f", true}, // KS X 1001's composed sequence
		{"\u202eAnn", "Ann", true},                         // an override reverses what follows
		{"\u2067Ann\u2069 Lee", "\u2067Ann Lee", true},     // a closer between runes that show
		{"Ann\u2800Lee", "AnnLee", true},                   // a braille space
		{"a\u034f\u0301", "a\u0301", true},                 // the joiner keeps the accent from composing
		{"\U0001f3f4\U000e0067\U000e0062\U000e0065\U000e006e\U000e0067\U000e007f", "\U0001f3f4", true}, // flag of England
		{"Ann\ufe0f", "Ann", false},
		{"Ann \ufe0f", "Ann", false},
		{"\ufe0fAnn", "Ann", false},
		{"\u2764\ufe0f\ufe0f", "\u2764\ufe0f", false},
		{"Ann\U000e0100", "Ann", false},
		{"\u3164Ann\u3164", "Ann", false},
		{"\u3164 \uac00", "\uac00", false},
		{"\u115fAnn", "Ann", false},
		{"Ann\u180b", "Ann", false},
		{"Ann\u034f", "Ann", false},
		{"\u034fAnn", "Ann", false},
		{"Ann\U000e0067\U000e007f", "Ann", false},
		{"\U000e0067\U000e007f\U0001f3f4", "\U0001f3f4", false},
		{"Ann\u202e", "Ann", false},
		{"Ann\u2066", "Ann", false},
		{"Ann\u2069\u202c", "Ann", false},
		{"\u2069Ann", "Ann", false},
		{"\u202c\u202eAnn", "\u202eAnn", false},
		{"\u2800Ann\u2800", "Ann", false},
		{"\u2066 Ann Lee \u2069", "\u2066Ann Lee", false},
	} {
		if apart := unionKey(c.v) != unionKey(c.without); apart != c.apart {
			t.Errorf("%+q (key %+q) and %+q (key %+q): apart %v, want %v", c.v, unionKey(c.v), c.without, unionKey(c.without), apart, c.apart)
		}
	}
	for _, v := range ignorableBlanks {
		if k := unionKey(v); k != "" || !blankValue(v) {
			t.Errorf("%+q: key %+q, blank %v; want the empty key, blank", v, k, blankValue(v))
		}
	}
}
