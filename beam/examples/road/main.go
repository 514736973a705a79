// Command road runs the clientele road on Apache Beam: it reads events (JSON lines),
// transactions (CSV) and identity links (JSON lines) from files, and writes the
// funnel, the cohort retention table, growth accounting, CLV, channel attribution and
// the resolved identities (identifier, profile) as tables. It runs on
// Prism, Beam's embedded runner, by default; see README.md for Flink, Spark and
// Dataflow.
package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/io/textio"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/transforms/filter"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/transforms/stats"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/transforms/top"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/x/beamx"

	"github.com/clientele-go/clientele/beam/pipeline"
	"github.com/clientele-go/clientele/funnel"
	"github.com/clientele-go/clientele/identity"
	"github.com/clientele-go/clientele/internal/amount"
	"github.com/clientele-go/clientele/internal/english"
	"github.com/clientele-go/clientele/referral/attribution"
	"github.com/clientele-go/clientele/scoring"
)

var (
	eventsPath = flag.String("events", "examples/road/testdata/events.jsonl", "events, one JSON object a line: profile, time (RFC 3339), event, properties")
	txPath     = flag.String("transactions", "examples/road/testdata/transactions.csv", "transactions, profile,date,amount lines (scoring.ReadTransactions)")
	linksPath  = flag.String("links", "examples/road/testdata/links.jsonl", "identity links, one JSON object a line: time (RFC 3339), source, ids [{kind, value}], match (optional weight in bits)")
	rounds     = flag.Int("rounds", 8, "connected-component rounds of the identity resolution (pipeline.ResolveOptions.Rounds)")
	out        = flag.String("out", "road-out", "directory (or gs:// prefix) for the tables")
	endFlag    = flag.String("end", "2025-12-31", "end of the observation period (date)")
)

func init() {
	register.Function3x1(parseEvent)
	register.Function3x1(parseTransaction)
	register.Function3x1(profilePath)
	register.DoFn2x2[[]byte, func(*int) bool, string, error](&funnelTable{})
	register.DoFn2x2[[]byte, func(*int) bool, string, error](&cohortTable{})
	register.DoFn2x2[[]byte, func(*int) bool, string, error](&growthTable{})
	register.DoFn3x2[[]byte, func(*int) bool, func(*string) bool, string, error](&attributionTable{})
	register.DoFn3x2[[]byte, func(*[]pipeline.Score) bool, func(*int) bool, string, error](&clvTable{})
	register.DoFn3x0[funnel.Event, func(funnel.Event), func(int)](&splitAtEnd{})
	register.DoFn2x0[scoring.Transaction, func(int)](&lateTransaction{})
	register.Iter1[int]()
	register.Emitter1[int]()
	register.Iter1[[]pipeline.Score]()
	register.Function1x1(scoreLine)
	register.Function2x1(lessCLV)
	register.Function3x1(parseLink)
	register.Function1x2(assignmentLine)
	register.Function1x1(profileOf)
	register.Function1x1(isMatched)
	register.Function9x1(identitiesTable)
	register.Emitter1[identity.Event]()
	register.Emitter1[funnel.Event]()
	register.Emitter1[scoring.Transaction]()
	register.Emitter1[attribution.Path]()
	register.Emitter1[string]()
	register.Iter1[string]()
}

func main() {
	flag.Parse()
	beam.Init()
	end, err := time.Parse(time.DateOnly, *endFlag)
	if err != nil {
		fatal(fmt.Errorf("road: -end: %w", err))
	}
	p, err := build(end)
	if err != nil {
		fatal(err)
	}
	if err := beamx.Run(context.Background(), p); err != nil {
		// Not log: beam.Init routes it through the runner's structured logger, which
		// quotes the message and escapes every quote in the line it cites.
		fmt.Fprintln(os.Stderr, failure(err))
		os.Exit(1)
	}
	if strings.Contains(*out, "://") {
		return
	}
	for _, name := range []string{"funnel.txt", "cohorts.txt", "growth.txt", "clv.txt", "attribution.txt", "identities.txt"} {
		b, err := os.ReadFile(filepath.Join(*out, name))
		if err != nil {
			fatal(fmt.Errorf("road: %w", err))
		}
		fmt.Printf("%s\n", b)
	}
	fmt.Printf("per-customer scores: %s\n", filepath.Join(*out, "clv.csv"))
	fmt.Printf("identifier,profile table: %s\n", filepath.Join(*out, "identities.csv"))
}

