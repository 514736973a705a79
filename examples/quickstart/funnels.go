package main

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/clientele-go/clientele/funnel"
	"github.com/clientele-go/clientele/internal/english"
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

	j, err := funnel.Lifecycle{By: funnel.Month}.Run(events)
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
		Start:     funnel.Step{Name: "signup"},
		Return:    funnel.Step{Name: "visit"},
		By:        funnel.Month,
		Periods:   6,
		Retention: funnel.On,
		AsOf:      end,
	}.Run(events)
	return f, err
}

// rankingLine says whether the promotions whose true rate is at least strong are the
// best measured ones. Rates measured on profiles are diluted (a person reached twice who
// never signed up stays two profiles), so it judges the ranking, which a dilution common
// to every promotion leaves alone. Where measured rates tie across the cut (a small
// base, where most promotions measure 0%), the top n is not defined, and the line says
// what the ranking does tell instead of counting a tie broken by promotion number.
func rankingLine(measured, truth []float64, strong float64) string {
	n := 0
	for _, t := range truth {
		if t >= strong {
			n++
		}
	}
	if n == 0 {
		return ""
	}
	order := make([]int, len(measured))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(measured[b], measured[a]) })
	cut := measured[order[n-1]]
	above, found := 0, 0
	for _, i := range order {
		if measured[i] > cut || (measured[i] == cut && (n == len(order) || measured[order[n]] < cut)) {
			above++
			if truth[i] >= strong {
				found++
			}
		}
	}
	switch {
	case above == n:
		return fmt.Sprintf("Ranked by their measured response, the top %d include %d of those %d.", n, found, n)
	case above == 0 && countEqual(measured, cut) == len(measured):
		return fmt.Sprintf("Their measured responses cannot rank them: all %d measure %.1f%%.", len(measured), 100*cut)
	case above == 0:
		return fmt.Sprintf("Their measured responses cannot rank them: the best %d tie at %.1f%%.", countEqual(measured, cut), 100*cut)
	default:
		return fmt.Sprintf("Ranked by their measured response, %d of those %d %s among the %d measured above a tie at %.1f%%, which %d promotions share.",
			found, n, english.Plural(found, "is", "are"), above, 100*cut, countEqual(measured, cut))
	}
}

func countEqual(xs []float64, v float64) int {
	n := 0
	for _, x := range xs {
		if x == v {
			n++
		}
	}
	return n
}

// stageLabel is a lifecycle stage in the report's words ("repeat customer"), the same in
// the text, the table headers and the charts.
func stageLabel(s funnel.Stage) string { return strings.ReplaceAll(s.String(), "_", " ") }

func (f *funnels) report(w *reportWriter) {
	w.section(secRoad)
	steps := f.road.Steps
	w.line("Profiles that took each step in order within a year of being reached (95%% Wilson intervals).")
	w.line("%-16s %9s %24s %24s %12s", "step", "profiles", "% of the previous step", "% of those reached", "median wait")
	for i, s := range steps {
		wait := "-"
		if i > 0 && len(s.TimeFromPrevious) > 0 {
			wait = fmt.Sprintf("%.1f days", s.TimeFromPrevious.Median().Hours()/24)
		}
		w.line("%-16s %9s %24s %24s %12s", s.Name, thousands(s.Unique), stepRateText(i, s.FromPrevious), stepRateText(i, s.FromFirst), wait)
	}
	if len(steps) == 5 && steps[2].Unique > 0 && steps[3].Unique > 0 {
		w.line("Why %.0f%% of users became customers when the seeds say \"70%% buy once, 30%% buy again\": the generator has every user",
			100*steps[3].FromPrevious.Estimate)
		w.line("  buy once (those who have not signed up too late in the year to); the 70/30 split is of customers, and here")
		w.line("  %.0f%% of customers bought again.", 100*steps[4].FromPrevious.Estimate)
	}
	hits, truth := 0, 0
	measured := make([]float64, len(f.promotions))
	for i, r := range f.promotions {
		measured[i] = r.Estimate
		if r.Estimate >= 0.05 {
			hits++
		}
		if f.trueRates[i] >= 0.05 {
			truth++
		}
	}
	w.line("")
	w.line("Promotions: in the generator, %d of the %d promotions turn 5%% or more of the people they reach into users.", truth, len(f.promotions))
	if line := rankingLine(measured, f.trueRates, 0.05); line != "" {
		w.line("  %s", line)
	}
	w.line("  Measured rates are lower than the true ones (%d %s 5%% or more) because they count profiles:", hits, english.Plural(hits, "promotion measures", "promotions measure"))
	w.line("  a person reached twice who never becomes a user counts twice. Compare promotions by rank, not by rate.")

	w.line("")
	visited := uint64(0)
	for s := range funnel.NumStages {
		if s != int(funnel.Stranger) {
			visited += f.stages[s]
		}
	}
	if visited == 1 {
		w.line("Lifecycle: where the 1 profile that ever visited stands at the end")
	} else {
		w.line("Lifecycle: where each of the %s profiles that ever visited stands at the end", thousands(visited))
	}
	for s := range funnel.NumStages {
		if s == int(funnel.Stranger) {
			continue
		}
		w.line("  %-16s %9s  %5.1f%%", stageLabel(funnel.Stage(s)), thousands(f.stages[s]), pct(int(f.stages[s]), int(visited)))
	}
	if len(steps) > 1 {
		w.line("The lifecycle counts every profile that ever visited (%s); the road counts only the %s whose visit follows a",
			thousands(visited), thousands(steps[1].Unique))
		w.line("  promotion's touch on the same profile. A person reached by e-mail who visits anonymously is two profiles,")
		w.line("  neither of which took both steps, which is also why so many profiles are churned: one-visit fragments.")
	}
	if n := len(f.growth); n > 0 {
		g := f.growth[n-1]
		w.line("")
		w.line("Last month (%s), active profiles (visited or bought): %s = %s new + %s retained from the month before + %s resurrected;",
			g.Start.Format("January 2006"), thousands(g.Active), thousands(g.New), thousands(g.Retained), thousands(g.Resurrected))
		verdict := "above 1: the active base grew"
		switch q := g.QuickRatio(); {
		case g.Dormant == 0:
			w.line("  none went dormant, so the quick ratio (new + resurrected) / dormant has no value.")
			return
		case q < 1:
			verdict = "below 1: the active base shrank"
		case q == 1:
			verdict = "1: the active base held steady"
		}
		w.line("  %s went dormant. Quick ratio (new + resurrected) / dormant = %.2f (%s).",
			thousands(g.Dormant), g.QuickRatio(), verdict)
	}
}

// rateText prints a rate with its interval, or "-" for a rate of nobody (0 of 0),
// which has no value: "0.0% [0.0, 100.0]" would read as a measured zero.
// stepRateText is rateText of step i's rate. The first step's rates are of the step
// itself (funnel's FromPrevious and FromFirst), 100% by definition: an interval about
// that, "100.0% [43.9, 100.0]" of 3 profiles reached, measured nothing. It is printed
// bare, padded to the width of a rate whose bounds take four characters each (" [ 6.7,
// 44.8]"), so that its percent sign sits under the others'.
func stepRateText(i int, r funnel.Rate) string {
	if i > 0 || r.N == 0 {
		return rateText(r)
	}
	return fmt.Sprintf("%5.1f%%%13s", 100*r.Estimate, "")
}

func rateText(r funnel.Rate) string {
	if r.N == 0 {
		return "-"
	}
	return fmt.Sprintf("%5.1f%% [%4.1f, %4.1f]", 100*r.Estimate, 100*r.Lo, 100*r.Hi)
}
