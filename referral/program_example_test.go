package referral_test

import (
	"bytes"
	"context"
	"fmt"
	"time"

	"github.com/clientele-go/clientele/referral"
)

// day is the start of a programme's example calendar.
func day(d int) time.Time { return time.Date(2026, 3, 1+d, 12, 0, 0, 0, time.UTC) }

// zeros stands for crypto/rand, so that the codes printed are stable: each call gives
// a fresh reader, whose code is 0000-0000-000.
func zeros() *bytes.Reader { return bytes.NewReader(make([]byte, 10)) }

// SignUp attributes a sign-up to the owner of the code entered. The self-referral guard
// compares signals: Carl entered Ann's code from Ann's own device, and is blocked with
// the reason, so nobody is rewarded for him.
func ExampleProgram_SignUp() {
	ctx := context.Background()
	prog, _ := referral.Open(&referral.MemStore{}, referral.Rules{ReferrerReward: 1000})
	code, _ := prog.IssueCode(ctx, day(0), "code:ann", 1, referral.Signals{Device: "ann-phone"}, zeros())

	d, err := prog.SignUp(ctx, day(1), "signup:bob", 2, string(code), referral.Signals{Device: "bob-phone"})
	fmt.Printf("%+v %v\n", d, err)
	d, err = prog.SignUp(ctx, day(1), "signup:carl", 3, string(code), referral.Signals{Device: "ann-phone"})
	fmt.Printf("%+v %v\n", d, err)
	// A webhook retried: the same key gives the original decision, and the key of
	// another event is refused.
	d, _ = prog.SignUp(ctx, day(1), "signup:bob", 2, string(code), referral.Signals{Device: "bob-phone"})
	fmt.Println(d.Referrer)
	_, err = prog.SignUp(ctx, day(2), "signup:bob", 4, "", referral.Signals{})
	fmt.Println(err)
	// Output:
	// {Referrer:1 Code:0000-0000-000 Blocked:false Reasons:[]} <nil>
	// {Referrer:0 Code:0000-0000-000 Blocked:true Reasons:[block: self-referral: shared device "ann-phone"]} <nil>
	// 1
	// referral: event key reused for a different event: signup event "signup:bob"
}

// Order is the referred person's qualifying action (the first purchase by default): it
// earns both sides their rewards, and later orders earn nothing more.
func ExampleProgram_Order() {
	ctx := context.Background()
	prog, _ := referral.Open(&referral.MemStore{}, referral.Rules{ReferrerReward: 1000, ReferredReward: 500})
	code, _ := prog.IssueCode(ctx, day(0), "code:ann", 1, referral.Signals{}, zeros())
	_, _ = prog.SignUp(ctx, day(1), "signup:bob", 2, string(code), referral.Signals{})
	fmt.Println(prog.Balance(day(1), 1).Earned, prog.Balance(day(1), 2).Earned)
	fmt.Println(prog.Order(ctx, day(3), "order:A-1", 2, "A-1", 4900))
	fmt.Println(prog.Order(ctx, day(9), "order:A-2", 2, "A-2", 12000))
	fmt.Println(prog.Balance(day(9), 1).Earned, prog.Balance(day(9), 2).Earned)
	// Output:
	// 0 0
	// <nil>
	// <nil>
	// 1000 500
}

// Apply loads a batch of events (an import, or a queue's messages) as the methods would
// one by one, committed together.
func ExampleProgram_Apply() {
	prog, _ := referral.Open(&referral.MemStore{}, referral.Rules{Qualify: referral.AtSignup, ReferrerReward: 700})
	err := prog.Apply(context.Background(),
		referral.Record{Kind: referral.KindCode, Key: "code:ann", At: day(0), Profile: 1, Code: "7K3M-Q8ZE-Y14"},
		referral.Record{Kind: referral.KindSignup, Key: "signup:bob", At: day(1), Profile: 2, Code: "7K3M-Q8ZE-Y14"},
		referral.Record{Kind: referral.KindSignup, Key: "signup:eve", At: day(2), Profile: 3},
	)
	fmt.Println(err)
	fmt.Println(prog.Signups())
	fmt.Printf("%+v\n", prog.Balance(day(2), 1))
	// Output:
	// <nil>
	// [{2 1 2026-03-02 12:00:00 +0000 UTC} {3 0 2026-03-03 12:00:00 +0000 UTC}]
	// {Earned:700 Held:0 Paid:0 Payable:700}
}

