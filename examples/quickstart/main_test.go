package main

import (
	"bytes"
	"encoding/xml"
	"html"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// runSmall runs the quickstart on a small base and returns its text report and page.
func runSmall(t *testing.T) (string, []byte) {
	t.Helper()
	out := filepath.Join(t.TempDir(), "report.html")
	var text, status bytes.Buffer
	if err := run(&text, &status, config{people: 20000, seed: 1, out: out}); err != nil {
		t.Fatalf("run: %v\nstatus:\n%s", err, status.String())
	}
	page, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return text.String(), page
}

// TestQuickstartReport checks the key figures of the report on a small base against the
// generator's truth: the seeds' ratios, identity's safety, the models' recovery of the
// generator's parameters and the consistency of the attribution table.
func TestQuickstartReport(t *testing.T) {
	text, page := runSmall(t)
	num := func(re string) []float64 {
		t.Helper()
		m := regexp.MustCompile(re).FindStringSubmatch(text)
		if m == nil {
			t.Fatalf("report does not match %s:\n%s", re, text)
		}
		var out []float64
		for _, s := range m[1:] {
			v, err := strconv.ParseFloat(strings.ReplaceAll(s, ",", ""), 64)
			if err != nil {
				t.Fatalf("%q in %q: %v", s, m[0], err)
			}
			out = append(out, v)
		}
		return out
	}
	// About 2% of people reached become users.
	if share := num(`people became users: ([\d.]+)% of the`)[0]; share < 1 || share > 4 {
		t.Errorf("users are %.2f%% of people reached, want about 2%%", share)
	}
	// Identity never mixes more than a handful of people.
	if mixed := num(`profiles mixing two or more people: ([\d.]+)%`)[0]; mixed > 0.5 {
		t.Errorf("%.3f%% of profiles mix people", mixed)
	}
	// Probabilistic matching joins loyalty cards to accounts, and almost always rightly.
	if m := num(`(\d+)  profiles joined by probabilistic matching, (\d+) of them rightly: loyalty cards \((\d+)\)`); m[0] < m[2]/2 || m[1] < 0.95*m[0] {
		t.Errorf("probabilistic matching: %v merges of %v cards, %v right", m[0], m[2], m[1])
	}
	// About 30% of customers buy again.
	if repeat := num(`(?m)^repeat customer\s+[\d,]+\s+([\d.]+)%`)[0]; repeat < 20 || repeat > 40 {
		t.Errorf("%.1f%% of customers bought again, want about 30%%", repeat)
	}
	// The measured ranking finds the truly strong promotions far more often than chance
	// (which would put 0.4 of 4 in the top 4 of 40).
	if m := num(`the top (\d+) include (\d+) of those`); m[1] < m[0]/2 {
		t.Errorf("the %v best measured promotions include only %v truly strong ones", m[0], m[1])
	}
	// The fits recover the generator's parameters within two standard errors.
	for _, model := range []string{"BG/NBD, days", "Gamma-Gamma"} {
		line := regexp.MustCompile(`(?m)^  ` + regexp.QuoteMeta(model) + `.*$`).FindString(text)
		if line == "" || strings.Contains(line, ": NO]") || strings.Contains(line, "no SE") {
			t.Errorf("%s does not recover the truth: %q", model, line)
		}
	}
	// CLV is concentrated: the top decile holds far more than a tenth of the value.
	if top := num(`(?m)^  1\s+[\d,]+\s+[\d.]+\s+([\d.]+)%$`)[0]; top < 30 {
		t.Errorf("the top CLV decile holds %.1f%%", top)
	}
	if lift := num(`(?m)^  10%\s+([\d.]+)\s+[\d.]+`)[0]; lift <= 1 {
		t.Errorf("lookalike lift at 10%% is %.1f, no better than random", lift)
	}
	if k := num(`K = [\d.]+ invitations per user x [\d.]+% of invitations that became users = ([\d.]+)`)[0]; k <= 0 || k >= 1 {
		t.Errorf("K = %v, want between 0 and 1", k)
	}
	// Every attribution model credits exactly the sign-ups that followed a promotion.
	total := num(`: ([\d,]+) users whose sign-up followed a promotion`)[0]
	_, table, _ := strings.Cut(text, "each column sums to")
	sums := make([]float64, 4)
	for _, row := range regexp.MustCompile(`(?m)^  [a-z]+\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)$`).FindAllStringSubmatch(table, -1) {
		for i := range sums {
			v, _ := strconv.ParseFloat(row[i+1], 64)
			sums[i] += v
		}
	}
	for i, s := range sums {
		if s < total-0.5 || s > total+0.5 {
			t.Errorf("attribution model %d credits %.1f sign-ups, want %v", i, s, total)
		}
	}

	checkWellFormed(t, page)
	if n := strings.Count(string(page), "<svg"); n < 14 {
		t.Errorf("report.html has %d charts, want 14: identity (2), audiences (2), road (5), value (4), referral (2)", n)
	}
	// The page says what the text says: every line of the text report is in it.
	for _, line := range strings.Split(text, "\n") {
		if l := strings.TrimSpace(line); l != "" && !strings.Contains(string(page), html.EscapeString(l)) && !strings.HasPrefix(l, "---") {
			if _, isWord := vocabularyMeaning(l); !isWord {
				t.Errorf("report.html lacks the text report's line %q", l)
			}
		}
	}
	if strings.Count(string(page), "http://") != strings.Count(string(page), `xmlns="http://www.w3.org/2000/svg"`) {
		t.Errorf("report.html refers to an external asset")
	}
}

// checkWellFormed parses the page as XML: every element closed, every entity valid.
func checkWellFormed(t *testing.T, page []byte) {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(page))
	d.Strict = true
	for {
		_, err := d.Token()
		if err == io.EOF {
			return
		}
		if err != nil {
			line, col := d.InputPos()
			t.Fatalf("report.html is not well-formed at line %d column %d: %v", line, col, err)
		}
	}
}