// fatal prints err on its own line and exits 1. Not log.Fatal: beam.Init routes the
// standard logger through the runner's structured one, which printed a missing input
// as time=... level=INFO msg="road: -events ...", an error logged as information,
// every quote in it escaped.
func fatal(err error) {
	fmt.Fprintln(os.Stderr, err)
	os.Exit(1)
}

// Specs of the tables. Steps match by event name, as pipelines require.
var (
	day        = 24 * time.Hour
	funnelSpec = funnel.Spec{
		Steps:     []funnel.Step{{Name: "visit"}, {Name: "signup"}, {Name: "purchase"}},
		Window:    30 * day,
		Breakdown: &funnel.Breakdown{Prop: "channel"},
	}
	cohortSpec = funnel.Cohorts{Start: funnel.Step{Name: "visit"}, Return: funnel.Step{Name: "visit"}, By: funnel.Month, Periods: 6}
	lifecycle  = funnel.Lifecycle{By: funnel.Month}
	models     = map[string]attribution.CreditRule{
		"first touch": attribution.FirstTouch{},
		"last touch":  attribution.LastTouch{},
		"linear":      attribution.Linear{},
		"markov":      attribution.Markov{},
	}
)

func build(end time.Time) (*beam.Pipeline, error) {
	p, s := beam.NewPipelineWithRoot()
	if err := requireInputs(s, []input{{"events", *eventsPath}, {"transactions", *txPath}, {"links", *linksPath}}); err != nil {
		return nil, err
	}
	// Events and transactions after the -end day are in no table: not in the funnel,
	// the cohorts, the growth months, the attribution or the CLV summaries. Their
	// counts go to those tables, which would otherwise show a quiet year (data of 2026
	// under the default -end: every month 0, "got 0 customers") or, for the funnel and
	// the cohorts, counts that do not match the other tables'.
	after := end.AddDate(0, 0, 1)
	events, late := beam.ParDo2(s, &splitAtEnd{After: after}, beam.ParDo(s, parseEvent, textio.ReadWithFilename(s, *eventsPath)))
	lateEvents := beam.SideInput{Input: stats.CountElms(s, late)}
	profiles := pipeline.Profiles(s, events)

	f, err := pipeline.Funnel(s, funnelSpecAsOf(after), profiles)
	if err != nil {
		return nil, err
	}
	write(s, "funnel.txt", beam.ParDo(s, &funnelTable{AsOf: after, End: end}, f, lateEvents))
	c, err := pipeline.Cohorts(s, cohortSpecAsOf(after), profiles)
	if err != nil {
		return nil, err
	}
	write(s, "cohorts.txt", beam.ParDo(s, &cohortTable{AsOf: after, End: end}, c, lateEvents))
	j, err := pipeline.Lifecycle(s, lifecycle, profiles)
	if err != nil {
		return nil, err
	}
	write(s, "growth.txt", beam.ParDo(s, &growthTable{From: time.Date(end.Year(), 1, 1, 0, 0, 0, 0, time.UTC), To: end}, j, lateEvents))

	paths, badAmounts := beam.ParDo2(s, profilePath, profiles)
	a, err := pipeline.Attribution(s, models, paths)
	if err != nil {
		return nil, err
	}
	write(s, "attribution.txt", beam.ParDo(s, &attributionTable{End: end}, a, lateEvents, beam.SideInput{Input: badAmounts}))

	opt := pipeline.CLVOptions{
		Summary: scoring.SummaryOptions{End: end},
		Value:   scoring.CLVOptions{Horizon: 52, Period: 4, DiscountRate: 0.01},
	}
	txs := beam.ParDo(s, parseTransaction, textio.ReadWithFilename(s, *txPath))
	lateTxs := stats.CountElms(s, beam.ParDo(s, &lateTransaction{After: after}, txs))
	sums, err := pipeline.Summaries(s, opt, txs)
	if err != nil {
		return nil, err
	}
	v, err := pipeline.CustomerValue(s, opt, sums)
	if err != nil {
		return nil, err
	}
	writeLines(s, *out+"/clv.csv", beam.ParDo(s, scoreLine, v.Scores))
	best := top.Largest(s, v.Scores, 10, lessCLV)
	write(s, "clv.txt", beam.ParDo(s, &clvTable{End: end}, v.Model, beam.SideInput{Input: best}, beam.SideInput{Input: lateTxs}))

	if err := resolve(s); err != nil {
		return nil, err
	}
	return p, nil
}

