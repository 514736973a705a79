// Package amount reads money amounts written as text, the one rule of the SDK's
// readers of shops' exports (scoring.ReadTransactions, the Beam road's purchase
// amounts), so that one file's amounts read the same in each.
//
// An amount is decimal digits with at most one decimal point ("12.50", "12", ".5",
// "12."), or with a decimal comma in its place when the comma cannot be a thousands
// separator: exactly one comma, no point, at least one digit before it and one or two
// after it ("12,50", "12,5"). Spaces around it are ignored. Everything else is refused
// rather than guessed at: "1,234" (a thousand and thirty-four, or one and a bit?),
// "1,234.50" and "1.234,50" (thousands separators, whose marks differ by country), a
// currency ("$12.50", "12 EUR"), "NaN", "Inf", and Go's literal forms that
// strconv.ParseFloat alone would take ("1_000", "0x1p4"), which no shop writes.
// [Options] add a sign and an exponent for the readers that have always taken them.
//
// [Parse] reads an amount and [Hint] says how to write one it refused.
package amount

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Options widen the forms Parse reads. The zero value (and nil) reads the rule in the
// package comment only.
type Options struct {
	// Sign reads a leading '+' or '-' ("+5", "-12,50"). A negative amount is the
	// caller's to refuse or take (a refund). scoring.ReadTransactions has read a sign
	// since its first release, refusing negatives after: "+5" kept reading as 5.
	Sign bool
	// Exponent reads an exponent after digits written with a point ("1e3", "1.5E-2",
	// "2e+1"), never after a decimal comma. scoring.ReadTransactions has read them
	// since its first release, and its tests and users' files write MaxAmount as
	// "1e15": they kept reading as before.
	Exponent bool
}

// Max is the largest money amount the SDK reads or computes with (scoring.MaxAmount),
// and the most a journey's conversions are worth in referral/attribution: past it a
// figure is a mistake (an exponent that should not be there, an id read as the amount),
// not money. One constant, so that the packages and the examples refuse the same figures.
const Max = 1e15

// Signed is the rule with a sign and an exponent: the forms of the readers that read
// their figures with strconv.ParseFloat before this package (scoring.ReadTransactions,
// referral/attribution's path files, examples/attribution), so that no file they read
// reads otherwise, and of a check that must read as one of them (examples/clv's
// -header check). Parse only reads it.
var Signed = Options{Sign: true, Exponent: true}

// Parse reads s as an amount (the package comment says which forms are). A refusal
// wraps ErrInvalid and quotes s; an amount past the largest float64 ("1e400", four
// hundred nines) is refused too, never read as +Inf.
func Parse(s string, opts *Options) (float64, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	t := strings.TrimSpace(s)
	ok, comma := wellFormed(t, o)
	if !ok {
		return 0, fmt.Errorf("%w: %q", ErrInvalid, s)
	}
	// One comma at most, the decimal one: ParseFloat then rounds "12,50" exactly as
	// "12.50". Replaced only when wellFormed saw it: strings.Replace counts the commas
	// of every amount first, a cost the SDK's readers paid for each row.
	if comma {
		t = strings.Replace(t, ",", ".", 1)
	}
	if v, ok := plain(t); ok {
		return v, nil
	}
	v, err := strconv.ParseFloat(t, 64)
	if err != nil || math.IsInf(v, 0) || math.IsNaN(v) {
		return 0, fmt.Errorf("%w: %q is past the largest float64, %g", ErrInvalid, s, math.MaxFloat64)
	}
	return v, nil
}

// plain reads t as strconv.ParseFloat does when it is digits with at most one point
// and at most 15 digits in all ("29.33", "12", ".5"), the amounts of nearly every row
// of a shop's export, and reports false for any other text. Such a number is an
// integer below 2^53 over a power of ten up to 1e15, both exact in a float64, and
// IEEE division rounds their quotient correctly, as ParseFloat rounds the decimal:
// the same float64 (strconv's own exact path), without ParseFloat's general reading
// of signs, exponents, underscores, hexadecimal and special values.
func plain(t string) (float64, bool) {
	var mant uint64
	digits, frac := 0, -1 // frac counts the digits after the point, -1 before one
	for i := 0; i < len(t); i++ {
		switch c := t[i]; {
		case '0' <= c && c <= '9':
			if digits++; digits > 15 {
				return 0, false
			}
			mant = mant*10 + uint64(c-'0')
			if frac >= 0 {
				frac++
			}
		case c == '.' && frac < 0:
			frac = 0
		default:
			return 0, false
		}
	}
	if digits == 0 {
		return 0, false
	}
	return float64(mant) / pow10[max(frac, 0)], true
}

// pow10 holds the powers of ten plain divides by, each exact in a float64.
var pow10 = [...]float64{1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15}

// wellFormed reports whether t, already trimmed, is an amount's text, and whether it
// is one with a decimal comma:
//
//	amount   = [sign] (mantissa [exponent] | whole "," digit [digit])
//	mantissa = whole ["." [digits]] | "." digits
//	exponent = ("e" | "E") ["+" | "-"] digits
//
// the sign and the exponent only as o allows them. It checks the syntax only, which
// ParseFloat then reads: ParseFloat alone also takes "NaN", "Inf", "1_000" and "0x1p4".
func wellFormed(t string, o Options) (ok, comma bool) {
	i := 0
	if o.Sign && i < len(t) && (t[i] == '+' || t[i] == '-') {
		i++
	}
	whole := digits(t, &i)
	if i < len(t) && t[i] == ',' {
		i++
		frac := digits(t, &i)
		ok := whole > 0 && (frac == 1 || frac == 2) && i == len(t)
		return ok, ok
	}
	frac := 0
	if i < len(t) && t[i] == '.' {
		i++
		frac = digits(t, &i)
	}
	if whole+frac == 0 {
		return false, false
	}
	if o.Exponent && i < len(t) && (t[i] == 'e' || t[i] == 'E') {
		i++
		if i < len(t) && (t[i] == '+' || t[i] == '-') {
			i++
		}
		if digits(t, &i) == 0 {
			return false, false
		}
	}
	return i == len(t), false
}

// digits moves *i past the decimal digits of t at *i and returns how many there were.
func digits(t string, i *int) int {
	start := *i
	for *i < len(t) && '0' <= t[*i] && t[*i] <= '9' {
		*i++
	}
	return *i - start
}

// Hint says, for an amount Parse refused, how to write it, as a clause to append to
// the refusal (": write ..."), or "" if it has no advice: for a currency sign ("$12.50",
// "12.50 €") and for a comma Parse does not take as a decimal one, a thousands
// separator ("1,234", "1,299.00", "1.234,50") or a comma too many ("1,2,3").
func Hint(s string) string {
	t := strings.TrimSpace(s)
	var hints []string
	signOnly := false
	if strings.ContainsAny(t, "$€£¥") {
		hints = append(hints, "write amounts without a currency sign")
		// "€12,00" is refused for its sign alone: its comma is a decimal comma Parse
		// reads, and the advice on commas told the reader otherwise.
		_, err := Parse(strings.Trim(t, "$€£¥ "), &Signed)
		signOnly = err == nil
	}
	if strings.Contains(t, ",") && !signOnly {
		hints = append(hints, "a comma is read as a decimal comma only with one or two digits after it and no point (12,50); "+
			"write amounts with a decimal point or comma and no thousands separator (1299.00, 1299,00)")
	}
	if len(hints) == 0 {
		return ""
	}
	return ": " + strings.Join(hints, "; ")
}
