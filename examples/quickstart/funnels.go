package main

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/clientele-go/clientele/funnel"
	"github.com/clientele-go/clientele/internal/synth"
)

// The road of the seeds, as a funnel: a promotion reaches a person, who visits, comes
// back within 30 days (a user), buys (a customer) and buys again (a repeat customer).
var road = funnel.Spec{
	Steps: []funnel.Step{
		{Name: "reached", Match: named("touch")},
		{Name: "visited", Match: named("visit")},
		{Name: "user", Match: named("visit"), Within: 30 * day},
		{Name: "customer", Match: named("purchase")},
		{Name: "repeat customer", Match: named("purchase")},
	},
	Window: 365 * day,
	// One event serves one step: the visit that makes a visitor cannot also be the
	// return visit that makes a user, nor the first purchase the repeat one.
	Mode: funnel.StrictOnce,
}

const day = 24 * time.Hour

func named(name string) func(funnel.Event) bool {
	return func(e funnel.Event) bool { return e.Name == name }
}

// funnels is the funnel step's outcome.
type funnels struct {
	road       *funnel.Result
	promotions []funnel.Rate // response of each promotion: users among the profiles it reached first
	trueRates  []float64     // the generator's response rates
	stages     [funnel.NumStages]uint64
	growth     []funnel.GrowthRow
	retention  *funnel.Table
	flow       [funnel.NumStages][funnel.NumStages]int64 // stage transitions over the last quarter
	end        time.Time
}

// funnelEvents turns the resolved events into funnel events. A referred sign-up carries
// its referrer's profile (found through the code of the referrer's invitation), which
// the lifecycle reads to recognise advocates.
func funnelEvents(r *resolved, referrer map[uint32]uint32) []funnel.Event {
	out := make([]funnel.Event, 0, len(r.events))
	for _, e := range r.events {
		fe := funnel.Event{Profile: e.profile, Time: e.at, Name: e.kind.String()}
		if e.kind == synth.Signup {
			if ref, ok := referrer[e.profile]; ok {
				fe.Props = map[string]string{"referrer": strconv.FormatUint(uint64(ref), 10)}
			}
		}
		out = append(out, fe)
	}
	return out
}

func runFunnels(r *resolved, events []funnel.Event, p synth.Params) (*funnels, error) {
	start, end, promotions := p.Start, p.End(), p.Promotions
	f := &funnels{end: end, trueRates: synth.PromotionRates(p)}
	spec := road
	spec.AsOf = end
	var err error
	if f.road, err = spec.Run(events); err != nil {
		return nil, err
	}
	// Response rate of each promotion: of the profiles a promotion reached first, the
	// share that became users. The seeds expect about one promotion in ten at 5% or more.
	first := map[uint32]int{}
	for _, e := range r.events {
		if _, seen := first[e.profile]; !seen && e.kind == synth.Touch {
			first[e.profile] = e.promotion
		}
	}
	users := f.road.Steps[2].Converted
	reached := make([]int64, promotions)
	became := make([]int64, promotions)
	for p, promo := range first {
		reached[promo]++
		if users.Contains(p) {
			became[promo]++
		}
	}
	for i := range promotions {
		rate, err := funnel.NewRate(became[i], reached[i], funnel.Wilson, 0.95)
		if err != nil {
			return nil, fmt.Errorf("promotion %d: %w", i, err)
		}
		f.promotions = append(f.promotions, rate)
	}

	j, err := funnel.Lifecycle{By: funnel.Month}.Build(events)
	if err != nil {
		return nil, err
	}
	for s, b := range j.Stages(end) {
		f.stages[s] = b.GetCardinality()
	}
	// The period closes at end; its last instant is in the last whole month.
	if f.growth, err = j.Growth(start, end.Add(-time.Nanosecond)); err != nil {
		return nil, err
	}
	f.flow = j.Transitions(end.AddDate(0, -3, 0), end)
	f.retention, err = funnel.Cohorts{
		Start:   funnel.Step{Name: "signup"},
		Return:  funnel.Step{Name: "visit"},
		By:      funnel.Month,
		Periods: 6,
		Rule:    funnel.On,
		AsOf:    end,
	}.Run(events)
	return f, err
}

func (f *funnels) report(w *reportWriter) {
	w.section("Funnel: from reached to repeat customer (95% Wilson intervals)")
	w.line("%-16s %9s %22s %22s %12s", "step", "profiles", "from previous", "from reached", "median wait")
	for i, s := range f.road.Steps {
		wait := "-"
		if i > 0 && len(s.TimeFromPrevious) > 0 {
			wait = fmt.Sprintf("%.1f days", s.TimeFromPrevious.Median().Hours()/24)
		}
		w.line("%-16s %9d %22s %22s %12s", s.Name, s.Unique, rateText(s.FromPrevious), rateText(s.FromFirst), wait)
	}
	hits, truth := 0, 0
	for i, r := range f.promotions {
		if r.Estimate >= 0.05 {
			hits++
		}
		if f.trueRates[i] >= 0.05 {
			truth++
		}
	}
	// Rates measured on profiles are diluted (a person reached twice who never signed
	// up stays two profiles), so judge the ranking, which a dilution common to every
	// promotion leaves alone: are the truly strong promotions the best measured ones?
	order := make([]int, len(f.promotions))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(f.promotions[b].Estimate, f.promotions[a].Estimate) })
	found := 0
	for _, i := range order[:truth] {
		if f.trueRates[i] >= 0.05 {
			found++
		}
	}
	w.line("promotions truly responding at 5%% or more: %d of %d; the %d best measured include %d of them", truth, len(f.promotions), truth, found)
	w.line("(measured on profiles, rates are diluted: %d promotions measure at 5%% or more, as a person reached twice", hits)
	w.line(" who never signed up stays two profiles; the ranking is what a campaign manager can trust)")
	w.line("")
	w.line("lifecycle at the end of the period:")
	for s := range funnel.NumStages {
		if s == int(funnel.Stranger) {
			continue
		}
		w.line("  %-16s %8d", funnel.Stage(s), f.stages[s])
	}
	if n := len(f.growth); n > 0 {
		g := f.growth[n-1]
		w.line("last month: %d active, %d new, %d retained, %d resurrected, %d gone dormant; quick ratio %.2f",
			g.Active, g.New, g.Retained, g.Resurrected, g.Dormant, g.QuickRatio())
	}
}

func rateText(r funnel.Rate) string {
	return fmt.Sprintf("%5.1f%% [%4.1f, %4.1f]", 100*r.Estimate, 100*r.Lo, 100*r.Hi)
}
