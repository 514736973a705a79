package main

import (
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strings"

	"github.com/clientele-go/clientele/funnel"
	"github.com/clientele-go/clientele/internal/synth"
)

// run does the whole job: out receives the text report, status the progress lines.
func run(out, status io.Writer, cfg config) error {
	prog := &progress{w: status, steps: 6}
	params := synth.Params{People: cfg.people, Seed: cfg.seed}.Default()
	start, end := params.Start, params.End()
	w := &reportWriter{w: out}
	fmt.Fprintf(out, "clientele quickstart: %d people reached by %d promotions over %d days\n", params.People, params.Promotions, params.Days)

	prog.begin("generating the base and resolving identities")
	res, err := resolveBase(params)
	if err != nil {
		return err
	}
	prog.end()
	truth := groundTruth(res)
	w.line("events %d; users (signed up) %d  %.2f%% of people reached (the generator's truth)",
		len(res.events)+res.lost, truth.users, 100*float64(truth.users)/float64(params.People))
	res.report(w)

	prog.begin("building segments")
	seg, err := buildSegments(res, end)
	if err != nil {
		return err
	}
	prog.end()
	seg.report(w)

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

	prog.begin("writing " + cfg.out)
	if cfg.out != "" {
		if err := writePage(cfg.out, fun, val, refs); err != nil {
			return err
		}
	}
	prog.end()
	return nil
}

// reportWriter writes the text report: sections of aligned lines.
type reportWriter struct{ w io.Writer }

func (r *reportWriter) section(title string) {
	fmt.Fprintf(r.w, "\n%s\n%s\n", title, strings.Repeat("-", len(title)))
}

func (r *reportWriter) line(format string, args ...any) {
	fmt.Fprintf(r.w, format+"\n", args...)
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
func writePage(path string, fun *funnels, val *value, refs *referrals) error {
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
