package traits

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/text/unicode/norm"
	"pgregory.net/rapid"

	"github.com/clientele-go/clientele/identity"
)

var testPolicy = Policy{
	Rules:   map[string]MergeRule{"name": MostRecent, "email": FirstSeen, "tier": MostTrusted, "consent": Union},
	Ranking: []string{"crm", "store"},
}

type refObs struct {
	Observation
	seq int
}

// reference derives a profile's traits from every observation ever made, by the rules'
// definitions: sort the profile's observations by time (then arrival) and take the
// last, the first, the last of the best-ranked source, or every distinct value.
func reference(r *identity.Resolver, profile uint32, all []refObs) map[string]Value {
	byTrait := map[string][]refObs{}
	for _, o := range all {
		if p, ok := r.Lookup(o.ID); ok && p == profile {
			byTrait[o.Trait] = append(byTrait[o.Trait], o)
		}
	}
	out := map[string]Value{}
	for trait, os := range byTrait {
		slices.SortFunc(os, func(x, y refObs) int {
			if c := x.At.Compare(y.At); c != 0 {
				return c
			}
			return x.seq - y.seq
		})
		lin := func(o refObs) Lineage { return Lineage{ID: o.ID, Source: o.Source, At: o.At.UTC()} }
		one := func(o refObs) Value { return Value{Values: []string{o.Value}, Lineage: []Lineage{lin(o)}} }
		switch testPolicy.Rules[trait] {
		case MostRecent:
			out[trait] = one(os[len(os)-1])
		case FirstSeen:
			out[trait] = one(os[0])
		case MostTrusted:
			rank := func(s string) int {
				if i := slices.Index(testPolicy.Ranking, s); i >= 0 {
					return i
				}
				return len(testPolicy.Ranking)
			}
			best := os[0]
			for _, o := range os {
				if rank(o.Source) <= rank(best.Source) {
					best = o
				}
			}
			out[trait] = one(best)
		case Union:
			var v Value
			seen := map[string]bool{}
			for _, o := range os {
				if k := refKey(o.Value); !seen[k] {
					seen[k] = true
					v.Values = append(v.Values, o.Value)
					v.Lineage = append(v.Lineage, lin(o))
				}
			}
			out[trait] = v
		}
	}
	return out
}

// refKey is what the reference takes two Union values to be the same by, for values
// of Latin letters, accents, white space and invisible characters (those the tests
// draw): the value without its invisible characters and zero-width joiners (which show
// nothing next to Latin letters, white space or the ends), its words joined by single
// spaces, in NFC. (The Book puts the value in NFC before it judges the joiners and
// collapses the white space, and again after; TestUnionSpellingsProperty holds the
// orders to agree.)
func refKey(v string) string {
	v = strings.Map(func(r rune) rune {
		if slices.Contains(invisibles, r) || slices.Contains(joiners, r) {
			return -1
		}
		return r
	}, v)
	return norm.NFC.String(strings.Join(strings.Fields(v), " "))
}

// Through any sequence of links, unmerges and observations (at any times), every
// profile's traits equal the reference's, so merges combine them and Unmerge derives
// them again. The values include canonically equivalent spellings ("José" composed
// and decomposed) and padded ones (" gold ", "\ufeffgold"), which Union keeps as one
// value, first spelling first, and blank ones, which no rule keeps.
func TestTraitsAgainstReference(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		ctx := context.Background()
		r, err := identity.New(identity.DefaultRules())
		if err != nil {
			t.Fatal(err)
		}
		b, err := NewBook(testPolicy)
		if err != nil {
			t.Fatal(err)
		}
		pool := []identity.ID{{Kind: "email", Value: "a@x.io"}, {Kind: "email", Value: "b@x.io"}, {Kind: "device_id", Value: "d1"},
			{Kind: "device_id", Value: "d2"}, {Kind: "user_id", Value: "u1"}, {Kind: "user_id", Value: "u2"}}
		genID := rapid.SampledFrom(pool)
		// Blank values among them: white space alone, and invisible characters that show
		// nothing (a zero-width space, a byte order mark, a joiner).
		values := []string{"v1", "v2", "v3", "", " \t", "\u200b", " \ufeff\u200e\u00ad ", "\u200d",
			"Jos\u00e9", "Jose\u0301", " gold ", "gold", "Gold", "\ufeffgold"}
		base := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
		clock := base
		var all []refObs
		steps := rapid.IntRange(1, 40).Draw(t, "steps")
		for range steps {
			clock = clock.Add(time.Minute)
			switch rapid.IntRange(0, 3).Draw(t, "op") {
			case 0:
				ids := rapid.SliceOfN(genID, 1, 3).Draw(t, "link")
				if _, err := r.Link(ctx, clock, "web", ids...); err != nil {
					t.Fatal(err)
				}
			case 1:
				id := genID.Draw(t, "unmerge")
				if _, ok := r.Lookup(id); ok {
					if _, err := r.Unmerge(ctx, clock, id); err != nil {
						t.Fatal(err)
					}
				}
			default:
				o := Observation{
					ID:     genID.Draw(t, "id"),
					Trait:  rapid.SampledFrom([]string{"name", "email", "tier", "consent"}).Draw(t, "trait"),
					Value:  rapid.SampledFrom(values).Draw(t, "value"),
					Source: rapid.SampledFrom([]string{"crm", "store", "web", "call"}).Draw(t, "source"),
					At:     base.Add(time.Duration(rapid.IntRange(0, 5).Draw(t, "at")) * time.Hour),
				}
				if err := b.Observe(o); err != nil {
					t.Fatal(err)
				}
				if refKey(o.Value) != "" { // a blank value, one that shows nothing, is no observation
					all = append(all, refObs{o, len(all)})
				}
			}
			for _, id := range pool {
				p, ok := r.Lookup(id)
				if !ok {
					continue
				}
				if diff := cmp.Diff(reference(r, p, all), b.Traits(r, p)); diff != "" {
					t.Fatalf("profile %d of %v (-reference +book):\n%s", p, id, diff)
				}
			}
		}
	})
}

