package main

import (
	"context"
	"math"

	"github.com/clientele-go/clientele/internal/order"
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
func reportUplift(w *reportWriter, people int, seed uint64) (*upliftCurves, error) {
	n := max(people, 20_000)
	sim := func(k uint64) *synth.Campaign {
		return synth.SimulateCampaign(synth.CampaignParams{People: n, Seed: 3*seed + k})
	}
	past, holdout, audience := sim(0), sim(1), sim(2)
	m, err := uplift.Fit(past.X, past.Treated, past.Converted, &uplift.FitOptions{Learner: uplift.XLearner})
	if err != nil {
		return nil, err
	}
	scores := func(x [][]float64) (u, r []float64, err error) {
		if u, err = m.Uplift(x); err == nil {
			r, err = m.Response(x)
		}
		return u, r, err
	}
	hu, hr, err := scores(holdout.X)
	if err != nil {
		return nil, err
	}
	au, ar, err := scores(audience.X)
	if err != nil {
		return nil, err
	}
	curves := &upliftCurves{}
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
		ev, err := uplift.Evaluate(context.Background(), p.hold, holdout.Treated, holdout.Converted, &uplift.EvalOptions{K: share, Seed: seed})
		if err != nil {
			return nil, err
		}
		curves.add(p.name, ev)
		k := float64(contacts)
		iv := ev.UpliftAtK
		w.line("%-16s %-40s %s", p.name, holdoutFigure(iv.Estimate*k)+" ["+holdoutFigure(iv.Lo*k)+", "+holdoutFigure(iv.Hi*k)+"]",
			thousands(round(topTruth(p.targets, audience.Uplift, contacts))))
	}
	var random float64
	for _, u := range audience.Uplift {
		random += u
	}
	w.line("%-16s %-40s %s", "at random", "", thousands(round(random*share)))
	plan, err := uplift.Target(au, ar, &uplift.Promotion{Contacts: contacts, ContactCost: 0.05, DiscountCost: 2, Value: 20})
	if err != nil {
		return nil, err
	}
	iv, err := plan.Check(context.Background(), hu, hr, holdout.Treated, holdout.Converted, &uplift.EvalOptions{Seed: seed})
	if err != nil {
		return nil, err
	}
	w.line("Priced (a sale worth 20, a 2.00 discount per redemption, 0.05 a contact), uplift targeting sends to")
	w.line("%s people: expected profit %s; incremental conversions %s [%s, %s] (holdout); %s discounts redeemed.",
		thousands(len(plan.Send)), thousands(round(plan.Profit)), holdoutFigure(iv.Estimate), holdoutFigure(iv.Lo),
		holdoutFigure(iv.Hi), thousands(round(plan.Redemptions)))
	return curves, nil
}

// upliftCurves are the holdout's Qini curves of each targeting, for the report's
// chart, sampled at upliftPoints evenly spaced shares of the holdout (a curve has a
// point per distinct score, tens of thousands).
type upliftCurves struct {
	share []float64 // x: the share of the holdout targeted, in per cent
	names []string
	qini  [][]float64
	coef  []float64 // each curve's Qini coefficient
}

const upliftPoints = 40

func (u *upliftCurves) add(name string, ev *uplift.Evaluation) {
	c := ev.Qini
	n := c.X[len(c.X)-1]
	if u.share == nil {
		for k := 0; k <= upliftPoints; k++ {
			u.share = append(u.share, 100*float64(k)/upliftPoints)
		}
	}
	y := make([]float64, len(u.share))
	j := 0
	for k, s := range u.share {
		x := s / 100 * n
		for j+1 < len(c.X)-1 && c.X[j+1] < x {
			j++
		}
		// Linear interpolation between the curve's points, as its area is taken.
		y[k] = c.Y[j]
		if j+1 < len(c.X) && c.X[j+1] > c.X[j] {
			y[k] += (c.Y[j+1] - c.Y[j]) * (min(x, c.X[j+1]) - c.X[j]) / (c.X[j+1] - c.X[j])
		}
	}
	u.names = append(u.names, name)
	u.qini = append(u.qini, y)
	u.coef = append(u.coef, ev.QiniCoefficient.Estimate)
}

// topTruth is the true incremental conversions of sending to the k best-scored people
// (the earlier person first among equal scores).
func topTruth(score, truth []float64, k int) float64 {
	var s float64
	for _, i := range bestFirst(score)[:k] {
		s += truth[i]
	}
	return s
}

// bestFirst is the people by descending score, the earlier first among equal scores
// (none NaN): the order of a stable sort (TestBestFirstMatchesStable).
func bestFirst(score []float64) []int {
	people := order.Rows(len(score))
	order.Descending(people, score, false)
	return people
}

// holdoutFigure writes a figure estimated from the holdout, rounded, or "n/a" where it is
// NaN: an arm missing among the holdout's top rows, or a bound the bootstrap cannot
// place (uplift.Evaluation). It was written as 0, which reads as a measured nothing.
func holdoutFigure(v float64) string {
	if math.IsNaN(v) {
		return "n/a"
	}
	return thousands(round(v))
}

func round(v float64) int64 {
	if v < 0 {
		return -int64(-v + 0.5)
	}
	return int64(v + 0.5)
}
