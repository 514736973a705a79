package traits

import (
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"

	"github.com/clientele-go/clientele/internal/nfc"
)

// unionKey is what Union compares values by: the value as a reader sees it. Two values
// with the same key look alike, and are one value; the Book keeps and lists the
// spelling first observed, and only compares by the key. The key is the value
//
//   - without the invisible characters (see invisible): the zero-width space, the word
//     joiner, the byte order mark, the soft hyphen and the three bidirectional marks;
//   - without a zero-width joiner or non-joiner where it changes nothing shown (see
//     joinerShows), kept where it does: after or before a virama, between letters of a
//     script whose letters join, a joiner between emoji;
//   - in Unicode Normalization Form C, so that canonically equivalent values (which
//     share their NFC) share the key: "José" typed on a Mac (e and a combining
//     accent) and on Windows (é);
//   - with its white space (the White_Space property: tab, line breaks, NBSP U+00A0,
//     the ideographic space U+3000 and the rest) trimmed at both ends and each inner
//     run of it one space: "Jane  Doe", "Jane\u00a0Doe" and " Jane Doe " are "Jane Doe".
//
// Each is how one value reaches the Book from two channels: a fixed-width export pads
// " gold ", a word processor puts a no-break space between a first and last name, a
// Japanese input method types the ideographic space between 山田 and 太郎, an Excel or
// CSV export leaves a byte order mark, and text copied from a web page or a chat
// carries zero-width spaces and joiners. Kept apart, a merged profile listed one
// person's name twice, in spellings no one could tell apart. Case is kept: "Gold" and
// "gold" may be two tags, and the Book does not guess.
//
// The Book may compare by a key that a Unicode version could change (NFC, the
// properties below) where identity's default e-mail normaliser may not, because nothing
// here is stored under the key: the observations keep their values as given, and a
// profile's traits are derived from them again at every call, so a changed key would
// change what is listed, never what is kept.
//
// The invisible characters are dropped first, so that "e", a zero-width space and a
// combining accent compose to "é" as "e" and the accent do; they are starters that no
// decomposition holds, so dropping them cannot part canonically equivalent values. The
// joiners are judged on the value in NFC, so that an Arabic letter with its hamza
// composed or not is one context; the value is put in NFC again once a joiner has gone
// (a joiner between "e" and an accent kept them from composing).
func unionKey(v string) string {
	if nfc.ASCII(v) {
		return collapseASCII(v)
	}
	rs := []rune(nfc.String(strings.Map(func(r rune) rune {
		if invisible(r) {
			return -1
		}
		return r
	}, v)))
	var b strings.Builder
	b.Grow(len(v))
	space := false // white space seen since the last rune written
	for i, r := range rs {
		switch {
		case unicode.IsSpace(r):
			space = b.Len() > 0 // none before the first rune written: trimmed
			continue
		case isJoiner(r) && !joinerShows(rs, i):
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(r)
	}
	return nfc.String(b.String())
}

// blank reports whether v shows nothing, and so is no observation (Observe): whether
// unionKey(v) is empty. The key keeps every rune but white space, the invisible
// characters and the joiners, and a joiner only between two runes it keeps, so it is
// empty exactly when v holds nothing but those three kinds of rune ("\ufeff",
// " \u200b\t", "\u200d"). blank tells so by a scan, without building the key: Observe
// asks it of every value under every rule, and the key of a long run of joiners costs
// time quadratic in its length. TestBlankIsEmptyKey holds the two to agree.
func blank(v string) bool {
	return !strings.ContainsFunc(v, func(r rune) bool { return !unicode.IsSpace(r) && !invisible(r) && !isJoiner(r) })
}

// collapseASCII is unionKey of an ASCII value: itself, trimmed, when its only white
// space is single spaces (without allocating, the usual case), else its words joined
// by single spaces.
func collapseASCII(v string) string {
	v = strings.TrimSpace(v)
	for i := 0; i < len(v); i++ {
		if c := v[i]; c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r' || c == ' ' && v[i+1] == ' ' {
			return strings.Join(strings.Fields(v), " ")
		}
	}
	return v
}

