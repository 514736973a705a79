package match

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"pgregory.net/rapid"

	"github.com/clientele-go/clientele/internal/phonechar/phonetest"
)

// TestCallingCode: with Settings.CallingCode a national number and the international
// forms of the same number agree exactly, in comparisons and blocking, while a number
// of another country does not; without it phones compare as their digits, as before.
func TestCallingCode(t *testing.T) {
	for _, c := range []struct {
		cc, a, b string
		same     bool
	}{
		{"44", "07700 900123", "+44 7700 900123", true},
		{"44", "07700 900123", "0044 7700 900123", true},
		{"44", "07700 900123", "+44 (0)7700 900123", true},
		{"44", "(07700) 900-123", "447700900123", true},
		{"44", "7700 900123", "+44 7700 900123", true},
		{"44", "07700 900123", "+33 7700 900123", false},
		{"44", "07700 900123", "0033 7700 900123", false},
		{"44", "+44 7700 900123", "+447700 900124", false},
		{"33", "06 12 34 56 78", "+33 6 12 34 56 78", true},
		{"33", "06 12 34 56 78", "+44 6 12 34 56 78", false},
		{"1", "(212) 555-1234", "+1 212 555 1234", true},
		{"1", "1-212-555-1234", "011 1 212 555 1234", true},
		{"1", "212 555 1234", "011 44 212 555 1234", false},
		{"39", "06 1234 5678", "+39 06 1234 5678", true},
		{"39", "06 1234 5678", "+39 6 1234 5678", false},
		{"36", "06 1 234 5678", "+36 1 234 5678", true},
		{"7", "8 495 123-45-67", "+7 495 123 45 67", true},
		{"7", "8 10 44 7700 900123", "+44 7700 900123", true},
		// Without a calling code, the digits as before: the defect stays visible.
		{"", "07700 900123", "+44 7700 900123", false},
		{"", "447700900123", "+44 7700 900123", true},
		// Digits of other scripts are the digits they stand for; they were dropped, and
		// the phone was missing, so these pairs fell to the null level.
		{"44", "\u0660\u0667\u0667\u0660\u0660 \u0669\u0660\u0660\u0661\u0662\u0663", "07700 900123", true},                                // Arabic-Indic
		{"44", "\u06f0\u06f7\u06f7\u06f0\u06f0 \u06f9\u06f0\u06f0\u06f1\u06f2\u06f3", "+44 7700 900123", true},                             // Persian
		{"44", "\uff0b\uff14\uff14 \uff08\uff10\uff09\uff17\uff17\uff10\uff10 \uff19\uff10\uff10\uff11\uff12\uff13", "07700 900123", true}, // full width, "(0)" too
		{"1", "(\u0968\u0967\u0968) \u096b\u096b\u096b-\u0967\u0968\u0969\u096a", "+1 212 555 1234", true},                                 // Devanagari
		{"44", "\u0660\u0667\u0667\u0660\u0660 \u0669\u0660\u0660\u0661\u0662\u0664", "07700 900123", false},                               // another number
		{"", "\u0660\u0667\u0667\u0660\u0660 \u0669\u0660\u0660\u0661\u0662\u0663", "07700-900123", true},                                  // digits alone
	} {
		recs := []Record{{Phone: c.a}, {Phone: c.b}}
		l, err := New(recs, Settings{CallingCode: c.cc,
			Comparisons: []Comparison{{Field: FieldPhone, Levels: []Level{{Kind: Exact}}}},
			Blocking:    []BlockingRule{{Fields: []string{FieldPhone}}}})
		if err != nil {
			t.Fatal(err)
		}
		g := make([]int8, 1)
		l.comparisonVector(0, 1, g)
		_, st, _ := l.Predict(&Model{Prior: 0.5, M: [][]float64{{0.9, 0.1}}, U: [][]float64{{0.1, 0.9}}}, -100)
		if (g[0] == 0) != c.same || (st.Pairs == 1) != c.same {
			t.Errorf("calling code %q: %q and %q: level %d, %d pairs; want the same number: %v", c.cc, c.a, c.b, g[0], st.Pairs, c.same)
		}
	}
}

func TestCallingCodeRefused(t *testing.T) {
	for _, cc := range []string{"0", "044", "4444", "+44", "4a", "٤٤", " 44"} {
		_, err := New([]Record{{Phone: "1"}}, Settings{CallingCode: cc, Comparisons: []Comparison{{Field: FieldPhone, Levels: []Level{{Kind: Exact}}}}})
		if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "CallingCode") || strings.Count(err.Error(), "match:") != 1 {
			t.Errorf("CallingCode %q: %v", cc, err)
		}
	}
}

