package referral_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/clientele-go/clientele/referral"
)

// TestSignupsAllocations: Signups sizes its set and its list for every sign-up at
// once. Grown entry by entry they were reallocated and copied as they grew (132
// allocations for 10,000 sign-ups, 68 sized; the rest are the maps' own tables, about
// one a thousand entries), a third of a million sign-ups' time. A count, not a timing,
// so that the test holds on a loaded machine.
func TestSignupsAllocations(t *testing.T) {
	ctx := context.Background()
	p, err := referral.Open(&referral.MemStore{}, referral.Rules{})
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	const n = 10_000
	for i := 1; i <= n; i++ {
		if _, err := p.SignUp(ctx, at.Add(time.Duration(i)*time.Second), fmt.Sprint("s", i), uint32(i), "", referral.Signals{}); err != nil {
			t.Fatal(err)
		}
	}
	if got := len(p.Signups()); got != n {
		t.Fatalf("%d sign-ups, want %d", got, n)
	}
	if allocs := testing.AllocsPerRun(3, func() { p.Signups() }); allocs > 100 {
		t.Errorf("Signups of %d sign-ups: %.0f allocations, want at most 100", n, allocs)
	}
}
