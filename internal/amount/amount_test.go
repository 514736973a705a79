package amount

import (
	"errors"
	"math"
	"strconv"
	"strings"
	"testing"

	"pgregory.net/rapid"
)

var (
	none   = (*Options)(nil)
	signed = &Options{Sign: true, Exponent: true} // scoring.ReadTransactions' forms
)

// TestParse holds the rule: a decimal point, or a decimal comma that cannot be a
// thousands separator; a sign and an exponent only when asked for; nothing guessed.
func TestParse(t *testing.T) {
	for _, c := range []struct {
		in   string
		opts *Options
		want float64
	}{
		{"12.50", none, 12.5}, {"12", none, 12}, {" 7 ", none, 7}, {".5", none, 0.5}, {"12.", none, 12},
		{"0", none, 0}, {"12,50", none, 12.5}, {"12,5", none, 12.5}, {"1234,99", none, 1234.99},
		{"\t0,07\r", none, 0.07}, {"007,10", none, 7.1}, {"1e15", signed, 1e15}, {"1.5E-2", signed, 0.015},
		{"2e+1", signed, 20}, {"+5", signed, 5}, {"-12,50", signed, -12.5}, {"+.5", signed, 0.5},
		{"1e-400", signed, 0}, // as ParseFloat: an amount smaller than any float is 0
		{strings.Repeat("9", 300), none, 1e300},
	} {
		if got, err := Parse(c.in, c.opts); err != nil || got != c.want {
			t.Errorf("Parse(%q, %+v) = %v, %v, want %v", c.in, c.opts, got, err, c.want)
		}
	}
	for _, c := range []struct {
		in   string
		opts *Options
	}{
		{"1,234", signed}, {"12,505", signed}, {"1,234.50", signed}, {"1.234,50", signed}, {"1,2,3", signed},
		{"12,", signed}, {",5", signed}, {"1.2.3", signed}, {".", signed}, {"", signed}, {" ", signed},
		{"-5", none}, {"+5", none}, {"1e3", none}, {"1e", signed}, {"e3", signed}, {"12,5e1", signed},
		{"+-5", signed}, {"- 5", signed}, {"1 000", signed}, {"NaN", signed}, {"Inf", signed},
		{"infinity", signed}, {"€12", signed}, {"$12.50", signed}, {"12 EUR", signed}, {"0x1p3", signed},
		{"1_000", signed}, {"１２", signed}, {strings.Repeat("9", 400), signed}, {"1e400", signed},
	} {
		if got, err := Parse(c.in, c.opts); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), strconv.Quote(c.in)) {
			t.Errorf("Parse(%q, %+v) = %v, %v, want ErrInvalid quoting it", c.in, c.opts, got, err)
		}
	}
}

// TestHint: the forms shops write that Parse refuses get advice; others none.
func TestHint(t *testing.T) {
	comma := "a comma is read as a decimal comma only with one or two digits after it"
	currency := "write amounts without a currency sign"
	for _, c := range []struct {
		in   string
		want []string
	}{
		{"1,234", []string{comma}}, {"1,299.00", []string{comma}}, {"1.234,50", []string{comma}},
		{"$12.50", []string{currency}}, {"12.50 €", []string{currency}}, {"€1.234,50", []string{currency, comma}},
	} {
		got := Hint(c.in)
		for _, w := range c.want {
			if !strings.HasPrefix(got, ": ") || !strings.Contains(got, w) {
				t.Errorf("Hint(%q) = %q, want %q in it", c.in, got, w)
			}
		}
	}
	// A decimal comma Parse reads gets no advice on commas beside a currency sign:
	// "€12,00" was told that a comma is read with one or two digits after it.
	for _, s := range []string{"€12,00", "12,5 €", "$ 7,25"} {
		if got := Hint(s); !strings.Contains(got, currency) || strings.Contains(got, comma) {
			t.Errorf("Hint(%q) = %q, want %q alone", s, got, currency)
		}
	}
	for _, s := range []string{"x", "0x1p4", "NaN", "12 EUR"} {
		if got := Hint(s); got != "" {
			t.Errorf("Hint(%q) = %q, want none", s, got)
		}
	}
}

