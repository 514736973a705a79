package uplift_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/clientele-go/clientele/scoring"

	"github.com/clientele-go/clientele/internal/synth"
	"github.com/clientele-go/clientele/scoring/uplift"
)

func ExampleFit() {
	// A past campaign, half of it sent the promotion at random.
	past := synth.SimulateCampaign(synth.CampaignParams{People: 20_000, Seed: 1})
	m, err := uplift.Fit(past.X, past.Treated, past.Converted, &uplift.FitOptions{Learner: uplift.XLearner})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(m.Learner, "with propensity", m.Propensity)
	// Output:
	// X-learner with propensity 0.50485
}

func ExampleModel_Uplift() {
	past := synth.SimulateCampaign(synth.CampaignParams{People: 20_000, Seed: 1})
	m, _ := uplift.Fit(past.X, past.Treated, past.Converted, nil)
	next := synth.SimulateCampaign(synth.CampaignParams{People: 3, Seed: 2})
	u, _ := m.Uplift(next.X)
	for i := range u {
		fmt.Printf("estimated %+.3f, true %+.3f\n", u[i], next.Uplift[i])
	}
	// Output:
	// estimated +0.053, true +0.034
	// estimated -0.007, true -0.003
	// estimated +0.103, true +0.029
}

func ExampleModel_Response() {
	past := synth.SimulateCampaign(synth.CampaignParams{People: 20_000, Seed: 1})
	m, _ := uplift.Fit(past.X, past.Treated, past.Converted, nil)
	next := synth.SimulateCampaign(synth.CampaignParams{People: 3, Seed: 2})
	p, _ := m.Response(next.X)
	for i := range p {
		fmt.Printf("P(buy | sent) estimated %.3f, true %.3f\n", p[i], next.Response[i])
	}
	// Output:
	// P(buy | sent) estimated 0.111, true 0.084
	// P(buy | sent) estimated 0.008, true 0.012
	// P(buy | sent) estimated 0.234, true 0.174
}

func ExampleLearner_String() {
	fmt.Println(uplift.TwoModel, "|", uplift.ClassTransformation, "|", uplift.XLearner)
	// Output:
	// two-model | class transformation | X-learner
}

