package match

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/clientele-go/clientele/internal/blank"
	"github.com/clientele-go/clientele/internal/digits"
	"github.com/clientele-go/clientele/internal/placeholder"
	"golang.org/x/text/unicode/norm"
	"golang.org/x/text/width"
)

// levelsOf returns the level of each comparison for records 0 and 1, comparing every
// field listed exactly, blocked on none.
func levelsOf(t *testing.T, a, b Record, fields ...string) []int8 {
	t.Helper()
	var cs []Comparison
	for _, f := range fields {
		cs = append(cs, Comparison{Field: f, Levels: []Level{{Kind: Exact}}})
	}
	l, err := New([]Record{a, b}, Settings{Comparisons: cs})
	if err != nil {
		t.Fatal(err)
	}
	g := make([]int8, len(cs))
	l.comparisonVector(0, 1, g)
	return g
}

// TestCanonicallyEquivalentTextAgrees: the same name typed on a Mac (NFD), on Windows
// (NFC) and pasted with invisible format characters (a CSV's byte order mark, a
// zero-width space, a left-to-right mark) agrees exactly; it fell to the else level.
func TestCanonicallyEquivalentTextAgrees(t *testing.T) {
	fields := []string{FieldFirstName, FieldSurname, FieldEmail, FieldCity, FieldPostcode, "attr:note"}
	mac := Record{FirstName: "Jose\u0301", Surname: "Zoe\u0308 Mu\u0308ller", Email: "jose\u0301@example.com",
		City: "Malmo\u0308", Postcode: "se\u0301 1", Attrs: map[string]string{"note": "cafe\u0301"}}
	win := Record{FirstName: "\ufeffJosé", Surname: "Zoë\u200b Müller\u200e", Email: "\u200bJOSÉ@example.com",
		City: "Malmö", Postcode: "SÉ1", Attrs: map[string]string{"note": "café\u00ad"}}
	for k, lv := range levelsOf(t, mac, win, fields...) {
		if lv != 0 {
			t.Errorf("%s: level %d, want 0 (exact)", fields[k], lv)
		}
	}
	// A format character between a letter and its accent does not keep them apart.
	if g := levelsOf(t, Record{FirstName: "e\u200b\u0301"}, Record{FirstName: "é"}, FieldFirstName); g[0] != 0 {
		t.Errorf("e, ZWSP, combining acute vs é: level %d, want 0", g[0])
	}
	// Different letters still differ.
	if g := levelsOf(t, Record{FirstName: "José"}, Record{FirstName: "Jose"}, FieldFirstName); g[0] != 1 {
		t.Errorf("José vs Jose: level %d, want 1 (else)", g[0])
	}
}

