package main

import (
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/clientele-go/clientele/funnel"
	"github.com/clientele-go/clientele/internal/synth"
)

// vocabulary is the report's one set of words, printed once at its top (text and HTML
// alike); every line below uses them in these senses only.
var vocabulary = []struct{ word, meaning string }{
	{"person", "a human being in the generated base: the generator's truth, which the SDK never sees"},
	{"profile", "what identity resolution made of the identifiers it saw; a person is several profiles until one event carries identifiers of both (an anonymous visitor who never signs in stays apart from their e-mail)"},
	{"reached", "touched by a promotion (e-mail, SMS, display, search, social or direct)"},
	{"visitor", "visited the site or the shop at least once"},
	{"user", "came back: two or more visits within 30 days; in the generator this is also when a person signs up"},
	{"customer", "bought at least once"},
	{"repeat customer", "bought twice or more"},
	{"advocate", "a customer who brought a new user by referral"},
	{"dormant, churned", "no visit or purchase for 30 days (dormant) or 90 days (churned); reactivated: active again after being dormant"},
}

// estimate is roughly how long each step takes per 1,000 people, in seconds, measured at
// 100,000 people on a shared two-core machine; the progress lines show it so that a
// person watching a large run knows what to expect.
var estimate = []float64{0.082, 0.001, 0.003, 0.019, 0.010, 0.001}

// run does the whole job: out receives the text report, status the progress lines.
func run(out, status io.Writer, cfg config) error {
	steps := 5
	if cfg.out != "" {
		steps = 6
	}
	prog := &progress{w: status, steps: steps, people: cfg.people}
	params := synth.Params{People: cfg.people, Seed: cfg.seed}.Default()
	start, end := params.Start, params.End()
	w := &reportWriter{w: out}
	w.line("clientele quickstart: a generated base of %s people reached by %d promotions over %d days", thousands(params.People), params.Promotions, params.Days)
	w.section("Words used in this report")
	for _, v := range vocabulary {
		w.line("%-17s %s", v.word, v.meaning)
	}
	w.line("Every count says what it counts; every share says of what.")

	prog.begin("generating the base and resolving identities")
	res, err := resolveBase(params)
	if err != nil {
		return err
	}
	prog.end()
	truth := groundTruth(res)
	w.section("The base")
	w.line("%s people in the generated base: %s reached by promotions, %s more brought by referral",
		thousands(res.people), thousands(params.People), thousands(max(0, res.people-params.People)))
	w.line("%s events (touches, visits, sign-ups, purchases, refunds)", thousands(len(res.events)+res.lost))
	w.line("%s people became users: %.2f%% of the %s reached (the seeds say about 2%%)",
		thousands(truth.users), pct(truth.users, params.People), thousands(params.People))
	res.report(w)

	prog.begin("building segments")
	seg, err := buildSegments(res, end)
	if err != nil {
		return err
	}
	prog.end()
	seg.report(w, res.profiles)

	prog.begin("referral programme, viral growth and attribution")
	refs, referrer, err := runReferrals(res, start, end)
	if err != nil {
		return err
	}
	prog.end()

	prog.begin("funnel, retention and lifecycle")
	fun, err := runFunnels(res, funnelEvents(res, referrer), params)
	if err != nil {
		return err
	}
	prog.end()
	fun.report(w)

	prog.begin("fitting BG/NBD and Gamma-Gamma, CLV and lookalikes")
	val, err := scoreBase(res, seg, params)
	if err != nil {
		return err
	}
	prog.end()
	val.report(w)
	refs.report(w)

	if cfg.out != "" {
		prog.begin("writing " + cfg.out)
		if err := writePage(cfg.out, w, res, seg, fun, val, refs); err != nil {
			return err
		}
		prog.end()
	}
	return nil
}

// reportWriter writes the text report, sections of aligned lines, and keeps them for
// the HTML page, which shows the same text beside its charts.
type reportWriter struct {
	w        io.Writer
	sections []textSection
}

type textSection struct {
	title string
	lines []string
}

func (r *reportWriter) section(title string) {
	fmt.Fprintf(r.w, "\n%s\n%s\n", title, strings.Repeat("-", len(title)))
	r.sections = append(r.sections, textSection{title: title})
}

func (r *reportWriter) line(format string, args ...any) {
	l := fmt.Sprintf(format, args...)
	fmt.Fprintln(r.w, l)
	if n := len(r.sections); n > 0 {
		r.sections[n-1].lines = append(r.sections[n-1].lines, l)
	}
}

