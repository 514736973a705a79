package match

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/clientele-go/clientele/internal/placeholder"
	"golang.org/x/text/width"
	"pgregory.net/rapid"
)

// fullWidth respells v as a full-width input method types it: each printable ASCII
// character it picks becomes its full-width form (U+FF01 to U+FF5E, "A" as "Ａ") and
// each space it picks the ideographic space U+3000. Anything else is kept.
func fullWidth(t *rapid.T, v string) string {
	all := rapid.Bool().Draw(t, "all full width")
	var b strings.Builder
	for _, r := range v {
		if !all && !rapid.Bool().Draw(t, "full width") {
			b.WriteRune(r)
			continue
		}
		switch {
		case r == ' ':
			b.WriteRune('\u3000')
		case r > ' ' && r < 0x7f:
			b.WriteRune(r - '!' + '\uff01')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// widthValue draws a value of the forms records hold, or any string.
func widthValue(t *rapid.T, label string) string {
	return rapid.OneOf(
		rapid.String(),
		rapid.StringMatching(`[ -~]{0,24}`),
		rapid.StringMatching(`[A-Z]{1,2}[0-9]{1,2}[A-Z]? ?[0-9][A-Z]{2}|[0-9]{3}-[0-9]{4}`),
		rapid.StringMatching(`[A-Za-z][a-z]{0,8}( [A-Z][a-z]{0,8})?`),
		rapid.StringMatching(`[a-z.]{1,8}@[a-z]{1,8}\.(com|co\.uk)`),
		rapid.StringMatching(`19[0-9]{2}-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])`),
		rapid.StringMatching(`(\+44 ?|0)(\(0\))?[0-9]{4} ?[0-9]{6}`),
		rapid.SampledFrom(append([]string{"-", "--", "?", "0000-00-00", "n/a", "  N/A ", "undefined  undefined"}, placeholder.Values...)),
	).Draw(t, label)
}

// TestFullWidthComparesAsASCII: a value and its full-width spelling, as a Japanese or
// Chinese input method types it in full-width mode, are one value to every field: New
// accepts both or neither, the two agree exactly (or are both missing), compare at the
// same level against any third value, and block with the same records. The postcode
// "ＳＷ１Ａ　１ＡＡ" fell to the else level against "SW1A 1AA", and so did full-width
// names, e-mails, cities and free attributes against their ASCII spelling.
func TestFullWidthComparesAsASCII(t *testing.T) {
	fields := []string{FieldFirstName, FieldSurname, FieldEmail, FieldPhone, FieldBirth, FieldPostcode, FieldCity, "attr:note"}
	rapid.Check(t, func(t *rapid.T) {
		f := rapid.SampledFrom(fields).Draw(t, "field")
		v := widthValue(t, "v")
		fw := fullWidth(t, v)
		w := rapid.OneOf(rapid.Just(v), rapid.Custom(func(t *rapid.T) string { return widthValue(t, "w") })).Draw(t, "third")
		if rapid.Bool().Draw(t, "edit the third") && w != "" {
			rs := []rune(w)
			i := rapid.IntRange(0, len(rs)-1).Draw(t, "at")
			rs[i] = rapid.RuneFrom([]rune("aZ9-. \u3000Ａ")).Draw(t, "to")
			w = string(rs)
		}
		cc := rapid.SampledFrom([]string{"", "44"}).Draw(t, "calling code")
		rec := func(x string) Record {
			r := Record{Attrs: map[string]string{}}
			switch f {
			case FieldFirstName:
				r.FirstName = x
			case FieldSurname:
				r.Surname = x
			case FieldEmail:
				r.Email = x
			case FieldPhone:
				r.Phone = x
			case FieldBirth:
				r.Birth = x
			case FieldPostcode:
				r.Postcode = x
			case FieldCity:
				r.City = x
			default:
				r.Attrs["note"] = x
			}
			return r
		}
		levels := []Level{{Kind: Exact}, {Kind: JaroWinkler, Threshold: 0.9}, {Kind: DamerauLevenshtein, Threshold: 2}}
		if f == FieldBirth {
			levels = []Level{{Kind: Exact}, {Kind: DateWithin, Threshold: 30}}
		}
		s := Settings{Comparisons: []Comparison{{Field: f, Levels: levels}}, Blocking: []BlockingRule{{Fields: []string{f}}}, CallingCode: cc}
		_, errV := New([]Record{rec(v)}, s)
		_, errF := New([]Record{rec(fw)}, s)
		if (errV == nil) != (errF == nil) {
			t.Fatalf("%s: %q gives %v, its full-width spelling %q %v", f, v, errV, fw, errF)
		}
		l, err := New([]Record{rec(v), rec(fw), rec(w)}, s)
		if errV != nil || err != nil {
			return // w refused (a birth date that is no date)
		}
		c := l.cols[0]
		if c.vals[0] != c.vals[1] {
			t.Fatalf("%s: %q normalises to %q, its full-width spelling %q to %q", f, v, c.vals[0], fw, c.vals[1])
		}
		if a, b := c.level(0, 2), c.level(1, 2); a != b {
			t.Fatalf("%s: against %q, %q is at level %d and its full-width spelling %q at %d", f, w, v, a, fw, b)
		}
		if l.keys[0][0] != l.keys[0][1] {
			t.Fatalf("%s: %q blocks on %q, its full-width spelling %q on %q", f, v, l.keys[0][0], fw, l.keys[0][1])
		}
	})
}

// TestWidthFoldedForms: what full-width and half-width text reads as, field by field.
// The half-width katakana of old Japanese systems read as the usual katakana, their
// voiced sound mark composing with the letter before it; the ideographic full stop
// "。" is a "." in an e-mail only (IDNA's label separator, RFC 3490 section 3.1), and a
// placeholder typed full width is missing.
func TestWidthFoldedForms(t *testing.T) {
	for _, c := range []struct{ field, v, want string }{
		{FieldPostcode, "ＳＷ１Ａ　１ＡＡ", "SW1A1AA"},
		{FieldPostcode, "ｓｗ１ａ　１ａａ", "SW1A1AA"},
		{FieldFirstName, "Ｊｏｈｎ　Ｐａｕｌ", "john paul"},
		{FieldSurname, "ｶﾞｰﾃﾞﾝ", "ガーデン"},
		{FieldSurname, "ﾀﾅｶ", "タナカ"},
		{FieldCity, "ｿｳﾙ ﾄｸﾍﾞﾂｼ", "ソウル トクベツシ"},
		{FieldEmail, "ｊｏｈｎ＠ｅｘａｍｐｌｅ．ｃｏ．ｊｐ", "john@example.co.jp"},
		{FieldEmail, "ｊｏｈｎ＠ｅｘａｍｐｌｅ。ｊｐ", "john@example.jp"},
		{FieldEmail, "ｊｏｈｎ＠ｅｘａｍｐｌｅ｡ｊｐ", "john@example.jp"},
		{FieldCity, "ｅｘａｍｐｌｅ。ｊｐ", "example。jp"},
		{FieldBirth, "１９９０－０１－０２", "1990-01-02"},
		{FieldFirstName, "ｎ／ａ", ""},
		{FieldSurname, "ＵＮＤＥＦＩＮＥＤ　ｕｎｄｅｆｉｎｅｄ", ""},
		{FieldPostcode, "－　－", ""},
		{FieldPostcode, "［ｏｂｊｅｃｔ　Ｏｂｊｅｃｔ］", ""}, // 45 bytes, 15 characters
		{FieldFirstName, "ﬁona", "ﬁona"},       // a ligature is no width form: NFKC would fold it, width does not
	} {
		if got, err := normalize(c.field, c.v, ""); err != nil || got != c.want {
			t.Errorf("%s %q: %q (%v), want %q", c.field, c.v, got, err, c.want)
		}
	}
}

// TestWidthFormsOverEveryRune: width folding changes no rune but those widthForm
// names, so text may skip it for a value with none.
func TestWidthFormsOverEveryRune(t *testing.T) {
	for r := rune(0); r <= unicode.MaxRune; r++ {
		if s := string(r); utf8.ValidRune(r) && width.Fold.String(s) != s && !widthForm(r) {
			t.Errorf("%U folds to %+q, and widthForm leaves it", r, width.Fold.String(s))
		}
	}
}
