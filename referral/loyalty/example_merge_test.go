package loyalty_test

import (
	"context"
	"fmt"

	"github.com/clientele-go/clientele/referral/loyalty"
)

// Member 8 turns out to be member 7 (identity merged their profiles): 8's points, its
// order and its tier window move to 7; a later refund of 8's order reverses 7's points,
// and events naming 8 go to 7.
func ExampleLedger_ApplyMerge() {
	ctx := context.Background()
	store := &loyalty.MemStore{}
	l, _ := loyalty.Open(store, tierRules())
	l.Earn(ctx, day(1), "o2", 8, "O-2", 5000) // 50 points
	l.Earn(ctx, day(2), "o1", 7, "O-1", 6000) // 60 points
	fmt.Println("before:", l.Tier(day(2), 7).Name, l.Tier(day(2), 8).Name)

	if err := l.ApplyMerge(7, 8); err != nil {
		fmt.Println(err)
	}
	fmt.Println("again:", l.ApplyMerge(7, 8)) // repeating a merge changes nothing
	// Dated at the later of the two members' last events: 2 March.
	fmt.Println("7 on 2 March:", l.Balance(day(2), 7).Net(), "points,", l.Tier(day(2), 7).Name)
	fmt.Println("8 on 2 March:", l.Balance(day(2), 8).Net(), "points,", l.Tier(day(2), 8).Name)
	fmt.Println("8 on 1 March:", l.Balance(day(1), 8).Net(), "points (before the merge)")

	rec, _ := l.Refund(ctx, day(3), "r2", "O-2", 0)
	fmt.Println("refund of 8's order: member", rec.Member, "reverses", rec.Points)
	rec, _ = l.Bonus(ctx, day(4), "b1", 8, 5, "welcome back")
	fmt.Println("bonus for 8 recorded for member", rec.Member)

	replayed, _ := loyalty.Open(store, tierRules())
	fmt.Println("replay equals live:", replayed.Balance(day(30), 7) == l.Balance(day(30), 7))
	// Output:
	// before: member member
	// again: <nil>
	// 7 on 2 March: 110 points, silver
	// 8 on 2 March: 0 points, member
	// 8 on 1 March: 50 points (before the merge)
	// refund of 8's order: member 7 reverses 50
	// bonus for 8 recorded for member 7
	// replay equals live: true
}