// resolve resolves the identity links with the default rules (identity.DefaultRules:
// normalisers, block lists, per-kind limits, quarantine of hot identifiers) and
// writes every identifier's profile to identities.csv and the counts to
// identities.txt.
func resolve(s beam.Scope) error {
	s = s.Scope("identities")
	links := beam.ParDo(s, parseLink, textio.ReadWithFilename(s, *linksPath))
	res, err := pipeline.Resolve(s, "default", links, &pipeline.ResolveOptions{Rounds: *rounds})
	if err != nil {
		return err
	}
	writeLines(s, *out+"/identities.csv", beam.ParDo(s, assignmentLine, res.Assignments))
	profiles := filter.Distinct(s, beam.ParDo(s, profileOf, res.Assignments))
	matched := filter.Include(s, res.Merges, isMatched)
	side := func(c beam.PCollection) beam.SideInput { return beam.SideInput{Input: stats.CountElms(s, c)} }
	write(s, "identities.txt", beam.ParDo(s, identitiesTable, beam.Impulse(s),
		side(res.Assignments), side(profiles), side(res.Merges), side(matched), side(res.Splits), side(res.Moves), side(res.Unlinked), side(res.NonFinite)))
	return nil
}

type jsonLink struct {
	Time   time.Time     `json:"time"`
	Source string        `json:"source"`
	IDs    []identity.ID `json:"ids"`
	Match  *float64      `json:"match"`
}

// parseLink decodes one JSON line of identifiers seen together, read from file; a bad
// line fails the pipeline, naming the file and the line's number and quoting the line.
func parseLink(file, line string, emit func(identity.Event)) error {
	raw := line
	line = strings.TrimPrefix(line, bom)
	if strings.TrimSpace(line) == "" {
		return nil
	}
	var l jsonLink
	if err := json.Unmarshal([]byte(line), &l); err != nil {
		return fmt.Errorf("road: %s: link %.80q: %w", at(file, raw), line, err)
	}
	if l.Time.IsZero() || len(l.IDs) == 0 {
		return fmt.Errorf("road: %s: link %.80q: needs time and ids", at(file, raw), line)
	}
	e := identity.Event{At: l.Time, Source: l.Source, IDs: l.IDs}
	if l.Match != nil {
		e.Match = &identity.Match{Weight: *l.Match}
	}
	emit(e)
	return nil
}

// assignmentLine writes one identifier and its profile as a CSV line: kind,value,profile.
func assignmentLine(a pipeline.Assignment) (string, error) {
	var sb strings.Builder
	w := csv.NewWriter(&sb)
	if err := w.Write([]string{a.ID.Kind, a.ID.Value, strconv.FormatUint(uint64(a.Profile), 10)}); err != nil {
		return "", err
	}
	w.Flush()
	return strings.TrimSuffix(sb.String(), "\n"), w.Error()
}

func profileOf(a pipeline.Assignment) uint32 { return a.Profile }

func isMatched(m identity.Merge) bool { return m.Match != nil }

// identitiesTable writes the counts of the resolution, how many links linked nothing
// (pipeline.Resolution.Unlinked), which were skipped without a word, and how many were
// dropped for a match weight that is NaN or infinite (pipeline.Resolution.NonFinite),
// which were skipped without a count.
func identitiesTable(_ []byte, ids, profiles, merges, matched, splits, moves, unlinked, nonFinite int) string {
	table := fmt.Sprintf("Identities (default rules)\n%-34s %8d\n%-34s %8d\n%-34s %8d\n%-34s %8d\n%-34s %8d\n%-34s %8d",
		"identifiers", ids, "profiles", profiles, "merges", merges, "  of which probabilistic matches", matched,
		"quarantine splits", splits, "keys moved to another profile", moves)
	if unlinked > 0 {
		table += "\n" + notCounted(unlinked, "link", "links",
			"that linked no identifier: every value empty, blocked (\"null\", \"anonymous\"...) or unreadable (an e-mail without @), or the link refused (an empty kind, a time outside 1678-2262)")
	}
	if nonFinite > 0 {
		table += "\n" + notCounted(nonFinite, "link", "links", "whose match weight is not a number or infinite (NaN, ±Inf): a matcher's weight must be finite")
	}
	return table
}

