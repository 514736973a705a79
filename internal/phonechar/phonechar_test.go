package phonechar

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// accepted reports whether identity's phone normaliser accepted r before this package:
// an ASCII digit, "+", an ASCII separator or white space.
func accepted(r rune) bool {
	return '0' <= r && r <= '9' || strings.ContainsRune("+ -.()/", r) || unicode.IsSpace(r)
}

// TestRuneKeepsWhatWasAccepted: over every rune, Rune leaves alone each one a phone
// normaliser accepted before (so a number that was accepted, and the value stored from
// it, reads as before), maps the others only to a phone's ASCII characters, and is
// idempotent.
func TestRuneKeepsWhatWasAccepted(t *testing.T) {
	changed := 0
	for r := rune(0); r <= unicode.MaxRune; r++ {
		got := Rune(r)
		if got == r {
			continue
		}
		changed++
		if accepted(r) {
			t.Fatalf("Rune(%U) = %q: it was accepted as it is", r, got)
		}
		if !strings.ContainsRune("0123456789+-()./", got) {
			t.Fatalf("Rune(%U) = %q, not a phone's ASCII character", r, got)
		}
		if Rune(got) != got {
			t.Fatalf("Rune(%U) = %q, and Rune of that %q", r, got, Rune(got))
		}
	}
	for _, c := range []struct{ in, want rune }{{'\u0669', '9'}, {'\u06f4', '4'}, {'\u096d', '7'}, {'\uff10', '0'}, {'\U0001d7d8', '0'},
		{'\uff0b', '+'}, {'\u2013', '-'}, {'\u2212', '-'}, {'\uff0d', '-'}, {'\uff08', '('}, {'\u00b2', '\u00b2'}, {'\u2160', '\u2160'}, {'\u066b', '\u066b'}} {
		if got := Rune(c.in); got != c.want {
			t.Errorf("Rune(%U) = %q, want %q", c.in, got, c.want)
		}
	}
	if changed < 680 {
		t.Fatalf("%d runes changed, fewer than the decimal digits", changed)
	}
}

func TestStringASCIIDoesNotAllocate(t *testing.T) {
	for _, v := range []string{"+44 (0)7700 900-123", "07700\u00a0900123", "call me"} {
		if n := testing.AllocsPerRun(100, func() { _ = String(v) }); n != 0 {
			t.Errorf("String(%q): %v allocations", v, n)
		}
		if String(v) != v {
			t.Errorf("String(%q) = %q", v, String(v))
		}
	}
	if got := String("\uff0b\u0664\u0664 \u0667\u0667\u0660\u0660\u2013\u0669\u0660\u0660"); got != "+44 7700-900" {
		t.Errorf("String = %q", got)
	}
}

// FuzzString: String is Rune applied to each rune, invalid bytes kept; it never lengthens
// a value, keeps it valid UTF-8 when it was, leaves no decimal digit but ASCII ones, and
// is idempotent.
func FuzzString(f *testing.F) {
	for _, s := range []string{"", "+44 7700 900123", "\u0660\u0667\u0667\u0660\u0660 \u0669\u0660\u0660\u0661\u0662\u0663", "\uff0b\uff18\uff11",
		"07700\u2013900123", "\xff\u0661\xfe", "\U0001d7ce\U0001d7ff", "\ufffd\u0661", "\u00b9\u2460"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		out := String(v)
		var want strings.Builder
		for i := 0; i < len(v); {
			r, n := utf8.DecodeRuneInString(v[i:])
			if r == utf8.RuneError {
				want.WriteString(v[i : i+n])
			} else {
				want.WriteRune(Rune(r))
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
