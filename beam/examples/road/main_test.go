package main

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/runners/prism"

	"github.com/clientele-go/clientele/beam/pipeline"
	"github.com/clientele-go/clientele/funnel"
	"github.com/clientele-go/clientele/identity"
	"github.com/clientele-go/clientele/internal/english"
	"github.com/clientele-go/clientele/scoring"
)

// writeInput writes content to the file name in dir, an input of the road under test,
// and returns its path.
func writeInput(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// runRoad builds the road on the flags' files, as of the end of 2025, and runs it on
// Prism.
func runRoad(t *testing.T) {
	t.Helper()
	beam.Init()
	p, err := build(time.Date(2025, 12, 31, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := prism.Execute(context.Background(), p); err != nil {
		t.Fatal(err)
	}
}

// TestRoadOnSampleData runs the example on its committed sample data on Prism and
// checks the tables against figures of the data: 3,000 profiles visited, every table
// written.
func TestRoadOnSampleData(t *testing.T) {
	*eventsPath, *txPath, *linksPath, *out = "testdata/events.jsonl", "testdata/transactions.csv", "testdata/links.jsonl", t.TempDir()
	runRoad(t)
	for name, want := range map[string]string{
		"funnel.txt":      "visit           3000",
		"cohorts.txt":     "2025-01",
		"growth.txt":      "2025-12",
		"clv.txt":         "BG/NBD r=",
		"attribution.txt": "markov",
		"identities.txt":  "of which probabilistic matches",
	} {
		b, err := os.ReadFile(filepath.Join(*out, name))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(b), want) {
			t.Errorf("%s lacks %q:\n%s", name, want, b)
		}
	}
	b, err := os.ReadFile(filepath.Join(*out, "clv.csv"))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(*txPath)
	if err != nil {
		t.Fatal(err)
	}
	customers := map[string]bool{}
	for _, line := range strings.Fields(string(raw)) {
		customers[strings.Split(line, ",")[0]] = true
	}
	if n := strings.Count(string(b), "\n"); n != len(customers) {
		t.Errorf("clv.csv has %d lines, want one per customer (%d)", n, len(customers))
	}
	checkIdentities(t)
}

// checkIdentities: identities.csv is what identity.Resolver with the default rules,
// fed the links in pipeline.SortLinks order, holds.
func checkIdentities(t *testing.T) {
	raw, err := os.ReadFile(*linksPath)
	if err != nil {
		t.Fatal(err)
	}
	var links []identity.Event
	for _, line := range strings.Split(string(raw), "\n") {
		if err := parseLink(*linksPath, line, func(e identity.Event) { links = append(links, e) }); err != nil {
			t.Fatal(err)
		}
	}
	pipeline.SortLinks(links)
	r, err := identity.New(identity.DefaultRules())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, e := range links {
		if e.Match != nil {
			r.LinkMatch(ctx, e.At, e.Source, *e.Match, e.IDs...)
		} else {
			r.Link(ctx, e.At, e.Source, e.IDs...)
		}
	}
	var want []string
	for k := uint32(1); r.Current(k) != 0; k++ {
		if r.Current(k) != k {
			continue
		}
		for _, id := range r.Identifiers(k) {
			line, err := assignmentLine(pipeline.Assignment{ID: id, Profile: k})
			if err != nil {
				t.Fatal(err)
			}
			want = append(want, line)
		}
	}
	b, err := os.ReadFile(filepath.Join(*out, "identities.csv"))
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Split(strings.TrimSpace(string(b)), "\n")
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("identities.csv: %d lines, the resolver holds %d identifiers; first lines %q, want %q", len(got), len(want), got[:min(3, len(got))], want[:min(3, len(want))])
	}
}

// A failed run prints the cause a DoFn gave, not the runner's account of the bundle.
func TestFailureNamesTheCause(t *testing.T) {
	prism := errors.New("bundle inst016 stage-019 failed: while executing Process for Plan[stage-019]:\n" +
		"1: DataSource[...] Out:8\n\tcaused by:\nsource failed processing data\n\tcaused by:\n" +
		"DoFn[UID:4, PID:e57, Name: pipeline.fitFn] failed:\npipeline: fit: scoring: too few customers to fit")
	if got, want := failure(prism), "road: the pipeline failed (the runner's whole report is above): pipeline: fit: scoring: too few customers to fit"; got != want {
		t.Errorf("failure() = %q, want %q", got, want)
	}
	own := errors.New("...\n\tcaused by:\nDoFn[UID:6, PID:e6, Name: main.parseEvent] failed:\nroad: event \"x\": needs profile, time and event")
	if got, want := failure(own), `road: the pipeline failed (the runner's whole report is above): event "x": needs profile, time and event`; got != want {
		t.Errorf("failure() = %q, want %q", got, want)
	}
	if got, want := failure(errors.New("no runner")), "road: no runner"; got != want {
		t.Errorf("failure() = %q, want %q", got, want)
	}
}

// Lines the runner hands the parsers: the transactions' header is skipped wherever it
// comes, and a profile that is not a number is refused with what to do about it.
func TestParseLines(t *testing.T) {
	var txs []scoring.Transaction
	emitTx := func(tx scoring.Transaction) { txs = append(txs, tx) }
	for _, l := range []string{"profile,date,amount", " Profile, Date, Amount ", "7,2025-03-06,19.99"} {
		if err := parseTransaction("tx.csv", l, emitTx); err != nil {
			t.Errorf("parseTransaction(%q): %v", l, err)
		}
	}
	if len(txs) != 1 || txs[0].Profile != 7 {
		t.Errorf("transactions %+v, want customer 7's only", txs)
	}
	if err := parseTransaction("tx.csv", "customer,date,amount", emitTx); err == nil {
		t.Error("another header was taken for data")
	}
	var evs []funnel.Event
	err := parseEvent("ev.jsonl", `{"profile": "u-42", "time": "2025-03-05T10:00:00Z", "event": "visit"}`, func(e funnel.Event) { evs = append(evs, e) })
	if err == nil || !strings.Contains(err.Error(), "profile must be a number") || len(evs) != 0 {
		t.Errorf("string profile: %v, %d events", err, len(evs))
	}
}

// Too few customers to fit: the CLV table says so, and the run goes on.
func TestCLVTableUnfitted(t *testing.T) {
	models := []byte(`{"kind":"bgnbd","unfitted":"scoring: too few customers to fit: BG/NBD needs at least 10 customers, got 1"}`)
	got, err := (&clvTable{}).ProcessElement(models, func(*[]pipeline.Score) bool { return false }, func(*int) bool { return false })
	if want := "CLV: not fitted, and no customer scored: scoring: too few customers to fit: BG/NBD needs at least 10 customers, got 1\n"; err != nil || got != want {
		t.Errorf("clvTable = %q, %v, want %q", got, err, want)
	}
}

// A bad line's error names the file it came from, and does not call every line of
// the file "line 1" (the reader sees one line at a time).
func TestBadLinesNameTheirFile(t *testing.T) {
	err := parseTransaction("/data/tx.csv", "7,2025-02-30,19.99", func(scoring.Transaction) {})
	want := `road: /data/tx.csv: transaction "7,2025-02-30,19.99": scoring: syntax error: column 3: time "2025-02-30" has layout "2006-01-02"'s form but is no date: day out of range`
	if err == nil || err.Error() != want {
		t.Errorf("bad date: %v\nwant %s", err, want)
	}
	err = parseEvent("/data/ev.jsonl", `{"profile":7,"event":"visit"}`, func(funnel.Event) {})
	if want := `road: /data/ev.jsonl: event "{\"profile\":7,\"event\":\"visit\"}": needs profile, time and event`; err == nil || err.Error() != want {
		t.Errorf("no time: %v\nwant %s", err, want)
	}
	err = parseLink("/data/links.jsonl", `{"source":"web"}`, func(identity.Event) {})
	if err == nil || !strings.HasPrefix(err.Error(), "road: /data/links.jsonl: link ") {
		t.Errorf("no ids: %v, want the file named", err)
	}
}

// Input files with no rows (empty, or the transactions' header alone) give every
// table, empty, and replace what an earlier run wrote in the same directory: the
// pipeline emitted no element for a table of nothing, and textio.Write writes no file
// for no lines, so the run printed the earlier run's funnel and left its clv.csv.
func TestNoRowsReplaceAnEarlierRun(t *testing.T) {
	dir := t.TempDir()
	*eventsPath, *txPath, *linksPath, *out = writeInput(t, dir, "events.jsonl", ""), writeInput(t, dir, "tx.csv", "profile,date,amount\r\n"), writeInput(t, dir, "links.jsonl", ""), filepath.Join(dir, "out")
	if err := os.MkdirAll(*out, 0o755); err != nil {
		t.Fatal(err)
	}
	stale := []string{"funnel.txt", "cohorts.txt", "growth.txt", "clv.txt", "clv.csv", "attribution.txt", "identities.csv", "identities.txt"}
	for _, name := range stale {
		writeInput(t, dir, "out/"+name, "an earlier run's "+name+"\n")
	}
	runRoad(t)
	want := map[string]string{
		"funnel.txt":      "visit              0         -",
		"cohorts.txt":     "cohort     size",
		"growth.txt":      "2025-12         0",
		"clv.txt":         "CLV: not fitted, and no customer scored",
		"attribution.txt": "channel",
		"identities.txt":  "identifiers                               0",
	}
	for _, name := range stale {
		b, err := os.ReadFile(filepath.Join(*out, name))
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(b), "an earlier run") {
			t.Errorf("%s is still the earlier run's", name)
		} else if !strings.Contains(string(b), want[name]) {
			t.Errorf("%s lacks %q:\n%s", name, want[name], b)
		}
	}
}

