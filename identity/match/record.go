package match

import (
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Record is one account as a channel holds it: the till's loyalty card, a web shop
// customer, a call-centre contact. Empty fields are missing values; they neither agree
// nor disagree with anything (the comparison's null level, weight 0).
type Record struct {
	FirstName, Surname string
	Email, Phone       string
	Birth              string // YYYY-MM-DD
	Postcode, City     string
	// Attrs holds free attributes, named "attr:KEY" in comparisons and blocking rules.
	Attrs map[string]string
}

// MaxFieldLen bounds a field value in bytes, so that a comparison (quadratic in the
// lengths for edit distances) costs a bounded time on any input.
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

// normalize puts a value of field f in the form under which equal values compare equal:
// names, cities and free attributes are lower-cased with white space collapsed; e-mails
// lower-cased and trimmed; phones keep their digits only (so "07700 900123" and
// "07700-900123" agree); postcodes are upper-cased without spaces. Birth dates must be
// YYYY-MM-DD. The second result is an error for a value no record may hold.
func normalize(f, v string) (string, error) {
	if len(v) > MaxFieldLen {
		return "", fmt.Errorf("%d bytes, more than MaxFieldLen (%d)", len(v), MaxFieldLen)
	}
	if !utf8.ValidString(v) {
		return "", fmt.Errorf("not UTF-8")
	}
	switch f {
	case FieldPhone:
		var b strings.Builder
		for _, c := range v {
			if c >= '0' && c <= '9' {
				b.WriteRune(c)
			}
		}
		return b.String(), nil
	case FieldPostcode:
		return strings.ToUpper(strings.Join(strings.Fields(v), "")), nil
	case FieldEmail:
		return strings.ToLower(strings.TrimSpace(v)), nil
	case FieldBirth:
		v = strings.TrimSpace(v)
		if v == "" {
			return "", nil
		}
		if _, err := time.Parse(time.DateOnly, v); err != nil {
			var pe *time.ParseError
			if errors.As(err, &pe) && pe.Message != "" {
				return "", fmt.Errorf("birth date %q is no date%s", v, pe.Message)
			}
			return "", fmt.Errorf("birth date %q is not YYYY-MM-DD", v)
		}
		return v, nil
	}
	return strings.Join(strings.FieldsFunc(strings.ToLower(v), unicode.IsSpace), " "), nil
}
