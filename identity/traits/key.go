package traits

import (
	"slices"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"

	"github.com/clientele-go/clientele/internal/blank"
	"github.com/clientele-go/clientele/internal/nfc"
)

// unionKey is what Union compares values by: the value as a reader sees it. Two values
// with the same key look alike, and are one value; the Book keeps and lists the
// spelling first observed, and only compares by the key. The key is the value
//
//   - without the invisible characters (see blank.Invisible): the zero-width space,
//     the word joiner, the byte order mark, the soft hyphen and the three
//     bidirectional marks;
//   - without a zero-width joiner or non-joiner where it changes nothing shown (see
//     joinerShows), kept where it does: after or before a virama, between letters of a
//     script whose letters join, a joiner between emoji;
//   - without the other default-ignorable characters that act on a neighbour, and
//     U+2800 BRAILLE PATTERN BLANK, where they show nothing (see blankShows), kept
//     where they do: a variation selector after a character with variants ("❤\ufe0f",
//     not "Ann\ufe0f"), a Hangul filler in a jamo sequence, the combining grapheme
//     joiner before an accent, tags after an emoji (a flag of England), a
//     bidirectional embedding, override or isolate before or among the text (not
//     after it), a braille blank between braille cells (not at the ends);
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
// carries zero-width spaces and joiners; a form that refuses an empty name takes a
// lone Hangul filler, variation selector or braille blank, and a right-to-left
// interface leaves a closing isolate after a name. Kept apart, a merged profile listed
// one person's name twice, in spellings no one could tell apart. Case is kept: "Gold"
// and "gold" may be two tags, and the Book does not guess.
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
// other default-ignorable characters are judged next, on the value in NFC, and the
// value is put in NFC again once one has gone (a selector between two accents kept
// them from canonical order). The joiners are judged last, on the value in NFC, so
// that an Arabic letter with its hamza composed or not is one context, and with the
// other characters already gone, so that a joiner is not kept for a virama before a
// selector that shows nothing; the value is put in NFC again once a joiner has gone
// (a joiner between "e" and an accent kept them from composing).
func unionKey(v string) string {
	if nfc.ASCII(v) {
		return collapseASCII(v)
	}
	rs := []rune(nfc.String(strings.Map(func(r rune) rune {
		if blank.Invisible(r) {
			return -1
		}
		return r
	}, v)))
	if kept, dropped := dropIgnorables(rs); dropped {
		// Composed again: a selector or a tag between two accents kept them from being
		// put in canonical order, and the joiners are judged on the value as it reads.
		rs = []rune(nfc.String(string(kept)))
	}
	first := slices.IndexFunc(rs, func(r rune) bool { return !blank.Rune(r) })
	var b strings.Builder
	b.Grow(len(v))
	space := false // white space seen since the last rune written
	for i, r := range rs {
		switch {
		case unicode.IsSpace(r):
			space = first >= 0 && i > first // none before the first rune that shows: trimmed
			continue
		case blank.Joiner(r) && !joinerShows(rs, i):
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

// dropIgnorables returns rs without the runes of blank.Rune, other than white space
// and the joiners, that show nothing where they stand (blankShows), in rs's own array,
// and whether it dropped any.
func dropIgnorables(rs []rune) ([]rune, bool) {
	first, last := -1, -1 // the first and last rune that shows whatever its context
	for i, r := range rs {
		if !blank.Rune(r) {
			last = i
			if first < 0 {
				first = i
			}
		}
	}
	var out []rune
	opener := false // a bidirectional embedding, override or isolate kept before
	for i, r := range rs {
		if !unicode.IsSpace(r) && !blank.Joiner(r) && blank.Rune(r) && !blankShows(rs, i, first, last, opener) {
			if out == nil {
				out = make([]rune, i, len(rs))
				copy(out, rs[:i])
			}
			continue
		}
		opener = opener || blank.BidiOpener(r)
		if out != nil {
			out = append(out, r)
		}
	}
	if out == nil {
		return rs, false
	}
	return out, true
}

// blankValue reports whether v shows nothing, and so is no observation (Observe): whether
// unionKey(v) is empty. The key keeps every rune but those of blank.Rune, and one of
// those only beside a rune that is not one of them (a variation selector after its
// base, a Hangul filler beside a jamo, a bidirectional control before or between what
// shows; see blankShows), so it is empty exactly when v holds nothing but such runes
// ("\ufeff", " \u200b\t", "\u200d", "\u3164", "\ufe0f", "\u202e"). blank.String tells so
// by a scan, without building the key: Observe asks it of every value under every rule,
// and the key of a long run of joiners costs time quadratic in its length.
// TestBlankIsEmptyKey holds the two to agree.
func blankValue(v string) bool { return blank.String(v) }

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

// The runes of blank.Rune show nothing on their own. A value of nothing else is blank
// (blankValue), and has the empty key. Of their classes, white space is collapsed,
// the invisible characters (blank.Invisible: the zero-width space, word joiner, byte
// order mark, soft hyphen and the LRM, RLM and ALM marks) are dropped wherever they
// stand, and the others are judged in context, because each can change what is shown:
// a variation selector picks a glyph (an emoji's or a text heart; a name's registered
// ideograph variant, UTS #37), tag characters make a flag of England out of a black flag
// (UTS #51), the combining grapheme joiner, Mongolian's free variation selectors and
// vowel separator and the Hangul fillers change shaping or stand for a letter, and the
// bidirectional embeddings, overrides and isolates reorder letters on screen; they are
// dropped where there is nothing for them to act on (blankShows), and zero-width
// joiners and non-joiners where they join nothing (joinerShows). The other
// default-ignorable code points (the Khmer inherent vowels U+17B4 and U+17B5, the
// invisible mathematical operators U+2061 to U+2064, the deprecated format characters
// U+206A to U+206F, the musical formatting characters U+1D173 to U+1D17A) are kept as
// they are.

// blankShows reports whether rs[i], a rune of blank.Rune other than white space, an
// invisible character or a joiner, changes what is shown, and so is kept in the key;
// first and last are the first and last rune of rs that is not of blank.Rune (-1 when
// none), and opener whether a bidirectional opener came before rs[i]. Each is judged by
// what the Unicode Standard gives it to act on, and where that is absent it shows
// nothing (and the value without it looks the same):
//
//   - a variation selector VS1 to VS16 right after a character that has variants: a
//     digit, punctuation or a symbol (the emoji and mathematical variation sequences,
//     East Asian punctuation), or a letter or spacing mark of the scripts whose
//     letters have standardized variants (Han, Myanmar,
//     Phags-pa, Manichaean, Egyptian hieroglyphs, and the Common script's letterlike
//     symbols: ℹ, the mathematical script capitals). Elsewhere "a variation selector
//     does not change the visual appearance of the preceding base character"
//     (StandardizedVariants.txt; the Standard, section 23.4): "Ann\ufe0f" is "Ann";
//   - VS17 to VS256 right after a unified ideograph, the only base of an ideographic
//     variation sequence (UTS #37), and a Mongolian free variation selector right after
//     a Mongolian letter, the only base of its sequences (StandardizedVariants.txt); the
//     Mongolian vowel separator beside a Mongolian letter, whose shape it changes;
//   - a Hangul filler beside a Hangul jamo or syllable: U+115F and U+1160 stand for a
//     missing leading consonant or vowel in a conjoining jamo sequence (the Standard,
//     section 3.12), U+3164 and its half-width form for a missing part in KS X 1001's
//     composed sequences. Alone, or beside anything else, they are an empty cell: the
//     "blank" user name of a spammer;
//   - the combining grapheme joiner right before a combining mark, the order of whose
//     marks it can keep from canonical reordering (the Standard, section 23.2);
//     elsewhere it shows nothing;
//   - tag characters right after an emoji (a symbol, with or without its emoji
//     presentation selector): an emoji tag sequence such as the flag of England is a
//     black flag and tags (UTS #51, section 2.2); alone they are no tag sequence;
//   - a bidirectional embedding, override or isolate opener before the last rune that
//     shows, and a closer (PDF, PDI) after the first rune that shows or after an
//     opener, since they may reorder what they enclose (UAX #9). After the last rune
//     that shows, every one is dropped: an opener encloses nothing, and the end of a
//     paragraph closes every embedding, override and isolate anyway (UAX #9, rule X8);
//     before the first, a closer with no opener before it closes nothing (rules X6a, X7);
//   - U+2800 BRAILLE PATTERN BLANK between runes that show, where it is a braille space;
//     at either end it is an empty cell, trimmed as white space is.
//
// Each keeps a rune only by runes that are not of blank.Rune, which the key keeps, so
// that the key is idempotent; where a table of sequences would say more than a rune's
// script and category, the rune is kept, so that two values a reader can tell apart
// never share a key, while a few that look alike may not.
func blankShows(rs []rune, i, first, last int, opener bool) bool {
	r := rs[i]
	prev := func(ok func(rune) bool) bool { return i > 0 && !blank.Rune(rs[i-1]) && ok(rs[i-1]) }
	next := func(ok func(rune) bool) bool { return i+1 < len(rs) && !blank.Rune(rs[i+1]) && ok(rs[i+1]) }
	mongolian := func(r rune) bool { return unicode.Is(unicode.Mongolian, r) && unicode.IsLetter(r) }
	hangul := func(r rune) bool { return unicode.Is(unicode.Hangul, r) }
	switch {
	case blank.VariationSelector(r):
		return prev(hasVariants)
	case blank.IdeographicVariationSelector(r):
		return prev(func(r rune) bool { return unicode.Is(unicode.Unified_Ideograph, r) })
	case r == blank.MVS:
		return prev(mongolian) || next(mongolian)
	case blank.MongolianSelector(r):
		return prev(mongolian)
	case blank.HangulFiller(r):
		return prev(hangul) || next(hangul)
	case r == blank.CGJ:
		return next(func(r rune) bool { return unicode.Is(unicode.M, r) })
	case blank.Tag(r):
		p := i - 1
		for p >= 0 && blank.Tag(rs[p]) {
			p--
		}
		if p >= 0 && rs[p] == '\ufe0f' {
			p--
		}
		return p >= 0 && !blank.Rune(rs[p]) && unicode.Is(unicode.So, rs[p])
	case blank.BidiOpener(r):
		return i < last
	case blank.BidiCloser(r):
		return i < last && (i > first || opener)
	case r == blank.BrailleBlank:
		return first < i && i < last
	}
	return false
}

// hasVariants reports whether r may be the base of a standardized or emoji variation
// sequence (see blankShows): a starter (canonical combining class 0, so that no
// reordering parts it from its selector) that is a digit, punctuation or a symbol, or
// a letter or mark of a script with standardized variants.
func hasVariants(r rune) bool {
	if norm.NFC.PropertiesString(string(r)).CCC() != 0 {
		return false
	}
	if unicode.In(r, unicode.N, unicode.P, unicode.S) {
		return true
	}
	return unicode.In(r, unicode.L, unicode.M) && unicode.In(r, unicode.Common, unicode.Han, unicode.Myanmar, unicode.Phags_Pa,
		unicode.Manichaean, unicode.Egyptian_Hieroglyphs)
}

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
	for p >= 0 && blank.Joiner(rs[p]) {
		p--
	}
	for n < len(rs) && blank.Joiner(rs[n]) {
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