// The growth table's headings stand over their columns: each heading ends where its
// column's figures end ("retained" and "resurrected" were wider than their columns).
func TestGrowthHeadingsAlign(t *testing.T) {
	j, err := lifecycle.Run([]funnel.Event{{Profile: 1, Time: time.Date(2025, 3, 5, 0, 0, 0, 0, time.UTC), Name: "visit"}})
	if err != nil {
		t.Fatal(err)
	}
	b, err := j.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	table, err := (&growthTable{From: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2025, 6, 30, 0, 0, 0, 0, time.UTC)}).ProcessElement(b, func(*int) bool { return false })
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(table, "\n")
	head, row := lines[1], lines[2]
	if len(head) != len(row) {
		t.Fatalf("heading and row differ in width:\n%s\n%s", head, row)
	}
	for i := 1; i < len(head); i++ {
		if head[i] == ' ' && head[i-1] != ' ' && i > 8 && row[i-1] == ' ' {
			t.Errorf("heading ends at column %d over no figure:\n%s\n%s", i, head, row)
		}
	}
}

// A channel of absurd length (one bad line's 30 MB property) is cut in the tables'
// row labels, not printed whole.
func TestLongLabelsAreCut(t *testing.T) {
	long := strings.Repeat("x", 1<<20)
	b := []byte(`{"linear":{"` + long + `":{"Conversions":1,"Value":0}}}`)
	table, err := (&attributionTable{}).ProcessElement(b, noCounts, noStrings)
	if err != nil {
		t.Fatal(err)
	}
	if len(table) > 200 || !strings.Contains(table, strings.Repeat("x", maxCell)+"… (1048576 bytes)") {
		t.Errorf("attribution table of a 1 MB channel is %d bytes:\n%.300s", len(table), table)
	}
	if got := cell("email", 0); got != "email" {
		t.Errorf("cell(email) = %q", got)
	}
}

