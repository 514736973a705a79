package errtext

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestErrorf(t *testing.T) {
	sentinel := errors.New("referral: not found")
	store := errors.New("referral/pgstore: lead: context canceled")
	inner := fmt.Errorf("%w: order %q", sentinel, "referral: x")
	for _, c := range []struct {
		err  error
		want string
	}{
		{Errorf("referral: ", "open: %w", sentinel), "referral: open: not found"},
		{Errorf("referral: ", "apply event %d: %w", 3, inner), `referral: apply event 3: not found: order "referral: x"`},
		{Errorf("referral: ", "apply event 0: %w", Errorf("referral: ", "lead the shared ledger: %w", store)), "referral: apply event 0: lead the shared ledger: lead: context canceled"},
		{Errorf("referral: ", "order event %q: %w", "k", fmt.Errorf("order %q: %w", "A", sentinel)), `referral: order event "k": order "A": not found`},
		{Errorf("referral: ", "plain %d", 1), "referral: plain 1"},
		{Errorf("referral: ", "wraps %w", errors.New("disk full")), "referral: wraps disk full"},
	} {
		if got := c.err.Error(); got != c.want {
			t.Errorf("got %q, want %q", got, c.want)
		}
		if strings.Contains(c.want, "not found") && !errors.Is(c.err, sentinel) {
			t.Errorf("%q does not wrap the sentinel", c.err)
		}
		if strings.Contains(c.want, "canceled") && !errors.Is(c.err, store) {
			t.Errorf("%q does not wrap the store's error", c.err)
		}
	}
}
