package identity_test

import (
	"context"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/clientele-go/clientele/identity"
)

// Explanation.String printed a matched hop's weight with %.1f: 7.25 bits as "7.2
// bits", which History and Hop.Match.String give as 7.25, and -0.04 as "-0.0 bits".
// It writes the weight as Match.String does, and a zero without its sign.
func TestExplanationWeightExact(t *testing.T) {
	ctx := context.Background()
	at := time.Date(2025, 5, 1, 9, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		weight float64
		says   string
	}{
		{7.25, "matched at 7.25 bits"},
		{-0.04, "matched at -0.04 bits"},
		{math.Copysign(0, -1), "matched at 0 bits"},
		{13.0625, "matched at 13.0625 bits"},
		{-3, "matched at -3 bits"},
	} {
		r, err := identity.New(identity.DefaultRules())
		if err != nil {
			t.Fatal(err)
		}
		a, b := identity.ID{Kind: "loyalty_card", Value: "L-881"}, identity.ID{Kind: "crm_id", Value: "C-17"}
		if _, err := r.LinkMatch(ctx, at, "match", identity.Match{Weight: c.weight}, a, b); err != nil {
			t.Fatal(err)
		}
		e, err := r.Explain(a, b)
		if err != nil {
			t.Fatal(err)
		}
		if s := e.String(); !strings.Contains(s, "(match, "+c.says+", 2025-05-01T09:00:00Z)") {
			t.Errorf("weight %v: %q does not say %q", c.weight, s, c.says)
		}
	}
}
