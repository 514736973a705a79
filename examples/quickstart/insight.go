package main

import (
	"fmt"
	"math"
	"strings"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/clientele-go/clientele/funnel"
	"github.com/clientele-go/clientele/internal/english"
	"github.com/clientele-go/clientele/internal/synth"
)

const secInsight = "Why visitors buy: what goes with buying, and where people go"

// buying is the funnel the insight section explains: a visitor who buys within 90 days
// of their first visit.
var buying = funnel.Spec{
	Steps:  []funnel.Step{{Name: "visit"}, {Name: "purchase"}},
	Window: 90 * day,
}

// insightRows is how many success and failure correlations, and how many events at each
// depth of the path chart, the report shows.
const insightRows = 5

// minCandidate is the fewest profiles a candidate must have to be tested: rarer ones
// cannot reach significance after the correction and would crowd the table.
const minCandidate = 20

// reportInsight prints the correlation table of the buying funnel and a path chart of
// what profiles did after their first visit. The candidates are the events a visitor
// did (other than visiting and buying), the channel of each visit and each promotion's
// channel as properties, and as segments the channel of the promotion that first
// reached the profile and whether it signed up through a referral: facts fixed before
// the visit, which cannot be consequences of buying.
func reportInsight(w *reportWriter, r *resolved, referrer map[uint32]uint32) error {
	events := make([]funnel.Event, 0, len(r.events))
	firstTouch := map[string]*roaring.Bitmap{}
	touched := roaring.New()
	referred := roaring.New()
	for _, e := range r.events {
		fe := funnel.Event{Profile: e.profile, Time: e.at, Name: e.kind.String()}
		switch e.kind {
		case synth.Touch:
			fe.Props = map[string]string{"promotion channel": e.channel}
			if touched.CheckedAdd(e.profile) {
				seg := "first reached by " + e.channel
				if firstTouch[seg] == nil {
					firstTouch[seg] = roaring.New()
				}
				firstTouch[seg].Add(e.profile)
			}
		case synth.Visit:
			fe.Props = map[string]string{"visit channel": e.channel}
		}
		events = append(events, fe)
	}
	for p := range referrer {
		referred.Add(p)
	}
	segs := firstTouch
	segs["referred by a customer"] = referred
	corr, err := funnel.Correlate{
		Spec:        buying,
		Props:       []string{"promotion channel", "visit channel"},
		Segments:    segs,
		MinProfiles: minCandidate,
	}.Run(events)
	if err != nil {
		return fmt.Errorf("correlation: %w", err)
	}
	paths, err := funnel.Paths{From: funnel.Step{Name: "visit"}, Depth: 4, TopN: insightRows - 1}.Run(events)
	if err != nil {
		return fmt.Errorf("paths: %w", err)
	}
	w.section(secInsight)
	reportCorrelations(w, corr)
	w.line("")
	reportPaths(w, paths)
	return nil
}

func reportCorrelations(w *reportWriter, c *funnel.Correlations) {
	total := c.Converters + c.NonConverters
	w.line("Of the %s that visited, %s bought within 90 days of their first visit (%.1f%%). What the buyers did",
		plural(total, "profile"), thousands(c.Converters), pct(int(c.Converters), int(total)))
	w.line("  or were, more or less often than the others, before buying (or in the 90 days, for those who did not buy);")
	if c.Tested == 0 {
		w.line("  no event, channel or audience was had by %d profiles or more, so none is tested.", minCandidate)
		return
	}
	w.line("  %s, each had by %d profiles or more, tested. Odds ratio: how much more likely to buy with it than", plural(c.Tested, "candidate"), minCandidate)
	w.line("  without, with its 95%% interval (∞ when every buyer has it or no other does, 0 the reverse); q: the")
	w.line("  p-value (Fisher's exact or chi-square) adjusted for testing %s at once (Benjamini-Hochberg); a q", plural(c.Tested, "candidate"))
	w.line("  above 0.05 may well be chance.")
	w.line("  These are associations, not causes: an event that comes with buying may be a step on the way to it, and a")
	w.line("  channel may go with buying because identity links its visits to the buyer (a store visit with a loyalty card)")
	w.line("  where an anonymous web visit stays a profile of its own.")
	row := func(x funnel.Correlation) {
		name := x.Name
		switch x.Kind {
		case funnel.PropertyCandidate:
			name = x.Name + " " + x.Value
		case funnel.EventCandidate:
			name = eventLabel(x.Name)
		}
		w.line("  %-34s %8s %6.1f%% %8s %6.1f%%  %-24s %8s", name,
			thousands(x.Converters), pct(int(x.Converters), int(c.Converters)),
			thousands(x.NonConverters), pct(int(x.NonConverters), int(c.NonConverters)),
			fmt.Sprintf("%s [%s, %s]", ratioText(x.OddsRatio), ratioText(x.Lo), ratioText(x.Hi)), pText(x.Q))
	}
	head := func(title string) {
		w.line("%-36s %16s %16s  %-24s %8s", title, "buyers", "others", "odds ratio [95%]", "q")
	}
	for _, side := range []struct {
		title string
		rows  []funnel.Correlation
	}{{"Goes with buying", c.Success}, {"Goes with not buying", c.Failure}} {
		w.line("")
		head(side.title)
		if len(side.rows) == 0 {
			w.line("  (none)")
		}
		for _, x := range side.rows[:min(insightRows, len(side.rows))] {
			row(x)
		}
	}
}

