package referral_test

import (
	"bytes"
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/clientele-go/clientele/referral"
)

// TestLongHoldReplays: records keep times as Unix nanoseconds, which end in 2262. A
// reward held 290 years from 2026 (or 100 from 2200) was written with its PayableAt
// wrapped into the 1700s, so after a restart the reward held for good was payable at
// once, and paid. Live and replayed programmes now agree that it is held.
func TestLongHoldReplays(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		at   time.Time
		hold time.Duration
	}{
		{time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), 290 * 365 * 24 * time.Hour},
		{time.Date(2200, 3, 1, 0, 0, 0, 0, time.UTC), 100 * 365 * 24 * time.Hour},
	} {
		path := filepath.Join(t.TempDir(), "ledger.wal")
		rules := referral.Rules{Qualify: referral.AtSignup, ReferrerReward: 700, Hold: tc.hold}
		store, err := referral.OpenFileStore(path, &referral.FileOptions{NoSync: true})
		if err != nil {
			t.Fatal(err)
		}
		prog, err := referral.Open(store, rules)
		if err != nil {
			t.Fatal(err)
		}
		code, err := prog.IssueCode(ctx, tc.at, "c", 1, referral.Signals{}, bytes.NewReader(make([]byte, 10)))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := prog.SignUp(ctx, tc.at.Add(time.Hour), "s", 2, string(code), referral.Signals{}); err != nil {
			t.Fatal(err)
		}
		later := tc.at.Add(48 * time.Hour)
		want := referral.Balance{Earned: 700, Held: 700}
		if b := prog.Balance(later, 1); b != want {
			t.Errorf("%v + %v: live balance %+v, want %+v", tc.at, tc.hold, b, want)
		}
		if err := store.Close(); err != nil {
			t.Fatal(err)
		}
		store, err = referral.OpenFileStore(path, nil)
		if err != nil {
			t.Fatal(err)
		}
		prog, err = referral.Open(store, rules)
		if err != nil {
			t.Fatalf("replay: %v", err)
		}
		if b := prog.Balance(later, 1); b != want {
			t.Errorf("%v + %v: replayed balance %+v, want %+v", tc.at, tc.hold, b, want)
		}
		if p := prog.Payables(later); len(p) != 0 {
			t.Errorf("%v + %v: replayed payables %+v, want none", tc.at, tc.hold, p)
		}
		store.Close()
	}
}
