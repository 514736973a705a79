package traits_test

import (
	"context"
	"fmt"
	"time"

	"github.com/clientele-go/clientele/identity"
	"github.com/clientele-go/clientele/identity/traits"
)

// The till and the CRM disagree about a customer's tier and name; once their
// identifiers merge, the CRM's tier survives (it is trusted more), the most recent name
// survives, and consents accumulate. Unmerging the till's card gives each side its own
// traits back.
func Example() {
	ctx := context.Background()
	day := time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)
	r, _ := identity.New(identity.DefaultRules())
	b, _ := traits.NewBook(traits.Policy{
		Rules:   map[string]traits.MergeRule{"tier": traits.MostTrusted, "name": traits.MostRecent, "consent": traits.Union},
		Ranking: []string{"crm", "store", "web"},
	})
	card := identity.ID{Kind: "loyalty_card", Value: "L-881"}
	mail := identity.ID{Kind: "email", Value: "ann@example.com"}
	b.Observe(traits.Observation{ID: card, Trait: "tier", Value: "silver", Source: "store", At: day})
	b.Observe(traits.Observation{ID: card, Trait: "name", Value: "Ann Lee", Source: "store", At: day})
	b.Observe(traits.Observation{ID: card, Trait: "consent", Value: "sms", Source: "store", At: day})
	b.Observe(traits.Observation{ID: mail, Trait: "tier", Value: "gold", Source: "crm", At: day.Add(-48 * time.Hour)})
	b.Observe(traits.Observation{ID: mail, Trait: "name", Value: "Ann Li", Source: "crm", At: day.Add(-48 * time.Hour)})
	b.Observe(traits.Observation{ID: mail, Trait: "consent", Value: "email", Source: "web", At: day.Add(24 * time.Hour)})

	r.Link(ctx, day, "store", card)
	p, _ := r.Link(ctx, day.Add(24*time.Hour), "web", mail, card)
	show := func(p uint32) {
		t := b.Traits(r, p)
		for _, k := range []string{"name", "tier", "consent"} {
			fmt.Printf("  %s: %v from %s at %s\n", k, t[k].Values, t[k].Lineage[0].Source, t[k].Lineage[0].At.Format(time.DateOnly))
		}
	}
	fmt.Println("merged profile", p)
	show(p)
	r.Unmerge(ctx, day.Add(72*time.Hour), card)
	q, _ := r.Lookup(card)
	fmt.Println("after unmerge, card's profile", q)
	show(q)
	// Output:
	// merged profile 1
	//   name: [Ann Lee] from store at 2025-03-01
	//   tier: [gold] from crm at 2025-02-27
	//   consent: [sms email] from store at 2025-03-01
	// after unmerge, card's profile 2
	//   name: [Ann Lee] from store at 2025-03-01
	//   tier: [silver] from store at 2025-03-01
	//   consent: [sms] from store at 2025-03-01
}

// Erasing a person: the Book's observations first (the resolver's Forget cannot reach
// them), then the resolver's. A new account that brings the same e-mail later starts
// with nothing of hers.
func ExampleBook_Forget() {
	ctx := context.Background()
	day := time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)
	r, _ := identity.New(identity.DefaultRules())
	b, _ := traits.NewBook(traits.Policy{})
	mail := identity.ID{Kind: "email", Value: "ann@example.com"}
	p, _ := r.Link(ctx, day, "web", mail)
	b.Observe(traits.Observation{ID: mail, Trait: "address", Value: "1 Main St", Source: "web", At: day})
	fmt.Println("before:", b.Traits(r, p)["address"].Values)

	b.Forget(r.Identifiers(p)...)
	r.Forget(ctx, day.Add(time.Hour), p)
	q, _ := r.Link(ctx, day.Add(48*time.Hour), "web", mail)
	fmt.Println("new profile's traits:", len(b.Traits(r, q)))
	// Output:
	// before: [1 Main St]
	// new profile's traits: 0
}

// A Book made for a resolver that normalises identifiers: Policy.Canonical gives each
// observation's identifier the resolver's form, so that an export's raw e-mail finds
// the profile the resolver keeps under the normalised one (Resolver.Canonical fails
// for a value the resolver would drop; the identifier is then kept as given, and no
// profile holds it). NewBook refuses a policy it cannot apply.
func ExampleNewBook() {
	ctx, at := context.Background(), time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)
	r, _ := identity.New(identity.DefaultRules())
	b, err := traits.NewBook(traits.Policy{
		Rules:   map[string]traits.MergeRule{"tier": traits.MostTrusted},
		Ranking: []string{"crm", "store"},
		Canonical: func(id identity.ID) identity.ID {
			if c, err := r.Canonical(id); err == nil {
				return c
			}
			return id
		},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	p, _ := r.Link(ctx, at, "web", identity.ID{Kind: "email", Value: "ann@example.com"})
	b.Observe(traits.Observation{ID: identity.ID{Kind: "email", Value: " Ann@Example.COM"}, Trait: "tier", Value: "gold", Source: "crm", At: at})
	b.Observe(traits.Observation{ID: identity.ID{Kind: "email", Value: "ann@example.com"}, Trait: "tier", Value: "silver", Source: "store", At: at.Add(time.Hour)})
	fmt.Println(b.Traits(r, p)["tier"].Values)

	_, err = traits.NewBook(traits.Policy{Ranking: []string{"crm", "store", "crm"}})
	fmt.Println(err)
	// Output:
	// [gold]
	// traits: invalid input: source "crm" ranked twice
}