// A long label in Chinese, or of emoji, is cut to maxCell columns, not runes (twelve
// Chinese characters fill them; cut to 24 runes, such a label took 48 columns), and
// never inside a flag (a pair of regional indicators) or a ZWJ sequence.
func TestWideLabelsAreCutByColumns(t *testing.T) {
	for _, c := range []struct{ channel, want string }{
		{strings.Repeat("广", 100), strings.Repeat("广", maxCell/2) + "… (300 bytes)"},
		{"a" + strings.Repeat("\U0001f1eb\U0001f1f7", 20), "a" + strings.Repeat("\U0001f1eb\U0001f1f7", maxCell/2-1) + "… (161 bytes)"},
		{strings.Repeat("\U0001f469\u200d\U0001f4bb", 20), strings.Repeat("\U0001f469\u200d\U0001f4bb", maxCell/2) + "… (220 bytes)"},
	} {
		got := cell(c.channel, 10)
		if got != c.want || english.Width(strings.TrimSuffix(got, got[strings.Index(got, "…"):])) > maxCell {
			t.Errorf("cell of %d bytes = %q, want %q", len(c.channel), got, c.want)
		}
	}
}

// A link whose match weight is NaN or infinite, dropped by pipeline.Resolve and
// counted in Resolution.NonFinite, is reported in identities.txt: it was skipped
// without a count. (The road's JSON reader cannot give one, encoding/json refusing
// NaN and numbers out of range, but a parser of another format can.)
func TestNonFiniteWeightsAreReported(t *testing.T) {
	for _, c := range []struct {
		n    int
		want string
	}{
		{0, ""},
		{1, "not counted: 1 link whose match weight is not a number or infinite"},
		{3, "not counted: 3 links whose match weight is not a number or infinite"},
	} {
		table := identitiesTable(nil, 5, 2, 1, 1, 0, 0, 0, c.n)
		if c.want == "" && strings.Contains(table, "match weight") || !strings.Contains(table, c.want) {
			t.Errorf("%d links of a non-finite weight:\n%s\nwant %q", c.n, table, c.want)
		}
	}
}

