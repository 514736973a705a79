// Package blank tells the characters that show nothing on their own: white space, the
// invisible format characters, the joiners, and the default-ignorable characters that
// show only beside what they act on, with U+2800 BRAILLE PATTERN BLANK. A value of
// nothing else shows nothing, however many of them it holds: the "blank" name a form or
// a spammer leaves, an export's lone byte order mark. identity/traits skips such a value
// as no observation and keys Union by what shows; identity/match reads it as missing.
//
// The classes are exported one by one because identity/traits judges each in its
// context (a variation selector after a base with variants shows, alone it does not).
package blank

import "unicode"

// String reports whether v holds nothing but runes of Rune (the empty string
// included).
func String(v string) bool {
	for _, r := range v {
		if !Rune(r) {
			return false
		}
	}
	return true
}

// Rune reports whether r shows nothing on its own: white space (the White_Space
// property), an Invisible character, a Joiner, a VariationSelector or
// IdeographicVariationSelector, a MongolianSelector, a HangulFiller, CGJ, a Tag, a
// BidiOpener or BidiCloser, or BrailleBlank. All but white space and the braille blank
// are Default_Ignorable_Code_Point (Unicode DerivedCoreProperties.txt; the Standard,
// section 5.21, "Ignoring Characters in Processing").
func Rune(r rune) bool {
	switch {
	case r < 0x80:
		return r <= ' ' && unicode.IsSpace(r)
	case unicode.IsSpace(r), Invisible(r), Joiner(r):
		return true
	case VariationSelector(r), IdeographicVariationSelector(r), MongolianSelector(r), HangulFiller(r),
		r == CGJ, Tag(r), BidiOpener(r), BidiCloser(r), r == BrailleBlank:
		return true
	}
	return false
}

// Characters of Rune named by themselves.
const (
	CGJ          = '\u034f' // COMBINING GRAPHEME JOINER
	BrailleBlank = '\u2800' // BRAILLE PATTERN BLANK
	MVS          = '\u180e' // MONGOLIAN VOWEL SEPARATOR
)

// Invisible reports whether r shows nothing and changes no other character's shape
// wherever it stands, so that a value with it looks as the value without it. All are
// Default_Ignorable_Code_Point, which UTS #10's default collation weighs zero at every
// level and UAX #31's NFKC_Casefold, the key for comparing identifiers, removes:
//
//   - U+200B ZERO WIDTH SPACE, U+2060 WORD JOINER and U+FEFF ZERO WIDTH NO-BREAK SPACE
//     (the byte order mark, and the word joiner's deprecated twin) only say where a line
//     may break or not (UAX #14 classes ZW, WJ); a value is never broken across lines;
//   - U+00AD SOFT HYPHEN shows only where a line breaks at it;
//   - U+200E LEFT-TO-RIGHT MARK, U+200F RIGHT-TO-LEFT MARK and U+061C ARABIC LETTER MARK
//     are invisible strong characters (UAX #9) that a copy from a right-to-left
//     interface leaves at a value's ends: they neither show nor change a letter.
func Invisible(r rune) bool {
	switch r {
	case '\u00ad', '\u061c', '\u200b', '\u200e', '\u200f', '\u2060', '\ufeff':
		return true
	}
	return false
}

// Joiner reports whether r is the zero-width joiner or non-joiner.
func Joiner(r rune) bool { return r == '\u200c' || r == '\u200d' }

// VariationSelector reports VS1 to VS16, which standardized (StandardizedVariants.txt)
// and emoji (UTS #51) variation sequences use; IdeographicVariationSelector VS17 to
// VS256, which only ideographic variation sequences use (UTS #37).
func VariationSelector(r rune) bool { return '\ufe00' <= r && r <= '\ufe0f' }

// IdeographicVariationSelector: see VariationSelector.
func IdeographicVariationSelector(r rune) bool { return '\U000e0100' <= r && r <= '\U000e01ef' }

// MongolianSelector reports the free variation selectors FVS1 to FVS4 and the vowel
// separator MVS.
func MongolianSelector(r rune) bool { return '\u180b' <= r && r <= '\u180f' }

// HangulFiller reports the Hangul choseong and jungseong fillers, the Hangul filler
// and its half-width form.
func HangulFiller(r rune) bool {
	return r == '\u115f' || r == '\u1160' || r == '\u3164' || r == '\uffa0'
}

// Tag reports the tag characters and the deprecated LANGUAGE TAG.
func Tag(r rune) bool { return r == '\U000e0001' || '\U000e0020' <= r && r <= '\U000e007f' }

// BidiOpener reports LRE, RLE, LRO, RLO and the isolate initiators LRI, RLI and FSI
// (UAX #9); BidiCloser PDF and PDI, which close them.
func BidiOpener(r rune) bool {
	return r == '\u202a' || r == '\u202b' || r == '\u202d' || r == '\u202e' || '\u2066' <= r && r <= '\u2068'
}

// BidiCloser: see BidiOpener.
func BidiCloser(r rune) bool { return r == '\u202c' || r == '\u2069' }
