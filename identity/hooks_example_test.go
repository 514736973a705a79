package identity_test

import (
	"context"
	"fmt"
	"time"

	"github.com/clientele-go/clientele/identity"
	"github.com/clientele-go/clientele/segment"
)

// A host keeps its segment index keyed by the profiles identity hands out, so it
// passes every merge on (OnMerge runs before Link returns, so no event of the merged
// profile is recorded under the absorbed key afterwards): the anonymous visitor's visit
// and the signed-in user's become two visits of one person, who then counts as a user
// (two or more visits in 30 days) where before neither half did.
func ExampleOnMerge() {
	ctx, at := context.Background(), time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)
	x, _ := segment.NewIndex()
	r, _ := identity.New(identity.DefaultRules(), identity.OnMerge(func(m identity.Merge) {
		for _, a := range m.Absorbed {
			if err := x.ApplyMerge(m.Survivor, a); err != nil {
				fmt.Println(err)
			}
		}
		fmt.Println("merged", m.Absorbed, "into", m.Survivor, "by", m.Cause)
	}))

	anon, _ := r.Link(ctx, at, "web", identity.ID{Kind: "anonymous_id", Value: "a-17"})
	x.Record(at, anon, "visit")
	user, _ := r.Link(ctx, at.Add(time.Hour), "app", identity.ID{Kind: "user_id", Value: "u1"})
	x.Record(at.Add(time.Hour), user, "visit")
	users := segment.Must("count(visit, 30d) >= 2")
	before, _ := x.Count(ctx, at.Add(2*time.Hour), users, nil)

	// The visitor signs in on the web: both identifiers in one event.
	r.Link(ctx, at.Add(2*time.Hour), "web",
		identity.ID{Kind: "anonymous_id", Value: "a-17"}, identity.ID{Kind: "user_id", Value: "u1"})
	after, _ := x.Eval(ctx, at.Add(3*time.Hour), users, nil)
	fmt.Println(before, after)
	// Output:
	// merged [2] into 1 by web
	// 0 {1}
}

// A split can give back keys that merges absorbed, so a host that keeps state by
// profile re-reads Current for the keys it holds instead of replaying the merges it
// saw: here the host had moved key 2 onto key 1 when a shared shop phone joined Anna
// and Ben, and after the Unmerge key 2 is Ben's again.
func ExampleOnSplit() {
	ctx, at := context.Background(), time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)
	held := map[uint32]uint32{} // the host's view: a key it once saw -> the key holding it
	var r *identity.Resolver
	r, _ = identity.New(identity.DefaultRules(),
		identity.OnMerge(func(m identity.Merge) {
			for _, a := range m.Absorbed {
				held[a] = m.Survivor
			}
		}),
		identity.OnSplit(func(s identity.Split) {
			fmt.Println("split", s.Profile, "into", s.Into, "by", s.ID)
			for k := range held {
				held[k] = r.Current(k)
			}
		}))
	anna, _ := r.Link(ctx, at, "web", identity.ID{Kind: "email", Value: "anna@example.com"})
	ben, _ := r.Link(ctx, at, "web", identity.ID{Kind: "email", Value: "ben@example.com"})
	held[anna], held[ben] = anna, ben
	shop := identity.ID{Kind: "phone", Value: "+44 20 7946 0000"}
	r.Link(ctx, at, "store", identity.ID{Kind: "email", Value: "anna@example.com"}, shop)
	r.Link(ctx, at, "store", identity.ID{Kind: "email", Value: "ben@example.com"}, shop)
	fmt.Println(held)
	r.Unmerge(ctx, at.Add(time.Hour), shop)
	fmt.Println(held)
	// Output:
	// map[1:1 2:1]
	// split 1 into [1 2 3] by phone:+442079460000
	// map[1:1 2:2]
}
