package match

import (
	"strings"
	"testing"

	"pgregory.net/rapid"
)

// blankRunes are runes of internal/blank's classes, each of which shows nothing alone.
var blankRunes = []rune{' ', '\t', '\u00a0', '\u3000', '\u200b', '\ufeff', '\u200d', '\ufe0f', '\ufe0e', '\U000e0100',
	'\u180b', '\u115f', '\u1160', '\u3164', '\uffa0', '\u034f', '\U000e0041', '\u202a', '\u202e', '\u2066', '\u202c',
	'\u2069', '\u2800'}

// TestBlankValuesAreMissing: a value that shows nothing (a Hangul filler, a lone
// variation selector, U+2800, bidirectional controls, with white space or not) is
// missing in every field, as an empty one is: two records each with the "blank" name
// a form accepts agreed exactly on it, and blocking paired them.
func TestBlankValuesAreMissing(t *testing.T) {
	fields := []string{FieldFirstName, FieldSurname, FieldEmail, FieldPhone, FieldPostcode, FieldCity, "attr:tier"}
	for _, v := range []string{"\u3164", "\u3164\u3164", " \uffa0 ", "\ufe0f", "\u2800", "\u202e\u202c", "\u115f\u1160", "\u034f", "\U000e0041\U000e007f"} {
		a := Record{FirstName: v, Surname: v, Email: v, Phone: v, Postcode: v, City: v, Attrs: map[string]string{"tier": v}}
		for k, lv := range levelsOf(t, a, a, fields...) {
			if lv != null {
				t.Errorf("%+q vs itself, %s: level %d, want null", v, fields[k], lv)
			}
		}
		l, err := New([]Record{a, a}, Settings{
			Comparisons: []Comparison{{Field: FieldFirstName, Levels: []Level{{Kind: Exact}}}},
			Blocking:    []BlockingRule{{Fields: []string{FieldFirstName}}},
		})
		if err != nil {
			t.Fatal(err)
		}
		if st := l.pairs(l.settings.Blocking, l.keys, func(pair) bool { return true }); st.Pairs != 0 {
			t.Errorf("blocking on the first name %+q: %d pairs, want 0", v, st.Pairs)
		}
	}
	// Beside what it acts on, or with a letter, a value shows, and is kept.
	for _, v := range []string{"\u3164a", "한\u3164", "❤\ufe0f", "a\u2800b"} {
		if out, err := normalize(FieldFirstName, v, ""); err != nil || out == "" {
			t.Errorf("%+q normalised to %q (%v), want a value", v, out, err)
		}
	}
}

// TestBlankValuesMissingProperty: any string of blank runes is missing in every field.
func TestBlankValuesMissingProperty(t *testing.T) {
	fields := []string{FieldFirstName, FieldEmail, FieldPhone, FieldPostcode, FieldBirth, FieldCity}
	rapid.Check(t, func(t *rapid.T) {
		rs := rapid.SliceOfN(rapid.SampledFrom(blankRunes), 1, 12).Draw(t, "runes")
		v := string(rs)
		for _, f := range fields {
			if out, err := normalize(f, v, ""); err != nil || out != "" {
				t.Fatalf("%s: %+q normalised to %q (%v), want missing", f, v, out, err)
			}
		}
		if strings.TrimSpace(v) != "" && !missing(v) {
			t.Fatalf("missing(%+q) = false", v)
		}
	})
}
