package referral

import (
	"crypto/rand"
	"fmt"
	"io"
	"net/url"
	"strings"

	"github.com/clientele-go/clientele/internal/english"
)

// Code is a referral code in canonical form: 10 random symbols and a check symbol
// from Crockford's base-32 alphabet, which leaves out I, L, O and U so that no symbol
// can be mistaken for another (or spell a word by accident). Ten symbols carry 50
// random bits: with a million codes issued, a guess hits one with probability below
// 10^-9. [Code.String] groups the symbols for reading as XXXX-XXXX-XXX; [ParseCode]
// accepts any case, with or without the hyphens and spaces, and reads O as 0 and I or
// L as 1 the way Crockford decoding does.
type Code string

const (
	crockford   = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
	codeRandom  = 10
	codeSymbols = codeRandom + 1
)

// LinkParam is the query parameter that carries a code in a referral link.
const LinkParam = "ref"

// NewCode draws a fresh code from rnd, or from crypto/rand when rnd is nil. Use a
// cryptographic source in production: a predictable one makes codes guessable.
func NewCode(rnd io.Reader) (Code, error) {
	if rnd == nil {
		rnd = rand.Reader
	}
	var b [codeRandom]byte
	if _, err := io.ReadFull(rnd, b[:]); err != nil {
		return "", errorf("draw code: %w", err)
	}
	s := make([]byte, codeSymbols)
	for i, x := range b {
		s[i] = crockford[x&31] // 32 divides 256: no modulo bias
	}
	s[codeRandom] = crockford[checkSymbol(s[:codeRandom])]
	return Code(s), nil
}

// checkSymbol is the Luhn mod N check (N = 32) over symbol values: it catches every
// single-symbol error and every transposition of adjacent symbols except that of 0 and Z
// (values 0 and 31, which doubling maps to themselves, as 0 and 9 in Luhn's mod 10).
func checkSymbol(payload []byte) int {
	const n = 32
	factor, sum := 2, 0
	for i := len(payload) - 1; i >= 0; i-- {
		add := factor * strings.IndexByte(crockford, payload[i])
		sum += add/n + add%n
		factor = 3 - factor
	}
	return (n - sum%n) % n
}

// ParseCode reads a code as a person may type it and returns it in canonical form.
// Errors wrap [ErrCode] and say which character (1-based) is wrong.
func ParseCode(s string) (Code, error) {
	out := make([]byte, 0, codeSymbols)
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '-' || c == ' ':
			continue
		case 'a' <= c && c <= 'z':
			c -= 'a' - 'A'
		}
		switch c {
		case 'O':
			c = '0'
		case 'I', 'L':
			c = '1'
		}
		if strings.IndexByte(crockford, c) < 0 {
			return "", fmt.Errorf("%w: code %s at character %d: %q is not a code symbol", ErrCode, shown(s), i+1, s[i])
		}
		out = append(out, c)
	}
	if len(out) != codeSymbols {
		return "", fmt.Errorf("%w: code %s: %s, want %d", ErrCode, shown(s), english.Count(len(out), "symbol"), codeSymbols)
	}
	if checkSymbol(out[:codeRandom]) != strings.IndexByte(crockford, out[codeRandom]) {
		return "", fmt.Errorf("%w: code %s: check symbol mismatch (a typo?)", ErrCode, shown(s))
	}
	return Code(out), nil
}

// String returns the code grouped for reading, XXXX-XXXX-XXX.
func (c Code) String() string {
	if len(c) != codeSymbols {
		return string(c)
	}
	return string(c[:4]) + "-" + string(c[4:8]) + "-" + string(c[8:])
}

// Link returns base with the code in its ref query parameter, keeping base's other
// parameters: Link("https://shop.example/join?utm=x", c) is
// "https://shop.example/join?ref=...&utm=x".
func (c Code) Link(base string) (string, error) {
	u, err := url.Parse(base)
	if err != nil {
		return "", errorf("link base %q: %w", base, err)
	}
	q := u.Query()
	q.Set(LinkParam, string(c))
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// CodeFromLink extracts and checks the code of a referral link.
func CodeFromLink(link string) (Code, error) {
	u, err := url.Parse(link)
	if err != nil {
		return "", fmt.Errorf("%w: link %s: %v", ErrCode, shown(link), err)
	}
	v := u.Query().Get(LinkParam)
	if v == "" {
		return "", fmt.Errorf("%w: link %s has no %s parameter", ErrCode, shown(link), LinkParam)
	}
	return ParseCode(v)
}
