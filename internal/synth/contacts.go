package synth

import (
	"fmt"
	"iter"
	"math/rand/v2"
	"strings"
)

// Contact is a record a channel keeps about a person beside the events: the web shop's
// account, the loyalty card a clerk fills in at the till. It carries a name and a city,
// which events do not, so that records sharing no identifier can be matched by
// probabilistic record linkage. Person is the ground truth, as in Event.
type Contact struct {
	Person int
	// ID is the record's own identifier: the account's e-mail as the sign-up recorded
	// it, or a loyalty card number that no event carries.
	ID                        ID
	FirstName, Surname, Phone string
	Email, City               string
}

// CardRate is the share of people who sign up and also fill in a loyalty card at the
// till; TillTypoRate the chance that the clerk mistypes the card's name, and again its
// phone (two adjacent digits swapped).
const (
	CardRate     = 0.3
	TillTypoRate = 0.3
)

// Contacts streams the contact records of the base p describes: for each person who
// signs up, the web account (name, e-mail and phone as the sign-up recorded them, and a
// city), and for CardRate of them a loyalty card (the same person's name and mobile as
// heard at the till, mistyped now and then, the city, no e-mail). The name is the one
// the e-mail address was made from; where the address does not show it, and for the
// city, a generator of its own seeded by p.Seed draws one, so Generate's events are
// unchanged. The contacts follow the events' order of people.
func Contacts(p Params) iter.Seq[Contact] {
	p = p.Default()
	return func(yield func(Contact) bool) {
		rng := rand.New(rand.NewPCG(p.Seed, 0xc0ffee))
		cards := 0
		for e := range Generate(p) {
			if e.Kind != Signup || len(e.IDs) < 3 {
				continue
			}
			email, phone := e.IDs[1], e.IDs[2]
			first, last := nameOf(rng, email.Value)
			city := cities[rng.IntN(len(cities))]
			if !yield(Contact{Person: e.Person, ID: email, FirstName: first, Surname: last, Phone: phone.Value, Email: email.Value, City: city}) {
				return
			}
			if rng.Float64() >= CardRate {
				continue
			}
			cards++
			c := Contact{Person: e.Person, ID: ID{"loyalty_card", fmt.Sprintf("card-%07d", cards)},
				FirstName: first, Surname: last, City: city, Phone: digits(phone.Value)}
			if rng.Float64() < TillTypoRate {
				if rng.IntN(2) == 0 {
					c.FirstName = mistype(rng, c.FirstName)
				} else {
					c.Surname = mistype(rng, c.Surname)
				}
			}
			if rng.Float64() < TillTypoRate {
				c.Phone = mistype(rng, c.Phone)
			}
			if !yield(c) {
				return
			}
		}
	}
}

// nameOf reads the name a person's e-mail was made from ("anna.wang17@..."), or draws
// one when the address does not show it (gmail without its dots, or junk).
func nameOf(rng *rand.Rand, email string) (first, last string) {
	local, _, _ := strings.Cut(strings.ToLower(strings.TrimSpace(email)), "@")
	f, l, ok := strings.Cut(local, ".")
	l = strings.TrimRight(l, "0123456789")
	if !ok || f == "" || l == "" {
		return firstNames[rng.IntN(len(firstNames))], surnames[rng.IntN(len(surnames))]
	}
	return f, l
}

// digits keeps the national mobile number: the digits after a +86 prefix.
func digits(v string) string {
	var b strings.Builder
	for _, c := range strings.TrimPrefix(strings.TrimSpace(v), "+86") {
		if c >= '0' && c <= '9' {
			b.WriteRune(c)
		}
	}
	return b.String()
}

// mistype swaps two adjacent characters or drops one, the commonest typing errors
// (Damerau 1964).
func mistype(rng *rand.Rand, s string) string {
	if len(s) < 3 {
		return s
	}
	b := []byte(s)
	k := 1 + rng.IntN(len(b)-2)
	if rng.IntN(2) == 0 {
		b[k], b[k+1] = b[k+1], b[k]
		return string(b)
	}
	return string(append(b[:k], b[k+1:]...))
}

var (
	firstNames = []string{"wei", "fang", "min", "jing", "lei", "yan", "jun", "hui", "xin", "ying",
		"hao", "na", "tao", "li", "qiang", "mei", "bo", "lan", "gang", "xia",
		"anna", "ben", "chloe", "david", "emma", "felix", "grace", "henry", "iris", "jack",
		"kai", "lucy", "mark", "nina", "oscar", "paula", "quinn", "rosa", "sam", "tina"}
	surnames = []string{"wang", "li", "zhang", "liu", "chen", "yang", "huang", "zhao", "wu", "zhou",
		"xu", "sun", "ma", "zhu", "hu", "guo", "he", "lin", "gao", "luo",
		"zheng", "liang", "xie", "song", "tang", "han", "feng", "deng", "cao", "peng",
		"zeng", "xiao", "tian", "dong", "pan", "yuan", "cai", "jiang", "yu", "du",
		"ye", "cheng", "wei", "su", "lu", "ding", "ren", "shen", "yao", "lou",
		"smith", "jones", "brown", "taylor", "wilson", "evans", "thomas", "walker", "white", "hall"}
	cities = []string{"shanghai", "beijing", "guangzhou", "shenzhen", "hangzhou", "chengdu",
		"wuhan", "nanjing", "suzhou", "xian", "tianjin", "chongqing"}
)
