package identity_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/clientele-go/clientele/identity"
)

// anna links Anna's e-mail on day 0, her phone apart on day 1, and both together on
// day 2, which merges her two profiles into profile 1.
func anna() (*identity.Resolver, time.Time) {
	ctx, day := context.Background(), time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	r, _ := identity.New(identity.DefaultRules())
	r.Link(ctx, day, "web", identity.ID{Kind: "email", Value: "anna@example.com"})
	r.Link(ctx, day.Add(24*time.Hour), "store", identity.ID{Kind: "phone", Value: "+447700900123"})
	r.Link(ctx, day.Add(48*time.Hour), "web", identity.ID{Kind: "email", Value: "anna@example.com"}, identity.ID{Kind: "phone", Value: "+447700900123"})
	return r, day
}

// A view answers as the graph stood then: a report rerun for last month attributes the
// phone's purchases to the profile that held it then, not the one that holds it now.
func ExampleView_Lookup() {
	r, day := anna()
	phone := identity.ID{Kind: "phone", Value: "+447700900123"}
	for _, d := range []int{0, 1, 3} {
		p, ok := r.AsOf(day.Add(time.Duration(d)*24*time.Hour + time.Hour)).Lookup(phone)
		fmt.Println("day", d, p, ok)
	}
	fmt.Println(r.Lookup(phone)) // the resolver itself answers for now
	// Output:
	// day 0 0 false
	// day 1 2 true
	// day 3 1 true
	// 1 true
}

// Explain on a view says why two identifiers were, or were not yet, one person then.
func ExampleView_Explain() {
	r, day := anna()
	email, phone := identity.ID{Kind: "email", Value: "anna@example.com"}, identity.ID{Kind: "phone", Value: "+447700900123"}
	before, _ := r.AsOf(day.Add(36*time.Hour)).Explain(email, phone)
	after, _ := r.AsOf(day.Add(72*time.Hour)).Explain(email, phone)
	fmt.Println(before)
	fmt.Println(after)
	// Output:
	// email:anna@example.com and phone:+447700900123 are apart: no link joins them (none was recorded, or an Unmerge or a quarantine undid it) and no limit refused one
	// email:anna@example.com and phone:+447700900123 are in profile 1
	//   email:anna@example.com -- phone:+447700900123 (web, 2025-03-03T00:00:00Z)
}

// Stats sizes the resolver: Profiles counts those that hold identifiers now (the
// merge left one), Records the history, which keeps every link.
func ExampleResolver_Stats() {
	r, _ := anna()
	s := r.Stats()
	fmt.Println(s.Identifiers, "identifiers,", s.Profiles, "profile,", s.Records, "records,", s.Bytes > 0)
	// Output: 2 identifiers, 1 profile, 3 records, true
}

// Forget already rewrites a store that can compact. Compact is for the rest: a host
// whose Forget returned an error from the rewrite calls it again later (the erasure was
// recorded), and a resolver without such a store says so with errors.ErrUnsupported.
func ExampleResolver_Compact() {
	ctx, at := context.Background(), time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	store := &identity.MemStore{}
	r, _ := identity.New(identity.DefaultRules(), identity.WithStore(store))
	p, _ := r.Link(ctx, at, "web", identity.ID{Kind: "email", Value: "anna@example.com"})
	r.Link(ctx, at, "web", identity.ID{Kind: "email", Value: "ben@example.com"})
	r.Forget(ctx, at, p)
	fmt.Println(r.Compact(), store.Len()) // the configuration, two links and the erasure

	replay, _ := identity.New(identity.DefaultRules(), identity.WithStore(store))
	fmt.Println(replay.Lookup(identity.ID{Kind: "email", Value: "ben@example.com"}))
	fmt.Println(replay.Lookup(identity.ID{Kind: "email", Value: "anna@example.com"}))

	memoryOnly, _ := identity.New(identity.DefaultRules())
	fmt.Println(errors.Is(memoryOnly.Compact(), errors.ErrUnsupported))
	// Output:
	// <nil> 4
	// 2 true
	// 0 false
	// true
}