// TestProgressLinesWhole runs the quickstart with the report and the progress lines on
// one writer, as on a terminal: no report text may land inside an open progress line
// (the insight, loyalty and uplift sections compute as they print, and their text is
// held back until their line is closed).
func TestProgressLinesWhole(t *testing.T) {
	var both bytes.Buffer
	if err := run(&both, &both, config{people: 300, seed: 1}); err != nil {
		t.Fatal(err)
	}
	whole := regexp.MustCompile(`^\[[1-7]/7\] [^\[]* \.\.\. [0-9]+\.[0-9]s$`)
	n := 0
	for _, l := range strings.Split(both.String(), "\n") {
		if strings.HasPrefix(l, "[") && strings.Contains(l, "/7] ") {
			n++
			if !whole.MatchString(l) {
				t.Errorf("progress line broken by report text: %q", l)
			}
		}
	}
	if n != 7 {
		t.Errorf("%d progress lines, want 7:\n%s", n, both.String())
	}
}

// TestProgressAbandoned: a step that fails leaves no open progress line for the error
// to trail ("[3/7] referral programme ... quickstart: ...").
func TestProgressAbandoned(t *testing.T) {
	var b bytes.Buffer
	p := &progress{w: &b, steps: 2, people: 1}
	p.begin("done")
	p.end()
	p.abandon() // nothing open: nothing printed
	p.begin("failing")
	p.abandon()
	p.abandon()
	if got := b.String(); !regexp.MustCompile(`^\[1/2\] done \.\.\. [0-9.]+s\n\[2/2\] failing \.\.\. failed after [0-9.]+s\n$`).MatchString(got) {
		t.Errorf("progress lines %q", got)
	}
}

// TestSmallSizes runs the quickstart on small bases, where models may lack the data to
// fit: every size must complete, with every section present, a section that cannot be
// computed saying so in a sentence, and a well-formed page.
// oneOfMany finds a count of 1 before a plural noun, or a person or profile of 1 who
// "became users", in a sentence or in a table's column of counts ("1  merges").
var oneOfMany = regexp.MustCompile(`(^|[^0-9.,])1 +([a-z]+s\b|[a-z]+ (who )?became users|loyalty cards)`)