func ExampleEvaluate() {
	past := synth.SimulateCampaign(synth.CampaignParams{People: 20_000, Seed: 1})
	m, _ := uplift.Fit(past.X, past.Treated, past.Converted, nil)
	// Evaluate on a campaign the model has not seen.
	test := synth.SimulateCampaign(synth.CampaignParams{People: 20_000, Seed: 2})
	u, _ := m.Uplift(test.X)
	ev, err := uplift.Evaluate(context.Background(), u, test.Treated, test.Converted, &uplift.EvalOptions{Replicates: 100})
	if err != nil {
		fmt.Println(err)
		return
	}
	q := ev.QiniCoefficient
	fmt.Printf("Qini coefficient %.3f [%.3f, %.3f]\n", q.Estimate, q.Lo, q.Hi)
	fmt.Printf("uplift in the top 30%%: %.3f [%.3f, %.3f]\n", ev.UpliftAtK.Estimate, ev.UpliftAtK.Lo, ev.UpliftAtK.Hi)
	for _, b := range []uplift.Bin{ev.Deciles[0], ev.Deciles[9]} {
		fmt.Printf("decile: predicted %+.3f, observed %+.3f ± %.3f\n", b.Predicted, b.Observed, b.StdErr)
	}
	// Output:
	// Qini coefficient 0.121 [0.089, 0.162]
	// uplift in the top 30%: 0.065 [0.052, 0.082]
	// decile: predicted +0.131, observed +0.106 ± 0.016
	// decile: predicted -0.099, observed -0.028 ± 0.019
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

func ExampleTarget() {
	past := synth.SimulateCampaign(synth.CampaignParams{People: 20_000, Seed: 1})
	m, _ := uplift.Fit(past.X, past.Treated, past.Converted, nil)
	people := synth.SimulateCampaign(synth.CampaignParams{People: 20_000, Seed: 3})
	u, _ := m.Uplift(people.X)
	r, _ := m.Response(people.X)
	// 2,000 contacts at 0.05 each; a 2.00 discount on every redemption; a sale is worth 20.
	p, err := uplift.Target(u, r, &uplift.Promotion{Contacts: 2000, ContactCost: 0.05, DiscountCost: 2, Value: 20})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("send %d: %.0f incremental conversions, %.0f redemptions, cost %.0f, profit %.0f\n",
		len(p.Send), p.Conversions, p.Redemptions, p.Cost, p.Profit)
	// Output:
	// send 2000: 266 incremental conversions, 411 redemptions, cost 922, profit 4406
}

func ExamplePlan_Check() {
	past := synth.SimulateCampaign(synth.CampaignParams{People: 20_000, Seed: 1})
	m, _ := uplift.Fit(past.X, past.Treated, past.Converted, nil)
	people := synth.SimulateCampaign(synth.CampaignParams{People: 20_000, Seed: 3})
	u, _ := m.Uplift(people.X)
	p, _ := uplift.Target(u, nil, &uplift.Promotion{Contacts: 4000})
	// A randomised holdout, scored by the same model, estimates what the plan brings.
	holdout := synth.SimulateCampaign(synth.CampaignParams{People: 20_000, Seed: 4})
	hu, _ := m.Uplift(holdout.X)
	iv, err := p.Check(context.Background(), hu, nil, holdout.Treated, holdout.Converted, &uplift.EvalOptions{Replicates: 100})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("model %.0f, holdout %.0f [%.0f, %.0f]\n", p.Conversions, iv.Estimate, iv.Lo, iv.Hi)
	// Output:
	// model 419, holdout 357 [273, 445]
}

func ExampleFeatures() {
	// Purchase summaries (scoring.Summarize), their RFM scores, a fitted BG/NBD, an
	// engagement table and a segment's bitmap: the SDK's own outputs for three profiles.
	day := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	ss := []scoring.Summary{
		{Profile: 3, Customer: scoring.Customer{Frequency: 2, Recency: 5, T: 8, Monetary: 30}, Spend: 75},
		{Profile: 1, Customer: scoring.Customer{Frequency: 0, Recency: 0, T: 4}, Spend: 15},
		{Profile: 9, Customer: scoring.Customer{Frequency: 5, Recency: 7, T: 7, Monetary: 12}, Spend: 80},
	}
	rfm, _ := scoring.RFM(ss, nil)
	bgnbd := &scoring.BGNBD{R: 0.24, Alpha: 4.4, A: 0.79, B: 2.4}
	eng, _ := scoring.NewEngagement(scoring.DefaultHalfLife)
	_ = eng.Add(day.AddDate(0, 0, -30), 9, 2) // two actions a half-life ago
	newsletter := roaring.BitmapOf(1, 9)

	f, err := uplift.NewFeatures([]uint32{1, 3, 9})
	if err == nil {
		err = errors.Join(f.RFM(rfm), f.BTYD(bgnbd, 4, ss), f.Engagement(eng, day), f.Segment("newsletter", newsletter))
	}
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(strings.Join(f.Names(), " "))
	for _, row := range f.Matrix() {
		fmt.Printf("%.2f\n", row)
	}
	// Output:
	// rfm_recency rfm_frequency rfm_monetary p_alive expected_purchases engagement segment:newsletter
	// [1.00 1.00 1.00 1.00 0.11 0.00 1.00]
	// [3.00 3.00 3.00 0.70 0.47 0.00 0.00]
	// [5.00 5.00 5.00 0.89 1.49 1.00 1.00]
}

// A matrix is built for a fixed list of profiles, and every column must have a value
// for each of them: a column that misses a profile (here an RFM score for a person
// who never bought) is refused whole, leaving the matrix as it was, while a segment
// column gives non-members 0. The profiles must be distinct.
func ExampleNewFeatures() {
	f, _ := uplift.NewFeatures([]uint32{1, 2})
	err := f.RFM([]scoring.RFMScore{{Profile: 1, Recency: 5, Frequency: 4, Monetary: 3}})
	fmt.Println(errors.Is(err, uplift.ErrNotFound), err)
	fmt.Println(f.Segment("newsletter", roaring.BitmapOf(2, 7)))
	fmt.Println(f.Names(), f.Matrix())

	_, err = uplift.NewFeatures([]uint32{1, 2, 1})
	fmt.Println(err)
	// Output:
	// true uplift: not found: profile 2 has no RFM score
	// <nil>
	// [segment:newsletter] [[0] [1]]
	// uplift: invalid input: profile 1 is listed twice (rows 0 and 2)
}

func ExampleFitSpend() {
	// A past campaign whose outcome is what each person spent.
	past := synth.SimulateCampaign(synth.CampaignParams{People: 20_000, Seed: 1})
	m, err := uplift.FitSpend(past.X, past.Treated, past.Spend, &uplift.FitOptions{Learner: uplift.XLearner})
	if err != nil {
		fmt.Println(err)
		return
	}
	next := synth.SimulateCampaign(synth.CampaignParams{People: 3, Seed: 2})
	u, _ := m.Uplift(next.X)
	for i := range u {
		fmt.Printf("incremental spend estimated %+.2f, true %+.2f\n", u[i], next.SpendUplift[i])
	}
	// Output:
	// incremental spend estimated +2.24, true +1.21
	// incremental spend estimated -3.37, true -0.14
	// incremental spend estimated +3.13, true +1.43
}

func ExampleEvaluateSpend() {
	past := synth.SimulateCampaign(synth.CampaignParams{People: 20_000, Seed: 1})
	m, _ := uplift.FitSpend(past.X, past.Treated, past.Spend, nil)
	test := synth.SimulateCampaign(synth.CampaignParams{People: 20_000, Seed: 2})
	u, _ := m.Uplift(test.X)
	ev, err := uplift.EvaluateSpend(context.Background(), u, test.Treated, test.Spend, &uplift.EvalOptions{Replicates: 100})
	if err != nil {
		fmt.Println(err)
		return
	}
	q, k := ev.QiniCoefficient, ev.UpliftAtK
	fmt.Printf("spend Qini coefficient %.3f [%.3f, %.3f]\n", q.Estimate, q.Lo, q.Hi)
	fmt.Printf("incremental spend per person in the top 30%%: %.2f [%.2f, %.2f]\n", k.Estimate, k.Lo, k.Hi)
	// Output:
	// spend Qini coefficient 0.116 [0.079, 0.146]
	// incremental spend per person in the top 30%: 3.06 [2.52, 3.67]
}

func ExampleTarget_spend() {
	past := synth.SimulateCampaign(synth.CampaignParams{People: 20_000, Seed: 1})
	m, _ := uplift.FitSpend(past.X, past.Treated, past.Spend, nil)
	people := synth.SimulateCampaign(synth.CampaignParams{People: 20_000, Seed: 3})
	u, _ := m.Uplift(people.X)
	r, _ := m.Response(people.X)
	// A 30% margin on spend, 10% off every treated purchase, 0.05 a contact, at most
	// 4,000 contacts: profit_i = 0.3·uplift_i - 0.05 - 0.1·E[spend_i | treated].
	b := &uplift.Promotion{Outcome: uplift.Spend, Contacts: 4000, ContactCost: 0.05, DiscountCost: 0.1, Value: 0.3}
	p, err := uplift.Target(u, r, b)
	if err != nil {
		fmt.Println(err)
		return
	}
	holdout := synth.SimulateCampaign(synth.CampaignParams{People: 20_000, Seed: 4})
	hu, _ := m.Uplift(holdout.X)
	hr, _ := m.Response(holdout.X)
	iv, err := p.CheckSpend(context.Background(), hu, hr, holdout.Treated, holdout.Spend, &uplift.EvalOptions{Replicates: 100})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("send %d: incremental spend %.0f (holdout %.0f [%.0f, %.0f]), profit %.0f\n",
		len(p.Send), p.Conversions, iv.Estimate, iv.Lo, iv.Hi, p.Profit)
	// Output:
	// send 4000: incremental spend 13848 (holdout 15768 [13036, 18694]), profit 2586
}
