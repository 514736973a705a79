package referral_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/clientele-go/clientele/referral"
)

// A programme that pays the referrer 10.00 and the friend 5.00 after the friend's first
// purchase, once a 14-day hold has passed.
func Example() {
	prog, err := referral.Open(&referral.MemStore{}, referral.Rules{
		ReferrerReward: 1000, ReferredReward: 500, Hold: 14 * 24 * time.Hour,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	day := func(d int) time.Time { return time.Date(2026, 3, 1+d, 12, 0, 0, 0, time.UTC) }
	// A fixed source stands in for crypto/rand so that the output is stable.
	code, _ := prog.IssueCode(context.Background(), day(0), "code:ann", 1, referral.Signals{Email: "ann@example.com"}, bytes.NewReader(make([]byte, 10)))
	link, _ := code.Link("https://shop.example/join")
	fmt.Println("Ann's link:", link)

	d, _ := prog.SignUp(context.Background(), day(2), "signup:bob", 2, "0000-0000-000", referral.Signals{Email: "bob@example.com"})
	fmt.Println("Bob referred by profile", d.Referrer)
	_ = prog.Order(context.Background(), day(5), "order:1", 2, "A-1", 4900)
	_ = prog.Order(context.Background(), day(5), "order:1", 2, "A-1", 4900) // the webhook retried: no double pay

	fmt.Printf("Ann on day 10: %+v\n", prog.Balance(day(10), 1))
	fmt.Printf("Ann on day 20: %+v\n", prog.Balance(day(20), 1))
	fmt.Println("payables on day 20:", prog.Payables(day(20)))
	// Output:
	// Ann's link: https://shop.example/join?ref=00000000000
	// Bob referred by profile 1
	// Ann on day 10: {Earned:1000 Held:1000 Paid:0 Payable:0}
	// Ann on day 20: {Earned:1000 Held:0 Paid:0 Payable:1000}
	// payables on day 20: [{1 1000} {2 500}]
}

func ExampleProgram_Refund() {
	prog, _ := referral.Open(&referral.MemStore{}, referral.Rules{ReferrerReward: 1000})
	day := func(d int) time.Time { return time.Date(2026, 3, 1+d, 0, 0, 0, 0, time.UTC) }
	code, _ := prog.IssueCode(context.Background(), day(0), "c", 1, referral.Signals{}, bytes.NewReader(make([]byte, 10)))
	_, _ = prog.SignUp(context.Background(), day(1), "s", 2, string(code), referral.Signals{})
	_ = prog.Order(context.Background(), day(2), "o", 2, "A-1", 4900)
	_ = prog.Payout(context.Background(), day(3), "p", 1, 1000)
	if err := prog.Refund(context.Background(), day(4), "r", "A-2"); err != nil {
		fmt.Println(err)
	}
	_ = prog.Refund(context.Background(), day(4), "r", "A-1")
	fmt.Printf("%+v\n", prog.Balance(day(5), 1))
	// Output:
	// referral: refund event "r": not found: order "A-2"
	// {Earned:0 Held:0 Paid:1000 Payable:-1000}
}

// A friend's order of three items, returned one at a time. The programme pays the
// referrer 10.00 for a first order of at least 50.00, and the reward stands while the
// order, net of its refunds, still is.
func ExampleProgram_RefundAmount() {
	prog, _ := referral.Open(&referral.MemStore{}, referral.Rules{
		ReferrerReward: 1000, Qualify: referral.PurchaseOver, MinAmount: 5000,
	})
	day := func(d int) time.Time { return time.Date(2026, 3, 1+d, 0, 0, 0, 0, time.UTC) }
	code, _ := prog.IssueCode(context.Background(), day(0), "c", 1, referral.Signals{}, bytes.NewReader(make([]byte, 10)))
	_, _ = prog.SignUp(context.Background(), day(1), "s", 2, string(code), referral.Signals{})
	_ = prog.Order(context.Background(), day(2), "o", 2, "A-1", 8000)
	fmt.Println("ordered 80.00, referrer earned:", prog.Balance(day(2), 1).Earned)
	_ = prog.RefundAmount(context.Background(), day(4), "r1", "A-1", 2500)
	fmt.Println("55.00 left, referrer earned:", prog.Balance(day(4), 1).Earned)
	_ = prog.RefundAmount(context.Background(), day(6), "r2", "A-1", 2500)
	fmt.Println("30.00 left, referrer earned:", prog.Balance(day(6), 1).Earned)
	fmt.Println(prog.RefundAmount(context.Background(), day(7), "r3", "A-1", 4000))
	// Refund takes back what is left; after it, nothing is.
	fmt.Println(prog.Refund(context.Background(), day(7), "r4", "A-1"), prog.Refund(context.Background(), day(8), "r5", "A-1"))
	// Output:
	// ordered 80.00, referrer earned: 1000
	// 55.00 left, referrer earned: 1000
	// 30.00 left, referrer earned: 0
	// referral: refund event "r3": refunds exceed the order's amount: order "A-1" of 8000 with 5000 refunded: a refund of 4000 exceeds the 3000 left
	// <nil> referral: refund event "r5": event conflicts with the ledger: order "A-1" of 8000 already fully refunded
}

func ExampleParseCode() {
	c, err := referral.ParseCode("7k3m q8ze yl4") // lower case, spaces, l for 1: all read fine
	fmt.Println(c, err)
	_, err = referral.ParseCode("7K3M-Q8ZE-Y15") // one symbol mistyped
	fmt.Println(err)
	// Output:
	// 7K3M-Q8ZE-Y14 <nil>
	// referral: bad referral code: code "7K3M-Q8ZE-Y15": check symbol mismatch (a typo?)
}

func ExampleProject() {
	// 1,000 seed users, each bringing 0.4 new users per viral cycle.
	for _, n := range []int{1, 3, 10} {
		users, _ := referral.Project(1000, 0.4, n)
		fmt.Printf("after %2d cycles: %.0f users\n", n, users)
	}
	limit, _ := referral.Limit(1000, 0.4)
	fmt.Printf("limit: %.0f users\n", limit)
	_, err := referral.Limit(1000, 1.1)
	fmt.Println(err)
	// Output:
	// after  1 cycles: 1400 users
	// after  3 cycles: 1624 users
	// after 10 cycles: 1667 users
	// limit: 1667 users
	// referral: invalid input: limit at K 1.1: growth is unbounded when K >= 1
}

func ExampleViralGrowth() {
	day := func(d int) time.Time { return time.Date(2026, 3, 2+d, 0, 0, 0, 0, time.UTC) }
	signups := []referral.Signup{
		{Profile: 1, At: day(0)}, {Profile: 2, At: day(1)}, {Profile: 3, At: day(2)}, {Profile: 4, At: day(3)},
		{Profile: 5, Referrer: 1, At: day(8)}, {Profile: 6, Referrer: 1, At: day(9)}, {Profile: 7, Referrer: 2, At: day(12)},
	}
	invites := []referral.Invite{{From: 1, At: day(1)}, {From: 1, At: day(1)}, {From: 1, At: day(2)}, {From: 2, At: day(3)}, {From: 4, At: day(3)}}
	cohorts, _ := referral.ViralGrowth(signups, invites, day(0), 7*24*time.Hour, 2, 0.95)
	for _, c := range cohorts {
		fmt.Printf("week of %s: %d users, %.0f%% by referral, %.2f invites/user, conversion %.2f, K %.2f [%.2f, %.2f], cycle %v\n",
			c.Start.Format("Jan 2"), c.Users, 100*c.Share.Estimate, c.InvitesPerUser, c.Conversion.Estimate, c.K.Estimate, c.K.Lo, c.K.Hi, c.CycleTime)
	}
	// Output:
	// week of Mar 2: 4 users, 0% by referral, 1.25 invites/user, conversion 0.60, K 0.75 [0.00, 1.69], cycle 224h0m0s
	// week of Mar 9: 3 users, 100% by referral, 0.00 invites/user, conversion 0.00, K 0.00 [0.00, 0.00], cycle 0s
}

func ExampleNewTree() {
	day := func(d int) time.Time { return time.Date(2026, 3, 1+d, 0, 0, 0, 0, time.UTC) }
	tree, err := referral.NewTree([]referral.Signup{
		{Profile: 1, At: day(0)},
		{Profile: 2, Referrer: 1, At: day(1)},
		{Profile: 3, Referrer: 2, At: day(2)},
		{Profile: 4, Referrer: 2, At: day(2)},
		{Profile: 5, At: day(3)},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	g, _ := tree.Generation(4)
	s, _ := tree.Seed(4)
	fmt.Println("profile 4: generation", g, "seed", s)
	fmt.Println("people per generation:", tree.Generations())
	fmt.Println("descendants of 1:", tree.Descendants(1))
	// Output:
	// profile 4: generation 2 seed 1
	// people per generation: [2 1 2]
	// descendants of 1: 3
}

func ExampleOpenFileStore() {
	dir, err := os.MkdirTemp("", "referral")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "ledger.wal")
	day := func(d int) time.Time { return time.Date(2026, 3, 1+d, 0, 0, 0, 0, time.UTC) }
	rules := referral.Rules{Qualify: referral.AtSignup, ReferrerReward: 700}

	store, _ := referral.OpenFileStore(path, nil)
	prog, _ := referral.Open(store, rules)
	code, _ := prog.IssueCode(context.Background(), day(0), "c", 1, referral.Signals{}, bytes.NewReader(make([]byte, 10)))
	_, _ = prog.SignUp(context.Background(), day(1), "s", 2, string(code), referral.Signals{})
	_ = store.Close()

	// After a restart the ledger replays to the same balances.
	store, _ = referral.OpenFileStore(path, nil)
	defer store.Close()
	prog, _ = referral.Open(store, rules)
	fmt.Printf("%+v\n", prog.Balance(day(2), 1))
	// Output:
	// {Earned:700 Held:0 Paid:0 Payable:700}
}
