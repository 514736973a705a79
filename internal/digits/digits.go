// Package digits reads the decimal digits of every script (Unicode category Nd:
// Arabic-Indic, Persian, Devanagari, full-width and the rest) as the ASCII digits they
// stand for, and the dashes that separate them (the hyphen, en dash, minus sign,
// full-width hyphen-minus and the rest) as the ASCII hyphen-minus. internal/phonechar
// reads a phone number's digits and dashes with it, and identity/match a birth date's
// and a postcode's, so that a value typed on an Arabic, Persian, Hindi or Japanese
// keyboard, or given its dashes by a word processor, reads as the one typed in ASCII,
// and no two packages can disagree on what a digit or a dash is.
//
// It changes no ASCII character and nothing that is not a decimal digit or a dash: a
// value already written in ASCII, and so any value stored from one, reads exactly as
// before.
package digits

import (
	"slices"
	"unicode"
	"unicode/utf8"
)

// Digit returns the ASCII digit that r stands for when r is a decimal digit of any
// script (unicode.IsDigit: category Nd), and false for anything else, including the
// superscript, circled and Roman numerals (categories No and Nl), which are not
// decimal digits and do not appear in a number, a date or a postcode as it is typed.
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

// Dash reports whether r is a dash: a rune of category Pd (the ASCII hyphen-minus, the
// hyphen and non-breaking hyphen, the figure, en and em dashes, the full-width and
// small hyphen-minus, the wave dash...) or U+2212 MINUS SIGN (category Sm), which a
// word processor's autocorrection, a Japanese input method or a typeset source writes
// where "-" was meant, between a phone number's digit groups, in a date, in a
// postcode.
func Dash(r rune) bool {
	if r < utf8.RuneSelf {
		return r == '-'
	}
	return r == '\u2212' || unicode.Is(unicode.Pd, r)
}

// ascii returns the ASCII character r stands for when r is a decimal digit (Digit) or a
// dash (Dash), and false for anything else.
func ascii(r rune) (byte, bool) {
	if d, ok := Digit(r); ok {
		return d, true
	}
	if Dash(r) {
		return '-', true
	}
	return 0, false
}

// String returns v with each decimal digit of another script replaced by its ASCII
// digit (see Digit) and each dash other than "-" by "-" (see Dash), and every other
// rune, and any invalid byte, as it is: v itself, without allocating, when it has no
// such digit or dash (always for ASCII).
func String(v string) string { return Map(v, ascii) }

// Map returns v with each rune beyond ASCII for which f reports an ASCII character
// replaced by it, and every other rune, and any invalid byte (which f is not asked
// about), as it is: v itself, without allocating, when f replaces nothing.
func Map(v string, f func(r rune) (byte, bool)) string {
	for i := 0; i < len(v); {
		if v[i] < utf8.RuneSelf {
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(v[i:])
		if n == 1 { // an invalid byte
			i++
			continue
		}
		if _, ok := f(r); !ok {
			i += n
			continue
		}
		b := make([]byte, 0, len(v)) // each rune replaced becomes one byte
		b = append(b, v[:i]...)
		for i < len(v) {
			r, n := utf8.DecodeRuneInString(v[i:])
			if n == 1 {
				b = append(b, v[i]) // an invalid byte, as it is
			} else if c, ok := f(r); ok {
				b = append(b, c)
			} else {
				b = append(b, v[i:i+n]...)
			}
			i += n
		}
		return string(b)
	}
	return v
}
