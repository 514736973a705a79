package referral_test

import (
	"bytes"
	"context"
	"fmt"
	"time"

	"github.com/clientele-go/clientele"
	"github.com/clientele-go/clientele/referral"
)

// Open replays the ledger a store holds under the rules it is given now, so a
// programme changes its rules by opening its store with new ones: what was decided
// stands, and new events follow the new rules. Here the referrer's reward goes from
// 10.00 to 15.00 between Bob's purchase and Cara's. Rules Open cannot run by are
// refused before anything is read.
func ExampleOpen() {
	ctx := context.Background()
	day := func(d int) time.Time { return time.Date(2026, 3, 1+d, 12, 0, 0, 0, time.UTC) }
	store := &referral.MemStore{}
	prog, _ := referral.Open(store, referral.Rules{ReferrerReward: 1000})
	code, _ := prog.IssueCode(ctx, day(0), "code:ann", 1, referral.Signals{}, bytes.NewReader(make([]byte, 10)))
	prog.SignUp(ctx, day(1), "signup:bob", 2, string(code), referral.Signals{})
	prog.Order(ctx, day(2), "order:B-1", 2, "B-1", 4900)
	fmt.Println("Ann earned:", prog.Balance(day(2), 1).Earned)

	prog, _ = referral.Open(store, referral.Rules{ReferrerReward: 1500}) // the same ledger, new rules
	prog.SignUp(ctx, day(3), "signup:cara", 3, string(code), referral.Signals{})
	prog.Order(ctx, day(4), "order:C-1", 3, "C-1", 2900)
	fmt.Println("Ann earned:", prog.Balance(day(4), 1).Earned)

	_, err := referral.Open(store, referral.Rules{ReferrerReward: -100})
	fmt.Println(err)
	// Output:
	// Ann earned: 1000
	// Ann earned: 2500
	// referral: invalid input: rules: ReferrerReward -100 is negative
}

// A merge that identity reports carries no time, so the programme dates it, and the
// claw-back it causes, by its clock. Here identity finds that Ann's two accounts are
// one person after Ann referred her second account: the reward is taken back, dated at
// the clock's time (without WithClock, at the zero time, before every other entry). A
// host passes its own clock (clientele.SystemClock in production).
func ExampleWithClock() {
	ctx := context.Background()
	day := func(d int) time.Time { return time.Date(2026, 3, 1+d, 12, 0, 0, 0, time.UTC) }
	prog, _ := referral.Open(&referral.MemStore{}, referral.Rules{Qualify: referral.AtSignup, ReferrerReward: 1000},
		referral.WithClock(clientele.FixedClock(day(9))))
	code, _ := prog.IssueCode(ctx, day(0), "code:ann", 1, referral.Signals{}, bytes.NewReader(make([]byte, 10)))
	prog.SignUp(ctx, day(1), "signup:ann2", 2, string(code), referral.Signals{})

	prog.ApplyMerge(1, 2) // from identity's OnMerge
	for _, e := range prog.Entries(1) {
		fmt.Println(e.At.Format(time.DateOnly), e.Kind, e.Amount, e.Reasons)
	}
	fmt.Println("Ann earned:", prog.Balance(day(10), 1).Earned)
	// Output:
	// 2026-03-02 reward 1000 [referrer]
	// 2026-03-10 clawback -1000 [a self-referral, revealed by merge of [2] into 1]
	// Ann earned: 0
}

