package identity

import (
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/clientele-go/clientele/internal/nfc"
	"github.com/clientele-go/clientele/internal/placeholder"
	unorm "golang.org/x/text/unicode/norm"
)

// Rules decide which identifiers may be linked. The zero value links everything it is
// given (no normalisation, blocking, limits or quarantine): plain connected components.
// New copies what it needs; changing a Rules value afterwards has no effect.
type Rules struct {
	// Kinds holds the rule of each named kind. Kinds not listed follow Other.
	Kinds map[string]KindRule
	// Other is the rule of kinds not in Kinds (custom kinds a host sends without
	// declaring them, such as "social_id").
	Other KindRule
	// Blocked lists values dropped from events of every kind, without regard to ASCII
	// case. An event's value is compared trimmed and again after normalisation; a
	// listed value stands for itself, for its normalised form (under each kind's
	// normaliser) and, when not ASCII, for its NFC and NFD spellings. The empty value
	// is always blocked.
	Blocked []string
	// HotLimit quarantines an identifier that would join more than HotLimit profiles:
	// it stops merging profiles (see the package documentation). 0 turns quarantine
	// off; at most 60.
	HotLimit int
	// MaxValueLen is the longest value accepted, in bytes, before and after
	// normalisation; longer values are an error (ErrInvalid). 0 means 512; at most
	// 65535.
	MaxValueLen int
}

// KindRule says how identifiers of one kind are normalised, blocked, limited and ordered.
type KindRule struct {
	// Priority orders kinds when an event cannot link all of its identifiers: the
	// identifier of the smallest Priority anchors the event and the others join it in
	// order (ties broken by kind name). See the package documentation.
	Priority int
	// Limit is the most identifiers of this kind one profile may hold; 0 means no
	// limit and 1 makes the kind unique: two different values never share a profile.
	// At most 254.
	Limit int
	// Normalize canonicalises values; nil keeps them exactly as given.
	Normalize Normalizer
	// Blocked lists values of this kind dropped from events, in addition to
	// Rules.Blocked.
	Blocked []string
}

// defaultBlocked is the block list DefaultRules applies to every kind: values that real
// trackers receive when a form, an SDK or a template fails, and that would otherwise
// join every person who triggers the failure into one profile. The placeholders of
// internal/placeholder (which match treats as missing values) come first, then those
// that are placeholders only as identifiers. The set must not change without a note in
// the changelog: a value newly blocked is dropped from events that linked it before.
var defaultBlocked = append(slices.Clone(placeholder.Values),
	"nan", "0", "-1", "na", "-", "--", "?",
	"anonymous", "anon", "guest", "test", "true", "false",
	"id", "distinct_id", "distinctid", "user_id", "userid", "email",
	"not_authenticated", "00000000-0000-0000-0000-000000000000",
)

// DefaultRules returns the rules this package recommends:
//
//	kind          priority  limit  normaliser
//	user_id       1         1      trim
//	email         2         5      e-mail, with provider rules
//	phone         3         5      E.164, no default country
//	device_id     4         5      trim
//	anonymous_id  5         5      trim
//	other kinds   6         5      trim
//
// with the block list above (plus test addresses for e-mail, and the Android id
// "9774d56d682e549c" that a firmware bug gave millions of devices) and quarantine of
// identifiers that would join more than 5 profiles. National phone numbers need a
// country: set Kinds["phone"].Normalize to PhoneNormalizer("44") (say) for a host whose
// customers write them without one. A new log should set Kinds["email"].Normalize to
// NFCNormalizer(EmailNormalizer(true)), so that an address typed in NFD and in NFC is one
// identifier; it is not the default because an existing log keeps the forms it stored.
func DefaultRules() Rules {
	trim := TrimNormalizer()
	return Rules{
		Kinds: map[string]KindRule{
			"user_id": {Priority: 1, Limit: 1, Normalize: trim},
			"email": {Priority: 2, Limit: 5, Normalize: EmailNormalizer(true),
				Blocked: []string{"test@test.com", "test@example.com", "example@example.com",
					"email@example.com", "user@example.com", "noreply@example.com", "no-reply@example.com"}},
			"phone":        {Priority: 3, Limit: 5, Normalize: PhoneNormalizer("")},
			"device_id":    {Priority: 4, Limit: 5, Normalize: trim, Blocked: []string{"9774d56d682e549c", "00000000000000000000000000000000"}},
			"anonymous_id": {Priority: 5, Limit: 5, Normalize: trim},
		},
		Other:    KindRule{Priority: 6, Limit: 5, Normalize: trim},
		Blocked:  append([]string(nil), defaultBlocked...),
		HotLimit: 5,
	}
}

const (
	maxKindLen   = 64
	maxSourceLen = 256
	defaultMax   = 512
	maxValueCap  = 65535
	maxLimit     = 254
	maxHotLimit  = 60
)

// kindRule is a compiled KindRule.
type kindRule struct {
	prio    int
	limit   int
	norm    Normalizer
	blocked map[string]struct{} // lower-cased, including the global list
	longest int                 // longest blocked value, to skip the lookup for longer values
	// A cheap filter before the map lookup: bit len%64 of shape[first byte] is set when
	// a blocked value has that lower-cased first byte and that length, and of tail[last
	// byte] likewise. Most values fail: one in sixteen random UUIDs passes the first byte
	// alone (the nil UUID is blocked), about one in 250 both.
	shape, tail [256]uint64
}

type compiled struct {
	kinds  map[string]*kindRule
	other  *kindRule
	hot    int
	maxLen int
}

