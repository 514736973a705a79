package loyalty_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/clientele-go/clientele/referral/loyalty"
)

// day returns midnight UTC of a day of March 2026.
func day(d int) time.Time { return time.Date(2026, 3, d, 0, 0, 0, 0, time.UTC) }

// A shop gives one point per euro and five per euro of wine, locks points for the
// 14-day returns window and lets them expire at the end of the following month.
func shopRules() loyalty.Rules {
	return loyalty.Rules{
		Categories: map[string]int64{"wine": 5},
		Lock:       14 * 24 * time.Hour,
		Expiry:     loyalty.Expiry{Rule: loyalty.EndOfMonth, N: 1},
	}
}

func ExampleOpen() {
	ctx := context.Background()
	store := &loyalty.MemStore{}
	l, _ := loyalty.Open(store, shopRules())
	l.Earn(ctx, day(1), "order-1", 7, "O-1", 12000) // €120.00

	// Reopening replays the store: the state is what the records say.
	again, _ := loyalty.Open(store, shopRules())
	fmt.Printf("%+v\n", again.Balance(day(20), 7))
	// Output:
	// {Available:120 Locked:0 Debt:0 Expired:0}
}

func ExampleLedger_Earn() {
	ctx := context.Background()
	l, _ := loyalty.Open(&loyalty.MemStore{}, shopRules())
	rec, _ := l.Earn(ctx, day(1), "order-1", 7, "O-1", 10000,
		loyalty.Line{Product: "rioja", Category: "wine", Amount: 4000}) // €40 of wine in a €100 order
	fmt.Println(rec.Points, "points, unlocked", rec.UnlockAt.Format(time.DateOnly), "expiring", rec.ExpiresAt.Format(time.DateOnly))

	again, _ := l.Earn(ctx, day(1), "order-1", 7, "O-1", 10000,
		loyalty.Line{Product: "rioja", Category: "wine", Amount: 4000}) // a retried webhook
	fmt.Println(again.Points, "points: the first record")
	// Output:
	// 260 points, unlocked 2026-03-15 expiring 2026-05-01
	// 260 points: the first record
}

func ExampleLedger_Spend() {
	ctx := context.Background()
	l, _ := loyalty.Open(&loyalty.MemStore{}, shopRules())
	l.Earn(ctx, day(1), "order-1", 7, "O-1", 10000)
	_, err := l.Spend(ctx, day(5), "spend-1", 7, 50)
	fmt.Println(errors.Is(err, loyalty.ErrInsufficient), "- locked until the returns window ends")
	l.Spend(ctx, day(15), "spend-2", 7, 50)
	fmt.Printf("%+v\n", l.Balance(day(15), 7))
	// Output:
	// true - locked until the returns window ends
	// {Available:50 Locked:0 Debt:0 Expired:0}
}

func ExampleLedger_Refund() {
	ctx := context.Background()
	l, _ := loyalty.Open(&loyalty.MemStore{}, shopRules())
	l.Earn(ctx, day(1), "order-1", 7, "O-1", 10000) // 100 points
	l.Spend(ctx, day(16), "spend-1", 7, 80)
	// A late refund of half the order reverses 50 points; 20 remain to take back, and
	// the other 30 were spent: they become a debt, repaid by the next order.
	rec, _ := l.Refund(ctx, day(20), "refund-1", "O-1", 5000)
	fmt.Println(rec.Points, "points reversed")
	fmt.Printf("%+v\n", l.Balance(day(20), 7))
	l.Earn(ctx, day(21), "order-2", 7, "O-2", 4000)
	fmt.Printf("%+v\n", l.Balance(day(21), 7))
	// Output:
	// 50 points reversed
	// {Available:0 Locked:0 Debt:30 Expired:0}
	// {Available:0 Locked:10 Debt:0 Expired:0}
}