// A Balance moves from Held to Payable as the hold passes, and to Paid with a payout.
func ExampleProgram_Balance() {
	ctx := context.Background()
	prog, _ := referral.Open(&referral.MemStore{}, referral.Rules{ReferrerReward: 1000, Hold: 14 * 24 * time.Hour})
	code, _ := prog.IssueCode(ctx, day(0), "code:ann", 1, referral.Signals{}, zeros())
	_, _ = prog.SignUp(ctx, day(1), "signup:bob", 2, string(code), referral.Signals{})
	_ = prog.Order(ctx, day(2), "order:A-1", 2, "A-1", 4900)
	fmt.Printf("%+v\n", prog.Balance(day(10), 1))
	fmt.Printf("%+v\n", prog.Balance(day(16), 1)) // 14 days after the order
	_ = prog.Payout(ctx, day(17), "payout:1", 1, 600)
	fmt.Printf("%+v\n", prog.Balance(day(17), 1))
	fmt.Printf("%+v\n", prog.Balance(day(10), 99)) // nobody: the zero balance
	// Output:
	// {Earned:1000 Held:1000 Paid:0 Payable:0}
	// {Earned:1000 Held:0 Paid:0 Payable:1000}
	// {Earned:1000 Held:0 Paid:600 Payable:400}
	// {Earned:0 Held:0 Paid:0 Payable:0}
}

// Payables is the payout run of a day: everyone with something payable, by profile.
// Paying each what is listed, under a key naming the run, makes a retry harmless.
func ExampleProgram_Payables() {
	ctx := context.Background()
	prog, _ := referral.Open(&referral.MemStore{}, referral.Rules{Qualify: referral.AtSignup, ReferrerReward: 1000, ReferredReward: 250})
	code, _ := prog.IssueCode(ctx, day(0), "code:ann", 1, referral.Signals{}, zeros())
	_, _ = prog.SignUp(ctx, day(1), "signup:bob", 2, string(code), referral.Signals{})
	_, _ = prog.SignUp(ctx, day(2), "signup:cid", 3, string(code), referral.Signals{})
	run := prog.Payables(day(3))
	fmt.Println(run)
	for _, p := range run {
		_ = prog.Payout(ctx, day(3), fmt.Sprintf("run:%s:%d", day(3).Format(time.DateOnly), p.Profile), p.Profile, p.Amount)
	}
	fmt.Println(prog.Payables(day(3)))
	// Output:
	// [{1 2000} {2 250} {3 250}]
	// []
}

// Referrer answers "who brought this person?", following identity merges.
func ExampleProgram_Referrer() {
	ctx := context.Background()
	prog, _ := referral.Open(&referral.MemStore{}, referral.Rules{})
	code, _ := prog.IssueCode(ctx, day(0), "code:ann", 1, referral.Signals{}, zeros())
	_, _ = prog.SignUp(ctx, day(1), "signup:bob", 2, string(code), referral.Signals{})
	_, _ = prog.SignUp(ctx, day(1), "signup:eve", 3, "", referral.Signals{})
	for _, p := range []uint32{2, 3, 4} {
		r, ok := prog.Referrer(p)
		fmt.Println(p, r, ok)
	}
	_ = prog.ApplyMerge(5, 2) // Bob's app profile 5 absorbed his web profile 2
	r, ok := prog.Referrer(5)
	fmt.Println(5, r, ok)
	// Output:
	// 2 1 true
	// 3 0 false
	// 4 0 false
	// 5 1 true
}

// Signups and Invites are the ledger's growth data, the input of ViralGrowth and NewTree.
func ExampleProgram_Signups() {
	ctx := context.Background()
	prog, _ := referral.Open(&referral.MemStore{}, referral.Rules{})
	_ = prog.Invite(ctx, day(0), "invite:1", 1, referral.Signals{Email: "bob@example.com"})
	_ = prog.Invite(ctx, day(0), "invite:2", 1, referral.Signals{Email: "cid@example.com"})
	_, _ = prog.SignUp(ctx, day(0), "signup:ann", 1, "", referral.Signals{})
	_, _ = prog.SignUp(ctx, day(3), "signup:bob", 2, "", referral.Signals{Email: "bob@example.com"}) // by the invitation
	for _, s := range prog.Signups() {
		fmt.Println(s.Profile, "referred by", s.Referrer, "on", s.At.Format(time.DateOnly))
	}
	fmt.Println(len(prog.Invites()), "invitations")
	cohorts, _ := referral.ViralGrowth(prog.Signups(), prog.Invites(), day(0), 7*24*time.Hour, 1, 0.95)
	fmt.Printf("first week: %d users, %.2f invites/user\n", cohorts[0].Users, cohorts[0].InvitesPerUser)
	// Output:
	// 1 referred by 0 on 2026-03-01
	// 2 referred by 1 on 2026-03-04
	// 2 invitations
	// first week: 2 users, 1.00 invites/user
}

