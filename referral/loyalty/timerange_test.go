package loyalty_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/clientele-go/clientele/referral/loyalty"
)

// TestInstantsPast2262: events may be dated up to 2200 and locks, expiries, windows and
// graces may last 100 years, but Unix nanoseconds end in 2262. A 2170 order's 100-year
// expiry once wrapped to 1686, so its points expired the instant they were earned (and
// the record, expiring before its event, no longer replayed); a 100-year lock wrapped
// to an unlock in the past; a 100-year tier window ended before the order. Now an
// instant past 2262 is the end of the ledger's time, and a replay agrees.
func TestInstantsPast2262(t *testing.T) {
	ctx := context.Background()
	const century = 100 * 365 * 24 * time.Hour
	at := time.Date(2170, 6, 1, 0, 0, 0, 0, time.UTC)
	later := at.Add(time.Hour)
	for _, tc := range []struct {
		name  string
		rules loyalty.Rules
		want  loyalty.Balance
		tier  string
	}{
		{"expiry at the end of the 100th year", loyalty.Rules{Expiry: loyalty.Expiry{Rule: loyalty.EndOfYear, N: 100}}, loyalty.Balance{Available: 1000}, ""},
		{"expiry after 36,600 days", loyalty.Rules{Expiry: loyalty.Expiry{Rule: loyalty.AfterDays, N: 36600}}, loyalty.Balance{Available: 1000}, ""},
		{"lock of a century", loyalty.Rules{Lock: century}, loyalty.Balance{Locked: 1000}, ""},
		{"tier window of a century", loyalty.Rules{Tiers: []loyalty.Tier{{Name: "base"}, {Name: "gold", Threshold: 10}}, Window: century, Grace: century},
			loyalty.Balance{Available: 1000}, "gold"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "ledger")
			fs, err := loyalty.OpenFileStore(path, &loyalty.FileOptions{NoSync: true})
			if err != nil {
				t.Fatal(err)
			}
			l, err := loyalty.Open(fs, tc.rules)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := l.Earn(ctx, at, "k", 1, "O1", 100000); err != nil {
				t.Fatal(err)
			}
			check := func(l *loyalty.Ledger, when string) {
				t.Helper()
				if b := l.Balance(later, 1); b != tc.want {
					t.Errorf("%s: balance an hour after a 2170 order %+v, want %+v", when, b, tc.want)
				}
				if tc.tier != "" {
					if s := l.Tier(later, 1); s.Name != tc.tier {
						t.Errorf("%s: tier an hour after the order %q, want %q", when, s.Name, tc.tier)
					}
				}
				if b := l.Balance(time.Time{}, 1); b != (loyalty.Balance{}) {
					t.Errorf("%s: balance at the zero time %+v, want none", when, b)
				}
			}
			check(l, "live")
			if err := fs.Close(); err != nil {
				t.Fatal(err)
			}
			fs, err = loyalty.OpenFileStore(path, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer fs.Close()
			l, err = loyalty.Open(fs, tc.rules)
			if err != nil {
				t.Fatalf("replay: %v", err)
			}
			check(l, "replayed")
		})
	}
}