// eventLabel says what doing an event means, in the report's words.
func eventLabel(name string) string {
	switch name {
	case "touch":
		return "reached by a promotion again"
	case "signup":
		return "signed up"
	case "invite":
		return "invited someone"
	case "refund":
		return "got a refund"
	}
	return "did " + name
}

// ratioText writes an odds ratio with two significant digits, however small or large,
// and 0 only for 0: the table's note says 0 is the estimate when no buyer has the
// candidate, and "0.00" for a bound of 0.0047 (one buyer of 430 against 329 of 5,040
// others) read as that.
func ratioText(v float64) string {
	switch {
	case math.IsInf(v, 1):
		return "∞"
	case v == 0:
		return "0"
	case v < 0.1:
		return fmt.Sprintf("%#.2g", v) // # keeps the zero of 0.040
	case v >= 100:
		return fmt.Sprintf("%.0f", v)
	case v >= 10:
		return fmt.Sprintf("%.1f", v)
	default:
		return fmt.Sprintf("%.2f", v)
	}
}

// pText writes a p-value, with "<1e-300" where it underflows.
func pText(p float64) string {
	switch {
	case p == 0:
		return "<1e-300"
	case p < 0.001:
		return fmt.Sprintf("%.0e", p)
	default:
		return fmt.Sprintf("%.3f", p)
	}
}

// reportPaths draws the flows as a text chart: at each depth, the events profiles did,
// each with a bar scaled to the profiles that visited and the event at the previous step
// most of them came from, and the profiles that did nothing more.
func reportPaths(w *reportWriter, p *funnel.PathResult) {
	w.line("What profiles did after their first visit, event by event (the %d most frequent events at each step;", insightRows-1)
	w.line("  %s: all the others). Bars are the share of the %s that visited.", funnel.OtherNode, plural(p.Profiles, "profile"))
	const width = 30
	bar := func(n int64) string {
		if p.Profiles == 0 {
			return ""
		}
		eighths := int((n*width*8 + p.Profiles/2) / p.Profiles)
		s := strings.Repeat("█", eighths/8)
		if r := eighths % 8; r > 0 {
			s += string([]rune("▏▎▍▌▋▊▉")[r-1])
		}
		return s
	}
	on := p.Profiles
	w.line("  %-6s %-18s %9s %7s  %-*s  %s", "step", "event", "profiles", "share", width, "", "mostly after")
	w.line("  %-6s %-18s %9s %7s  %-*s", "0", "first visit", thousands(p.Profiles), "100.0%", width, bar(p.Profiles))
	for _, d := range p.Depths {
		if on == 0 {
			break
		}
		on -= d.DropOff
		step := fmt.Sprint(d.Depth)
		for _, n := range d.Nodes {
			w.line("  %-6s %-18s %9s %6.1f%%  %-*s  %s", step, n.Name, thousands(n.Profiles), pct(int(n.Profiles), int(p.Profiles)),
				width, bar(n.Profiles), mainSource(p.Links, d.Depth, n))
			step = ""
		}
		if d.DropOff > 0 {
			w.line("  %-6s %-18s %9s %6.1f%%", step, "(no more events)", thousands(d.DropOff), pct(int(d.DropOff), int(p.Profiles)))
		}
	}
	if on > 0 {
		w.line("  %s %s still going after step %d.", thousands(on), english.Plural(on, "profile was", "profiles were"), len(p.Depths))
	}
}

// mainSource names the node at the previous depth most profiles of n came from, with
// their share of n ("visit 72%"); at depth 1 every path comes from the first visit.
func mainSource(links []funnel.PathLink, depth int, n funnel.PathNode) string {
	if depth == 1 {
		return "first visit 100%"
	}
	var best funnel.PathLink
	for _, l := range links {
		if l.FromDepth == depth-1 && l.To == n.Name && l.Profiles > best.Profiles {
			best = l
		}
	}
	if best.Profiles == 0 {
		return ""
	}
	return fmt.Sprintf("%s %.0f%%", best.From, pct(int(best.Profiles), int(n.Profiles)))
}
