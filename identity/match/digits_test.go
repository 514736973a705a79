package match

import (
	"errors"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
	"pgregory.net/rapid"

	"github.com/clientele-go/clientele/internal/digits"
	"github.com/clientele-go/clientele/internal/phonechar/phonetest"
)

// TestBirthDigitOverEveryRune: a birth date whose last digit is any rune is a date
// exactly when that rune is a decimal digit one to nine of any script (ASCII,
// Arabic-Indic, Devanagari, full-width...), and normalises to the ASCII date. A date
// written in another script's digits, "١٩٩٠-٠١-٠٢" typed on an Arabic keyboard, was no
// YYYY-MM-DD date, and New refused every record for it. The reference is independent
// of the fix: what time.Parse accepts of the ASCII digit the rune's name stands for.
func TestBirthDigitOverEveryRune(t *testing.T) {
	accepted := 0
	for r := rune(0); r <= unicode.MaxRune; r++ {
		if !utf8.ValidRune(r) {
			continue
		}
		v := "2020-01-0" + string(r)
		got, err := normalize(FieldBirth, v, "")
		d, isDigit := digits.Digit(r)
		want := isDigit && d != '0'
		if (err == nil) != want && !(unicode.Is(unicode.Cf, r) || unicode.IsSpace(r)) {
			t.Fatalf("%+q: %q, %v; a date: %v", v, got, err, want)
		}
		if want {
			accepted++
			if got != "2020-01-0"+string(rune(d)) {
				t.Fatalf("%+q normalises to %q, want the ASCII date", v, got)
			}
		}
	}
	if accepted < 9*60 { // 68 blocks of ten decimal digits in Unicode 15.0
		t.Fatalf("%d runes accepted as a date's last digit", accepted)
	}
}

// dashes are the runes dates and postcodes are typed with for "-": the hyphen, the
// non-breaking hyphen, the figure, en and em dashes, the minus sign, the full-width
// and small hyphen-minus, and "-" itself.
var dashes = []rune{'\u2010', '\u2011', '\u2012', '\u2013', '\u2014', '\u2212', '\uff0d', '\ufe63', '-'}

// isDash is the reference for a dash, independent of internal/digits: category Pd, or
// the minus sign.
func isDash(r rune) bool { return unicode.Is(unicode.Pd, r) || r == '\u2212' }

// TestBirthDashOverEveryRune: a birth date whose two separators are any rune is a date
// exactly when that rune is a dash of any kind (isDash), and normalises to the ASCII
// date; a postcode with any rune between its digits normalises as before (oldPostcode)
// unless the rune is a dash other than "-", which is then "-". "１９９０－０１－０２" typed
// full width (its hyphen-minus U+FF0D) and "1990‐01‐02" with a word processor's
// hyphens were no YYYY-MM-DD date, and New refused every record for them; the postcode
// "００－９５０" was not "00-950".
func TestBirthDashOverEveryRune(t *testing.T) {
	accepted := 0
	for r := rune(0); r <= unicode.MaxRune; r++ {
		if !utf8.ValidRune(r) {
			continue
		}
		s := string(r)
		v := "1990" + s + "01" + s + "02"
		got, err := normalize(FieldBirth, v, "")
		if (err == nil) != isDash(r) || err == nil && got != "1990-01-02" {
			t.Fatalf("%+q: %q, %v; a dash: %v", v, got, err, isDash(r))
		}
		if err == nil {
			accepted++
		}
		p := "00" + s + "950"
		want := oldPostcode(p)
		if isDash(r) {
			want = "00-950"
		}
		if got, err := normalize(FieldPostcode, p, ""); err != nil || got != want {
			t.Fatalf("postcode %+q: %q, %v; want %q", p, got, err, want)
		}
	}
	if accepted < 20 {
		t.Fatalf("%d runes accepted as a date's separators", accepted)
	}
	// A lone dash of any kind, typed into a required field, is the placeholder "-".
	for _, r := range dashes {
		for _, f := range []string{FieldBirth, FieldPostcode} {
			if got, err := normalize(f, " "+string(r)+" ", ""); got != "" || err != nil {
				t.Errorf("%s %+q: %q, %v; want missing", f, r, got, err)
			}
		}
	}
}

// oldPostcode is how a postcode was normalised before dashes were read: format
// characters dropped, NFC, other scripts' digits as ASCII, white space removed,
// upper-cased, NFC again (placeholders aside).
func oldPostcode(v string) string {
	v = strings.Map(func(r rune) rune {
		if d, ok := digits.Digit(r); ok {
			return rune(d)
		}
		return r
	}, text(v))
	return norm.NFC.String(strings.ToUpper(strings.Join(strings.Fields(v), "")))
}

