package digits

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/runenames"
)

// TestDigitAgainstNames: for every rune, Digit says it is a digit exactly when
// unicode.IsDigit does, and its value is the one the rune's name in the Unicode
// character database gives ("ARABIC-INDIC DIGIT SEVEN", "MATHEMATICAL BOLD DIGIT
// ZERO"), a reference independent of the ranges Digit computes from.
func TestDigitAgainstNames(t *testing.T) {
	words := []string{"ZERO", "ONE", "TWO", "THREE", "FOUR", "FIVE", "SIX", "SEVEN", "EIGHT", "NINE"}
	named := 0
	for r := rune(0); r <= unicode.MaxRune; r++ {
		d, ok := Digit(r)
		if ok != unicode.IsDigit(r) {
			t.Fatalf("Digit(%U) = %q, %v; unicode.IsDigit %v", r, d, ok, unicode.IsDigit(r))
		}
		if !ok {
			continue
		}
		name := runenames.Name(r)
		if name == "" {
			continue // a digit newer than golang.org/x/text's names (the counts below fail if many are)
		}
		named++
		want := -1
		for i, w := range words {
			if name == "DIGIT "+w || strings.HasSuffix(name, " DIGIT "+w) {
				want = i
			}
		}
		if want < 0 || d != '0'+byte(want) {
			t.Fatalf("Digit(%U %s) = %q", r, name, d)
		}
	}
	if named < 650 { // 680 decimal digits in Unicode 15.0
		t.Fatalf("%d digits checked against their names", named)
	}
}

// TestStringOverEveryRune: String changes a rune exactly when it is a decimal digit
// outside ASCII, into its ASCII digit, or a dash other than "-" (category Pd, or the
// minus sign), into "-", so that no ASCII character and nothing but a digit or a dash
// is ever changed (a value that was read before reads as before).
func TestStringOverEveryRune(t *testing.T) {
	changed, dashes := 0, 0
	for r := rune(0); r <= unicode.MaxRune; r++ {
		if !utf8.ValidRune(r) {
			continue
		}
		v := "1" + string(r) + "x"
		got := String(v)
		d, ok := Digit(r)
		dash := Dash(r) // TestDashOverEveryRune
		switch {
		case r < utf8.RuneSelf:
			if got != v {
				t.Fatalf("String(%+q) = %+q changes ASCII", v, got)
			}
		case ok:
			changed++
			if got != "1"+string(rune(d))+"x" {
				t.Fatalf("String(%+q) = %+q, want its ASCII digit %q", v, got, d)
			}
		case dash:
			changed++
			dashes++
			if got != "1-x" {
				t.Fatalf("String(%+q) = %+q, want the dash as \"-\"", v, got)
			}
		case got != v:
			t.Fatalf("String(%+q) = %+q: %U is neither a digit of another script nor a dash", v, got, r)
		}
	}
	if changed < 600 || dashes < 20 {
		t.Fatalf("%d runes changed, %d of them dashes: fewer than the decimal digits and dashes outside ASCII", changed, dashes)
	}
	// The dashes of dates and postcodes as typed: hyphen, non-breaking hyphen, figure
	// and en dash, minus sign, full-width hyphen-minus; and runes that look like a
	// dash but stand for none (soft hyphen, hyphenation point, hyphen bullet, modifier
	// minus), which stay.
	for _, c := range []struct{ in, want string }{
		{"1990\u201001\u201102", "1990-01-02"}, {"1990\u201201\u201302", "1990-01-02"}, {"\uff11\uff19\uff19\uff10\uff0d\uff10\uff11\uff0d\uff10\uff12", "1990-01-02"},
		{"1990\u221201-02", "1990-01-02"}, {"00\ufe63950", "00-950"},
		{"1\u00ad2\u20273\u20434\u02d75", "1\u00ad2\u20273\u20434\u02d75"},
	} {
		if got := String(c.in); got != c.want {
			t.Errorf("String(%+q) = %+q, want %+q", c.in, got, c.want)
		}
	}
}

func TestStringASCIIDoesNotAllocate(t *testing.T) {
	for _, v := range []string{"1990-01-02", "SW1A 1AA", "Malmö 211 22", ""} {
		if n := testing.AllocsPerRun(100, func() { _ = String(v) }); n != 0 {
			t.Errorf("String(%q): %v allocations", v, n)
		}
	}
	if got := String("\u0661\u0669\u0669\u0660-\u06f0\u06f1-\uff10\u0968"); got != "1990-01-02" {
		t.Errorf("String = %q", got)
	}
}

// FuzzString: String is Digit applied to each rune that is one, "-" for each dash,
// every other rune and invalid byte kept; it never lengthens a value, keeps it valid
// UTF-8 when it was, leaves no decimal digit but ASCII ones and no dash but "-", and
// is idempotent.
func FuzzString(f *testing.F) {
	for _, s := range []string{"", "1990-01-02", "\u0661\u0669\u0669\u0660-\u0660\u0661-\u0660\u0662", "\uff11\uff19", "\xff\u0661\xfe",
		"\U0001d7ce\U0001d7ff", "\ufffd\u0661", "\u00b9\u2460", "SE1 \u0968AB", "\uff11\uff0d\u2212\u2011", "\xe2\x80\u2013"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		out := String(v)
		var want strings.Builder
		for i := 0; i < len(v); {
			r, n := utf8.DecodeRuneInString(v[i:])
			if d, ok := Digit(r); ok {
				want.WriteByte(d)
			} else if unicode.Is(unicode.Pd, r) || r == '\u2212' {
				want.WriteByte('-')
			} else {
				want.WriteString(v[i : i+n])
			}
			i += n
		}
		if out != want.String() {
			t.Fatalf("String(%+q) = %+q, want %+q", v, out, want.String())
		}
		if len(out) > len(v) || utf8.ValidString(v) != utf8.ValidString(out) {
			t.Fatalf("String(%+q) = %+q", v, out)
		}
		if strings.ContainsFunc(out, func(r rune) bool { return (unicode.IsDigit(r) || Dash(r)) && r >= utf8.RuneSelf }) {
			t.Fatalf("String(%+q) = %+q keeps a digit of another script or a dash", v, out)
		}
		if again := String(out); again != out {
			t.Fatalf("String(%+q) = %+q, then %+q", v, out, again)
		}
	})
}

// TestDashOverEveryRune: Dash is category Pd and the minus sign, over every rune.
func TestDashOverEveryRune(t *testing.T) {
	n := 0
	for r := rune(0); r <= unicode.MaxRune; r++ {
		want := unicode.Is(unicode.Pd, r) || r == '\u2212'
		if Dash(r) != want {
			t.Fatalf("Dash(%U) = %v", r, Dash(r))
		}
		if want {
			n++
		}
	}
	if n < 20 {
		t.Fatalf("%d dashes", n)
	}
}
