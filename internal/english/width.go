package english

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/width"
)

// Width returns the number of columns s takes on a terminal in a monospaced font. It
// measures clusters, the characters a terminal draws as one (cluster describes them):
//
//   - two columns for an East Asian Wide or Fullwidth character (漢字, ｅ, most emoji)
//     and for an emoji sequence, however many runes it has: a zero-width-joiner
//     sequence (👩‍💻), a flag (a pair of regional indicators, 🇫🇷), an emoji with
//     the emoji presentation selector U+FE0F (❤️) or with a skin-tone modifier (👍🏽);
//   - none for a combining mark (Unicode categories Mn and Me, as the accent of "é"
//     written e + U+0301), a conjoining Hangul medial vowel or final consonant
//     (U+1160-U+11FF, U+D7B0-U+D7FF: ᄒ+ᅡ+ᆫ is drawn as the one syllable 한) or a
//     format character (Cf, as the zero-width space);
//   - one for any other character. East Asian Ambiguous characters (±, §, Greek and
//     Cyrillic letters, box drawing) count one, as terminals outside East Asia show
//     them and as most terminals do by default; a terminal set to draw them wide
//     (a CJK locale's "ambiguous width: wide") will show such a label wider.
//
// A byte that is not UTF-8 counts one, as the replacement character it shows as.
// Characters a terminal does not print (a newline, a tab) count one too: Name quotes
// them, so a report pads Name's result, not the raw value.
func Width(s string) int {
	n := 0
	for len(s) > 0 {
		size, w := cluster(s)
		n += w
		s = s[size:]
	}
	return n
}

// cut returns the longest prefix of s that is at most columns wide (Width) and at most
// runes runes long, and ends at a cluster boundary: a cut never parts an accent from
// its letter, a Hangul vowel from its initial consonant, or the halves of a flag or an
// emoji sequence, which would print a different character than s has. Cutting by runes
// made a label of wide characters up to twice the columns it was cut to; the bound on
// runes keeps a string of nothing but zero-width marks bounded too.
func cut(s string, columns, runes int) string {
	i, w, n := 0, 0, 0
	for i < len(s) {
		size, cw := cluster(s[i:])
		r := utf8.RuneCountInString(s[i : i+size])
		if w+cw > columns || n+r > runes {
			break
		}
		i, w, n = i+size, w+cw, n+r
	}
	return s[:i]
}

// Pad returns s followed by as many spaces as make it columns wide (Width), or s
// itself when it is that wide or wider: a table's left-aligned label column. fmt's
// %-10s pads by runes, so that a label in Chinese or Japanese pushed the rest of its
// row right by a column for each of its characters.
func Pad(s string, columns int) string {
	if w := Width(s); w < columns {
		return s + strings.Repeat(" ", columns-w)
	}
	return s
}

// PadLeft returns as many spaces as make s columns wide (Width) followed by s, or s
// itself when it is that wide or wider: a table's right-aligned column. fmt's %10s pads
// by runes, as its %-10s does (see Pad), and misaligns a column of ids in Chinese or
// Japanese in the same way.
func PadLeft(s string, columns int) string {
	if w := Width(s); w < columns {
		return strings.Repeat(" ", columns-w) + s
	}
	return s
}

const (
	zwj  = '\u200d' // zero-width joiner
	vs16 = '\ufe0f' // variation selector 16: emoji presentation
)