// oldBirth is how a birth date was normalised before other scripts' digits were read:
// format characters dropped, NFC, trimmed, and then a YYYY-MM-DD date or refused.
func oldBirth(v string) (string, bool) {
	if missing(v) {
		return "", true
	}
	out := strings.TrimSpace(text(v))
	if missing(out) {
		return "", true
	}
	_, err := time.Parse(time.DateOnly, out)
	return out, err == nil
}

// TestBirthAndPostcodeAnyScript: a birth date and a postcode with any of their digits
// written in another script's decimal digits (one block for the value, or one per
// digit) and any of their dashes as another dash normalise as the ASCII value does, so
// two records agree exactly on them and a date level measures the days between them;
// and a birth date accepted before is normalised as it was.
func TestBirthAndPostcodeAnyScript(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		day := time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, rapid.IntRange(0, 60000).Draw(t, "day"))
		birth := day.Format(time.DateOnly)
		post := rapid.StringMatching(`[A-Z]{0,2}[0-9]{1,5}( ?[0-9][A-Z]{2}|-[0-9]{3,4})?`).Draw(t, "postcode")
		pad := rapid.SampledFrom([]string{"", " ", "\ufeff", "\u200e"}).Draw(t, "padding")
		dash := map[rune][]rune{'-': dashes}
		b, p := pad+phonetest.Respell(t, birth, dash)+pad, phonetest.Respell(t, strings.ToLower(post), dash)
		for _, c := range []struct{ field, v, ascii string }{{FieldBirth, b, birth}, {FieldPostcode, p, post}} {
			got, err := normalize(c.field, c.v, "")
			want, werr := normalize(c.field, c.ascii, "")
			if err != nil || werr != nil || got != want {
				t.Fatalf("%s: %+q normalises to %q (%v), the ASCII %q to %q (%v)", c.field, c.v, got, err, c.ascii, want, werr)
			}
		}
		other := day.AddDate(0, 0, rapid.IntRange(-400, 400).Draw(t, "days apart"))
		l, err := New([]Record{{Birth: b, Postcode: p}, {Birth: phonetest.Respell(t, other.Format(time.DateOnly), dash), Postcode: post}},
			Settings{Comparisons: []Comparison{
				{Field: FieldBirth, Levels: []Level{{Kind: Exact}, {Kind: DateWithin, Threshold: 30}}},
				{Field: FieldPostcode, Levels: []Level{{Kind: Exact}}},
			}})
		if err != nil {
			t.Fatal(err)
		}
		g := make([]int8, 2)
		l.comparisonVector(0, 1, g)
		apart := other.Sub(day).Hours() / 24
		want := int8(2)
		switch {
		case apart == 0:
			want = 0
		case apart >= -30 && apart <= 30:
			want = 1
		}
		if g[0] != want || g[1] != 0 {
			t.Fatalf("%s vs %s (%v days apart), postcodes %q and %q: levels %v, want [%d 0]", birth, other.Format(time.DateOnly), apart, p, post, g, want)
		}
	})
	rapid.Check(t, func(t *rapid.T) {
		v := rapid.OneOf(rapid.String(), rapid.StringMatching(`[ \x{feff}]?[0-9]{4}[-\x{2010}\x{ff0d}][0-9]{2}-[0-9]{2}[ \x{200b}]?`)).Draw(t, "v")
		old, ok := oldBirth(v)
		if !ok {
			return
		}
		if got, err := normalize(FieldBirth, v, ""); err != nil || got != old {
			t.Fatalf("%+q was %q, now %q (%v)", v, old, got, err)
		}
	})
}

// A birth date in another script's digits that is no date is refused, as its ASCII
// spelling is, with the ASCII spelling in the message, and its zero date is missing.
func TestBirthAnyScriptRefused(t *testing.T) {
	_, err := New([]Record{{Birth: "\u0661\u0669\u0669\u0660-\u0661\u0663-\u0660\u0662"}}, Settings{Comparisons: []Comparison{
		{Field: FieldBirth, Levels: []Level{{Kind: Exact}}}}})
	if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), `"1990-13-02"`) {
		t.Errorf("month 13 in Arabic-Indic digits: %v", err)
	}
	if got, err := normalize(FieldBirth, "\u0660\u0660\u0660\u0660-\u0660\u0660-\u0660\u0660", ""); got != "" || err != nil {
		t.Errorf("the zero date in Arabic-Indic digits: %q, %v; want missing", got, err)
	}
}
