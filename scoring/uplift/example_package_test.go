package uplift_test

import (
	"fmt"

	"github.com/clientele-go/clientele/internal/synth"
	"github.com/clientele-go/clientele/scoring/uplift"
)

// Fit on a past randomised campaign, then send the next one to the 1,000 people it
// changes most.
func Example() {
	past := synth.SimulateCampaign(synth.CampaignParams{People: 20_000, Seed: 1})
	m, err := uplift.Fit(past.X, past.Treated, past.Converted, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	next := synth.SimulateCampaign(synth.CampaignParams{People: 20_000, Seed: 3})
	u, _ := m.Uplift(next.X)
	r, _ := m.Response(next.X)
	p, err := uplift.Target(u, r, &uplift.Promotion{Contacts: 1000, ContactCost: 0.05, DiscountCost: 2, Value: 20})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("send %d: %.0f incremental conversions, profit %.0f\n", len(p.Send), p.Conversions, p.Profit)
	// Output:
	// send 1000: 162 incremental conversions, profit 2702
}
