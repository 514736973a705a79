package referral_test

import (
	"bytes"
	"context"
	"fmt"
	"time"

	"github.com/clientele-go/clientele/identity"
	"github.com/clientele-go/clientele/referral"
)

// Ann shares her own link and signs up through it from a device she had used
// anonymously, with an address the programme has not seen. The host still knows that
// device by its old anonymous profile, which identity has since merged into Ann's:
// with WithPeople the programme asks identity and refuses the self-referral; without
// it the two keys look like two people and Ann would be paid for referring herself.
func ExampleWithPeople() {
	ctx, at := context.Background(), time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	ids, _ := identity.New(identity.DefaultRules())
	ann, _ := ids.Link(ctx, at, "web", identity.ID{Kind: "email", Value: "ann@example.com"})
	device, _ := ids.Link(ctx, at, "app", identity.ID{Kind: "anonymous_id", Value: "a-9"})
	ids.Link(ctx, at, "app", identity.ID{Kind: "anonymous_id", Value: "a-9"}, identity.ID{Kind: "email", Value: "ann@example.com"})

	rules := referral.Rules{ReferrerReward: 1000, ReferredReward: 500}
	for _, opts := range [][]referral.Option{nil, {referral.WithPeople(ids)}} {
		prog, err := referral.Open(&referral.MemStore{}, rules, opts...)
		if err != nil {
			fmt.Println(err)
			return
		}
		code, _ := prog.IssueCode(ctx, at, "code:ann", ann, referral.Signals{Email: "ann@example.com"}, bytes.NewReader(make([]byte, 10)))
		d, err := prog.SignUp(ctx, at.Add(time.Hour), "signup:1", device, code.String(), referral.Signals{Email: "ann.two@example.com"})
		fmt.Printf("referrer %d, blocked %v %v %v\n", d.Referrer, d.Blocked, d.Reasons, err)
	}
	// Output:
	// referrer 1, blocked false [] <nil>
	// referrer 0, blocked true [block: self-referral: identity resolves profiles 1 and 2 to one person (1)] <nil>
}
