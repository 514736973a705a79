package match

import (
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/clientele-go/clientele/internal/blank"
	"github.com/clientele-go/clientele/internal/digits"
	"github.com/clientele-go/clientele/internal/nfc"
	"github.com/clientele-go/clientele/internal/placeholder"
	"golang.org/x/text/unicode/norm"
	"golang.org/x/text/width"
)

// Record is one account as a channel holds it: the till's loyalty card, a web shop
// customer, a call-centre contact. Empty fields are missing values; they neither agree
// nor disagree with anything (the comparison's null level, weight 0), and they block no
// pair. So are placeholders, compared once normalised and without regard to case:
// "null", "nil", "none", "undefined", "n/a", "unknown", "{}", "[]", "[object Object]"
// and "undefined undefined" (the placeholders identity's DefaultRules block), "-",
// "--", "?" and the zero date "0000-00-00", in ASCII or typed full width ("ｎ／ａ").
// Otherwise an export where 40% of the e-mails are "n/a" would have those records
// agree exactly on their e-mail. So are values that show nothing: white space with
// characters that show nothing on their own, such as a Hangul filler (U+3164), a lone
// variation selector or U+2800 BRAILLE PATTERN BLANK, the "blank" name of a form
// that refuses an empty one.
type Record struct {
	FirstName, Surname string
	Email, Phone       string
	Birth              string // YYYY-MM-DD
	Postcode, City     string
	// Attrs holds free attributes, named "attr:KEY" in comparisons and blocking rules.
	Attrs map[string]string
}

// MaxFieldLen bounds a field value in bytes once normalised (trimmed, its white space
// collapsed; see Record), so that a comparison (quadratic in the lengths for edit
// distances) costs a bounded time on any input, and a column padded with spaces to a
// fixed width is not refused.
const MaxFieldLen = 256

// Field names for comparisons and blocking rules; a free attribute is "attr:" + its key.
const (
	FieldFirstName = "first_name"
	FieldSurname   = "surname"
	FieldEmail     = "email"
	FieldPhone     = "phone"
	FieldBirth     = "birth"
	FieldPostcode  = "postcode"
	FieldCity      = "city"
)

// fieldValue returns the raw value of field f of r and whether f names a field.
func fieldValue(r *Record, f string) (string, bool) {
	switch f {
	case FieldFirstName:
		return r.FirstName, true
	case FieldSurname:
		return r.Surname, true
	case FieldEmail:
		return r.Email, true
	case FieldPhone:
		return r.Phone, true
	case FieldBirth:
		return r.Birth, true
	case FieldPostcode:
		return r.Postcode, true
	case FieldCity:
		return r.City, true
	}
	if k, ok := strings.CutPrefix(f, "attr:"); ok && k != "" {
		return r.Attrs[k], true
	}
	return "", false
}

