package referral_test

import (
	"errors"
	"testing"
	"time"

	"github.com/clientele-go/clientele/referral"
)

// TestOpenNegativeRuleNamesTheField: each negative duration and amount of Rules is
// refused under its own name and value, because "rules: negative amount" left a host
// with five amount fields to find which one it had got wrong.
func TestOpenNegativeRuleNamesTheField(t *testing.T) {
	for _, c := range []struct {
		rules referral.Rules
		want  string
	}{
		{referral.Rules{Window: -time.Hour}, "referral: invalid input: rules: Window -1h0m0s is negative"},
		{referral.Rules{Hold: -time.Hour}, "referral: invalid input: rules: Hold -1h0m0s is negative"},
		{referral.Rules{QualifyWithin: -time.Hour}, "referral: invalid input: rules: QualifyWithin -1h0m0s is negative"},
		{referral.Rules{CapPeriod: -time.Hour}, "referral: invalid input: rules: CapPeriod -1h0m0s is negative"},
		{referral.Rules{ReferrerReward: -1}, "referral: invalid input: rules: ReferrerReward -1 is negative"},
		{referral.Rules{ReferredReward: -2}, "referral: invalid input: rules: ReferredReward -2 is negative"},
		{referral.Rules{MinAmount: -3}, "referral: invalid input: rules: MinAmount -3 is negative"},
		{referral.Rules{CapPerReferrer: -4}, "referral: invalid input: rules: CapPerReferrer -4 is negative"},
		{referral.Rules{CapPerPeriod: -5, CapPeriod: time.Hour}, "referral: invalid input: rules: CapPerPeriod -5 is negative"},
	} {
		_, err := referral.Open(&referral.MemStore{}, c.rules)
		if err == nil || err.Error() != c.want || !errors.Is(err, referral.ErrInvalid) {
			t.Errorf("%+v: %v, want %q", c.rules, err, c.want)
		}
	}
}
