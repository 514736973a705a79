// Package phonetest writes phone numbers in other scripts for the property tests of the
// packages that read them through internal/phonechar (identity and identity/match), so that both
// hold their normalisers to the same spellings.
package phonetest

import (
	"strings"
	"unicode"

	"pgregory.net/rapid"
)

// zeros is the zero of every run of ten decimal digits (each range of unicode.Nd is one
// or more such runs: see internal/digits.Digit), in order: the scripts a number may be written
// in.
var zeros = func() []rune {
	var zs []rune
	for _, rg := range unicode.Nd.R16 {
		for z := rune(rg.Lo); z <= rune(rg.Hi); z += 10 {
			zs = append(zs, z)
		}
	}
	for _, rg := range unicode.Nd.R32 {
		for z := rune(rg.Lo); z <= rune(rg.Hi); z += 10 {
			zs = append(zs, z)
		}
	}
	return zs
}()

// Respell draws a spelling of the ASCII number ascii: some of its digits written in the
// digits of another script (one block of Unicode's decimal digits for the number, or
// one for each digit), and some of its characters that others lists replaced by one of
// their forms there (a full-width "+", a typographic dash).
func Respell(t *rapid.T, ascii string, others map[rune][]rune) string {
	zero := rapid.SampledFrom(zeros).Draw(t, "block")
	perDigit := rapid.Bool().Draw(t, "a block per digit")
	var b strings.Builder
	for _, r := range ascii {
		switch {
		case '0' <= r && r <= '9' && rapid.Bool().Draw(t, "replace digit"):
			if perDigit {
				zero = rapid.SampledFrom(zeros).Draw(t, "block")
			}
			r = zero + (r - '0')
		case others[r] != nil && rapid.Bool().Draw(t, "replace separator"):
			r = rapid.SampledFrom(others[r]).Draw(t, "separator")
		}
		b.WriteRune(r)
	}
	return b.String()
}
