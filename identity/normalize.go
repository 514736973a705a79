package identity

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/clientele-go/clientele/internal/nfc"
	"github.com/clientele-go/clientele/internal/phonechar"
)

// Normalizer turns a value as a channel recorded it into the canonical form under which
// two records of the same identifier compare equal ("  Anna@Example.COM" and
// "anna@example.com"). It returns an error for a value that cannot be an identifier of
// its kind; the resolver then drops the identifier from the event with that error as the
// reason (wrapped in ErrUnparseable) and links the rest. A Normalizer must be
// deterministic, safe for concurrent use and idempotent: normalising its own output must
// return that output unchanged, or an identifier would change name between events.
type Normalizer func(value string) (string, error)

// TrimNormalizer returns the normaliser of opaque ids (user_id, device_id,
// anonymous_id): surrounding white space is removed and nothing else is touched. Case is
// kept because two ids that differ only in case may belong to different people, and a
// resolver that must never merge two people does not guess.
func TrimNormalizer() Normalizer {
	return func(v string) (string, error) { return strings.TrimSpace(v), nil }
}

// EmailNormalizer returns the normaliser of e-mail addresses: it trims white space and a
// "mailto:" prefix, lower-cases the address, drops a trailing dot of the domain, and
// rejects values that are not local@domain with a dotted domain, or that hold white
// space, control characters or invisible format characters such as a zero-width space
// (see invisible for why they are refused rather than removed). Lower-casing the local
// part departs from RFC 5321, which lets it be case-sensitive, but no mail provider in
// use treats it so, and the same person types "Anna@" and "anna@".
//
// With providerRules, addresses that a provider delivers to the same mailbox become one:
// for gmail.com and googlemail.com dots in the local part are ignored and a "+tag" is
// cut (and googlemail.com becomes gmail.com); for outlook.com, hotmail.com, live.com,
// icloud.com, me.com, fastmail.com, protonmail.com and proton.me a "+tag" is cut. Other
// domains are left alone, because on an arbitrary server "a+b" and "a" may be two people.
//
// It works on code points, not characters: "jos\u00e9@example.com" (é composed, as
// Windows types it) and "jose\u0301@example.com" (e and a combining accent, as macOS
// may) stay two identifiers. A new deployment should wrap it in NFCNormalizer, which
// makes them one; see there why that is not the default.
func EmailNormalizer(providerRules bool) Normalizer {
	return func(v string) (string, error) { return normalizeEmail(v, providerRules) }
}

// NFCNormalizer returns n applied to values in Unicode Normalization Form C, so that
// canonically equivalent values (an "é" typed as one code point or as "e" and a combining
// accent) normalise to one identifier: NFCNormalizer(EmailNormalizer(true)) for e-mail,
// say. The value is put in NFC before n sees it, so that n decides on the form every
// equivalent spelling shares, and n's result is put in NFC again, because lower-casing
// or removing a character (a gmail dot) can leave a string that is not. A nil n
// normalises to NFC alone. ASCII values, which NFC leaves as they are, skip it.
//
// Turning it on changes the stored form of values that were not in NFC, and the log
// keeps the stored form (or its HMAC) and does not normalise again on replay: on a
// resolver whose log already holds such a value, the value as NFC then becomes a new
// identifier, split from the profile its old form belongs to, unless the log is linked
// again from the raw events. Use it from the start of a log, or re-link.
//
// The result is idempotent as long as n, given the NFC form of one of its own results,
// returns that result up to canonical equivalence: true of this package's normalisers,
// which a fuzz target holds to it. NFC is stable across Unicode versions for assigned
// characters; a value holding a code point that golang.org/x/text does not yet know may
// normalise differently once it does.
func NFCNormalizer(n Normalizer) Normalizer {
	if n == nil {
		return func(v string) (string, error) { return nfc.String(v), nil }
	}
	return func(v string) (string, error) {
		v = nfc.String(v)
		out, err := n(v)
		if err != nil || out == v { // comparing pointers first: free for an unchanged value
			return out, err
		}
		return nfc.String(out), nil
	}
}

var plusTagDomains = map[string]bool{
	"gmail.com": true, "outlook.com": true, "hotmail.com": true, "live.com": true,
	"icloud.com": true, "me.com": true, "fastmail.com": true, "protonmail.com": true, "proton.me": true,
}

// normalizeEmail is normalizeEmailGeneral, by a shorter way for the common input (see
// emailFast).
func normalizeEmail(v string, provider bool) (string, error) {
	if out, ok := emailFast(v, provider); ok {
		return out, nil
	}
	return normalizeEmailGeneral(v, provider)
}