// cluster returns the length in bytes and the width in columns of the cluster that
// begins s (not empty): one rune (or one byte that is not UTF-8) and what extends it.
// It is a small subset of Unicode's extended grapheme clusters (UAX #29), the cases
// that change a terminal's columns:
//
//   - a combining mark (Mn, Me; the variation selectors are Mn), a zero-width
//     non-joiner, an emoji tag (U+E0020-U+E007F, as in the flag of Scotland) and a
//     conjoining Hangul vowel or final (U+1160-U+11FF, U+D7B0-U+D7FF) extend any
//     cluster and add no width;
//   - a zero-width joiner extends any cluster, and when the cluster is an emoji it
//     also joins the pictograph after it: the sequence is one wide emoji;
//   - U+FE0F after an emoji or a keycap base (0-9, #, *) and a skin-tone modifier
//     (U+1F3FB-U+1F3FF) after an emoji make the cluster two columns wide;
//   - two regional indicators are one flag, two columns wide; a third starts a new
//     cluster.
//
// Anything else starts a new cluster. A byte that is not UTF-8 is a cluster of its own.
func cluster(s string) (size, columns int) {
	r, n := utf8.DecodeRuneInString(s)
	if r == utf8.RuneError && n <= 1 {
		return 1, 1 // not UTF-8: one replacement character
	}
	columns = runeWidth(r)
	emoji := pictographic(r)
	flag := regional(r) // a first regional indicator waiting for its pair
	for n < len(s) {
		r2, m := utf8.DecodeRuneInString(s[n:])
		switch {
		case r2 == utf8.RuneError && m <= 1:
			return n, columns
		case r2 == zwj:
			n += m
			if emoji && n < len(s) {
				if r3, k := utf8.DecodeRuneInString(s[n:]); pictographic(r3) {
					n += k
					columns = 2
				}
			}
		case r2 == vs16:
			n += m
			if emoji || r < utf8.RuneSelf && strings.ContainsRune("0123456789#*", r) {
				columns = 2
			}
		case skinTone(r2) && emoji:
			n += m
			columns = 2
		case flag && regional(r2):
			n += m
			columns = 2
			flag = false
		case extends(r2):
			n += m
		default:
			return n, columns
		}
	}
	return n, columns
}

// runeWidth is the width of one rune standing alone.
func runeWidth(r rune) int {
	if r < utf8.RuneSelf {
		return 1
	}
	if hangulVowelOrFinal(r) || unicode.In(r, unicode.Mn, unicode.Me, unicode.Cf) {
		return 0
	}
	switch width.LookupRune(r).Kind() {
	case width.EastAsianWide, width.EastAsianFullwidth:
		return 2
	}
	return 1 // narrow, halfwidth, neutral, and ambiguous: see Width
}

// extends reports whether r joins the cluster before it and adds no width.
func extends(r rune) bool {
	return hangulVowelOrFinal(r) || r == '\u200c' || r >= 0xe0020 && r <= 0xe007f ||
		unicode.In(r, unicode.Mn, unicode.Me)
}

// hangulVowelOrFinal reports a conjoining jamo that a terminal draws into the
// syllable begun by an initial consonant: a medial vowel or a final consonant.
func hangulVowelOrFinal(r rune) bool {
	return r >= 0x1160 && r <= 0x11ff || r >= 0xd7b0 && r <= 0xd7ff
}

func regional(r rune) bool { return r >= 0x1f1e6 && r <= 0x1f1ff }

func skinTone(r rune) bool { return r >= 0x1f3fb && r <= 0x1f3ff }

// pictographic approximates Unicode's Extended_Pictographic property (the characters
// that emoji sequences are made of) by its blocks: the emoji and symbol planes'
// pictographs, the dingbats and miscellaneous symbols, and the few older symbols
// that are emoji (©, ®, ‼, ⁉, ™, ℹ, the arrows ↔-↙ and ↩-↪, 〰, 〽, ㊗, ㊙). Regional
// indicators and skin tones are not pictographs: they have rules of their own.
func pictographic(r rune) bool {
	switch {
	case regional(r) || skinTone(r):
		return false
	case r >= 0x1f000 && r <= 0x1faff, r >= 0x1fc00 && r <= 0x1fffd:
		return true
	case r >= 0x2300 && r <= 0x23ff, r >= 0x2600 && r <= 0x27bf, r >= 0x2b00 && r <= 0x2bff:
		return true
	case r >= 0x2194 && r <= 0x2199, r == 0x21a9, r == 0x21aa:
		return true
	}
	switch r {
	case 0xa9, 0xae, 0x203c, 0x2049, 0x2122, 0x2139, 0x3030, 0x303d, 0x3297, 0x3299:
		return true
	}
	return false
}
