package uplift_test

import (
	"fmt"

	"github.com/clientele-go/clientele/internal/synth"
	"github.com/clientele-go/clientele/scoring/uplift"
)

func ExampleFit() {
	// A past campaign, half of it sent the promotion at random.
	past := synth.SimulateCampaign(synth.CampaignParams{People: 50_000, Seed: 1})
	m, err := uplift.Fit(past.X, past.Treated, past.Converted, &uplift.FitOptions{Learner: uplift.XLearner})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(m.Learner, "with propensity", m.Propensity)
	// Output:
	// X-learner with propensity 0.50452
}

func ExampleModel_Uplift() {
	past := synth.SimulateCampaign(synth.CampaignParams{People: 50_000, Seed: 1})
	m, _ := uplift.Fit(past.X, past.Treated, past.Converted, nil)
	next := synth.SimulateCampaign(synth.CampaignParams{People: 3, Seed: 2})
	u, _ := m.Uplift(next.X)
	for i := range u {
		fmt.Printf("estimated %+.3f, true %+.3f\n", u[i], next.Uplift[i])
	}
	// Output:
	// estimated +0.060, true +0.034
	// estimated -0.008, true -0.003
	// estimated +0.099, true +0.029
}

func ExampleModel_Response() {
	past := synth.SimulateCampaign(synth.CampaignParams{People: 50_000, Seed: 1})
	m, _ := uplift.Fit(past.X, past.Treated, past.Converted, nil)
	next := synth.SimulateCampaign(synth.CampaignParams{People: 3, Seed: 2})
	p, _ := m.Response(next.X)
	for i := range p {
		fmt.Printf("P(buy | sent) estimated %.3f, true %.3f\n", p[i], next.Response[i])
	}
	// Output:
	// P(buy | sent) estimated 0.109, true 0.084
	// P(buy | sent) estimated 0.008, true 0.012
	// P(buy | sent) estimated 0.240, true 0.174
}

func ExampleLearner_String() {
	fmt.Println(uplift.TwoModel, "|", uplift.ClassTransformation, "|", uplift.XLearner)
	// Output:
	// two-model | class transformation | X-learner
}