// A call-centre export's blank name cell, newer than the CRM's name, is skipped under
// every rule: it was recorded and won under MostRecent, so the profile's name became
// "". So is a cell that shows nothing but is not white space alone: a lone byte order
// mark, zero-width space, soft hyphen, bidirectional mark or joiner, with white space
// or not. Those passed for values (the check was strings.TrimSpace): the name became
// "\ufeff" under MostRecent and FirstSeen, and Union listed an invisible value.
func TestBlankValueSkipped(t *testing.T) {
	blanks := []string{"", "   ", "\t", "\u200b", "\ufeff", "\u200e", "\u00ad", " \u200f\u061c\u2060 ", "\u00a0\u200d\u3000\u200c", "\n\ufeff\u200b\r\n"}
	blanksSkipped(t, blanks)
	// A blank value does not excuse the rest: a zero time is still refused.
	b, _ := NewBook(Policy{})
	id := identity.ID{Kind: "email", Value: "a@x.io"}
	for _, v := range []string{"", "\ufeff"} {
		if err := b.Observe(Observation{ID: id, Trait: "name", Value: v}); !errors.Is(err, ErrInvalid) {
			t.Errorf("blank value %+q with a zero time: %v, want ErrInvalid", v, err)
		}
	}
}

func TestObserveRejects(t *testing.T) {
	b, _ := NewBook(Policy{})
	at := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	id := identity.ID{Kind: "email", Value: "a@x.io"}
	for _, o := range []Observation{
		{ID: identity.ID{}, Trait: "name", At: at},
		{ID: id, Trait: "", At: at},
		{ID: id, Trait: strings.Repeat("t", MaxTraitLen+1), At: at},
		{ID: id, Trait: "name", Value: "\xff", At: at},
		{ID: id, Trait: "name", Value: strings.Repeat("v", MaxValueLen+1), At: at},
		{ID: id, Trait: "name", Source: "\xfe", At: at},
		{ID: id, Trait: "name"},
	} {
		if err := b.Observe(o); !errors.Is(err, ErrInvalid) {
			t.Errorf("Observe(%+v): %v", o, err)
		}
	}
	if len(b.slots) != 0 {
		t.Errorf("a rejected observation was kept")
	}
	for _, p := range []Policy{{Default: 9}, {Rules: map[string]MergeRule{"x": 0}}, {Ranking: []string{"a", "a"}}} {
		if _, err := NewBook(p); !errors.Is(err, ErrInvalid) {
			t.Errorf("NewBook(%+v): %v", p, err)
		}
	}
}

// held is a resolver stand-in whose every profile holds the same identifiers.
type held []identity.ID

func (h held) Identifiers(uint32) []identity.ID { return h }

// blanksSkipped observes, under every rule, blanks before and after the name "Ann Lee"
// and blanks alone as a nickname, and wants the name to be "Ann Lee" alone and no
// nickname: a blank value is no observation.
func blanksSkipped(t *testing.T, blanks []string) {
	t.Helper()
	for _, rule := range []MergeRule{MostRecent, MostTrusted, FirstSeen, Union} {
		b, _ := NewBook(Policy{Default: rule})
		at := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
		id := identity.ID{Kind: "email", Value: "a@x.io"}
		// The blanks come before the name (FirstSeen would keep the first) and after it
		// (MostRecent would keep the last), from the same source (MostTrusted).
		for i, v := range slices.Concat(blanks, []string{"Ann Lee"}, blanks) {
			if err := b.Observe(Observation{ID: id, Trait: "name", Value: v, Source: "call", At: at.Add(time.Duration(i) * time.Hour)}); err != nil {
				t.Fatalf("rule %d: Observe(%+q): %v", rule, v, err)
			}
		}
		r, _ := identity.New(identity.DefaultRules())
		if _, err := r.Link(context.Background(), at, "web", id); err != nil {
			t.Fatal(err)
		}
		p, _ := r.Lookup(id)
		if got := b.Traits(r, p)["name"].Values; !slices.Equal(got, []string{"Ann Lee"}) {
			t.Errorf("rule %d: name = %+q, want [Ann Lee]", rule, got)
		}
		// Blanks alone leave no trait at all.
		for i, v := range blanks {
			if err := b.Observe(Observation{ID: id, Trait: "nickname", Value: v, Source: "call", At: at.Add(time.Duration(i) * time.Hour)}); err != nil {
				t.Fatalf("rule %d: Observe(%+q): %v", rule, v, err)
			}
		}
		if got, ok := b.Traits(r, p)["nickname"]; ok {
			t.Errorf("rule %d: nickname of blanks alone = %+q, want none", rule, got.Values)
		}
	}
}