// TestPlaceholdersAreMissing: "n/a", "NULL", "-" and the zero date are no values, so
// two records holding them neither agree (they did, exactly) nor block together, and a
// zero birth date no longer refuses the whole New.
func TestPlaceholdersAreMissing(t *testing.T) {
	fields := []string{FieldFirstName, FieldSurname, FieldEmail, FieldPostcode, FieldBirth, "attr:tier"}
	for _, pair := range [][2]string{{"n/a", "N/A"}, {"NULL", "null"}, {"-", "-"}, {" None ", "none"}, {"[object Object]", "[object object]"}, {"?", "?"}} {
		a := Record{FirstName: pair[0], Surname: pair[0], Email: pair[0], Postcode: pair[0], Attrs: map[string]string{"tier": pair[0]}}
		b := Record{FirstName: pair[1], Surname: pair[1], Email: pair[1], Postcode: pair[1], Attrs: map[string]string{"tier": pair[1]}}
		a.Birth, b.Birth = "0000-00-00", "n/a"
		for k, lv := range levelsOf(t, a, b, fields...) {
			if lv != null {
				t.Errorf("%q vs %q, %s: level %d, want null", pair[0], pair[1], fields[k], lv)
			}
		}
	}
	recs := []Record{{Email: "n/a", Surname: "Na"}, {Email: "N/A", Surname: "na"}, {Email: "NULL", FirstName: "Nan"}, {Email: "null", FirstName: "nan"}}
	l, err := New(recs, Settings{
		Comparisons: []Comparison{{Field: FieldEmail, Levels: []Level{{Kind: Exact}}}},
		Blocking:    []BlockingRule{{Fields: []string{FieldEmail}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if st := l.pairs(l.settings.Blocking, l.keys, func(pair) bool { return true }); st.Pairs != 0 {
		t.Errorf("blocking on placeholder e-mails: %d pairs, want 0", st.Pairs)
	}
	// Surnames Na and first names Nan are names, not identity's "na" and "nan".
	if g := levelsOf(t, recs[0], recs[1], FieldSurname); g[0] != 0 {
		t.Errorf("Na vs na: level %d, want 0", g[0])
	}
	if g := levelsOf(t, recs[2], recs[3], FieldFirstName); g[0] != 0 {
		t.Errorf("Nan vs nan: level %d, want 0", g[0])
	}
}

// TestMaxFieldLenAfterTrimming: a CHAR(300) column padded with spaces holds a short
// name, and New accepted no record of it; a value long once normalised is still refused.
func TestMaxFieldLenAfterTrimming(t *testing.T) {
	padded := "Ann" + strings.Repeat(" ", 297)
	l, err := New([]Record{{FirstName: padded, Email: padded}, {FirstName: "ann", Email: "ann"}},
		Settings{Comparisons: []Comparison{
			{Field: FieldFirstName, Levels: []Level{{Kind: Exact}}},
			{Field: FieldEmail, Levels: []Level{{Kind: Exact}}},
		}})
	if err != nil {
		t.Fatalf("a padded CHAR(300) value: %v", err)
	}
	g := make([]int8, 2)
	if l.comparisonVector(0, 1, g); g[0] != 0 || g[1] != 0 {
		t.Errorf("padded vs trimmed: levels %v, want [0 0]", g)
	}
	if _, err := New([]Record{{FirstName: strings.Repeat("a", MaxFieldLen+1)}}, Settings{Comparisons: []Comparison{
		{Field: FieldFirstName, Levels: []Level{{Kind: Exact}}}}}); err == nil {
		t.Errorf("a name of %d letters was accepted", MaxFieldLen+1)
	}
}

// FuzzNormalize holds normalize to what it promises: canonically equivalent inputs
// have one form, the form is NFC without format characters and without full-width or
// half-width forms, within MaxFieldLen, and normalising it again changes nothing; a
// phone, postcode or birth date has no digit
// but ASCII ones and no dash but "-", and reads as it does with its other scripts'
// digits and its dashes written in ASCII.
func FuzzNormalize(f *testing.F) {
	for _, s := range []string{"N/A", "NULL  NULL", "Undefined\tundefined", "\ufeffnull", "nu\u200bll", "- -", "0000-00-00",
		"José", "Jose\u0301", "\ufeffn/a", "e\u200b\u0301", "  Ann  ", "İSTANBUL", "ǅ", "\u0345", "1990-01-02", "SE1 2AB", "07700 900123",
		"\u0661\u0669\u0669\u0660-\u0660\u0661-\u0660\u0662", "\uff11\uff19\uff19\uff10-\uff10\uff11-\uff10\uff12", "\u0661\u0661\u0660\u0660\u0661", "\u0968\u0966\u0968\u0966-\u0967\u0968-\u0969\u0967",
		"\uff11\uff19\uff19\uff10\uff0d\uff10\uff11\uff0d\uff10\uff12", "1990\u201001\u201102", "1990\u221201\u201302", "\uff10\uff10\uff0d\uff19\uff15\uff10", "\u2014", " \uff0d ",
		"\uff33\uff37\uff11\uff21\u3000\uff11\uff21\uff21", "\uff4e\uff0f\uff41", "\uff76\uff9e\uff70\uff83\uff9e\uff9d", "\uff45\u0301", "\uff4a\uff4f\uff48\uff4e\uff20\uff45\uff58\u3002\uff4a\uff50", "\u3164", " \ufe0f\u2800 "} {
		f.Add(s)
	}
	fields := []string{FieldFirstName, FieldEmail, FieldPhone, FieldPostcode, FieldBirth}
	f.Fuzz(func(t *testing.T, v string) {
		if !utf8.ValidString(v) || len(v) > 4*MaxFieldLen {
			return
		}
		// missing's shortcuts decide as its definition does, on values of a length it reads.
		if utf8.RuneCountInString(strings.TrimSpace(v)) <= 2*maxPlaceholder {
			w := strings.ToLower(strings.Join(strings.Fields(text(v)), " "))
			shows := !blank.String(v) || strings.TrimSpace(v) == ""
			if want := !shows || placeholders[w] || placeholder.Is(w); missing(v) != want {
				t.Fatalf("missing(%q) = %v, want %v", v, !want, want)
			}
		}
		for _, fl := range fields {
			out, err := normalize(fl, v, "")
			out2, err2 := normalize(fl, norm.NFD.String(v), "")
			if (err == nil) != (err2 == nil) || out != out2 {
				t.Fatalf("%s: %q gives %q (%v), its NFD %q (%v)", fl, v, out, err, out2, err2)
			}
			if err != nil {
				continue
			}
			if len(out) > MaxFieldLen || !norm.NFC.IsNormalString(out) || strings.ContainsFunc(out, func(r rune) bool { return unicode.Is(unicode.Cf, r) }) {
				t.Fatalf("%s: %q gives %q: over MaxFieldLen, not NFC or with a format character", fl, v, out)
			}
			if width.Fold.String(out) != out {
				t.Fatalf("%s: %q gives %q, with a full-width or half-width form", fl, v, out)
			}
			if again, err := normalize(fl, out, ""); err != nil || again != out {
				t.Fatalf("%s: %q gives %q, then %q (%v)", fl, v, out, again, err)
			}
		}
		for _, fl := range []string{FieldPhone, FieldPostcode, FieldBirth} {
			out, err := normalize(fl, v, "")
			ascii, aerr := normalize(fl, digits.String(v), "")
			if (err == nil) != (aerr == nil) || out != ascii {
				t.Fatalf("%s: %q gives %q (%v), with ASCII digits and dashes %q (%v)", fl, v, out, err, ascii, aerr)
			}
			if strings.ContainsFunc(out, func(r rune) bool { return (unicode.IsDigit(r) || isDash(r)) && r >= utf8.RuneSelf }) {
				t.Fatalf("%s: %q gives %q, a digit of another script or a dash kept", fl, v, out)
			}
		}
	})
}

// New asks missing of every field of every record: the usual values (ASCII, not a
// placeholder) must cost no allocation. The first version collapsed the white space of
// every short value, and New at 200k records took six times as long.
func TestMissingDoesNotAllocate(t *testing.T) {
	for _, v := range []string{"07700 900123", "nancy", "SW1A 1AA", "ann@example.com", "1990-01-02", "-x", "none of it"} {
		if n := testing.AllocsPerRun(100, func() { missing(v) }); n != 0 {
			t.Errorf("missing(%q): %v allocations", v, n)
		}
	}
}

// TestPlaceholderAnyDigitsMissing: a placeholder made of digits and dashes is missing
// from a phone, a postcode and a birth date whatever the script of its digits and
// whatever its dashes, as the fields read them; the phone "0000−00–00" was the number
// "00000000".
func TestPlaceholderAnyDigitsMissing(t *testing.T) {
	for _, v := range []string{"0000−00–00", "٠٠٠٠-٠٠-٠٠", "００００－００－００", "‐", "—‐"} {
		for _, f := range []string{FieldPhone, FieldPostcode, FieldBirth} {
			if got, err := normalize(f, v, "44"); got != "" || err != nil {
				t.Errorf("%s %q: %q (%v), want missing", f, v, got, err)
			}
		}
	}
}