// write writes one table (a single string element) to the output directory.
func write(s beam.Scope, name string, table beam.PCollection) {
	writeLines(s, *out+"/"+name, table)
}

type jsonEvent struct {
	Profile uint32            `json:"profile"`
	Time    time.Time         `json:"time"`
	Name    string            `json:"event"`
	Props   map[string]string `json:"properties"`
}

// parseEvent decodes one JSON line, read from file; a bad line fails the pipeline,
// naming the file and the line's number (see at) and quoting the line.
func parseEvent(file, line string, emit func(funnel.Event)) error {
	raw := line
	line = strings.TrimPrefix(line, bom)
	if strings.TrimSpace(line) == "" {
		return nil
	}
	var e jsonEvent
	if err := json.Unmarshal([]byte(line), &e); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field == "profile" {
			return fmt.Errorf("road: %s: event %.80q: profile must be a number from 1 to 4294967295, the key identity gives a person; "+
				"map your own ids to keys first (the identities.csv this example writes from -links does)", at(file, raw), line)
		}
		return fmt.Errorf("road: %s: event %.80q: %w", at(file, raw), line, err)
	}
	if e.Profile == 0 || e.Name == "" || e.Time.IsZero() {
		return fmt.Errorf("road: %s: event %.80q: needs profile, time and event", at(file, raw), line)
	}
	if e.Time.Before(firstTime) || !e.Time.Before(endOfTime) {
		return fmt.Errorf("road: %s: event %.80q: %w: %s outside 1900-2189", at(file, raw), line, funnel.ErrTimeRange, e.Time.Format(time.RFC3339))
	}
	emit(funnel.Event{Profile: e.Profile, Time: e.Time, Name: e.Name, Props: e.Props})
	return nil
}

// firstTime and endOfTime bound the times of events the funnel package takes (the
// years 1900-2189, where the difference of two times fits in int64 nanoseconds: see
// funnel.ErrTimeRange). An event outside them (a time of 0001-01-01 from a default
// value) passed the parse and failed the pipeline in a merge, far from its line, as
// "event 11496 (profile 5)", the event's place in a batch the user never saw.
var (
	firstTime = time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC)
	endOfTime = time.Date(2190, 1, 1, 0, 0, 0, 0, time.UTC)
)

// bom is the byte order mark some editors (Excel's "CSV UTF-8", Notepad) put at the
// start of a file. The runner hands it over as the start of the first line, where it
// made the transactions' header look like data and the first event bad JSON.
const bom = "\ufeff"

// transactionsHeader is the header line parseTransaction skips, wherever the runner
// reads it (lines reach it in no order, so a header is known by its text).
const transactionsHeader = "profile,date,amount"

// parseTransaction reads one CSV line of file with the SDK's reader, after the header
// the file has, so that the reader knows a row is three fields wide: a line whose
// unquoted decimal comma split its amount in two (7,2025-03-06,12,50) is refused, not
// read as 12. The reader calls the line line 2, which it is not, so its error is
// quoted without that line number, after the file's name, the line's own number
// (see at) and the line itself.
func parseTransaction(file, line string, emit func(scoring.Transaction)) error {
	raw := line
	line = strings.TrimPrefix(line, bom)
	if strings.EqualFold(strings.ReplaceAll(strings.TrimSpace(line), " ", ""), transactionsHeader) {
		return nil
	}
	for t, err := range scoring.ReadTransactions(strings.NewReader(transactionsHeader+"\n"+line), &scoring.ReadOptions{Header: true}) {
		if err != nil {
			msg := strings.Replace(err.Error(), "line 2, ", "", 1)
			// The reader's advice is for its caller's code; here the ids are the file's,
			// and the file's separator is a comma.
			msg = strings.Replace(msg, "(set ReadOptions.Keys for string ids)",
				"(map your own ids to keys first: the identities.csv this example writes from -links does)", 1)
			msg = strings.Replace(msg, ", or separate the fields with ';' and set ReadOptions.Comma", "", 1)
			return fmt.Errorf("road: %s: transaction %.80q: %s", at(file, raw), line, msg)
		}
		emit(t)
	}
	return nil
}

// profilePath turns each profile's events into its journey: the channels of its
// visits up to its first purchase, converted (worth the purchase's amount) or not. A
// journey whose purchase has an amount internal/amount refuses is left out, its amount
// emitted to badAmount for the attribution table to count.
func profilePath(profiles []byte, emit func(attribution.Path), badAmount func(string)) error {
	for events, err := range pipeline.ProfileEvents(profiles) {
		if err != nil {
			return err
		}
		p, ok, bad := journey(events)
		switch {
		case bad != "":
			badAmount(bad)
		case ok:
			emit(p)
		}
	}
	return nil
}