func ExampleLedger_Bonus() {
	ctx := context.Background()
	l, _ := loyalty.Open(&loyalty.MemStore{}, shopRules())
	l.Bonus(ctx, day(2), "welcome-7", 7, 500, "welcome")
	fmt.Printf("%+v\n", l.Balance(day(2), 7))
	fmt.Printf("%+v\n", l.Balance(day(2).AddDate(0, 2, 0), 7)) // past the end of April
	// Output:
	// {Available:500 Locked:0 Debt:0 Expired:0}
	// {Available:0 Locked:0 Debt:0 Expired:500}
}

func ExampleLedger_Adjust() {
	ctx := context.Background()
	l, _ := loyalty.Open(&loyalty.MemStore{}, shopRules())
	l.Bonus(ctx, day(2), "welcome-7", 7, 500, "welcome")
	l.Adjust(ctx, day(3), "fix-7", 7, -120, "bonus given twice in part")
	fmt.Printf("%+v\n", l.Balance(day(3), 7))
	// Output:
	// {Available:380 Locked:0 Debt:0 Expired:0}
}

func ExampleLedger_Balance() {
	ctx := context.Background()
	l, _ := loyalty.Open(&loyalty.MemStore{}, loyalty.Rules{Expiry: loyalty.Expiry{Rule: loyalty.AfterDays, N: 30}})
	l.Earn(ctx, day(1), "order-1", 7, "O-1", 5000)
	// Expiry is exact: the lot earned on 1 March expires on 31 March at midnight.
	fmt.Printf("%+v\n", l.Balance(day(31).Add(-time.Nanosecond), 7))
	fmt.Printf("%+v\n", l.Balance(day(31), 7))
	// Output:
	// {Available:50 Locked:0 Debt:0 Expired:0}
	// {Available:0 Locked:0 Debt:0 Expired:50}
}

func ExampleBalance_Net() {
	b := loyalty.Balance{Available: 0, Locked: 0, Debt: 30}
	fmt.Println(b.Net())
	// Output:
	// -30
}

func ExampleLedger_Lots() {
	ctx := context.Background()
	l, _ := loyalty.Open(&loyalty.MemStore{}, shopRules())
	l.Earn(ctx, day(1), "order-1", 7, "O-1", 3000)
	l.Bonus(ctx, day(2), "promo-7", 7, 40, "spring")
	l.Spend(ctx, day(16), "spend-1", 7, 50) // the lots expire together: the earlier earned goes first
	for _, lot := range l.Lots(day(16), 7) {
		fmt.Println(lot.Earned.Format(time.DateOnly), lot.Remaining, "of", lot.Points, "until", lot.ExpiresAt.Format(time.DateOnly))
	}
	// Output:
	// 2026-03-02 20 of 40 until 2026-05-01
}

func ExampleLedger_Apply() {
	ctx := context.Background()
	l, _ := loyalty.Open(&loyalty.MemStore{}, loyalty.Rules{})
	err := l.Apply(ctx,
		loyalty.Record{Kind: loyalty.KindEarn, Key: "e1", At: day(1), Member: 1, Order: "O-1", Amount: 2500},
		loyalty.Record{Kind: loyalty.KindEarn, Key: "e2", At: day(1), Member: 2, Order: "O-2", Amount: 900},
		loyalty.Record{Kind: loyalty.KindSpend, Key: "s1", At: day(2), Member: 1, Points: 10},
	)
	fmt.Println(err, l.Balance(day(2), 1).Available, l.Balance(day(2), 2).Available)
	// Output:
	// <nil> 15 9
}

// Month and year ends are the shop's, in Rules.Location: points earned on 31 January at
// 20:00 UTC were earned on 1 February in Tokyo, and expire at the end of February
// there, which is 15:00 UTC on 28 February.
func ExampleExpiry() {
	tokyo := time.FixedZone("JST", 9*3600)
	l, _ := loyalty.Open(&loyalty.MemStore{}, loyalty.Rules{Location: tokyo, Expiry: loyalty.Expiry{Rule: loyalty.EndOfMonth}})
	rec, _ := l.Earn(context.Background(), time.Date(2026, 1, 31, 20, 0, 0, 0, time.UTC), "o1", 1, "O1", 1000)
	fmt.Println(rec.ExpiresAt)
	// Output:
	// 2026-02-28 15:00:00 +0000 UTC
}
