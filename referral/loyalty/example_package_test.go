package loyalty_test

import (
	"context"
	"fmt"
	"time"

	"github.com/clientele-go/clientele/referral/loyalty"
)

// One point per euro, locked for the 14-day returns window, expiring at the end of
// the sixth month.
func Example() {
	ctx := context.Background()
	l, err := loyalty.Open(&loyalty.MemStore{}, loyalty.Rules{
		Lock:   14 * 24 * time.Hour,
		Expiry: loyalty.Expiry{Rule: loyalty.EndOfMonth, N: 6},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	l.Earn(ctx, day(1), "order:O-1", 7, "O-1", 12000) // €120.00: 120 points
	fmt.Printf("day 2:  %+v\n", l.Balance(day(2), 7))
	fmt.Printf("day 20: %+v\n", l.Balance(day(20), 7))
	_, err = l.Spend(ctx, day(20), "redeem:1", 7, 50)
	fmt.Printf("spent 50 (%v): %+v\n", err, l.Balance(day(20), 7))
	// Output:
	// day 2:  {Available:0 Locked:120 Debt:0 Expired:0}
	// day 20: {Available:120 Locked:0 Debt:0 Expired:0}
	// spent 50 (<nil>): {Available:70 Locked:0 Debt:0 Expired:0}
}