// journey is one profile's path, if it visited through a channel. A purchase without
// an amount is a conversion worth 0; one whose amount internal/amount refuses makes no
// path, and bad is that amount (quoted, and cut to a line's length).
func journey(events []funnel.Event) (path attribution.Path, ok bool, bad string) {
	for _, e := range events {
		switch e.Name {
		case "visit":
			if ch := e.Props["channel"]; ch != "" {
				path.Touches = append(path.Touches, ch)
			}
		case "purchase":
			if len(path.Touches) == 0 {
				return path, false, ""
			}
			path.Conversions = 1
			if text, ok := e.Props["amount"]; ok && strings.TrimSpace(text) != "" {
				v, err := amount.Parse(text, nil)
				if err != nil {
					return attribution.Path{}, false, english.Name(strconv.Quote(text), 30)
				}
				path.Value = v
			}
			return path, true, ""
		}
	}
	path.Nulls = 1
	return path, len(path.Touches) > 0, ""
}

// funnelSpecAsOf is funnelSpec observed until asOf, the end of the -end day: the spec
// the pipeline runs, which the table must decode with (a partial of another AsOf is
// refused).
func funnelSpecAsOf(asOf time.Time) funnel.Spec {
	s := funnelSpec
	s.AsOf = asOf
	return s
}

// cohortSpecAsOf is cohortSpec observed until asOf: a cohort's cell is complete when
// its month ended by the end of the -end day, not by the latest event's time.
func cohortSpecAsOf(asOf time.Time) funnel.Cohorts {
	c := cohortSpec
	c.AsOf = asOf
	return c
}

// funnelTable writes the funnel of the events up to the -end day (AsOf, the day
// after), ending with the count of those after it.
type funnelTable struct{ AsOf, End time.Time }

func (f *funnelTable) ProcessElement(b []byte, lateEvents func(*int) bool) (string, error) {
	pt, err := funnelSpecAsOf(f.AsOf).NewPartial() // a partial of the spec the pipeline ran, to decode into
	if err != nil {
		return "", err
	}
	if err := pt.UnmarshalBinary(b); err != nil {
		return "", err
	}
	r, err := pt.Result()
	if err != nil {
		return "", err
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "funnel: visit > signup > purchase within 30 days\n%-10s %9s %9s\n", "step", "profiles", "from prev")
	for _, st := range r.Steps {
		// A step after one nobody reached has no rate (0 of 0), not a rate of 0%.
		rate := "-"
		if st.FromPrevious.N > 0 {
			rate = fmt.Sprintf("%.1f%%", 100*st.FromPrevious.Estimate)
		}
		fmt.Fprintf(&sb, "%-10s %9d %9s\n", st.Name, st.Unique, rate)
	}
	fmt.Fprintf(&sb, "\nby first-touch channel: profiles at each step\n")
	for _, k := range slicesSorted(r.Breakdown) {
		label := k
		if label == "" {
			label = "(none)" // visits without a channel property
		}
		sb.WriteString(cell(label, 10))
		for _, st := range r.Breakdown[k].Steps {
			fmt.Fprintf(&sb, " %9d", st.Unique)
		}
		sb.WriteString("\n")
	}
	sb.WriteString(afterEnd(lateEvents, "event", f.End))
	return sb.String(), nil
}

// cohortTable writes the cohorts of the events up to the -end day (AsOf, the day
// after), ending with the count of those after it.
type cohortTable struct{ AsOf, End time.Time }

func (f *cohortTable) ProcessElement(b []byte, lateEvents func(*int) bool) (string, error) {
	cp, err := cohortSpecAsOf(f.AsOf).NewPartial()
	if err != nil {
		return "", err
	}
	if err := cp.UnmarshalBinary(b); err != nil {
		return "", err
	}
	t, err := cp.Result()
	if err != nil {
		return "", err
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "monthly cohorts: %% of first visitors who visited again N months later\n%-8s %6s", "cohort", "size")
	for _, c := range t.Columns[1:] {
		fmt.Fprintf(&sb, " %6s", c)
	}
	sb.WriteString("\n")
	for _, c := range t.Cohorts {
		fmt.Fprintf(&sb, "%-8s %6d", c.Start.Format("2006-01"), c.Size)
		for k := 1; k < len(c.Retained); k++ {
			if !c.Complete[k] {
				fmt.Fprintf(&sb, " %6s", "")
				continue
			}
			fmt.Fprintf(&sb, " %5.1f%%", 100*float64(c.Retained[k])/float64(c.Size))
		}
		sb.WriteString("\n")
	}
	sb.WriteString(afterEnd(lateEvents, "event", f.End))
	return sb.String(), nil
}