// emailFast normalises in one pass over the bytes an address that is printable ASCII,
// lower case, without white space, "mailto:" or a trailing dot, and valid, as
// normalizeEmailGeneral would (a property test and a fuzz target hold it so); for any
// other input it reports !ok and the general path decides. It allocates only when the
// provider rules change the address (one string), where the general path lower-cases,
// looks the domain up in a map and allocates two or three times: the resolver
// normalises every e-mail of every event.
func emailFast(v string, provider bool) (string, bool) {
	n := len(v)
	if n >= 7 && v[6] == ':' && strings.EqualFold(v[:7], "mailto:") {
		return "", false
	}
	at := -1
	for i := 0; i < n; i++ {
		if k := emailByte[v[i]]; k != 0 {
			if k == emailOther || at >= 0 {
				return "", false
			}
			at = i
		}
	}
	if at <= 0 || at == n-1 {
		return "", false
	}
	local, domain := v[:at], v[at+1:]
	if domain[0] == '.' || domain[len(domain)-1] == '.' || strings.IndexByte(domain, '.') < 0 || strings.Contains(domain, "..") {
		return "", false
	}
	if !provider {
		return v, true
	}
	gmail := false
	switch domain {
	case "gmail.com":
		gmail = true
	case "outlook.com", "hotmail.com", "live.com", "icloud.com", "me.com", "fastmail.com", "protonmail.com", "proton.me":
	case "googlemail.com":
		return "", false
	default:
		return v, true
	}
	if plus := strings.IndexByte(local, '+'); plus >= 0 {
		local = local[:plus]
	} else if !gmail || strings.IndexByte(local, '.') < 0 {
		return v, true
	}
	var b strings.Builder
	b.Grow(len(local) + len(v) - at)
	for i := 0; i < len(local); i++ {
		if c := local[i]; c != '.' || !gmail {
			b.WriteByte(c)
		}
	}
	if b.Len() == 0 {
		return "", false // an empty mailbox name: the general path says so
	}
	b.WriteString(v[at:])
	return b.String(), true
}

// emailByte classes the bytes of an address for emailFast: 0 for those it keeps as they
// are, emailAt for '@', emailOther for those it leaves to the general path (white space
// and control bytes, the separators the general path rejects, upper case, non-ASCII).
var emailByte = func() (c [256]uint8) {
	for b := range c {
		if b <= ' ' || b >= 0x7f || strings.IndexByte("<>,;", byte(b)) >= 0 || ('A' <= b && b <= 'Z') {
			c[b] = emailOther
		}
	}
	c['@'] = emailAt
	return c
}()

const (
	emailAt    = 1
	emailOther = 2
)

// normalizeEmailGeneral is the e-mail normaliser for any input.
func normalizeEmailGeneral(v string, provider bool) (string, error) {
	for {
		out, err := normalizeEmailOnce(v, provider)
		// A result that still opens with "mailto:" (of "mailto:mailto:a@b.c", or of
		// "MAİLTO:a@b.c", whose İ lower-cases to i) would lose it when normalised again,
		// and a normaliser must be idempotent: normalise it again now. Each round is
		// shorter by the prefix, and a loop, unlike recursion, needs no stack for it.
		if err != nil || !strings.HasPrefix(out, "mailto:") {
			return out, err
		}
		v = out
	}
}

// normalizeEmailOnce is one round of normalizeEmailGeneral.
func normalizeEmailOnce(v string, provider bool) (string, error) {
	v = strings.TrimSpace(v)
	if len(v) >= 7 && strings.EqualFold(v[:7], "mailto:") {
		v = strings.TrimSpace(v[7:])
	}
	at := strings.LastIndexByte(v, '@')
	if at <= 0 || at == len(v)-1 {
		return "", fmt.Errorf("e-mail %q has no local part or no domain", v)
	}
	local, domain := v[:at], strings.TrimSuffix(v[at+1:], ".")
	if strings.IndexByte(local, '@') >= 0 {
		return "", fmt.Errorf("e-mail %q has more than one @", v)
	}
	for i := 0; i < len(v); i++ {
		if c := v[i]; c <= ' ' || c == '<' || c == '>' || c == ',' || c == ';' || c == 0x7f {
			return "", fmt.Errorf("e-mail %q has %q at byte %d", v, c, i)
		} else if c >= utf8.RuneSelf {
			// The rest by rune, still refusing the separators: a value with "<" after a
			// non-ASCII letter must not pass because of where the letter is.
			for j, r := range v[i:] {
				if r == utf8.RuneError || unicode.IsSpace(r) || unicode.IsControl(r) || invisible(r) || r == '<' || r == '>' || r == ',' || r == ';' {
					return "", fmt.Errorf("e-mail %q has %q at byte %d", v, r, i+j)
				}
			}
			break
		}
	}
	if domain == "" || strings.IndexByte(domain, '.') < 0 || domain[0] == '.' || domain[len(domain)-1] == '.' || strings.Contains(domain, "..") {
		return "", fmt.Errorf("e-mail %q: domain %q is not a dotted host name", v, domain)
	}
	lowLocal, lowDomain := strings.ToLower(local), strings.ToLower(domain)
	if provider {
		if lowDomain == "googlemail.com" {
			lowDomain = "gmail.com"
		}
		if plusTagDomains[lowDomain] {
			if i := strings.IndexByte(lowLocal, '+'); i >= 0 {
				lowLocal = lowLocal[:i]
			}
			if lowDomain == "gmail.com" {
				lowLocal = strings.ReplaceAll(lowLocal, ".", "")
			}
			if lowLocal == "" {
				return "", fmt.Errorf("e-mail %q has an empty mailbox name", v)
			}
		}
	}
	if v[:at] == lowLocal && v[at+1:] == lowDomain {
		return v, nil // already canonical: no allocation
	}
	return lowLocal + "@" + lowDomain, nil
}

