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
