package main

import (
	"fmt"
	"math"
	"os"
	"slices"
	"strings"

	"github.com/clientele-go/clientele/funnel"
	"github.com/clientele-go/clientele/internal/synth"
)

// The report's section titles, shared by the text and the page.
const (
	secBase      = "The base"
	secIdentity  = "Identity: one person, one profile"
	secAudiences = "Audiences: which profiles, at the end of the period"
	secRoad      = "The road: from reached to repeat customer"
	secValue     = "Value: who will buy again, and what each customer is worth"
	secReferral  = "Referral: who brought whom"
)

// writePage draws the charts and writes the self-contained HTML report.
func writePage(path string, w *reportWriter, res *resolved, seg *segments, fun *funnels, val *value, refs *referrals, qini *upliftCurves) error {
	p := page{text: w}
	count := func(n float64) string { return thousands(int64(math.Round(n))) }

	// Identity.
	p.add(secIdentity, barChart("From events to profiles",
		"Counts on a log scale: the people the generator made, the identifiers identity kept from their events, the profiles it resolved them into, and the merges that joined profiles.",
		"count (log scale)", []bar{
			{Label: "people (truth)", Value: float64(res.people), Note: thousands(res.people)},
			{Label: "events", Value: float64(len(res.events) + res.lost), Note: thousands(len(res.events) + res.lost)},
			{Label: "identifiers kept", Value: float64(res.identifiers), Note: thousands(res.identifiers)},
			{Label: "profiles", Value: float64(res.profiles), Note: thousands(res.profiles)},
			{Label: "merges", Value: float64(res.merges), Note: thousands(res.merges)},
		}, true))
	if res.matched.merges > 0 {
		p.add(secIdentity, barChart("Probabilistic matches",
			"Profiles that share no identifier, joined by name, city and a mistyped phone after the deterministic resolution, and how many of those joins the generator's truth confirms.",
			"profiles joined", []bar{
				{Label: "loyalty cards", Value: float64(res.matched.cards), Note: thousands(res.matched.cards)},
				{Label: "joined", Value: float64(res.matched.merges), Note: thousands(res.matched.merges)},
				{Label: "joined rightly", Value: float64(res.matched.right), Note: thousands(res.matched.right)},
			}, false))
	}
	if len(res.mergesBy) > 0 {
		var bars []bar
		for _, k := range sortedByValue(res.mergesBy) {
			bars = append(bars, bar{Label: k, Value: float64(res.mergesBy[k]), Note: thousands(res.mergesBy[k])})
		}
		p.add(secIdentity, barChart("Merges by the channel that linked the profiles",
			"Each merge joined two profiles because one event carried identifiers of both; the bars count merges by the channel of that event.",
			"merges", bars, false))
	}

	// Audiences: sizes and overlaps.
	var sizes []bar
	names := make([]string, len(audiences))
	for i, a := range audiences {
		names[i] = a.name
		sizes = append(sizes, bar{Label: a.name, Value: float64(seg.sizes[i]), Note: thousands(seg.sizes[i])})
	}
	p.add(secAudiences, barChart("Audience sizes at the end of the period", "Profiles in each saved audience.", "profiles", sizes, false))
	overlap := make([][]float64, len(audiences))
	for i := range overlap {
		overlap[i] = make([]float64, len(audiences))
		for j := range overlap[i] {
			overlap[i][j] = math.NaN()
			if n := seg.members[i].GetCardinality(); n > 0 {
				overlap[i][j] = float64(seg.members[i].AndCardinality(seg.members[j])) / float64(n)
			}
		}
	}
	p.add(secAudiences, heatmap("Audience overlaps", "Share of the row audience's profiles that are also in the column audience.",
		"of the audience", "also in", names, names, overlap))

	// The road.
	var steps []bar
	for i, s := range fun.road.Steps {
		r := s.FromFirst
		if i == 0 {
			r.Lo, r.Hi = r.Estimate, r.Estimate // of itself: no interval (see stepRateText)
		}
		steps = append(steps, bar{Label: s.Name, Value: 100 * r.Estimate, Lo: 100 * r.Lo, Hi: 100 * r.Hi,
			Note: fmt.Sprintf("%s%% (%s)", pctText(100*r.Estimate), thousands(s.Unique))})
	}
	p.add(secRoad, barChart("The road: reached to repeat customer",
		"Share of the profiles reached by a promotion that took each step, with 95% Wilson intervals, on a log scale so that the small later steps stay visible.",
		"% of the profiles reached (log scale)", steps, true))

	var promos []bar
	for i, r := range fun.promotions {
		promos = append(promos, bar{Label: fmt.Sprintf("#%d %s", i, synth.PromotionChannel(i)), Value: 100 * r.Estimate, Lo: 100 * r.Lo, Hi: 100 * r.Hi,
			Note: fmt.Sprintf("%.1f%% (true %.1f%%)", 100*r.Estimate, 100*fun.trueRates[i])})
	}
	slices.SortStableFunc(promos, func(a, b bar) int { return cmpDesc(a.Value, b.Value) })
	p.add(secRoad, barChart("Promotion response, best measured first",
		"Share of the profiles each promotion reached first that became users, with 95% Wilson intervals, beside the generator's true rate for people. Profiles dilute every rate alike, so compare ranks.",
		"% of the profiles reached that became users", promos, false))

	var rows []string
	var cells [][]float64
	for _, c := range fun.retention.Cohorts {
		rows = append(rows, fmt.Sprintf("%s (%s)", c.Start.Format("2006-01"), thousands(c.Size)))
		row := make([]float64, len(c.Retained))
		for k := range row {
			row[k] = math.NaN()
			if c.Complete[k] && c.Size > 0 {
				row[k] = float64(c.Retained[k]) / float64(c.Size)
			}
		}
		cells = append(cells, row)
	}
	if len(rows) > 0 {
		cols := make([]string, len(fun.retention.Columns))
		for i, c := range fun.retention.Columns {
			cols[i] = "month " + c
		}
		p.add(secRoad, heatmap("Retention of users by sign-up month",
			"Share of the users who signed up in a month (row, with their number) who visited again k months later; blank cells are not complete yet.",
			"signed up in", "visited again in", rows, cols, cells))
	}

	var stages []string
	for s := range funnel.NumStages {
		stages = append(stages, stageLabel(funnel.Stage(s)))
	}
	flow := make([][]float64, funnel.NumStages)
	for i := range flow {
		flow[i] = make([]float64, funnel.NumStages)
		var n int64
		for _, v := range fun.flow[i] {
			n += v
		}
		for j, v := range fun.flow[i] {
			flow[i][j] = math.NaN()
			if v > 0 {
				flow[i][j] = float64(v) / float64(n)
			}
		}
	}
	p.add(secRoad, heatmap("Lifecycle: where the profiles of each stage went in three months",
		"Row: the stage three months before the end; column: the stage at the end; each cell is the share of the row.",
		"stage then", "stage at the end", stages, stages, flow))

	if len(fun.growth) > 0 {
		var months []string
		var growth [][]float64
		for _, g := range fun.growth {
			months = append(months, g.Start.Format("Jan 06"))
			growth = append(growth, []float64{float64(g.New), float64(g.Retained), float64(g.Resurrected), -float64(g.Dormant)})
		}
		p.add(secRoad, groupedBars("Growth accounting: active profiles each month",
			"New, retained and resurrected profiles add to the month's active base (right of zero); profiles gone dormant leave it (left of zero).",
			"profiles (dormant drawn as an outflow, left of zero)", months, []string{"new", "retained", "resurrected", "gone dormant"}, growth,
			func(v float64) string { return count(v) }))
	}

	// Value.
	if len(val.holdout) > 0 {
		var cats []string
		var vals [][]float64
		for _, b := range val.holdout {
			cats = append(cats, fmt.Sprintf("%s (%s)", b.Frequency, thousands(b.Customers)))
			vals = append(vals, []float64{b.Actual, b.Expected})
		}
		p.add(secValue, groupedBars(fmt.Sprintf("BG/NBD: predicted against actual, last %.0f days", val.holdoutLen),
			fmt.Sprintf("The model fitted on all but the last %.0f days predicts each customer's repeat purchases in them; customers are grouped by their repeat purchases before (row, with their number).", val.holdoutLen),
			"mean repeat purchases per customer in the holdout", cats, []string{"actual", "predicted by BG/NBD"}, vals,
			func(v float64) string { return fmt.Sprintf("%.2f", v) }))
	}
	if len(val.palive) > 0 {
		var fr, rc []string
		for f := range val.palive {
			fr = append(fr, fmt.Sprint(f))
		}
		for k := range val.palive[0] {
			rc = append(rc, fmt.Sprintf("day %.0f", val.paliveT*float64(k)/6))
		}
		p.add(secValue, heatmap("BG/NBD: probability a customer is still alive",
			fmt.Sprintf("For a customer first seen %.0f days before the end (the median): P(alive) by repeat purchases (rows) and the day of the last one (columns).", val.paliveT),
			"repeat purchases", "last purchase on", fr, rc, val.palive))
	}
	if len(val.track) > 1 {
		var x, actual, expected []float64
		for _, t := range val.track {
			x = append(x, t.Day)
			actual = append(actual, t.Actual)
			expected = append(expected, t.Expected)
		}
		p.add(secValue, lineChart("Tracking plot: cumulative repeat purchases",
			"Actual repeat purchases of all customers so far, week by week, beside what the fitted BG/NBD model expects for customers acquired when they were.",
			"days since the start", "repeat purchases so far", x,
			[]series{{Name: "actual", Y: actual}, {Name: "BG/NBD expects", Y: expected, Dash: true}}))
	}
	if len(val.deciles) > 0 {
		var deciles []bar
		for d, x := range val.deciles {
			deciles = append(deciles, bar{Label: fmt.Sprintf("decile %d", d+1), Value: x.Mean, Note: fmt.Sprintf("%.2f (%.0f%% of all)", x.Mean, 100*x.Share)})
		}
		p.add(secValue, barChart("Customer lifetime value by decile",
			"Mean expected value over the next year (BG/NBD with Gamma-Gamma, discounted 1% a month) of the customers in each tenth, highest first; the label gives the decile's share of all value.",
			"mean CLV per customer (currency units)", deciles, false))
	}

	// Referral and attribution.
	if len(refs.channels) > 0 {
		var names []string
		values := make([][]float64, len(refs.channels))
		for _, m := range attributionModels {
			names = append(names, m.name)
		}
		for i := range refs.channels {
			for _, m := range attributionModels {
				values[i] = append(values[i], refs.credit[m.name][i].Conversions)
			}
		}
		p.add(secReferral, groupedBars("Attribution: users credited to each channel",
			fmt.Sprintf("Users whose sign-up followed a promotion (%.0f), credited to the marketing channels that touched them before, by four models.", refs.conversions),
			"users credited", refs.channels, names, values, func(v float64) string { return fmt.Sprintf("%.0f", v) }))
	}
	var gens []bar
	for g, n := range refs.generations {
		gens = append(gens, bar{Label: fmt.Sprintf("generation %d", g), Value: float64(n), Note: thousands(n)})
	}
	if len(gens) > 0 {
		p.add(secReferral, barChart("Users by referral generation",
			"Generation 0 came on their own; generation k was brought by generation k-1. Log scale: each generation is far smaller than the one before.",
			"users (log scale)", gens, true))
	}

	// Uplift: the holdout's Qini curves of targeting by uplift and by propensity,
	// beside random targeting (the straight line to the same end).
	if qini != nil && len(qini.qini) > 0 {
		var ss []series
		var coefs []string
		for k, name := range qini.names {
			ss = append(ss, series{Name: name, Y: qini.qini[k]})
			coefs = append(coefs, fmt.Sprintf("%s %.2f", name, qini.coef[k]))
		}
		end := qini.qini[0][len(qini.qini[0])-1]
		random := make([]float64, len(qini.share))
		for k, s := range qini.share {
			random[k] = end * s / 100
		}
		ss = append(ss, series{Name: "random", Y: random, Dash: true})
		p.add(secUplift, lineChart("Qini curves on the holdout campaign",
			"Incremental buyers among the targeted (Qini curve: treated buyers minus control buyers scaled to the treated count) as a growing share of the holdout is targeted, best-scored first, for targeting by uplift, by propensity and at random (the straight line). Targeting by propensity picks people who buy anyway. Qini coefficients: "+strings.Join(coefs, ", ")+".",
			"% of the holdout targeted", "incremental buyers", qini.share, ss))
	}

	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := p.write(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// pctText writes a percentage with the digits a small share needs: 100, 6.8, 0.36.
func pctText(v float64) string {
	switch {
	case v >= 10:
		return fmt.Sprintf("%.0f", v)
	case v >= 1:
		return fmt.Sprintf("%.1f", v)
	}
	return fmt.Sprintf("%.2f", v)
}

// sortedByValue returns the keys of m, largest value first (ties by key).
func sortedByValue(m map[string]int) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b string) int {
		if m[a] != m[b] {
			return m[b] - m[a]
		}
		if a < b {
			return -1
		}
		return 1
	})
	return keys
}