// TestPhoneForms: for any national number n, its national form ("0" n), its
// international forms ("+44" n, "0044" n) and n itself agree under calling code 44, and
// differ from n in another country's international form.
func TestPhoneForms(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		n := rapid.StringMatching(`[1-9][0-9 \-]{0,14}`).Draw(t, "national")
		want := phone("0"+n, "44")
		for _, v := range []string{"+44 " + n, "0044" + n, "+44 (0)" + n, "0044 (0) " + n} {
			if got := phone(v, "44"); got != want {
				t.Fatalf("%q gives %q, %q gives %q", "0"+n, want, v, got)
			}
		}
		// Written with neither prefix, a number that starts with the calling code is
		// taken for international (documented on phone): judge by its digits, "4 4"
		// being "44".
		if _, digits := phoneDigits(n); !strings.HasPrefix(digits, "44") && phone(n, "44") != want {
			t.Fatalf("%q gives %q, %q gives %q", "0"+n, want, n, phone(n, "44"))
		}
		other := rapid.SampledFrom([]string{"1", "33", "353", "4"}).Draw(t, "country")
		if got := phone("+"+other+n, "44"); got == want {
			t.Fatalf("+%s%s and 0%s are both %q", other, n, n, got)
		}
	})
}

// TestPhoneAnyScript: a number with any of its ASCII digits written in the digits of
// another script (any block of Unicode's decimal digits, one for the number or one for
// each digit), and its "+" and parentheses in full width, has the phone form of the ASCII
// number under any calling code, and the same normalised field.
func TestPhoneAnyScript(t *testing.T) {
	wide := map[rune][]rune{'+': {'\uff0b'}, '(': {'\uff08'}, ')': {'\uff09'}, '-': {'\u2013'}}
	rapid.Check(t, func(t *rapid.T) {
		prefix := rapid.SampledFrom([]string{"", "+", "+44 (0)", "00", "0", "011 ", "8 10 ", "(0)"}).Draw(t, "prefix")
		ascii := prefix + rapid.StringMatching(`[0-9][0-9 ()\-]{0,16}`).Draw(t, "number")
		v := phonetest.Respell(t, ascii, wide)
		for _, cc := range []string{"", "44", "1", "7", "36", "39", "353"} {
			if got, want := phone(v, cc), phone(ascii, cc); got != want {
				t.Fatalf("calling code %q: %q gives %q, as ASCII %q gives %q", cc, v, got, ascii, want)
			}
			got, err := normalize(FieldPhone, v, cc)
			want, werr := normalize(FieldPhone, ascii, cc)
			if got != want || (err == nil) != (werr == nil) {
				t.Fatalf("calling code %q: %q normalises to %q, %v; as ASCII %q to %q, %v", cc, v, got, err, ascii, want, werr)
			}
		}
	})
}

// FuzzPhone holds the phone form to what it promises on any text and calling code:
// no panic, "" or digits with at most a leading "+", at most 4 bytes longer than the
// value (a calling code of 3 digits and a "+"), and idempotent.
func FuzzPhone(f *testing.F) {
	for _, s := range []string{"07700 900123", "+44 (0)7700 900123", "0044", "00", "0", "+", "(0)", "8 10 44", "011", "٠٧٧٠٠", "+-+1", "\xff07"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		for _, cc := range []string{"", "44", "1", "7", "36", "39", "353"} {
			out := phone(v, cc)
			if len(out) > len(v)+4 || strings.ContainsFunc(strings.TrimPrefix(out, "+"), func(r rune) bool { return r < '0' || r > '9' }) {
				t.Fatalf("calling code %q: %q gives %q", cc, v, out)
			}
			if again := phone(out, cc); again != out {
				t.Fatalf("calling code %q: %q gives %q, then %q", cc, v, out, again)
			}
			if !utf8.ValidString(v) {
				continue
			}
			nv, err := normalize(FieldPhone, v, cc)
			if err != nil {
				if len(out) <= MaxFieldLen {
					t.Fatalf("calling code %q: %q refused: %v", cc, v, err)
				}
				continue
			}
			if again, err := normalize(FieldPhone, nv, cc); err != nil || again != nv {
				t.Fatalf("calling code %q: %q normalises to %q, then %q (%v)", cc, v, nv, again, err)
			}
		}
	})
}