// normalize puts a value of field f in the form under which equal values compare equal.
// Every field is first cleaned of format characters (Unicode category Cf: the zero-width
// space, a CSV's byte order mark, bidi marks, the soft hyphen), which a copy and paste or
// an export adds invisibly, and put in Unicode normalisation form NFC, so that "José"
// typed on a Mac (e + combining acute, NFD) and on Windows (é, NFC) are one value, as
// canonically equivalent strings are. Its width is folded too (golang.org/x/text/width's
// Fold, after the <wide> and <narrow> decompositions of UAX #11 and the Unicode
// character database): the full-width Latin letters, digits, punctuation and the
// ideographic space U+3000 that a Japanese, Chinese or Korean input method types in
// its full-width mode read as ASCII, and the half-width katakana and Hangul of old
// Japanese and Korean systems as their usual forms, so that "ＳＷ１Ａ　１ＡＡ" is the
// postcode "SW1A1AA", "Ｊｏｈｎ" the name "john" and "ﾀﾅｶ" the name "タナカ". A reader sees
// the same text in each, so every field folds: names, cities, free attributes,
// e-mails, postcodes and birth dates; a phone, which keeps nothing but its digits and
// a leading "+", reads its full-width digits, "+" and parentheses its own way
// (internal/phonechar). NFKC would fold
// width too, but also reads "ﬁ" as "fi", "²" as "2" and "℡" as "TEL", which a reader
// does not take for the same text. Then names, cities and free attributes are
// lower-cased with white space collapsed; e-mails lower-cased and trimmed, with the
// ideographic full stop "。" read as "." (a Japanese input method's full stop, which
// IDNA takes for the dot between a domain's labels: RFC 3490 section 3.1); phones keep
// their digits only, read as ASCII digits whatever their script (so "07700 900123",
// "07700-900123" and "٠٧٧٠٠ ٩٠٠١٢٣" agree), or with a calling
// code (Settings.CallingCode) their international form (see phone); postcodes are
// upper-cased without spaces. Birth dates must be YYYY-MM-DD. Postcodes and birth
// dates, like phones, have the decimal digits of any script read as ASCII digits and
// their dashes (the hyphen, non-breaking hyphen, en dash, minus sign, full-width
// hyphen-minus: category Pd and U+2212) as "-" (internal/digits, phone's reading
// too): "١٩٩٠-٠١-٠٢" typed on an Arabic keyboard, "１９９０－０１－０２" typed full width and
// "1990‐01‐02" with a word processor's hyphens are the date 1990-01-02, where New
// refused them as no date, "١١٠٠١" is the postcode 11001 and "１００－０００１" the postcode
// 100-0001. Only characters outside ASCII change, so every birth date accepted
// before, and every postcode written in ASCII, normalises as it did; a birth date or
// postcode that is a lone dash of any kind is the placeholder "-". A placeholder (see
// Record) becomes the empty, missing value. MaxFieldLen bounds the normalised value, so
// padding (a CHAR(300) column) is not held against a record. The second result is an
// error for a value no record may hold.
func normalize(f, v, callingCode string) (string, error) {
	if !utf8.ValidString(v) {
		return "", fmt.Errorf("not UTF-8")
	}
	// A phone, a postcode and a birth date read any script's digits and any dash as
	// ASCII, and so their placeholders too: the zero date typed with a minus sign and an
	// en dash ("0000−00–00") is missing from a phone as "0000-00-00" is, where the
	// phone was "00000000" (found by FuzzNormalize).
	if missing(v) || (f == FieldPhone || f == FieldPostcode || f == FieldBirth) && missing(digits.String(v)) {
		return "", nil
	}
	var out string
	switch f {
	case FieldPhone:
		out = phone(v, callingCode)
	case FieldPostcode:
		out = strings.ToUpper(strings.Join(strings.Fields(digits.String(text(v))), ""))
	case FieldEmail:
		out = strings.ToLower(strings.TrimSpace(strings.ReplaceAll(text(v), "\u3002", ".")))
	case FieldBirth:
		out = digits.String(strings.TrimSpace(text(v)))
	default:
		out = strings.Join(strings.FieldsFunc(strings.ToLower(text(v)), unicode.IsSpace), " ")
	}
	// Case mapping can leave a string that is not NFC; normalising again keeps the
	// result idempotent (a no-op for ASCII, and without allocating for NFC input).
	out = nfc.String(out)
	if len(out) > MaxFieldLen {
		return "", fmt.Errorf("%d bytes once normalised (%d as given), more than MaxFieldLen (%d)", len(out), len(v), MaxFieldLen)
	}
	if missing(out) {
		return "", nil // and a field's form can make one: the postcode "- -" is "--"
	}
	if f == FieldBirth && out != "" {
		if _, err := time.Parse(time.DateOnly, out); err != nil {
			var pe *time.ParseError
			if errors.As(err, &pe) && pe.Message != "" {
				return "", fmt.Errorf("birth date %q is no date%s", out, pe.Message)
			}
			return "", fmt.Errorf("birth date %q is not YYYY-MM-DD", out)
		}
	}
	return out, nil
}