func TestSmallSizes(t *testing.T) {
	// 30 people of seed 3 make one user, one customer and one promotion of each kind:
	// seven lines said "1 profiles", "1 users" or "1 person became users". One person
	// of seed 3 makes one event and one profile ("1 events", "of the 1 profiles"), and
	// 300 of seed 7 one loyalty card, too few to train the matching model ("1 loyalty
	// cards").
	vintages := 0
	for _, c := range []struct{ people, seed int }{{1, 1}, {1, 3}, {10, 1}, {30, 3}, {50, 1}, {100, 1}, {300, 7}, {500, 1}, {1000, 1}, {3000, 1}} {
		people := c.people
		t.Run(strconv.Itoa(people), func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "report.html")
			var text, status bytes.Buffer
			if err := run(&text, &status, config{people: people, seed: uint64(c.seed), out: out}); err != nil {
				t.Fatalf("run: %v\nreport so far:\n%s", err, text.String())
			}
			for _, title := range []string{"Words used in this report", "The base", "Identity: one person, one profile",
				"Audiences: which profiles", "The road: from reached to repeat customer", "Value: who will buy again",
				"Referral: who brought whom", secUplift} {
				if !strings.Contains(text.String(), "\n"+title) {
					t.Errorf("no section %q", title)
				}
			}
			if strings.Contains(text.String(), "Inf") || strings.Contains(text.String(), "NaN") {
				t.Errorf("a figure is not a number:\n%s", text.String())
			}
			// The road's first step is 100% of itself by definition: an interval about it
			// ("100.0% [43.9, 100.0]" of 3 profiles reached) measured nothing.
			if m := regexp.MustCompile(`(?m)^reached .*\[.*$`).FindString(text.String()); m != "" {
				t.Errorf("the road's first step has an interval: %q", m)
			}
			// A line that ends in a colon introduces the indented lines of a table or a
			// list: a heading left bare (the loyalty breakage table of a base where no
			// points were earned was) reads as if the report had been cut off.
			lines := strings.Split(text.String(), "\n")
			for i, l := range lines[:len(lines)-1] {
				if strings.HasSuffix(l, ":") && !strings.HasPrefix(lines[i+1], " ") {
					t.Errorf("line %d %q is followed by %q, not by what it introduces", i+1, l, lines[i+1])
				}
			}
			// A count of one takes the singular ("1 voucher redeemed", "the 1 profile
			// that visited"); a stranger reads "1 vouchers" as a report nobody read.
			for i, l := range lines {
				if m := oneOfMany.FindString(l); m != "" {
					t.Errorf("line %d %q: %q", i+1, l, strings.TrimSpace(m))
				}
			}
			// Each breakage row adds up: a month with refunds once showed 64 earned, 0
			// redeemed, 18 expired and 0 outstanding, its reversed points in no column.
			known := 0
			for _, m := range vintageRow.FindAllStringSubmatch(text.String(), -1) {
				var v [5]int
				for i := range v {
					v[i], _ = strconv.Atoi(strings.ReplaceAll(m[i+1], ",", ""))
				}
				if v[0] != v[1]+v[2]+v[3]+v[4] {
					t.Errorf("breakage row does not add up: %q", m[0])
				}
				known += v[1] + v[3]
				vintages++
			}
			// With no point redeemed or expired, breakage is unknown, not a measured 0%:
			// it was printed "breakage 0.0% (no month settled yet ...)" and, on every
			// month's row, "0.0% [ 0.0, 100.0]".
			if m := measuredBreakage.FindString(text.String()); known == 0 && m != "" {
				t.Errorf("no point of known fate, yet a breakage is given as measured: %q", m)
			}
			// Nor has a liability of no points outstanding a breakage.
			if m := regexp.MustCompile(`(?m)^liability at .*: 0 points outstanding.*$`).FindString(text.String()); m != "" {
				t.Errorf("a liability with no points outstanding: %q", m)
			}
			if people <= 100 && !strings.Contains(text.String(), "no BG/NBD fit") {
				t.Errorf("%d people: no note on the BG/NBD fit that cannot be made:\n%s", people, text.String())
			}
			if strings.Contains(status.String(), "writing  ") || strings.Count(status.String(), "\n") != 8 {
				t.Errorf("progress lines:\n%s", status.String())
			}
			page, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			checkWellFormed(t, page)
		})
	}
	if vintages == 0 {
		t.Error("no breakage row with earned, redeemed, reversed, expired and outstanding points")
	}
	// No page asked for: no "writing" step at all.
	var text, status bytes.Buffer
	if err := run(&text, &status, config{people: 500, seed: 2}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(status.String(), "writing") {
		t.Errorf("-out \"\" still reports a writing step:\n%s", status.String())
	}
}