// invisible reports whether r is a format character (Unicode category Cf) that an
// address cannot hold: a zero-width space, a soft hyphen, a byte order mark, a
// direction override, a tag character. They print as nothing, so "ann\u200b@example.com"
// looks like ann's address while being another value: from a paste it is noise, from a
// sign-up form it may be an attempt to pass as her. Kept as a distinct identifier it
// would split her events when it is noise; cleaned it would merge the impostor into her
// profile. Refused, the identifier is dropped with the reason and the event's other
// identifiers link. The zero-width non-joiner and joiner (U+200C, U+200D) are allowed:
// Persian and Indic scripts need them inside words, and IDNA permits them in domain
// labels (RFC 5892, CONTEXTJ).
func invisible(r rune) bool {
	return r != '\u200c' && r != '\u200d' && unicode.Is(unicode.Cf, r)
}

// PhoneNormalizer returns the normaliser of phone numbers: it writes them in E.164 form,
// "+" and up to 15 ASCII digits. Spaces, dashes, dots, slashes and parentheses are
// ignored; any other character makes the value unparseable. A number written
// internationally ("+86 139...", "0086 139...", and for country code 1 also "011 ...")
// keeps its country code; a national number gets country (a calling code such as "86",
// "44" or "1"), after its trunk prefix is removed (a leading 0, kept for Italy, whose
// numbers include it; for country code 1, a leading 1 of an 11-digit number). With
// country "" national numbers are unparseable: the resolver does not guess a country.
// Numbers whose digits are all the same after the first one or the first two
// ("+1 000 000 0000", "+44 0000 000000") are rejected as placeholders; "+86 188 8888
// 8888" is kept. The rules are deliberately small: they need no numbering-plan tables
// and never turn two real numbers into one.
//
// Digits may be written in the decimal digits of any script (Unicode category Nd:
// "٠٧٧٠٠ ٩٠٠١٢٣" as an Arabic keyboard types it, Persian, Devanagari or full-width
// digits), each read as the ASCII digit it stands for, and "+", dashes and parentheses in
// their full-width forms, dashes also as typography writes them (an en dash, a
// non-breaking hyphen, a minus sign). Superscript, circled and Roman numerals are not
// decimal digits and stay unparseable, and so do the digits of a script encoded after
// the Unicode version of the Go toolchain's tables. A number written in ASCII
// normalises as it did before other scripts were read, so values already stored keep
// their form; a number in other digits was unparseable, and is linked once its event is
// linked again.
//
// A country that is not one to three digits (after an optional "+") makes every value
// unparseable, with an error that says so.
func PhoneNormalizer(country string) Normalizer {
	cc := strings.TrimPrefix(country, "+")
	valid := cc == "" || (len(cc) <= 3 && cc[0] != '0' && strings.Trim(cc, "0123456789") == "")
	return func(v string) (string, error) {
		if !valid {
			return "", fmt.Errorf("default country %q is not a calling code of 1 to 3 digits", country)
		}
		return normalizePhone(v, cc)
	}
}

// normalizePhone is normalizePhoneGeneral, by a shorter way for ASCII input.
func normalizePhone(v, cc string) (string, error) {
	if out, ok := phoneFast(v, cc); ok {
		return out, nil
	}
	return normalizePhoneGeneral(v, cc)
}

