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
	"unicode/utf8"

	"github.com/clientele-go/clientele/internal/digits"
)

// Rune returns r as a phone number's ASCII character: a decimal digit of any script
// as its ASCII digit, and a dash (category Pd: the hyphen, the non-breaking hyphen,
// the en and em dashes, the full-width hyphen-minus...) or the minus sign as "-", as a
// word processor's autocorrection or a Japanese input method writes them (both
// internal/digits, which identity/match also reads dates and postcodes with); the
// full-width plus sign as "+"; the full-width parentheses, full stop and solidus as
// their ASCII forms. Any other rune is returned as it is.
func Rune(r rune) rune {
	if r < utf8.RuneSelf {
		return r
	}
	if d, ok := digits.Digit(r); ok {
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
	}
	if digits.Dash(r) {
		return '-'
	}
	return r
}

// String returns v with Rune applied to each of its runes: v itself, without
// allocating, when that changes nothing (always for ASCII). An invalid byte is kept as
// it is.
func String(v string) string {
	return digits.Map(v, func(r rune) (byte, bool) {
		if c := Rune(r); c != r {
			return byte(c), true // Rune changes a rune only to an ASCII one
		}
		return 0, false
	})
}