type growthTable struct{ From, To time.Time }

func (g *growthTable) ProcessElement(b []byte, lateEvents func(*int) bool) (string, error) {
	j, err := lifecycle.NewJourneys()
	if err != nil {
		return "", err
	}
	if err := j.UnmarshalBinary(b); err != nil {
		return "", err
	}
	rows, err := j.Growth(g.From, g.To)
	if err != nil {
		return "", err
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "growth accounting by month (active profiles)\n%-8s %8s %8s %11s %8s %8s %6s\n", "month", "new", "retained", "resurrected", "dormant", "active", "quick")
	for _, r := range rows {
		// The quick ratio divides by the month's dormant profiles: with none it has no
		// value (QuickRatio's +Inf, or 0 of an empty month), printed "-".
		quick := "-"
		if r.Dormant > 0 {
			quick = fmt.Sprintf("%.2f", r.QuickRatio())
		}
		fmt.Fprintf(&sb, "%-8s %8d %8d %11d %8d %8d %6s\n", r.Start.Format("2006-01"), r.New, r.Retained, r.Resurrected, r.Dormant, r.Active, quick)
	}
	sb.WriteString(afterEnd(lateEvents, "event", g.To))
	return sb.String(), nil
}

// attributionTable writes the conversions credited to each channel, ending with the
// counts of the events after the -end day and of the journeys left out for an amount
// internal/amount refuses.
type attributionTable struct{ End time.Time }

func (f *attributionTable) ProcessElement(b []byte, lateEvents func(*int) bool, badAmounts func(*string) bool) (string, error) {
	credits, err := pipeline.DecodeCredits(b)
	if err != nil {
		return "", err
	}
	names := slicesSorted(credits)
	channels := map[string]bool{}
	for _, m := range credits {
		for ch := range m {
			channels[ch] = true
		}
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "attribution: conversions credited to each channel\n%-10s", "channel")
	for _, n := range names {
		fmt.Fprintf(&sb, " %12s", n)
	}
	sb.WriteString("\n")
	for _, ch := range slicesSorted(channels) {
		sb.WriteString(cell(ch, 10))
		for _, n := range names {
			fmt.Fprintf(&sb, " %12.1f", credits[n][ch].Conversions)
		}
		sb.WriteString("\n")
	}
	sb.WriteString(afterEnd(lateEvents, "event", f.End))
	n, example := 0, ""
	for a := ""; badAmounts(&a); n++ {
		if example == "" || a < example {
			example = a // the same one whatever order the runner hands them in
		}
	}
	if n > 0 {
		sb.WriteString("\n" + notCounted(n, "journey", "journeys", "whose purchase amount is no number the road reads (as "+example+
			"): write 12.50 or 12,50, without a sign or thousands separators (1,234.50 and 1.234,50 are refused)") + "\n")
	}
	return sb.String(), nil
}

// clvTable writes the fitted models and the ten most valuable customers. top.Largest
// emits its one list only when there are scores (none when the models were not
// fitted), so the list comes as an iterable side input, not a singleton. The table
// ends with the count of transactions after End, which no summary holds.
type clvTable struct{ End time.Time }