func compile(r Rules) (*compiled, error) {
	c := &compiled{kinds: map[string]*kindRule{}, hot: r.HotLimit, maxLen: r.MaxValueLen}
	if c.maxLen == 0 {
		c.maxLen = defaultMax
	}
	if c.maxLen < 0 || c.maxLen > maxValueCap {
		return nil, fmt.Errorf("%w: rules: MaxValueLen %d outside 0..%d", ErrInvalid, r.MaxValueLen, maxValueCap)
	}
	if c.hot < 0 || c.hot > maxHotLimit {
		return nil, fmt.Errorf("%w: rules: HotLimit %d outside 0..%d", ErrInvalid, r.HotLimit, maxHotLimit)
	}
	for _, v := range r.Blocked {
		if !utf8.ValidString(v) {
			return nil, fmt.Errorf("%w: rules: blocked value %q is not UTF-8", ErrInvalid, v)
		}
	}
	build := func(name string, k KindRule) (*kindRule, error) {
		if k.Limit < 0 || k.Limit > maxLimit {
			return nil, fmt.Errorf("%w: rules: kind %q: Limit %d outside 0..%d", ErrInvalid, name, k.Limit, maxLimit)
		}
		kr := &kindRule{prio: k.Priority, limit: k.Limit, norm: k.Normalize, blocked: map[string]struct{}{}}
		for _, list := range [][]string{r.Blocked, k.Blocked} {
			for _, v := range list {
				if !utf8.ValidString(v) {
					return nil, fmt.Errorf("%w: rules: kind %q: blocked value %q is not UTF-8", ErrInvalid, name, v)
				}
				// A listed value is blocked in every spelling the resolver may compare
				// it in (blockedForms): otherwise a list written in one form lets the
				// others through, because the resolver compares values, not characters.
				for _, form := range blockedForms(v, k.Normalize) {
					kr.blocked[form] = struct{}{}
					kr.longest = max(kr.longest, len(form))
					if len(form) > 0 {
						kr.shape[form[0]] |= 1 << (len(form) % 64)
						kr.tail[form[len(form)-1]] |= 1 << (len(form) % 64)
					}
				}
			}
		}
		return kr, nil
	}
	for name, k := range r.Kinds {
		// Said as the other rules errors are ("invalid input: rules: HotLimit ..."),
		// the field named after the sentinel, as New's options are ("invalid input:
		// WithHMAC: ..."); not "Rules.Kinds: invalid input: ...", a second order.
		if p := kindProblem(name); p != "" {
			return nil, fmt.Errorf("%w: rules: Kinds: %s", ErrInvalid, p)
		}
		kr, err := build(name, k)
		if err != nil {
			return nil, err
		}
		c.kinds[name] = kr
	}
	other, err := build("(other)", r.Other)
	if err != nil {
		return nil, err
	}
	c.other = other
	return c, nil
}

func (c *compiled) rule(kind string) *kindRule {
	if k, ok := c.kinds[kind]; ok {
		return k
	}
	return c.other
}

// checkKind is kindProblem as an error wrapping ErrInvalid ("invalid input: empty kind").
func checkKind(kind string) error {
	if p := kindProblem(kind); p != "" {
		return fmt.Errorf("%w: %s", ErrInvalid, p)
	}
	return nil
}

// kindProblem says what is wrong with a kind, or "" when nothing is: one wording for
// Link's identifiers and New's Rules.Kinds, each framing it in its own place.
func kindProblem(kind string) string {
	switch {
	case kind == "":
		return "empty kind"
	case len(kind) > maxKindLen:
		return fmt.Sprintf("kind of %d bytes, over the %d-byte limit", len(kind), maxKindLen)
	case !utf8.ValidString(kind):
		return fmt.Sprintf("kind %q is not valid UTF-8", kind)
	}
	return ""
}

// isBlocked reports whether v is on the kind's block list, ignoring ASCII case.
func (k *kindRule) isBlocked(v string) bool {
	if v == "" {
		return true
	}
	if bit := uint64(1) << (len(v) % 64); len(v) > k.longest || k.shape[lowerASCII(v[0])]&bit == 0 || k.tail[lowerASCII(v[len(v)-1])]&bit == 0 {
		return false
	}
	var buf [64]byte
	var low []byte
	if len(v) <= len(buf) {
		low = buf[:len(v)]
	} else {
		low = make([]byte, len(v))
	}
	for i := 0; i < len(v); i++ {
		low[i] = lowerASCII(v[i])
	}
	_, ok := k.blocked[string(low)]
	return ok
}

func lowerASCIIString(s string) string {
	b := []byte(s)
	for i, c := range b {
		b[i] = lowerASCII(c)
	}
	return string(b)
}

func lowerASCII(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// blockedForms returns the spellings of a listed value that the block list holds, each
// trimmed and lower-cased in ASCII as isBlocked compares them: the value as written;
// the value as the kind's normaliser stores it (when it is one), since an event's value
// is compared again after normalisation; and, for non-ASCII text, both canonical forms
// of each: "é" as one code point (NFC, what NFCNormalizer stores and Windows types) and
// as "e" and a combining accent (NFD, as macOS may type it).
func blockedForms(v string, norm Normalizer) []string {
	forms := []string{lowerASCIIString(strings.TrimSpace(v))}
	if norm != nil {
		if n, err := norm(v); err == nil {
			forms = append(forms, lowerASCIIString(strings.TrimSpace(n)))
		}
	}
	for _, f := range forms[:len(forms):len(forms)] {
		if !nfc.ASCII(f) {
			forms = append(forms, unorm.NFC.String(f), unorm.NFD.String(f))
		}
	}
	slices.Sort(forms)
	return slices.Compact(forms)
}
