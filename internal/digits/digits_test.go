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
// outside ASCII, into its ASCII digit, so that no ASCII character and nothing but a
// digit is ever changed (a value that was read before reads as before).
func TestStringOverEveryRune(t *testing.T) {
	changed := 0
	for r := rune(0); r <= unicode.MaxRune; r++ {
		if !utf8.ValidRune(r) {
			continue
		}
		v := "1" + string(r) + "x"
		got := String(v)
		d, ok := Digit(r)
		switch {
		case ok && r >= utf8.RuneSelf:
			changed++
			if got != "1"+string(rune(d))+"x" {
				t.Fatalf("String(%+q) = %+q, want its ASCII digit %q", v, got, d)
			}
		case got != v:
			t.Fatalf("String(%+q) = %+q: %U is not a digit of another script", v, got, r)
		}
	}
	if changed < 600 {
		t.Fatalf("%d runes changed, fewer than the decimal digits outside ASCII", changed)
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

// FuzzString: String is Digit applied to each rune that is one, every other rune and
// invalid byte kept; it never lengthens a value, keeps it valid UTF-8 when it was,
// leaves no decimal digit but ASCII ones, and is idempotent.
func FuzzString(f *testing.F) {
	for _, s := range []string{"", "1990-01-02", "\u0661\u0669\u0669\u0660-\u0660\u0661-\u0660\u0662", "\uff11\uff19", "\xff\u0661\xfe",
		"\U0001d7ce\U0001d7ff", "\ufffd\u0661", "\u00b9\u2460", "SE1 \u0968AB"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		out := String(v)
		var want strings.Builder
		for i := 0; i < len(v); {
			r, n := utf8.DecodeRuneInString(v[i:])
			if d, ok := Digit(r); ok {
				want.WriteByte(d)
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
		if strings.ContainsFunc(out, func(r rune) bool { return unicode.IsDigit(r) && r >= utf8.RuneSelf }) {
			t.Fatalf("String(%+q) = %+q keeps a digit of another script", v, out)
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
