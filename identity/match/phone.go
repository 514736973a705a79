package match

import (
	"fmt"
	"strings"

	"github.com/clientele-go/clientele/internal/phonechar"
)

// phoneDialling is how one country's numbers are dialled: the trunk prefix a national
// number opens with, to drop for its international form (none where the leading 0 is
// part of the number, as in Italy), and the international prefixes besides "+".
type phoneDialling struct {
	trunk string
	intl  []string
}

// dialling holds the countries whose prefixes are not the usual trunk "0" and
// international "00" (ITU-T E.164 and the national numbering plans): the North
// American plan (trunk 1, international 011), Russia and Kazakhstan (8, and 810 beside
// 00), Hungary (06), Italy, San Marino and the Vatican (no trunk prefix: "06 1234 5678"
// is "+39 06 1234 5678").
var dialling = map[string]phoneDialling{
	"1":   {"1", []string{"011"}},
	"7":   {"8", []string{"00", "810"}},
	"36":  {"06", []string{"00"}},
	"39":  {"", []string{"00"}},
	"378": {"", []string{"00"}},
	"379": {"", []string{"00"}},
}

func diallingOf(cc string) phoneDialling {
	if d, ok := dialling[cc]; ok {
		return d
	}
	return phoneDialling{"0", []string{"00"}}
}

// checkCallingCode refuses a Settings.CallingCode that is not one to three digits
// without a leading zero, the form of every country calling code.
func checkCallingCode(cc string) error {
	ok := len(cc) <= 3 && cc != "" && cc[0] != '0'
	for i := 0; i < len(cc) && ok; i++ {
		ok = cc[i] >= '0' && cc[i] <= '9'
	}
	if !ok {
		return fmt.Errorf("%w: Settings.CallingCode %q is not a country calling code (1 to 3 digits, no leading 0, such as \"44\")", ErrInvalid, cc)
	}
	return nil
}

// phone is the normalised form of a phone number: its ASCII digits, and with a default
// country calling code cc (Settings.CallingCode) the international form "+" followed by
// the calling code and the national number, so that "07700 900123", "+44 7700 900123",
// "+44 (0)7700 900123" and "0044 7700 900123" are one number under cc "44" while
// "+33 6 12 34 56 78" stays French. A number opening with "+" (before its first digit)
// or an international prefix is international; one opening with cc's trunk prefix is
// national; one opening with neither is taken for international written without its
// "+" when it starts with cc ("447700900123", or the North American "1 212 555 1234"),
// else for a national number written without its trunk prefix ("7700 900123"). A
// number that is only a prefix keeps its digits. The form is idempotent: a "+" number
// normalises to itself.
//
// Digits may be written in the decimal digits of any script and "+" and the
// parentheses in full width (internal/phonechar, which identity's PhoneNormalizer reads
// them with too): "٠٧٧٠٠ ٩٠٠١٢٣", typed on an Arabic keyboard, is "07700 900123". They
// were dropped, so such a phone was missing, no evidence either way, where it agrees.
func phone(v, cc string) string {
	v = phonechar.String(v)
	plus, digits := phoneDigits(v)
	if cc == "" || digits == "" {
		return digits
	}
	d := diallingOf(cc)
	intl := plus
	for _, p := range d.intl {
		intl = intl || strings.HasPrefix(digits, p)
	}
	// "+44 (0)7700 900123": an international number may show the trunk prefix a
	// national caller dials in parentheses. Only there: "(0)44 ..." is national.
	if trunk := "(" + d.trunk + ")"; intl && d.trunk != "" && strings.Contains(v, trunk) {
		plus, digits = phoneDigits(strings.ReplaceAll(v, trunk, ""))
	}
	if digits == "" {
		return "" // "+(0)": nothing but the trunk prefix
	}
	if plus {
		return "+" + digits
	}
	for _, p := range d.intl {
		if rest, ok := strings.CutPrefix(digits, p); ok {
			if rest == "" {
				return digits
			}
			return "+" + rest
		}
	}
	if d.trunk != "" {
		if rest, ok := strings.CutPrefix(digits, d.trunk); ok {
			if rest == "" {
				return digits
			}
			return "+" + cc + rest
		}
	}
	if strings.HasPrefix(digits, cc) {
		return "+" + digits
	}
	return "+" + cc + digits
}

// phoneDigits returns v's ASCII digits and whether a "+" comes before the first.
func phoneDigits(v string) (plus bool, digits string) {
	var b strings.Builder
	for _, c := range v {
		switch {
		case c >= '0' && c <= '9':
			b.WriteRune(c)
		case c == '+' && b.Len() == 0:
			plus = true
		}
	}
	return plus, b.String()
}