// phoneFast normalises an ASCII number as normalizePhoneGeneral would (a property test
// and a fuzz target hold it so), byte by byte rather than rune by rune, with no
// conversion of its digits to a string to test their prefix and one allocation for the
// result (none when the number is already in E.164 form). For other input, and for every
// number the general path rejects, it reports !ok and the general path decides, so that
// the errors are the general path's.
func phoneFast(v, cc string) (string, bool) {
	var buf [24]byte
	digits := buf[:0]
	plus := false
	for i := 0; i < len(v); i++ {
		switch c := v[i]; {
		case '0' <= c && c <= '9':
			if len(digits) == cap(buf) {
				return "", false
			}
			digits = append(digits, c)
		case c == '+' && len(digits) == 0 && !plus:
			plus = true
		case c == ' ' || c == '-' || c == '.' || c == '(' || c == ')' || c == '/' || ('\t' <= c && c <= '\r'):
		default:
			return "", false // not ASCII, or not a character of a number
		}
	}
	if len(digits) == 0 {
		return "", false
	}
	var out [32]byte
	out[0] = '+'
	res := out[:1]
	switch {
	case plus:
		res = append(res, digits...)
	case len(digits) >= 2 && digits[0] == '0' && digits[1] == '0':
		res = append(res, digits[2:]...)
	case cc == "1" && len(digits) >= 3 && digits[0] == '0' && digits[1] == '1' && digits[2] == '1':
		res = append(res, digits[3:]...)
	case cc == "":
		return "", false
	default:
		res = append(append(res, cc...), trunkless(cc, digits)...)
	}
	intl := res[1:]
	if len(intl) < 7 || len(intl) > 15 || intl[0] == '0' || same(intl[1:]) || same(intl[2:]) {
		return "", false
	}
	if plus && len(v) == len(res) {
		return v, true // already canonical: no allocation
	}
	return string(res), true
}

// trunkless drops the trunk prefix of a national number (non-empty digits) in the
// country cc: the leading 1 of an 11-digit North American number, or the leading 0
// elsewhere, except in Italy, whose numbers keep their 0 after the country code. Both
// phone paths call it, so that they cannot disagree on it.
func trunkless(cc string, nat []byte) []byte {
	switch {
	case cc == "1" && len(nat) == 11 && nat[0] == '1':
		return nat[1:]
	case cc != "39" && nat[0] == '0':
		return nat[1:]
	}
	return nat
}

// normalizePhoneGeneral is the phone normaliser for any input.
func normalizePhoneGeneral(v, cc string) (string, error) {
	var buf [24]byte
	digits := buf[:0]
	plus := false
	for i, raw := range v {
		// A digit of another script, or a full-width or typographic "+", dash or
		// parenthesis, is read as its ASCII form (see PhoneNormalizer); every rune this
		// loop accepted before is left as it is, so no stored value changes.
		switch r := phonechar.Rune(raw); {
		case r >= '0' && r <= '9':
			if len(digits) == cap(buf) {
				return "", fmt.Errorf("phone %q has more than %d digits", v, cap(buf))
			}
			digits = append(digits, byte(r))
		case r == '+' && len(digits) == 0 && !plus:
			plus = true
		case r == ' ' || r == '-' || r == '.' || r == '(' || r == ')' || r == '/' || unicode.IsSpace(r):
		default:
			return "", fmt.Errorf("phone %q has %q at byte %d", v, raw, i)
		}
	}
	if len(digits) == 0 {
		return "", fmt.Errorf("phone %q has no digits", v)
	}
	var intl []byte
	switch s := string(digits); {
	case plus:
		intl = digits
	case strings.HasPrefix(s, "00"):
		intl = digits[2:]
	case cc == "1" && strings.HasPrefix(s, "011"):
		intl = digits[3:]
	case cc == "":
		return "", fmt.Errorf("phone %q is a national number and no default country is set", v)
	default:
		var out [32]byte
		intl = append(append(out[:0], cc...), trunkless(cc, digits)...)
	}
	if len(intl) < 7 || len(intl) > 15 {
		return "", fmt.Errorf("phone %q has %d digits with its country code; E.164 allows 7 to 15", v, len(intl))
	}
	if intl[0] == '0' {
		return "", fmt.Errorf("phone %q: country code starts with 0", v)
	}
	if same(intl[1:]) || same(intl[2:]) {
		return "", fmt.Errorf("phone %q is a placeholder (repeated digit)", v)
	}
	if plus && len(v) == len(intl)+1 {
		return v, nil // already canonical: no allocation
	}
	return "+" + string(intl), nil
}

func same(b []byte) bool {
	for _, c := range b {
		if c != b[0] {
			return false
		}
	}
	return true
}
