package loyalty_test

import (
	"context"
	"strings"
	"testing"

	"github.com/clientele-go/clientele/referral/loyalty"
)

// Messages count in English: a spend of 1 point is "1 point", never "1 points".
func TestMessagesCountInEnglish(t *testing.T) {
	l, err := loyalty.Open(&loyalty.MemStore{}, shopRules())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.Spend(context.Background(), day(10), "s1", 1, 1); err == nil || !strings.Contains(err.Error(), `"s1": 1 point, member 1`) {
		t.Errorf("a spend of 1 point with none available: %v, want it to count \"1 point\"", err)
	}
}
