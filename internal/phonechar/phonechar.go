// Package phonechar reads the characters of a phone number written in any script: the
// decimal digits of every script (Unicode category Nd: Arabic-Indic, Persian,
// Devanagari, full-width and the rest) as the ASCII digits they stand for, and the
// full-width and typographic forms of its "+", dashes and parentheses as their ASCII
// forms. identity's PhoneNormalizer and identity/match's phone field share it, so that
// the two packages cannot disagree on what a number's digits are.
//
// It never changes a character that a phone normaliser accepted before it existed (the
// ASCII digits, "+", the ASCII separators and white space): a number already written in
// ASCII, and so any value stored from one, reads exactly as before.
package phonechar

import (
	"slices"
	"unicode"
	"unicode/utf8"
)

// Digit returns the ASCII digit that r stands for when r is a decimal digit of any
// script (unicode.IsDigit: category Nd), and false for anything else, including the
// superscript, circled and Roman numerals (categories No and Nl), which are not
// decimal digits and do not appear in a number as it is dialled.
//
// The standard library says whether a rune is a decimal digit but not which: the value
// is the rune's distance from the zero of its block. Unicode encodes every decimal
// digit in a run of ten, zero to nine, in order (a stability policy of the standard),
// and each range of unicode.Nd is one or more such runs back to back (the mathematical
// digits are five), so the value is the distance from the range's start modulo ten. A
// test holds it to each digit's name in the Unicode character database.
func Digit(r rune) (byte, bool) {
	if r < utf8.RuneSelf {
		if '0' <= r && r <= '9' {
			return byte(r), true
		}
		return 0, false
	}
	if !unicode.Is(unicode.Nd, r) {
		return 0, false
	}
	if r <= 0xffff {
		rs := unicode.Nd.R16
		i, _ := slices.BinarySearchFunc(rs, r, func(x unicode.Range16, r rune) int { return int(x.Hi) - int(r) })
		return '0' + byte((r-rune(rs[i].Lo))%10), true
	}
	rs := unicode.Nd.R32
	i, _ := slices.BinarySearchFunc(rs, r, func(x unicode.Range32, r rune) int { return int(x.Hi) - int(r) })
	return '0' + byte((r-rune(rs[i].Lo))%10), true
}

// Rune returns r as a phone number's ASCII character: a decimal digit of any script
// as its ASCII digit (see Digit); the full-width plus sign as "+"; a dash (category Pd:
// the hyphen, the non-breaking hyphen, the en and em dashes, the full-width
// hyphen-minus...) or the minus sign as "-", as a word processor's autocorrection or a
// Japanese input method writes them; the full-width parentheses, full stop and solidus
// as their ASCII forms. Any other rune is returned as it is.
func Rune(r rune) rune {
	if r < utf8.RuneSelf {
		return r
	}
	if d, ok := Digit(r); ok {
		return rune(d)
	}
	switch r {
	case '\uff0b':
		return '+'
	case '\uff08':
		return '('
	case '\uff09':
		return ')'
	case '\uff0e':
		return '.'
	case '\uff0f':
		return '/'
	case '\u2212':
		return '-'
	}
	if unicode.Is(unicode.Pd, r) {
		return '-'
	}
	return r
}

// String returns v with Rune applied to each of its runes: v itself, without
// allocating, when that changes nothing (always for ASCII). An invalid byte is kept as
// it is.
func String(v string) string {
	for i := 0; i < len(v); {
		if v[i] < utf8.RuneSelf {
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(v[i:])
		if Rune(r) == r {
			i += n
			continue
		}
		b := make([]byte, 0, len(v)) // each rune Rune changes becomes one byte
		b = append(b, v[:i]...)
		for i < len(v) {
			r, n := utf8.DecodeRuneInString(v[i:])
			if r == utf8.RuneError {
				b = append(b, v[i:i+n]...) // an invalid byte, or U+FFFD itself: as it is
			} else {
				b = utf8.AppendRune(b, Rune(r))
			}
			i += n
		}
		return string(b)
	}
	return v
}
