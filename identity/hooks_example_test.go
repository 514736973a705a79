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