// thousands writes n with comma separators: 182,620.
func thousands[T ~int | ~int64 | ~uint64](n T) string {
	s := strconv.FormatInt(int64(n), 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// truthCounts are the generator's own counts, the truth the SDK's answers are held to.
type truthCounts struct{ users int }

func groundTruth(r *resolved) truthCounts {
	var t truthCounts
	for _, e := range r.events {
		if e.kind == synth.Signup {
			t.users++
		}
	}
	return t
}

// writePage draws the charts and writes the self-contained HTML report.
func writePage(path string, w *reportWriter, res *resolved, seg *segments, fun *funnels, val *value, refs *referrals) error {
	var p page
	var steps []bar
	for _, s := range fun.road.Steps {
		r := s.FromFirst
		steps = append(steps, bar{Label: s.Name, Value: 100 * r.Estimate, Lo: 100 * r.Lo, Hi: 100 * r.Hi,
			Note: fmt.Sprintf("%.2f%% (%d)", 100*r.Estimate, s.Unique)})
	}
	p.add("The road: reached to repeat customer", "Share of the profiles reached by a promotion that got to each step, with 95% Wilson intervals. A user came back within 30 days of a visit.", barChart("Share of reached profiles, %", steps))

	var promos []bar
	for i, r := range fun.promotions {
		promos = append(promos, bar{Label: fmt.Sprintf("#%d %s", i, synth.PromotionChannel(i)), Value: 100 * r.Estimate, Lo: 100 * r.Lo, Hi: 100 * r.Hi,
			Note: fmt.Sprintf("%.1f%% (truth %.1f%%)", 100*r.Estimate, 100*fun.trueRates[i])})
	}
	slices.SortStableFunc(promos, func(a, b bar) int { return cmpDesc(a.Value, b.Value) })
	p.add("Promotion response", "Share of the profiles each promotion reached first that became users, with 95% Wilson intervals, beside the generator's true rate: most promotions respond under 5%, and counting reach by profile rather than by person dilutes every rate.", barChart("Response rate, %", promos))

	var rows []string
	var cells [][]float64
	for _, c := range fun.retention.Cohorts {
		rows = append(rows, fmt.Sprintf("%s (%d)", c.Start.Format("2006-01"), c.Size))
		row := make([]float64, len(c.Retained))
		for k := range row {
			row[k] = math.NaN()
			if c.Complete[k] && c.Size > 0 {
				row[k] = float64(c.Retained[k]) / float64(c.Size)
			}
		}
		cells = append(cells, row)
	}
	p.add("Retention", "Profiles that signed up in a month and visited again k months later.", heatmap("Monthly cohorts: visited in month k", rows, fun.retention.Columns, cells))

	var stages []string
	for s := range funnel.NumStages {
		stages = append(stages, funnel.Stage(s).String())
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
	p.add("Lifecycle flow", "Where the profiles of each stage three months before the end stood at the end (share of the row).", heatmap("Stage then (rows) to stage now (columns)", stages, shortStages(stages), flow))

	var months []string
	var growth [][]float64
	for _, g := range fun.growth {
		months = append(months, g.Start.Format("2006-01"))
		growth = append(growth, []float64{float64(g.New), float64(g.Retained), float64(g.Resurrected), float64(g.Dormant)})
	}
	p.add("Growth accounting", "Active profiles each month: new, retained from the month before, resurrected, and those gone dormant.", groupedBars("Profiles per month", months, []string{"new", "retained", "resurrected", "dormant"}, growth))

	var deciles []bar
	for d, x := range val.deciles {
		deciles = append(deciles, bar{Label: fmt.Sprintf("decile %d", d+1), Value: x.Mean, Note: fmt.Sprintf("%.2f (%.0f%%)", x.Mean, 100*x.Share)})
	}
	p.add("Customer lifetime value", "Expected discounted value over the next year by BG/NBD and Gamma-Gamma, mean per decile of customers.", barChart("Mean CLV per decile", deciles))

	var series []string
	values := make([][]float64, len(refs.channels))
	for _, m := range attributionModels {
		series = append(series, m.name)
	}
	for i := range refs.channels {
		for _, m := range attributionModels {
			values[i] = append(values[i], refs.credit[m.name][i].Conversions)
		}
	}
	p.add("Attribution", "Sign-ups credited to the marketing channel that touched people before, by four models.", groupedBars("Sign-ups credited", refs.channels, series, values))

	var gens []bar
	for g, n := range refs.generations {
		gens = append(gens, bar{Label: fmt.Sprintf("generation %d", g), Value: float64(n), Note: fmt.Sprint(n)})
	}
	p.add("Referral tree depth", "Users by generation: generation 0 joined on their own; generation k was brought by generation k-1.", barChart("Users per referral generation", gens))

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

// shortStages abbreviates stage names to fit heatmap columns.
func shortStages(names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = strings.ReplaceAll(n, "repeat_customer", "repeat")
		if len(out[i]) > 8 {
			out[i] = out[i][:8]
		}
	}
	return out
}