// measuredBreakage finds a breakage given as a figure, on a liability line or a row.
var measuredBreakage = regexp.MustCompile(`(?m)breakage [0-9.]+%.*$|outstanding +[0-9.]+% \[.*$`)

var vintageRow = regexp.MustCompile(`(?m)^  \d{4}-\d\d +([\d,]+) earned +([\d,]+) redeemed +([\d,]+) reversed +([\d,]+) expired +([\d,]+) outstanding`)

// A parameter held at its bound is printed without an error bar: its standard error is
// 0 by definition (scoring.Diagnostics.StdErr), and "p 2.98e+03±0 [6.25: NO]" read as
// a fit that failed to recover the truth by a margin of zero.
func TestRecoveredAtBound(t *testing.T) {
	var b bytes.Buffer
	recovered(&reportWriter{w: &b}, "Gamma-Gamma", []string{"p", "q"}, []float64{2980, 2.17}, []float64{0, 0.5}, []float64{6.25, 3.74})
	want := "  Gamma-Gamma    p 2.98e+03 [6.25: at its bound, no SE]  q 2.17±0.5 [3.74: NO]\n"
	if b.String() != want {
		t.Errorf("got  %q\nwant %q", b.String(), want)
	}
}

// A standard error larger than its estimate makes "within 2 SE" vacuous: at 500
// people BG/NBD's a ran off to 1.08e+03±2.1e+03 and was judged "[0.8: yes]", which read
// as a recovery.
func TestRecoveredVacuously(t *testing.T) {
	var b bytes.Buffer
	recovered(&reportWriter{w: &b}, "BG/NBD, days", []string{"a", "b"}, []float64{1080, 2.4}, []float64{2100, 0.5}, []float64{0.8, 2.5})
	want := "  BG/NBD, days   a 1.08e+03±2.1e+03 [0.8: yes, but SE > estimate]  b 2.4±0.5 [2.5: yes]\n"
	if b.String() != want {
		t.Errorf("got  %q\nwant %q", b.String(), want)
	}
}

// TestBadOutRefusedFirst: an -out the page cannot be written to is refused before the
// run, not after a minute of it, and nothing of the report is printed.
func TestBadOutRefusedFirst(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct{ out, want string }{
		{filepath.Join(dir, "missing", "report.html"), "-out " + filepath.Join(dir, "missing", "report.html") + ": no directory " + filepath.Join(dir, "missing") + " to write it in"},
		{dir, "-out " + dir + ": a directory; give a file, such as " + filepath.Join(dir, "report.html")},
	} {
		var text, status bytes.Buffer
		err := run(&text, &status, config{people: 10, seed: 1, out: c.out})
		if err == nil || err.Error() != c.want {
			t.Errorf("-out %s: %v, want %q", c.out, err, c.want)
		}
		if text.Len() > 0 || status.Len() > 0 {
			t.Errorf("-out %s: the run went ahead:\n%s%s", c.out, status.String(), text.String())
		}
	}
	// A file in an existing directory is written.
	if err := run(io.Discard, io.Discard, config{people: 10, seed: 1, out: filepath.Join(dir, "r.html")}); err != nil {
		t.Errorf("a file in an existing directory: %v", err)
	}
}
