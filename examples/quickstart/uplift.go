package main

import (
	"slices"

	"github.com/clientele-go/clientele/internal/synth"
	"github.com/clientele-go/clientele/scoring/uplift"
)

const secUplift = "Uplift: whom a promotion changes"

// reportUplift compares targeting by uplift with targeting by propensity at one budget
// (issue #20): a past randomised campaign trains an X-learner, whose treated-outcome
// model is the propensity model (P(buy | sent)); a second randomised campaign is the
// holdout that estimates, with intervals, what each policy brings; the third is the
// audience. The simulator knows every person's true uplift, so the truth is shown
// beside the estimates. Campaigns have the base's size, at least 20,000 people, so
// that a small base still gives a readable comparison.
func reportUplift(w *reportWriter, people int, seed uint64) error {
	n := max(people, 20_000)
	sim := func(k uint64) *synth.Campaign {
		return synth.SimulateCampaign(synth.CampaignParams{People: n, Seed: 3*seed + k})
	}
	past, holdout, audience := sim(0), sim(1), sim(2)
	m, err := uplift.Fit(past.X, past.Treated, past.Converted, &uplift.FitOptions{Learner: uplift.XLearner})
	if err != nil {
		return err
	}
	scores := func(x [][]float64) (u, r []float64, err error) {
		if u, err = m.Uplift(x); err == nil {
			r, err = m.Response(x)
		}
		return u, r, err
	}
	hu, hr, err := scores(holdout.X)
	if err != nil {
		return err
	}
	au, ar, err := scores(audience.X)
	if err != nil {
		return err
	}
	const share = 0.2
	contacts := int(share * float64(n))
	w.section(secUplift)
	w.line("A simulated past campaign, on %s people of its own (the base's size, and at least 20,000 so that the", thousands(n))
	w.line("intervals mean something), sent a promotion to half of them at random; an uplift model (X-learner)")
	w.line("and a propensity model (who buys when sent) learnt from it. Budget: %s contacts of an audience", thousands(contacts))
	w.line("of %s. Estimates from a second randomised campaign (the holdout), 95%% bootstrap intervals.", thousands(n))
	w.line("%-16s %-40s %s", "targeting by", "incremental conversions (holdout)", "truth")
	for _, p := range []struct {
		name          string
		hold, targets []float64
	}{{"uplift", hu, au}, {"propensity", hr, ar}} {
		ev, err := uplift.Evaluate(p.hold, holdout.Treated, holdout.Converted, &uplift.EvalOptions{K: share, Seed: seed})
		if err != nil {
			return err
		}
		k := float64(contacts)
		iv := ev.UpliftAtK
		w.line("%-16s %-40s %s", p.name, thousands(round(iv.Estimate*k))+" ["+thousands(round(iv.Lo*k))+", "+thousands(round(iv.Hi*k))+"]",
			thousands(round(topTruth(p.targets, audience.Uplift, contacts))))
	}
	var random float64
	for _, u := range audience.Uplift {
		random += u
	}
	w.line("%-16s %-40s %s", "at random", "", thousands(round(random*share)))
	plan, err := uplift.Target(au, ar, &uplift.Budget{Contacts: contacts, ContactCost: 0.05, DiscountCost: 2, Value: 20})
	if err != nil {
		return err
	}
	iv, err := plan.Check(hu, hr, holdout.Treated, holdout.Converted, &uplift.EvalOptions{Seed: seed})
	if err != nil {
		return err
	}
	w.line("Priced (a sale worth 20, a 2.00 discount per redemption, 0.05 a contact), uplift targeting sends to")
	w.line("%s people: expected profit %s; incremental conversions %s [%s, %s] (holdout); %s discounts redeemed.",
		thousands(len(plan.Send)), thousands(round(plan.Profit)), thousands(round(iv.Estimate)), thousands(round(iv.Lo)),
		thousands(round(iv.Hi)), thousands(round(plan.Redemptions)))
	return nil
}

// topTruth is the true incremental conversions of sending to the k best-scored people.
func topTruth(score, truth []float64, k int) float64 {
	idx := make([]int, len(score))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int {
		switch {
		case score[a] > score[b]:
			return -1
		case score[a] < score[b]:
			return 1
		}
		return 0
	})
	var s float64
	for _, i := range idx[:k] {
		s += truth[i]
	}
	return s
}

func round(v float64) int64 {
	if v != v { // NaN: an arm missing among the holdout's top rows
		return 0
	}
	if v < 0 {
		return -int64(-v + 0.5)
	}
	return int64(v + 0.5)
}