// A file saved with a byte order mark (Excel's "CSV UTF-8") is read as without one:
// the mark made the transactions' header a bad date and the first event bad JSON.
// A transaction's string id is answered with what to do here, not with the reader's
// ReadOptions.Keys, which a user of this example cannot set.
func TestByteOrderMark(t *testing.T) {
	var txs []scoring.Transaction
	for _, l := range []string{"\ufeffprofile,date,amount\r", "\ufeff7,2025-03-06,19.99"} {
		if err := parseTransaction("tx.csv", l, func(tx scoring.Transaction) { txs = append(txs, tx) }); err != nil {
			t.Errorf("parseTransaction(%q): %v", l, err)
		}
	}
	if len(txs) != 1 || txs[0].Profile != 7 {
		t.Errorf("transactions %+v, want customer 7's only", txs)
	}
	var evs []funnel.Event
	if err := parseEvent("ev.jsonl", "\ufeff"+`{"profile":1,"time":"2025-03-05T10:00:00Z","event":"visit"}`, func(e funnel.Event) { evs = append(evs, e) }); err != nil || len(evs) != 1 {
		t.Errorf("event after a BOM: %v, %d events", err, len(evs))
	}
	var links []identity.Event
	if err := parseLink("links.jsonl", "\ufeff"+`{"time":"2025-01-01T00:00:00Z","source":"web","ids":[{"kind":"email","value":"a@b.c"}]}`, func(e identity.Event) { links = append(links, e) }); err != nil || len(links) != 1 {
		t.Errorf("link after a BOM: %v, %d links", err, len(links))
	}
	err := parseTransaction("tx.csv", "c-42,2025-03-06,19.99", func(scoring.Transaction) {})
	if err == nil || strings.Contains(err.Error(), "ReadOptions") || !strings.Contains(err.Error(), "identities.csv") {
		t.Errorf("string customer id: %v, want advice a user of the example can follow", err)
	}
}

// Channels from the data are row labels of one line each, lined up by runes: a
// channel holding a newline split its row in two, and "café" (5 bytes, 4 runes) was
// padded one space short.
func TestLabelsAreOneLine(t *testing.T) {
	b := []byte(`{"linear":{"ads\nline2":{"Conversions":1},"café":{"Conversions":2},"email":{"Conversions":3}}}`)
	table, err := (&attributionTable{}).ProcessElement(b, noCounts, noStrings)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(table, "\n"), "\n")
	if len(lines) != 5 {
		t.Fatalf("%d lines, want a title, a heading and 3 rows:\n%s", len(lines), table)
	}
	for _, l := range lines[2:] {
		if got, want := utf8.RuneCountInString(l), utf8.RuneCountInString(lines[4]); got != want && !strings.HasPrefix(l, `"ads`) {
			t.Errorf("row %q is %d runes wide, %q %d", l, got, lines[4], want)
		}
	}
	if !strings.HasPrefix(lines[2], `"ads\nline2"`) {
		t.Errorf("row %q, want the channel quoted", lines[2])
	}
}