// text drops v's format characters, folds its width and puts it in NFC (see
// normalize). A format character is dropped before composing, so that "e", a
// zero-width space and a combining acute accent compose to "é" as "e" and the accent
// do; and width is folded before composing too, so that the half-width "ｶﾞ" (ｶ and the
// half-width voiced sound mark, which folds to the combining U+3099) composes to "ガ".
// ASCII, the usual value, has none of them and is returned as it is.
func text(v string) string {
	if nfc.ASCII(v) {
		return v
	}
	v = strings.Map(func(r rune) rune {
		if r >= 0xad && unicode.Is(unicode.Cf, r) {
			return -1
		}
		return r
	}, v)
	if strings.ContainsFunc(v, widthForm) {
		v = width.Fold.String(v) // only then: it allocates a transformer's buffers
	}
	return norm.NFC.String(v)
}

// widthForm reports whether width folding may change r: the ideographic space and
// the block of half-width and full-width forms, the only characters with a <wide> or
// <narrow> decomposition (TestWidthFormsOverEveryRune).
func widthForm(r rune) bool { return r == '\u3000' || '\uff00' <= r && r <= '\uffef' }

// placeholders are the values, besides internal/placeholder's (shared with identity's
// block list), that a record's field holds for "no value": a dash or a question mark
// typed into a required form field, and MySQL's zero date. They are match's alone
// because identity's block list must not change under data already linked.
var placeholders = map[string]bool{"-": true, "--": true, "?": true, "0000-00-00": true}

// missing reports whether a value stands for no value (see Record): it shows nothing
// (internal/blank: a Hangul filler, a lone variation selector, U+2800 BRAILLE PATTERN
// BLANK, bidirectional controls, the "blank" name a form or a spammer leaves, which two
// records would otherwise agree on exactly), or, once its format characters are
// dropped, its width folded and its white space trimmed and collapsed (text), it is a
// placeholder whatever its case. normalize asks it of the value as given, before a
// field's own form would make "[object Object]" the postcode "[OBJECTOBJECT]", and of
// the result. Most values are refused by their length or first byte, without
// allocating: New asks it of every field of every record.
func missing(v string) bool {
	v = strings.TrimSpace(v)
	if v != "" && blank.String(v) {
		return true // stops at the first rune that shows: the first, in nearly every value
	}
	// A value of more characters than twice the longest placeholder could be one only
	// by runs of white space or format characters. Characters, not bytes: a placeholder
	// typed in full width ("ｎ／ａ", 3 bytes a character) is one as its ASCII spelling
	// is. A rune takes at most 4 bytes, so a longer value is refused uncounted.
	if v == "" || len(v) > 4*2*maxPlaceholder || utf8.RuneCountInString(v) > 2*maxPlaceholder {
		return false
	}
	if c := v[0]; c < utf8.RuneSelf && !placeholderStart[lowerASCII(c)] {
		return false
	}
	plain := true // printable ASCII with single spaces: nothing to collapse or drop
	for i := 0; i < len(v) && plain; i++ {
		plain = v[i] > ' ' && v[i] < 0x7f || v[i] == ' ' && v[i-1] != ' '
	}
	if !plain {
		v = strings.Join(strings.Fields(text(v)), " ")
	}
	v = strings.ToLower(v)
	return placeholders[v] || placeholder.Is(v)
}

func lowerASCII(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// maxPlaceholder is the length of the longest placeholder, and placeholderStart holds
// the first byte of each.
var maxPlaceholder, placeholderStart = func() (int, [utf8.RuneSelf]bool) {
	n, start := 0, [utf8.RuneSelf]bool{}
	for _, v := range placeholder.Values {
		n, start[v[0]] = max(n, len(v)), true
	}
	for v := range placeholders {
		n, start[v[0]] = max(n, len(v)), true
	}
	return n, start
}()