// Invites lists the invitations sent, senders by their current keys.
func ExampleProgram_Invites() {
	ctx := context.Background()
	prog, _ := referral.Open(&referral.MemStore{}, referral.Rules{})
	_ = prog.Invite(ctx, day(0), "invite:1", 7, referral.Signals{Email: "bob@example.com"})
	_ = prog.Invite(ctx, day(1), "invite:2", 8, referral.Signals{Phone: "+46700000000"})
	_ = prog.Invite(ctx, day(1), "invite:2", 8, referral.Signals{Phone: "+46700000000"}) // a retry
	_ = prog.ApplyMerge(7, 8)                                                            // 8 was 7's other profile
	for _, inv := range prog.Invites() {
		fmt.Println(inv.From, inv.At.Format(time.DateOnly))
	}
	// Output:
	// 7 2026-03-01
	// 7 2026-03-02
}

// IssueCode draws a code from rnd (crypto/rand when nil); the key makes a retry return
// the same code rather than a second one.
func ExampleProgram_IssueCode() {
	ctx := context.Background()
	prog, _ := referral.Open(&referral.MemStore{}, referral.Rules{})
	code, err := prog.IssueCode(ctx, day(0), "code:ann", 1, referral.Signals{Email: "ann@example.com"}, zeros())
	fmt.Println(code, err)
	again, _ := prog.IssueCode(ctx, day(0), "code:ann", 1, referral.Signals{Email: "ann@example.com"}, nil)
	fmt.Println(again == code)
	fresh, _ := prog.IssueCode(ctx, day(0), "code:ann:2", 1, referral.Signals{}, nil)
	_, err = referral.ParseCode(string(fresh)) // a random code, with its check symbol
	fmt.Println(fresh != code, err)
	// Output:
	// 0000-0000-000 <nil>
	// true
	// true <nil>
}

// Entries is one person's statement: rewards, claw-backs and payouts, by time.
func ExampleProgram_Entries() {
	ctx := context.Background()
	prog, _ := referral.Open(&referral.MemStore{}, referral.Rules{ReferrerReward: 1000})
	code, _ := prog.IssueCode(ctx, day(0), "code:ann", 1, referral.Signals{}, zeros())
	_, _ = prog.SignUp(ctx, day(1), "signup:bob", 2, string(code), referral.Signals{})
	_ = prog.Order(ctx, day(2), "order:A-1", 2, "A-1", 4900)
	_ = prog.Payout(ctx, day(3), "payout:1", 1, 1000)
	_ = prog.Refund(ctx, day(4), "refund:A-1", "A-1") // the reward is clawed back: Ann owes it
	for _, e := range prog.Entries(1) {
		fmt.Println(e.At.Format(time.DateOnly), e.Kind, e.Amount)
	}
	fmt.Println(prog.Balance(day(4), 1).Payable)
	// Output:
	// 2026-03-03 reward 1000
	// 2026-03-04 payout 1000
	// 2026-03-05 clawback -1000
	// -1000
}

// tree is a small referral tree: Ann (1) brought Bob (2) and Cid (3), Bob brought Dan
// (4), and Eve (5) came on her own.
func tree() *referral.Tree {
	t, err := referral.NewTree([]referral.Signup{
		{Profile: 1, At: day(0)},
		{Profile: 3, Referrer: 1, At: day(1)},
		{Profile: 2, Referrer: 1, At: day(2)},
		{Profile: 4, Referrer: 2, At: day(3)},
		{Profile: 5, At: day(4)},
	})
	if err != nil {
		panic(err)
	}
	return t
}

// Children are the people one person brought directly, ascending whatever the order
// of sign-up.
func ExampleTree_Children() {
	t := tree()
	fmt.Println(t.Children(1), t.Children(2), t.Children(5), t.Children(99))
	// Output: [2 3] [4] [] []
}

// Descendants counts everyone a person brought, directly or through those they brought:
// the reach of a seed.
func ExampleTree_Descendants() {
	t := tree()
	fmt.Println(t.Descendants(1), t.Descendants(2), t.Descendants(4), t.Descendants(99))
	// Output: 3 1 0 0
}

// Generation is a person's depth below the seed who started their branch; ok is false
// for a profile the tree does not hold.
func ExampleTree_Generation() {
	t := tree()
	for _, p := range []uint32{1, 2, 4, 5, 99} {
		g, ok := t.Generation(p)
		fmt.Println(p, g, ok)
	}
	// Output:
	// 1 0 true
	// 2 1 true
	// 4 2 true
	// 5 0 true
	// 99 0 false
}

// Generations shows how far referral chains go: seeds first, then the people each
// generation brought. A growth loop that works keeps later generations large.
func ExampleTree_Generations() {
	fmt.Println(tree().Generations())
	// Output: [2 2 1]
}