// noCounts and noStrings are empty side inputs.
func noCounts(*int) bool     { return false }
func noStrings(*string) bool { return false }

// Channels in Chinese or Japanese line up with the others: their characters take two
// columns each on a terminal, and cell padded by runes, so that "メール" pushed the
// rest of its row three columns right. A combining accent (e + U+0301) takes none.
func TestWideLabelsAlign(t *testing.T) {
	b := []byte(`{"linear":{"メール":{"Conversions":1},"广告":{"Conversions":2},"email":{"Conversions":3},"cafe\u0301":{"Conversions":4}}}`)
	table, err := (&attributionTable{}).ProcessElement(b, noCounts, noStrings)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(table, "\n"), "\n")
	if len(lines) != 6 {
		t.Fatalf("%d lines, want a title, a heading and 4 rows:\n%s", len(lines), table)
	}
	for _, l := range lines[2:] {
		if got, want := english.Width(l), english.Width(lines[1]); got != want {
			t.Errorf("row %q is %d columns wide, the heading %d:\n%s", l, got, want, table)
		}
	}
}

// A transaction's amount follows the events' rule (internal/amount): a quoted "12,50"
// is 12.5, as a purchase event's amount is; an unquoted one, which the comma splits in
// two fields, is refused saying so rather than read as 12; "1,234" is refused with how
// to write it. The reader refused the first and read the second as 12.
func TestTransactionDecimalComma(t *testing.T) {
	var txs []scoring.Transaction
	if err := parseTransaction("tx.csv", `7,2025-03-06,"12,50"`, func(tx scoring.Transaction) { txs = append(txs, tx) }); err != nil || len(txs) != 1 || txs[0].Amount != 12.5 {
		t.Errorf(`"12,50": %+v, %v; want 12.5`, txs, err)
	}
	for _, c := range []struct{ line, want string }{
		{"7,2025-03-06,12,50", `road: tx.csv: transaction "7,2025-03-06,12,50": scoring: syntax error: column 14: amount 12,50 is split in two fields by the separator ',' (this row has 4 fields, the header 3): quote it, "12,50"`},
		{`7,2025-03-06,"1,234"`, `column 14: amount "1,234" is not a finite non-negative number: a comma is read as a decimal comma only with one or two digits after it`},
	} {
		err := parseTransaction("tx.csv", c.line, func(tx scoring.Transaction) { t.Errorf("%q read as %+v", c.line, tx) })
		if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "ReadOptions") || strings.Contains(err.Error(), "line 2") {
			t.Errorf("%q: %v\nwant %s", c.line, err, c.want)
		}
	}
}

// A purchase's amount is the journey's value; one the road cannot read makes no
// journey and is reported, and a purchase without an amount is worth 0.
func TestJourneyAmount(t *testing.T) {
	at := time.Date(2025, 3, 5, 0, 0, 0, 0, time.UTC)
	events := func(amount map[string]string) []funnel.Event {
		return []funnel.Event{{Profile: 1, Time: at, Name: "visit", Props: map[string]string{"channel": "email"}},
			{Profile: 1, Time: at.Add(time.Hour), Name: "purchase", Props: amount}}
	}
	for _, c := range []struct {
		props map[string]string
		value float64
		bad   string
	}{
		{map[string]string{"amount": "12,50"}, 12.5, ""},
		{map[string]string{"amount": "12.50"}, 12.5, ""},
		{nil, 0, ""},
		{map[string]string{"amount": " "}, 0, ""},
		{map[string]string{"amount": "1.234,50"}, 0, `"1.234,50"`},
		{map[string]string{"amount": "NaN"}, 0, `"NaN"`},
	} {
		p, ok, bad := journey(events(c.props))
		if bad != c.bad || ok != (c.bad == "") || ok && (p.Value != c.value || p.Conversions != 1) {
			t.Errorf("amount %q: path %+v, %v, bad %q; want value %v, bad %q", c.props["amount"], p, ok, bad, c.value, c.bad)
		}
	}
}

