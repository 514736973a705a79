package loyalty_test

import (
	"context"
	"fmt"
	"time"

	"github.com/clientele-go/clientele/referral/loyalty"
	"github.com/clientele-go/clientele/segment"
)

// Tiers by points over 30 days: silver at 100 (1.5× points), gold at 300 (2×), a week
// of grace before a downgrade.
func tierRules() loyalty.Rules {
	return loyalty.Rules{
		Tiers: []loyalty.Tier{
			{Name: "member"},
			{Name: "silver", Threshold: 100, Multiplier: 150},
			{Name: "gold", Threshold: 300, Multiplier: 200},
		},
		Window: 30 * 24 * time.Hour,
		Grace:  7 * 24 * time.Hour,
	}
}

func ExampleLedger_Tier() {
	ctx := context.Background()
	l, _ := loyalty.Open(&loyalty.MemStore{}, tierRules())
	l.Earn(ctx, day(1), "o1", 7, "O-1", 12000) // 120 points: silver
	rec, _ := l.Earn(ctx, day(5), "o2", 7, "O-2", 10000)
	// 1 March's order leaves the 30-day window on 31 March, 5 March's on 4 April: the
	// total falls below silver's 100, and a week of grace later the member is a member.
	fmt.Println("second order earns", rec.Points, "points at silver")
	for _, d := range []time.Time{day(1), day(5), day(31), day(31).AddDate(0, 0, 4), day(31).AddDate(0, 0, 10), day(31).AddDate(0, 0, 11)} {
		t := l.Tier(d, 7)
		fmt.Println(d.Format(time.DateOnly), t.Name, "since", t.Since.Format(time.DateOnly))
	}
	// Output:
	// second order earns 150 points at silver
	// 2026-03-01 silver since 2026-03-01
	// 2026-03-05 silver since 2026-03-01
	// 2026-03-31 silver since 2026-03-01
	// 2026-04-04 silver since 2026-03-01
	// 2026-04-10 silver since 2026-03-01
	// 2026-04-11 member since 2026-04-11
}

func ExampleLedger_TierHistory() {
	ctx := context.Background()
	l, _ := loyalty.Open(&loyalty.MemStore{}, tierRules())
	l.Earn(ctx, day(1), "o1", 7, "O-1", 20000)  // 200 points: silver
	l.Earn(ctx, day(10), "o2", 7, "O-2", 10000) // 150 more: gold
	l.Refund(ctx, day(12), "r1", "O-2", 0)      // back below gold: a week's grace
	for _, c := range l.TierHistory(day(1).AddDate(1, 0, 0), 7) {
		fmt.Println(c.At.Format(time.DateOnly), c.From, "->", c.To)
	}
	// Output:
	// 2026-03-01 member -> silver
	// 2026-03-10 silver -> gold
	// 2026-03-19 gold -> silver
	// 2026-04-07 silver -> member
}

// A host keeps segment tags of the current tiers live: WithOnTier moves the tag of a
// member whose tier an event changed, and a daily tick over TierChanges applies the
// changes time alone makes (orders leaving the window, grace periods ending). Both set
// the tag from the tier as of the host's now, not from the change's To: a merge is
// dated at the members' last events and may move the changes after it.
func ExampleWithOnTier() {
	ctx := context.Background()
	x, _ := segment.NewIndex()
	var l *loyalty.Ledger
	now := day(1) // the host's clock
	retag := func(member uint32) {
		for _, t := range tierRules().Tiers {
			x.Untag("tier:"+t.Name, member)
		}
		x.Tag("tier:"+l.Tier(now, member).Name, member)
	}
	l, _ = loyalty.Open(&loyalty.MemStore{}, tierRules(), loyalty.WithOnTier(func(c loyalty.TierChange) { retag(c.Member) }))
	l.Earn(ctx, day(1), "o1", 7, "O-1", 15000)
	now = day(2)
	l.Earn(ctx, day(2), "o2", 8, "O-2", 40000)

	gold, _ := segment.Parse("tier:gold")
	members, _ := x.Eval(ctx, day(2), gold, nil)
	fmt.Println("gold on 2 March:", members.ToArray())

	// The daily tick, a month later: member 8's order left the window on 1 April and
	// the grace ended on 8 April.
	last := day(2)
	for d := last.AddDate(0, 0, 1); !d.After(day(2).AddDate(0, 1, 10)); d = d.AddDate(0, 0, 1) {
		now = d
		for c := range l.TierChanges(last, d) {
			retag(c.Member)
			fmt.Println(c.At.Format(time.DateOnly), c.Member, c.From, "->", c.To)
		}
		last = d
	}
	members, _ = x.Eval(ctx, last, gold, nil)
	fmt.Println("gold on", last.Format(time.DateOnly)+":", members.ToArray())
	// Output:
	// gold on 2 March: [8]
	// 2026-04-07 7 silver -> member
	// 2026-04-08 8 gold -> member
	// gold on 2026-04-12: []
}

func ExampleLedger_TierChanges() {
	ctx := context.Background()
	l, _ := loyalty.Open(&loyalty.MemStore{}, tierRules())
	l.Earn(ctx, day(1), "o1", 1, "O-1", 12000)
	l.Earn(ctx, day(3), "o2", 2, "O-2", 35000)
	for c := range l.TierChanges(day(1).Add(-time.Second), day(31)) {
		fmt.Println(c.At.Format(time.DateOnly), c.Member, c.From, "->", c.To)
	}
	// Output:
	// 2026-03-01 1 member -> silver
	// 2026-03-03 2 member -> gold
}

func ExampleLedger_Liability() {
	ctx := context.Background()
	l, _ := loyalty.Open(&loyalty.MemStore{}, loyalty.Rules{Expiry: loyalty.Expiry{Rule: loyalty.EndOfMonth}})
	// January: four members earn 100 points each; two spend them all, one half, one none.
	for m := uint32(1); m <= 4; m++ {
		l.Earn(ctx, time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC), fmt.Sprint("jan", m), m, fmt.Sprint("J", m), 10000)
	}
	jan := time.Date(2026, 1, 20, 0, 0, 0, 0, time.UTC)
	l.Spend(ctx, jan, "s1", 1, 100)
	l.Spend(ctx, jan, "s2", 2, 100)
	l.Spend(ctx, jan, "s3", 3, 50)
	// February: member 1 earns 200 points, still outstanding at the report.
	l.Earn(ctx, time.Date(2026, 2, 10, 0, 0, 0, 0, time.UTC), "feb1", 1, "F1", 20000)

	li, _ := l.Liability(time.Date(2026, 2, 15, 0, 0, 0, 0, time.UTC), &loyalty.LiabilityOptions{CostPerPoint: 0.5})
	for _, c := range li.Vintages {
		fmt.Printf("%s spent %d expired %d outstanding %d breakage %.2f borrowed %v\n",
			c.Month.Format("2006-01"), c.Spent, c.Expired, c.Outstanding, c.Breakage, c.Borrowed)
	}
	fmt.Printf("outstanding %d points, expected cost %.0f cents\n", li.Outstanding, li.Value)
	// Output:
	// 2026-01 spent 250 expired 150 outstanding 0 breakage 0.38 borrowed false
	// 2026-02 spent 0 expired 0 outstanding 200 breakage 0.38 borrowed true
	// outstanding 200 points, expected cost 62 cents
}