func (f *clvTable) ProcessElement(models []byte, tops func(*[]pipeline.Score) bool, lateTxs func(*int) bool) (string, error) {
	late := afterEnd(lateTxs, "transaction", f.End)
	var best, list []pipeline.Score
	for tops(&list) {
		best = append(best, list...)
	}
	m, gg, err := pipeline.DecodeModels(models)
	if errors.Is(err, scoring.ErrTooFew) {
		return fmt.Sprintf("CLV: not fitted, and no customer scored: %v\n%s", err, late), nil
	}
	if err != nil {
		return "", err
	}
	bg := m.(*scoring.BGNBD)
	var sb strings.Builder
	fmt.Fprintf(&sb, "CLV: BG/NBD r=%.3f alpha=%.3f a=%.3f b=%.3f; Gamma-Gamma p=%.3f q=%.3f gamma=%.3f\n", bg.R, bg.Alpha, bg.A, bg.B, gg.P, gg.Q, gg.Gamma)
	fmt.Fprintf(&sb, "the 10 most valuable customers over the next 52 weeks\n%-8s %8s %10s %10s\n", "profile", "P(alive)", "purchases", "CLV")
	slices.SortFunc(best, func(a, b pipeline.Score) int {
		if a.CLV != b.CLV {
			if a.CLV > b.CLV {
				return -1
			}
			return 1
		}
		return int(a.Profile) - int(b.Profile)
	})
	for _, s := range best {
		fmt.Fprintf(&sb, "%-8d %8.3f %10.2f %10.2f\n", s.Profile, s.PAlive, s.ExpectedPurchases, s.CLV)
	}
	sb.WriteString(late)
	return sb.String(), nil
}

// splitAtEnd passes on the events up to the -end day (before After) and emits 1 for
// each one after it.
type splitAtEnd struct{ After time.Time }

func (f *splitAtEnd) ProcessElement(e funnel.Event, kept func(funnel.Event), late func(int)) {
	if e.Time.Before(f.After) {
		kept(e)
	} else {
		late(1)
	}
}

// lateTransaction emits 1 for each transaction after the -end day, which
// scoring.Summarize leaves out.
type lateTransaction struct{ After time.Time }

func (f *lateTransaction) ProcessElement(t scoring.Transaction, emit func(int)) {
	if !t.Time.Before(f.After) {
		emit(1)
	}
}

// afterEnd is the line a table ends with when rows of the input came after the -end
// day and so are not in it, or "" when none did. The count comes as an iterable side
// input: a global count of nothing may give no element.
func afterEnd(counts func(*int) bool, what string, end time.Time) string {
	n, c := 0, 0
	for counts(&c) {
		n += c
	}
	if n == 0 {
		return ""
	}
	return "\n" + notCounted(n, what, what+"s", "after -end "+end.Format(time.DateOnly)+"; set -end to the last day of your data") + "\n"
}

// notCounted is the line a table ends with when n rows of its input are not in it,
// saying why: "not counted: 2 events after -end ...".
func notCounted(n int, one, many, why string) string {
	noun := many
	if n == 1 {
		noun = one
	}
	return fmt.Sprintf("not counted: %d %s %s", n, noun, why)
}

func scoreLine(s pipeline.Score) string {
	return fmt.Sprintf("%d,%.6f,%.6f,%.4f", s.Profile, s.PAlive, s.ExpectedPurchases, s.CLV)
}

func lessCLV(a, b pipeline.Score) bool {
	if a.CLV != b.CLV {
		return a.CLV < b.CLV
	}
	return a.Profile > b.Profile
}

// maxCell is the most terminal columns of a property value a table prints as a row's
// label (english.Name's limit: columns, so that a cut label in Chinese is no wider
// than one in English).
const maxCell = 24

// cell is a property value (a channel) as a row label, padded with spaces to width
// terminal columns. It is shown by english.Name: cut to maxCell columns (never inside a
// letter and its accent or an emoji sequence) with its length after, so that one absurd
// value (a 30 MB property in one bad line) does not print as a 30 MB row, and quoted
// when it holds a newline or another character that would break the row or the
// terminal. Padding counts columns (english.Pad), not bytes or runes, so that "café"
// lines up with "email" and so does "メール", whose characters take two columns each. The
// figures are unchanged; only the label is cut.
func cell(v string, width int) string {
	return english.Pad(english.Name(v, maxCell), width)
}

func slicesSorted[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// failure is what main prints when the pipeline fails. A runner reports a DoFn's error
// inside its own account of the bundle (Prism's runs to kilobytes of plan, and is
// logged above already), the DoFn's own error last, after "caused by:" and the line
// naming the DoFn: that is the cause a user can act on.
func failure(err error) string {
	msg := err.Error()
	i := strings.LastIndex(msg, "caused by:\n")
	if i < 0 {
		return "road: " + msg
	}
	cause := msg[i+len("caused by:\n"):]
	if strings.HasPrefix(cause, "DoFn[") {
		if _, rest, ok := strings.Cut(cause, "\n"); ok {
			cause = rest
		}
	}
	return "road: the pipeline failed (the runner's whole report is above): " + strings.TrimPrefix(cause, "road: ")
}