// TestFormatsParseBack: an amount written with two decimals, as strconv.FormatFloat
// writes it and in its decimal-comma form, reads back as the same value; cents written
// so read back exactly.
func TestFormatsParseBack(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		var v float64
		if rapid.Bool().Draw(t, "cents") {
			v = float64(rapid.Int64Range(0, 1<<53).Draw(t, "k")) / 100
		} else {
			v = rapid.Float64Range(0, math.MaxFloat64).Draw(t, "v")
		}
		neg := rapid.Bool().Draw(t, "negative")
		opts := none
		if neg {
			v, opts = -v, signed
		}
		point := strconv.FormatFloat(v, 'f', 2, 64)
		comma := strings.Replace(point, ".", ",", 1)
		want, _ := strconv.ParseFloat(point, 64)
		for _, s := range []string{point, comma} {
			got, err := Parse(s, opts)
			if err != nil || got != want {
				t.Fatalf("Parse(%q) = %v, %v, want %v", s, got, err, want)
			}
		}
		// Cents are a whole k of them with v exactly k/100: v·100 alone rounds to a
		// whole number for some v that are not (2.2517998136852492e13, whose
		// product lands on one at 2^51), and that value has more than two decimals.
		if k := v * 100; math.Abs(k) < 1<<53 && k == math.Trunc(k) && k/100 == v && want != v {
			t.Fatalf("%v written %q reads back as %v", v, point, want)
		}
		if !neg {
			if _, err := Parse("-"+point, nil); err == nil {
				t.Fatalf("Parse(%q) took a sign without Options.Sign", "-"+point)
			}
		}
	})
}

// FuzzParse: with a sign and an exponent, Parse reads text of digits, points, signs
// and exponents exactly as strconv.ParseFloat does (scoring.ReadTransactions' forms
// before the shared rule); a value it takes is finite, and one without those options
// is non-negative; a comma it takes is a decimal one, reading as the point form.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"12.50", "12,50", "12,5", "1,234", "1.234,50", "-5", "+5", "1e3", ".5", "12.", "NaN", "1e400", " 7 ", "0x1p4", "1_000", ",5"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := Parse(s, signed)
		if err == nil && (math.IsInf(v, 0) || math.IsNaN(v)) {
			t.Fatalf("Parse(%q) = %v", s, v)
		}
		if !errors.Is(err, ErrInvalid) && err != nil {
			t.Fatalf("Parse(%q): %v does not wrap ErrInvalid", s, err)
		}
		t2 := strings.TrimSpace(s)
		if t2 != "" && strings.Trim(t2, "0123456789.eE+-") == "" {
			pv, perr := strconv.ParseFloat(t2, 64)
			if perr != nil {
				pv, perr = 0, errors.New("refused")
			}
			if (err == nil) != (perr == nil) || v != pv || math.Signbit(v) != math.Signbit(pv) {
				t.Fatalf("Parse(%q) = %v, %v; ParseFloat: %v, %v", s, v, err, pv, perr)
			}
		}
		if strings.Contains(s, ",") && err == nil {
			i := strings.IndexByte(t2, ',')
			if n := len(t2) - i - 1; strings.Count(t2, ",") != 1 || strings.Contains(t2, ".") || n < 1 || n > 2 {
				t.Fatalf("Parse(%q) = %v: a comma that may be a thousands separator", s, v)
			}
			if pv, _ := Parse(strings.Replace(t2, ",", ".", 1), signed); pv != v {
				t.Fatalf("Parse(%q) = %v, its point form %v", s, v, pv)
			}
		}
		if u, uerr := Parse(s, nil); uerr == nil && (u < 0 || math.Signbit(u) || err != nil || u != v) {
			t.Fatalf("Parse(%q, nil) = %v, with Sign and Exponent %v, %v", s, u, v, err)
		}
	})
}

// TestPlainAsParseFloat: Parse's fast path for plain decimals gives strconv.ParseFloat's
// float64 to the bit wherever it reads, on digit strings up to and past its 15 digits,
// with and without a point anywhere, leading zeros and all; and reads the common forms.
func TestPlainAsParseFloat(t *testing.T) {
	for _, s := range []string{"29.33", "12", ".5", "12.", "0", "0.0", "999999999999999", "0.00000000000001"} {
		if _, ok := plain(s); !ok {
			t.Errorf("plain(%q) left to ParseFloat", s)
		}
	}
	// 16 digits are past the exact path: their integer rounds to a float64 before the
	// division rounds again, and this one comes out an ulp away from ParseFloat's.
	if v, ok := plain("962680.6876341281"); ok {
		t.Errorf("plain read 16 digits, as %v (ParseFloat: 962680.6876341281)", v)
	}
	rapid.Check(t, func(t *rapid.T) {
		s := rapid.StringOfN(rapid.SampledFrom([]rune("0123456789")), 0, 18, -1).Draw(t, "digits")
		if at := rapid.IntRange(-1, len(s)).Draw(t, "point"); at >= 0 {
			s = s[:at] + "." + s[at:]
		}
		if rapid.IntRange(0, 9).Draw(t, "other") == 0 {
			at := rapid.IntRange(0, len(s)).Draw(t, "at")
			s = s[:at] + rapid.SampledFrom([]string{".", "-", "+", "e", "_", ","}).Draw(t, "byte") + s[at:]
		}
		got, ok := plain(s)
		if !ok {
			return
		}
		want, err := strconv.ParseFloat(s, 64)
		if err != nil || math.Float64bits(got) != math.Float64bits(want) {
			t.Fatalf("plain(%q) = %v; strconv.ParseFloat: %v, %v", s, got, want, err)
		}
	})
}
