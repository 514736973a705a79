package synth

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

// identifiers are one person's true identifiers; the methods return them as a channel
// would record them: reformatted, mistyped or replaced by junk now and then.
type identifiers struct {
	mobile  string // 11 digits, Chinese mobile style: 1[3-9]xxxxxxxxx
	local   string // e-mail local part
	domain  string
	social  string
	device  string
	anonIDs []string
}

var (
	domains = []string{"gmail.com", "qq.com", "163.com", "outlook.com", "example.com"}
	// Junk values that real trackers receive when a form or an SDK fails; identity's
	// default rules block them.
	junk = []string{"null", "undefined", "", "0", "none", "N/A", "[object Object]", "anonymous", "guest"}
)

func newIdentifiers(i int, rng *rand.Rand, p Params) identifiers {
	ids := identifiers{
		mobile: fmt.Sprintf("1%d%09d", 3+rng.IntN(7), rng.Uint64N(1_000_000_000)),
		local:  fmt.Sprintf("%s.%s%d", names[rng.IntN(len(names))], names[rng.IntN(len(names))], i+1),
		domain: domains[rng.IntN(len(domains))],
		social: fmt.Sprintf("wx_%012x", rng.Uint64()&0xffffffffffff),
		device: fmt.Sprintf("dev-%016x", rng.Uint64()),
	}
	if rng.Float64() < p.SharedDeviceRate {
		// A family tablet: about three people of the base share each such device.
		pool := max(1, int(float64(p.People)*p.SharedDeviceRate/3))
		ids.device = fmt.Sprintf("dev-family-%06d", rng.IntN(pool))
	}
	for range 1 + rng.IntN(3) { // cookies get cleared: one to three anonymous ids
		ids.anonIDs = append(ids.anonIDs, fmt.Sprintf("%08x-%04x-4%03x-%04x-%012x",
			rng.Uint32(), rng.Uint32()&0xffff, rng.Uint32()&0xfff, rng.Uint32()&0xffff, rng.Uint64()&0xffffffffffff))
	}
	return ids
}

var names = []string{"li", "wang", "zhang", "liu", "chen", "yang", "zhao", "huang", "zhou", "wu",
	"anna", "ben", "chloe", "david", "emma", "felix", "grace", "henry", "iris", "jack"}

func (ids *identifiers) junked(rng *rand.Rand, p Params, id ID) ID {
	if rng.Float64() < p.JunkRate {
		id.Value = junk[rng.IntN(len(junk))]
	}
	return id
}

// email returns the address as a web form records it: sometimes capitalised, and for
// gmail sometimes with the dots Google ignores.
func (ids *identifiers) email(rng *rand.Rand, p Params) ID {
	local := ids.local
	switch rng.IntN(8) {
	case 0:
		local = strings.ToUpper(local[:1]) + local[1:]
	case 1:
		if ids.domain == "gmail.com" {
			local = strings.ReplaceAll(local, ".", "")
		}
	}
	return ids.junked(rng, p, ID{"email", " " + local + "@" + ids.domain})
}

// typedEmail is an address an agent types at the call centre: occasionally mistyped,
// which makes a new identifier that belongs to nobody else.
func (ids *identifiers) typedEmail(rng *rand.Rand, p Params) ID {
	e := ids.email(rng, p)
	if rng.Float64() < p.TypoRate && len(e.Value) > 4 {
		b := []byte(e.Value)
		k := 1 + rng.IntN(len(b)-2)
		b[k], b[k+1] = b[k+1], b[k]
		e.Value = string(b)
	}
	return e
}

// ShopPhone is the shop's own number, which its tills sometimes record for a customer
// who gives none: a host knows it and blocks it.
const ShopPhone = "+86 21 6000 0000"

// phone returns the mobile number as the channel writes it. The store sometimes types the
// shop's own number for a customer who gives none: a hot identifier.
func (ids *identifiers) phone(rng *rand.Rand, p Params, channel string) ID {
	m := ids.mobile
	v := m
	switch {
	case channel == "store" && rng.Float64() < p.ShopPhoneRate:
		v = ShopPhone
	case channel == "store":
		v = m[:3] + "-" + m[3:7] + "-" + m[7:]
	case channel == "call_centre":
		v = "0086" + m
	default:
		v = "+86 " + m[:3] + " " + m[3:7] + " " + m[7:]
	}
	return ids.junked(rng, p, ID{"phone", v})
}

func (ids *identifiers) anon(rng *rand.Rand) string {
	return ids.anonIDs[rng.IntN(len(ids.anonIDs))]
}
