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

func ExampleEvaluate() {
	past := synth.SimulateCampaign(synth.CampaignParams{People: 50_000, Seed: 1})
	m, _ := uplift.Fit(past.X, past.Treated, past.Converted, nil)
	// Evaluate on a campaign the model has not seen.
	test := synth.SimulateCampaign(synth.CampaignParams{People: 20_000, Seed: 2})
	u, _ := m.Uplift(test.X)
	ev, err := uplift.Evaluate(u, test.Treated, test.Converted, &uplift.EvalOptions{Replicates: 100})
	if err != nil {
		fmt.Println(err)
		return
	}
	q := ev.QiniCoefficient
	fmt.Printf("Qini coefficient %.3f [%.3f, %.3f]\n", q.Estimate, q.Lower, q.Upper)
	fmt.Printf("uplift in the top 30%%: %.3f [%.3f, %.3f]\n", ev.UpliftAtK.Estimate, ev.UpliftAtK.Lower, ev.UpliftAtK.Upper)
	for _, b := range []uplift.Bin{ev.Deciles[0], ev.Deciles[9]} {
		fmt.Printf("decile: predicted %+.3f, observed %+.3f ± %.3f\n", b.Predicted, b.Observed, b.StdErr)
	}
	// Output:
	// Qini coefficient 0.121 [0.088, 0.156]
	// uplift in the top 30%: 0.066 [0.052, 0.079]
	// decile: predicted +0.120, observed +0.112 ± 0.016
	// decile: predicted -0.108, observed -0.034 ± 0.019
}

func ExampleQiniCurve() {
	score := []float64{0.3, 0.2, 0.2, 0.1, 0.0, -0.1}
	treated := []bool{true, false, true, false, true, false}
	bought := []bool{true, false, true, false, false, true}
	c, _ := uplift.QiniCurve(score, treated, bought)
	fmt.Println(c.X, c.Y, c.Area())
	// Output:
	// [0 1 3 4 5 6] [0 1 2 2 2 1] 9
}

func ExampleUpliftCurve() {
	score := []float64{0.3, 0.2, 0.2, 0.1, 0.0, -0.1}
	treated := []bool{true, false, true, false, true, false}
	bought := []bool{true, false, true, false, false, true}
	c, _ := uplift.UpliftCurve(score, treated, bought)
	fmt.Println(c.X, c.Y)
	// Output:
	// [0 1 3 4 5 6] [0 1 3 4 3.333333333333333 2]
}

func ExampleCurve_Area() {
	c := uplift.Curve{X: []float64{0, 2, 4}, Y: []float64{0, 1, 1}}
	fmt.Println(c.Area())
	// Output:
	// 3
}
