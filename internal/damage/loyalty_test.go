package damage

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/clientele-go/clientele/referral/loyalty"
)

// loyaltyLedger: a FileStore holding earns (with lines), spends, partial and whole
// refunds (one into debt), a bonus and adjustments, over tiers; the state is every
// member's balance, lots and tier at several instants.
func loyaltyLedger() format {
	day := func(d int) time.Time { return t0.AddDate(0, 0, d) }
	rules := loyalty.Rules{
		Categories: map[string]int64{"wine": 4},
		Lock:       3 * 24 * time.Hour,
		Expiry:     loyalty.Expiry{Rule: loyalty.AfterDays, N: 40},
		Tiers:      []loyalty.Tier{{Name: "member"}, {Name: "silver", Threshold: 150, Multiplier: 125}, {Name: "gold", Threshold: 400, Multiplier: 150}},
		Window:     30 * 24 * time.Hour,
		Grace:      5 * 24 * time.Hour,
	}
	state := func(l *loyalty.Ledger) string {
		var sb strings.Builder
		for m := uint32(1); m <= 6; m++ {
			for _, d := range []int{5, 20, 45, 90} {
				fmt.Fprintf(&sb, "%d@%d %+v %v %+v\n", m, d, l.Balance(day(d), m), l.Lots(day(d), m), l.Tier(day(d), m))
			}
		}
		return sb.String()
	}
	return walFormat("loyalty ledger", "loyalty.wal", loyalty.ErrCorrupt, func(path string) (*loyalty.FileStore, error) { return loyalty.OpenFileStore(path, nil) },
		func(t *testing.T, s *loyalty.FileStore) string {
			ctx := context.Background()
			l, err := loyalty.Open(s, rules)
			if err != nil {
				t.Fatal(err)
			}
			must := func(_ loyalty.Record, err error) {
				t.Helper()
				if err != nil {
					t.Fatal(err)
				}
			}
			for i := range 18 {
				m := uint32(1 + i%6)
				must(l.Earn(ctx, day(i), fmt.Sprint("e", i), m, fmt.Sprint("O", i), int64(4000+2500*i),
					loyalty.Line{Product: "rioja", Category: "wine", Amount: int64(500 * i)}))
			}
			must(l.Spend(ctx, day(19), "s1", 1, 60))
			must(l.Spend(ctx, day(19), "s2", 2, 90))
			must(l.Refund(ctx, day(20), "r1", "O13", 3000))
			must(l.Refund(ctx, day(21), "r2", "O1", 0))
			must(l.Bonus(ctx, day(22), "b1", 4, 250, "anniversary"))
			must(l.Adjust(ctx, day(23), "a1", 5, -30, "duplicate"))
			must(l.Adjust(ctx, day(23), "a2", 6, 15, "goodwill"))
			return state(l)
		},
		func(s *loyalty.FileStore) (string, error) {
			l, err := loyalty.Open(s, rules)
			if err != nil {
				return "", err
			}
			return state(l), nil
		})
}