// Links that link nothing (an empty e-mail address, a blocked value) and journeys
// with an amount the road refuses are counted in their tables: both were skipped
// without a word.
func TestRefusedRowsAreCounted(t *testing.T) {
	dir := t.TempDir()
	*eventsPath = writeInput(t, dir, "events.jsonl", `{"profile":1,"time":"2025-03-01T00:00:00Z","event":"visit","properties":{"channel":"email"}}
{"profile":1,"time":"2025-03-01T01:00:00Z","event":"purchase","properties":{"amount":"1.234,50"}}
{"profile":2,"time":"2025-03-01T00:00:00Z","event":"visit","properties":{"channel":"email"}}
{"profile":2,"time":"2025-03-01T01:00:00Z","event":"purchase","properties":{"amount":"12,50"}}
{"profile":3,"time":"2025-03-01T00:00:00Z","event":"visit","properties":{"channel":"ads"}}
{"profile":3,"time":"2025-03-01T01:00:00Z","event":"purchase","properties":{"amount":"1,234.50"}}
`)
	*txPath = writeInput(t, dir, "tx.csv", "")
	*linksPath = writeInput(t, dir, "links.jsonl", `{"time":"2025-01-01T00:00:00Z","source":"web","ids":[{"kind":"email","value":""}]}
{"time":"2025-01-01T00:00:00Z","source":"web","ids":[{"kind":"email","value":"a@b.example"},{"kind":"user_id","value":"u1"}]}
{"time":"2025-01-02T00:00:00Z","source":"web","ids":[{"kind":"anonymous_id","value":"null"}]}
`)
	*out = filepath.Join(dir, "out")
	runRoad(t)
	for name, want := range map[string]string{
		"identities.txt":  "not counted: 2 links that linked no identifier",
		"attribution.txt": `not counted: 2 journeys whose purchase amount is no number the road reads (as "1,234.50")`,
	} {
		b, err := os.ReadFile(filepath.Join(*out, name))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(b), want) {
			t.Errorf("%s lacks %q:\n%s", name, want, b)
		}
	}
	b, err := os.ReadFile(filepath.Join(*out, "attribution.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), "\nemail ") || strings.Contains(string(b), "\nads ") {
		t.Errorf("attribution.txt: want email's journey of 12,50 and not ads' refused one:\n%s", b)
	}
}

// Rows after the -end day are in no table: the funnel, the cohorts, the growth
// months, the attribution and the CLV summaries leave them out and say how many,
// rather than a year of zeros and "got 0 customers" for data of the year after the
// default -end. The funnel and the cohorts counted them: a profile whose first visit
// came after -end was in the funnel and made a cohort of its month.
func TestRowsAfterEndAreCounted(t *testing.T) {
	dir := t.TempDir()
	*eventsPath = writeInput(t, dir, "events.jsonl", `{"profile":1,"time":"2025-12-31T23:00:00Z","event":"visit","properties":{"channel":"email"}}
{"profile":1,"time":"2026-01-01T00:00:00Z","event":"visit"}
{"profile":2,"time":"2026-02-01T00:00:00Z","event":"visit","properties":{"channel":"late"}}
`)
	*txPath = writeInput(t, dir, "tx.csv", "1,2025-12-31,5\n1,2026-01-01,5\n2,2026-03-01,5\n3,2026-03-01,5\n")
	*linksPath, *out = writeInput(t, dir, "links.jsonl", ""), filepath.Join(dir, "out")
	runRoad(t)
	late := "not counted: 2 events after -end 2025-12-31; set -end to the last day of your data"
	for name, want := range map[string][]string{
		"funnel.txt":      {"visit              1", late},
		"cohorts.txt":     {"2025-12" + strings.Repeat(" ", 7) + "1", late},
		"growth.txt":      {late},
		"attribution.txt": {"email", late},
		"clv.txt":         {"not counted: 3 transactions after -end 2025-12-31; set -end to the last day of your data"},
	} {
		b, err := os.ReadFile(filepath.Join(*out, name))
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range want {
			if !strings.Contains(string(b), w) {
				t.Errorf("%s lacks %q:\n%s", name, w, b)
			}
		}
		if strings.Contains(string(b), "2026-02") || strings.Contains(string(b), "\nlate ") {
			t.Errorf("%s shows an event after -end:\n%s", name, b)
		}
	}
}