// An invitation by e-mail: the friend later signs up without entering a code, and the
// sign-up is attributed to the inviter because it brings the invited address (within
// Rules.Window, 30 days by default).
func ExampleProgram_Invite() {
	ctx := context.Background()
	day := func(d int) time.Time { return time.Date(2026, 3, 1+d, 12, 0, 0, 0, time.UTC) }
	prog, _ := referral.Open(&referral.MemStore{}, referral.Rules{ReferrerReward: 1000})
	prog.Invite(ctx, day(0), "invite:ann-bob", 1, referral.Signals{Email: "bob@example.com"})

	d, _ := prog.SignUp(ctx, day(3), "signup:bob", 2, "", referral.Signals{Email: "bob@example.com"})
	fmt.Println("Bob referred by", d.Referrer)
	d, _ = prog.SignUp(ctx, day(4), "signup:cara", 3, "", referral.Signals{Email: "cara@example.com"})
	fmt.Println("Cara referred by", d.Referrer)
	ref, ok := prog.Referrer(2)
	fmt.Println(ref, ok)
	// Output:
	// Bob referred by 1
	// Cara referred by 0
	// 1 true
}

// A visitor follows Ann's link and signs up a day later without the code: the click is
// the touch the sign-up is attributed to. The visitor's profile is the one identity
// gave the anonymous visitor, kept when the visitor signs up.
func ExampleProgram_Click() {
	ctx := context.Background()
	day := func(d int) time.Time { return time.Date(2026, 3, 1+d, 12, 0, 0, 0, time.UTC) }
	prog, _ := referral.Open(&referral.MemStore{}, referral.Rules{ReferrerReward: 1000})
	code, _ := prog.IssueCode(ctx, day(0), "code:ann", 1, referral.Signals{}, bytes.NewReader(make([]byte, 10)))
	link, _ := code.Link("https://shop.example/join")

	fromLink, _ := referral.CodeFromLink(link) // the landing page reads ?ref=
	fmt.Println(prog.Click(ctx, day(1), "click:1", 7, string(fromLink)))
	d, _ := prog.SignUp(ctx, day(2), "signup:7", 7, "", referral.Signals{})
	fmt.Println("referred by", d.Referrer)
	fmt.Println(prog.Click(ctx, day(2), "click:2", 8, "7K3M-Q8ZE-Y14")) // a code never issued
	// Output:
	// <nil>
	// referred by 1
	// referral: click event "click:2": bad referral code: code 7K3M-Q8ZE-Y14 was never issued
}

// The payout run of a day: Payables lists who is owed, once the hold has passed, and
// each payment is recorded with Payout under a key made from the run and the person,
// so that a run retried after a crash records no payment twice. A payout over the
// payable balance is refused.
func ExampleProgram_Payout() {
	ctx := context.Background()
	day := func(d int) time.Time { return time.Date(2026, 3, 1+d, 12, 0, 0, 0, time.UTC) }
	prog, _ := referral.Open(&referral.MemStore{}, referral.Rules{ReferrerReward: 1000, ReferredReward: 500, Hold: 7 * 24 * time.Hour})
	code, _ := prog.IssueCode(ctx, day(0), "code:ann", 1, referral.Signals{}, bytes.NewReader(make([]byte, 10)))
	prog.SignUp(ctx, day(1), "signup:bob", 2, string(code), referral.Signals{})
	prog.Order(ctx, day(2), "order:B-1", 2, "B-1", 4900)

	fmt.Println("owed on day 5:", prog.Payables(day(5)))
	owed := prog.Payables(day(10))
	fmt.Println("owed on day 10:", owed)
	for range 2 { // the second pass is the run retried
		for _, p := range owed {
			key := fmt.Sprintf("payout:%s:%d", day(10).Format(time.DateOnly), p.Profile)
			if err := prog.Payout(ctx, day(10), key, p.Profile, p.Amount); err != nil {
				fmt.Println(err)
			}
		}
	}
	fmt.Printf("Ann: %+v\n", prog.Balance(day(10), 1))
	fmt.Println(prog.Payout(ctx, day(11), "payout:extra", 1, 100))
	// Output:
	// owed on day 5: []
	// owed on day 10: [{1 1000} {2 500}]
	// Ann: {Earned:1000 Held:0 Paid:1000 Payable:0}
	// referral: payout event "payout:extra": payout exceeds the payable balance: payout of 100 to profile 1, payable 0
}