// invisible reports whether r is dropped from the key wherever it stands: a character
// that shows nothing and changes no other character's shape, so that a value with it
// looks as the value without it. All are Default_Ignorable_Code_Point (Unicode
// DerivedCoreProperties.txt; the Standard, section 5.21, "Ignoring Characters in
// Processing"), which UTS #10's default collation weighs zero at every level and
// UAX #31's NFKC_Casefold, the key for comparing identifiers, removes:
//
//   - U+200B ZERO WIDTH SPACE, U+2060 WORD JOINER and U+FEFF ZERO WIDTH NO-BREAK SPACE
//     (the byte order mark, and the word joiner's deprecated twin) only say where a line
//     may break or not (UAX #14 classes ZW, WJ); a value is never broken across lines;
//   - U+00AD SOFT HYPHEN shows only where a line breaks at it;
//   - U+200E LEFT-TO-RIGHT MARK, U+200F RIGHT-TO-LEFT MARK and U+061C ARABIC LETTER MARK
//     are invisible strong characters (UAX #9) that a copy from a right-to-left
//     interface leaves at a value's ends: they neither show nor change a letter.
//
// The other default-ignorable code points are kept, because each can change what is
// shown: a variation selector picks a glyph (an emoji's or a text heart; a name's
// registered ideograph variant, UTS #37), tag characters make a flag of England out of a
// black flag (UTS #51), the combining grapheme joiner, Mongolian's free variation
// selectors and vowel separator and the Hangul fillers change shaping or stand for a
// letter, and the bidirectional embeddings, overrides and isolates reorder letters on
// screen. Zero-width joiners and non-joiners are judged in context (joinerShows).
func invisible(r rune) bool {
	switch r {
	case '\u00ad', '\u061c', '\u200b', '\u200e', '\u200f', '\u2060', '\ufeff':
		return true
	}
	return false
}

func isJoiner(r rune) bool { return r == '\u200c' || r == '\u200d' }

// joinerShows reports whether the zero-width joiner or non-joiner rs[i] changes what is
// shown, and so is kept in the key. It is by the contexts where the Standard gives
// them a visible effect (section 23.2, "Cursive Connection and Ligatures"):
//
//   - next to a virama (canonical combining class 9), on either side: UAX #31's contexts
//     A1, A2 and B for joiners in identifiers (a Devanagari half form "क्\u200dष" against
//     the ligature "क्ष", an explicit virama), and Bengali's ya-phala "র\u200d্য", where the
//     joiner comes before the virama;
//   - between two letters of a script whose letters join (Arabic, Syriac, N'Ko,
//     Mongolian and the others of ArabicShaping.txt), marks after the first letter
//     skipped: the non-joiner of Persian "می\u200cخواهم" parts two letters that would
//     otherwise join (UAX #31's context A1 takes the letters' joining types, which the
//     standard library lacks; taking the script keeps a few joiners that show nothing,
//     apart, never the reverse);
//   - a joiner between two symbols, marks and emoji modifiers after the first skipped:
//     an emoji ZWJ sequence (UTS #51, section 2.3), one picture of a woman technologist
//     where without it there are a woman and a computer.
//
// Anywhere else (between Latin, Greek, Cyrillic or Han letters, where at most a font's
// ligature depends on it, next to white space or another joiner's context, at either
// end) it shows nothing, and is left out. A run of joiners is judged by the runes on
// either side of the run, each joiner of it alike, so that the key is idempotent.
func joinerShows(rs []rune, i int) bool {
	p, n := i-1, i+1
	for p >= 0 && isJoiner(rs[p]) {
		p--
	}
	for n < len(rs) && isJoiner(rs[n]) {
		n++
	}
	if p < 0 || n >= len(rs) || unicode.IsSpace(rs[p]) || unicode.IsSpace(rs[n]) {
		return false
	}
	if virama(rs[p]) || virama(rs[n]) {
		return true
	}
	for p >= 0 && (unicode.Is(unicode.M, rs[p]) || '\U0001f3fb' <= rs[p] && rs[p] <= '\U0001f3ff') {
		p-- // a mark, or an emoji modifier (skin tone), belongs to the rune before it
	}
	if p < 0 {
		return false
	}
	before, after := rs[p], rs[n]
	if unicode.IsLetter(before) && unicode.IsLetter(after) && unicode.In(before, joiningScripts...) && unicode.In(after, joiningScripts...) {
		return true
	}
	return rs[i] == '\u200d' && unicode.Is(unicode.So, before) && unicode.Is(unicode.So, after)
}

func virama(r rune) bool {
	return norm.NFC.PropertiesString(string(r)).CCC() == 9
}

// joiningScripts are the scripts whose letters join their neighbours (Joining_Type D or
// R in ArabicShaping.txt of Unicode 15).
var joiningScripts = []*unicode.RangeTable{unicode.Arabic, unicode.Syriac, unicode.Nko, unicode.Mongolian, unicode.Mandaic,
	unicode.Manichaean, unicode.Psalter_Pahlavi, unicode.Adlam, unicode.Hanifi_Rohingya, unicode.Sogdian,
	unicode.Old_Uyghur, unicode.Phags_Pa, unicode.Chorasmian}
