package main

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/clientele-go/clientele/internal/english"
	"github.com/clientele-go/clientele/internal/golden"
	"github.com/clientele-go/clientele/scoring"
)

const cdnow = "../../scoring/testdata/cdnow/CDNOW_sample.txt"

// TestCDNOW checks the published estimates on the CDNOW sample's 39-week calibration
// period (Fader, Hardie & Lee 2005: BG/NBD r 0.243, alpha 4.414, a 0.793, b 2.426,
// LL -9582.4; Pareto/NBD r 0.55, alpha 10.58, s 0.61, beta 11.67, LL -9595.0) and the
// holdout table's counts (1,882 holdout purchases by 2,357 customers).
func TestCDNOW(t *testing.T) {
	got := runCDNOW(t, 3)
	for _, want := range []string{
		"6919 transactions of 2357 customers, 1997-01-01 to 1998-06-30; calibration to 1997-09-30, holdout 39.0 weeks",
		"BG/NBD      r 0.243  alpha 4.414  a 0.793  b 2.426  LL -9582.4",
		"Pareto/NBD  r 0.553  alpha 10.578  s 0.606  beta 11.669  LL -9595.0",
		"total      2357     1882",
		// The tracking plot: 2,457 repeat purchases by the end of calibration, as
		// Fader, Hardie & Lee (2005) count them, and BG/NBD's expectation beside them.
		"38.9     2457        2498",
		// ... and 4,339 by the data's last day, 1998-06-30: the 2,457 and the holdout's
		// 1,882, as ExampleTracking counts them; the purchases made on the last day
		// itself were left out (4,337).
		"77.9     4339        4161",
		// Intervals on the base's and the top customers' predictions.
		"90% intervals (delta method): customers active now",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q:\n%s", want, got)
		}
	}
	if n := strings.Count(got, "\n      "); n < 3 {
		t.Errorf("expected the top customers listed:\n%s", got)
	}
}

func TestCSV(t *testing.T) {
	var b strings.Builder
	b.WriteString("customer,date,amount\n")
	// Twelve customers over two years: customer k buys every 30*k days.
	start := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	for k := 1; k <= 12; k++ {
		for d := 0; d < 730; d += 30 * k {
			b.WriteString(strings.Join([]string{itoa(k), start.AddDate(0, 0, d+k).Format(time.DateOnly), itoa(10 + k)}, ",") + "\n")
		}
	}
	var out bytes.Buffer
	err := run(&out, strings.NewReader(b.String()), config{format: "csv", header: true, unit: 24 * time.Hour, top: 2})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "of 12 customers") || !strings.Contains(out.String(), "holdout") {
		t.Errorf("output:\n%s", out.String())
	}
}

// TestOneLaterCustomer: the count of customers who first bought in the holdout period
// agrees with its verb when it is one.
func TestOneLaterCustomer(t *testing.T) {
	b, start := twelveCustomers()
	fmt.Fprintf(b, "late,%s,5\n", start.AddDate(0, 0, 700).Format(time.DateOnly))
	var out bytes.Buffer
	if err := run(&out, strings.NewReader(b.String()), config{format: "csv", unit: 24 * time.Hour, top: 2}); err != nil {
		t.Fatal(err)
	}
	if want := "; 1 first bought after it, in the holdout period, and counts only in the whole-period value below"; !strings.Contains(out.String(), want) {
		t.Errorf("want %q in\n%s", want, out.String())
	}
}

// TestOnePrice: a subscription shop, every customer paying one price every week, is
// an ordinary shop: it is valued, where the spend-independence check failed the run
// after the fits ("frequency or spend is constant across the 20 repeat customers").
func TestOnePrice(t *testing.T) {
	var b strings.Builder
	start := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	for c := range 20 {
		for w := range 52 {
			fmt.Fprintf(&b, "c%d,%s,19.99\n", c, start.AddDate(0, 0, 7*w+c%7).Format(time.DateOnly))
		}
	}
	var out bytes.Buffer
	if err := run(&out, strings.NewReader(b.String()), config{format: "csv", unit: 7 * 24 * time.Hour, top: 2}); err != nil {
		t.Fatal(err)
	}
	if want := "Spend vs frequency: spend or frequency is the same for all 20 repeat customers"; !strings.Contains(out.String(), want) {
		t.Errorf("want %q in\n%s", want, out.String())
	}
}

// TestFreeRepeatOrders: a shop with free orders (samples, vouchers paying the whole
// order) is an ordinary shop: a customer whose repeat purchases were all free is left
// out of Gamma-Gamma, said so, and valued, with the delta method's intervals, where
// the fit failed the run ("mean repeat spend must be positive").
func TestFreeRepeatOrders(t *testing.T) {
	b, start := twelveCustomers()
	for d := 0; d < 730; d += 60 {
		fmt.Fprintf(b, "sampler,%s,0\n", start.AddDate(0, 0, d+3).Format(time.DateOnly))
	}
	var out, status bytes.Buffer
	if err := run(&out, strings.NewReader(b.String()), config{format: "csv", unit: 24 * time.Hour, top: 2, status: &status}); err != nil {
		t.Fatal(err)
	}
	if want := "Gamma-Gamma is fitted without the 1 customer whose repeat purchases were all free (amount 0)"; !strings.Contains(out.String(), want) {
		t.Errorf("want %q in\n%s", want, out.String())
	}
	if strings.Contains(out.String()+status.String(), "bootstrapping instead") {
		t.Errorf("the delta method's intervals failed on the free customer:\n%s", status.String())
	}
}

// twelveCustomers writes, from the day it returns, two years of twelve customers c1 to
// c12, customer k buying every 30*k days, for a test to add its own to.
func twelveCustomers() (*strings.Builder, time.Time) {
	var b strings.Builder
	start := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	for k := 1; k <= 12; k++ {
		for d := 0; d < 730; d += 30 * k {
			fmt.Fprintf(&b, "c%d,%s,%d\n", k, start.AddDate(0, 0, d+k).Format(time.DateOnly), 10+k)
		}
	}
	return &b, start
}

func itoa(n int) string { return strconv.Itoa(n) }

// TestUnitName: a unit other than a day or a week is named as -unit writes it (the
// SDK's one syntax of durations), not as Go prints a time.Duration ("12h0m0s units").
func TestUnitName(t *testing.T) {
	for unit, want := range map[time.Duration]string{
		time.Hour: "hours", 24 * time.Hour: "days", 7 * 24 * time.Hour: "weeks", 12 * time.Hour: "12h units", 36 * time.Hour: "1d12h units", 14 * 24 * time.Hour: "2w units",
	} {
		if got := unitName(unit); got != want {
			t.Errorf("unitName(%v) = %q, want %q", unit, got, want)
		}
	}
}

// TestZeroUnit: -unit 0s is refused before the file is read; it was taken, the models
// fitted in weeks (Summarize's default) under the heading "0s units", and the run
// stopped at the tracking table on periods of infinite length.
func TestZeroUnit(t *testing.T) {
	err := run(&bytes.Buffer{}, strings.NewReader("c1,2025-01-01,10\n"), config{format: "csv", unit: 0})
	if err == nil || !strings.Contains(err.Error(), "-unit 0s: want a positive time unit") {
		t.Errorf("err = %v, want -unit 0s refused", err)
	}
}

// TestHoldoutRowWithoutCustomers: a frequency no customer has shows dashes, not a mean
// of 0.000 for the actual purchases and for every model's prediction, which read as the
// models predicting none.
func TestHoldoutRowWithoutCustomers(t *testing.T) {
	var b strings.Builder
	start := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	for k := 1; k <= 12; k++ { // no customer buys six times in the calibration year
		for d := 0; d < 730; d += 30 * k {
			fmt.Fprintf(&b, "c%d,%s,%d\n", k, start.AddDate(0, 0, d+k).Format(time.DateOnly), 10+k)
		}
	}
	var out bytes.Buffer
	if err := run(&out, strings.NewReader(b.String()), config{format: "csv", unit: 24 * time.Hour}); err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("  %9s %9d %8s %11s %11s %11s\n", "5", 0, "-", "-", "-", "-")
	if !strings.Contains(out.String(), want) {
		t.Errorf("want the row %q in\n%s", want, out.String())
	}
}

func TestBadInput(t *testing.T) {
	for _, c := range []struct {
		in   string
		cfg  config
		want string
	}{
		{"1,2025-01-01,10\n2,2025-13-01,5\n", config{format: "csv"}, "line 2"},
		{"1,2025-01-01,-3\n", config{format: "csv"}, "line 1"},
		// An amount no money figure reaches is refused at its line, before any fit: 1e300
		// was read, and its sums printed a CLV of +Inf (or overflowed and failed a fit
		// naming a customer's index, not the line).
		{"1,2025-01-01,10\n1,2025-02-01,1e300\n", config{format: "csv"}, `line 2, column 14: amount "1e300" is over MaxAmount, 1e+15: not a money figure`},
		{"c1,2025-01-01,10\nc1,2025-02-01,1.7e308\nc1,2025-02-01,1.7e308\n", config{format: "csv"}, `line 2, column 15: amount "1.7e308" is over MaxAmount`},
		{"", config{format: "csv"}, "no transactions"},
		{"customer,date,amount\nc1,2025-01-01,10\n", config{format: "csv"}, "add -header"},
		// A CSV read as CDNOW was told to add -header.
		{"c1,2025-03-01,10\n", config{format: "cdnow"}, "for a CSV of customer,date,amount, leave -format out"},
		{"c1,2025-01-01,10\nc1,2025-02-01,10\n", config{format: "csv"}, "BG/NBD needs at least 10 customers, got 1"},
		{"1,2025-01-01,10\n", config{format: "xml"}, `unknown format "xml"`},
		{"1,2025-01-01,10\n1,2025-02-01,10\n", config{format: "csv", calibrationEnd: "2025-03-01"}, "leaves no holdout"},
		// A calibration end on the last day, before its last purchase's time, left a
		// holdout of no days: "holdout 0.0 weeks", every holdout figure 0.
		{twelveTimes + "c1,2026-02-01 10:00:00,5\n", config{format: "csv", layout: time.DateTime, calibrationEnd: "2026-02-01"}, "calibration end 2026-02-01 leaves no holdout period (data end 2026-02-01)"},
		// Purchases all on one day were told that a calibration end the reader never
		// gave left no holdout.
		{"a,2025-03-01,10\nb,2025-03-01,20\nc,2025-03-01,5\n", config{format: "csv"}, "all 3 transactions are on 2025-03-01: the models need purchases over a span of days"},
		{"a,2025-03-01 10:00:00,10\nb,2025-03-01 11:00:00,20\n", config{format: "csv", layout: time.DateTime}, "all 2 transactions are on 2025-03-01: the models need purchases"},
		{"a,2025-03-01,10\n", config{format: "csv"}, "the file's one transaction is on 2025-03-01: the models need purchases"},
		// A calibration period that ends before the first purchase has no customer to
		// fit (it indexed an empty list: a panic).
		{"1,2025-01-01,10\n1,2025-02-01,10\n", config{format: "csv", calibrationEnd: "2024-06-30"}, "calibration end 2024-06-30 is before every customer's first purchase (data start 2025-01-01): no customer to fit"},
		{"1,2025-01-01,10\n1,2025-02-01,10\n", config{format: "csv", calibrationEnd: "30/06/2025"}, `-calibration-end "30/06/2025": want a date such as 1997-09-30`},
		{"1,2025-01-01,10\n", config{format: "csv", top: -1}, "-top -1: want the number of customers to list, 0 or more"},
		// Dates of another form say which flag reads them, not only Go's layout.
		{"customer,date,amount\nc1,Jan-2nd,10\n", config{format: "csv", header: true}, `line 2, column 4: time "Jan-2nd" does not match layout "2006-01-02" (if the dates are written otherwise, give their form with -date-layout`},
		{"customer,date,amount\nc1,01/02/2025,10\n", config{format: "csv", header: true}, `line 2, column 4: time "01/02/2025" does not match layout "2006-01-02" (that date reads with -date-layout 02/01/2006 (day first: 1 February 2025) or 01/02/2006`},
		{"customer,date,amount\nc1,2025-01-02T10:00:00Z,10\n", config{format: "csv", header: true}, "(that date reads with -date-layout 2006-01-02T15:04:05Z07:00)"},
		// A decimal comma in a comma-separated file splits the amount: 12,50 was read
		// as 12 without a word.
		{"customer,date,amount\nc1,2025-01-01,10\nc1,2025-02-01,12,50\n", config{format: "csv", header: true}, "line 3, column 15: amount 12,50 is split in two fields by the separator ','"},
	} {
		c.cfg.unit = 24 * time.Hour
		err := run(&bytes.Buffer{}, strings.NewReader(c.in), c.cfg)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: error %v, want one mentioning %q", c.in, err, c.want)
		}
	}
}

// runCDNOW runs the command on the CDNOW sample with its default flags (weeks), listing
// the top customers, and returns what it printed.
func runCDNOW(t *testing.T, top int) string {
	t.Helper()
	f, err := os.Open(cdnow)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out bytes.Buffer
	if err := run(&out, f, config{format: "cdnow", unit: 7 * 24 * time.Hour, top: top}); err != nil {
		t.Fatal(err)
	}
	return out.String()
}

// TestREADMEShowsRealOutput holds the README's "Real output of the first command" to
// what the command prints: it had gone stale (a duration's spelling, the intervals'
// columns) while every other test passed.
func TestREADMEShowsRealOutput(t *testing.T) {
	want := golden.Block(t, "README.md", "Real output of the first command")
	if got := runCDNOW(t, 10); got != want {
		t.Errorf("README.md shows an output the command no longer prints; it prints:\n%s", got)
	}
}

// TestParamValueEachDirection: held parameters may run off in opposite directions (a
// small shop's MBG/NBD: r → ∞, a → 0, b → ∞, no dropout); each shows its own.
func TestParamValueEachDirection(t *testing.T) {
	b := &scoring.Boundary{Params: []string{"r", "a", "b"}, Values: []float64{2980.96, 0.000335, 2980.96}}
	for name, want := range map[string]string{"r": "→ ∞", "a": "→ 0", "b": "→ ∞", "alpha": "42.000"} {
		if got := paramValue(b, name, 42); got != want {
			t.Errorf("%s: %q, want %q", name, got, want)
		}
	}
}

// TestOddCustomerIDs lists customers whose ids are not plain text, as exports have
// them: one from a Windows-1252 file ("José", not UTF-8), one holding a tab and a
// bidirectional override (U+202E, which reverses the rest of the line on a terminal),
// one of 300 letters. Each is quoted or cut, and every row of the table is as wide as
// its header.
func TestOddCustomerIDs(t *testing.T) {
	got, table := topTable(t, map[string]string{
		"20111": "Jos\xe9 Garc\xeda",
		"12476": "ann\t\u202eevil",
		"15562": strings.Repeat("x", 300),
	})
	if !utf8.ValidString(got) || strings.ContainsAny(got, "\t\u202e") {
		t.Errorf("the report holds invalid UTF-8, a tab or a bidirectional override:\n%q", got)
	}
	for _, want := range []string{`"Jos\xe9 Garc\xeda"`, `"ann\t\u202eevil"`, strings.Repeat("x", 40) + "… (300 bytes)"} {
		if !strings.Contains(strings.Join(table, "\n"), want) {
			t.Errorf("the table lacks %s:\n%s", want, strings.Join(table, "\n"))
		}
	}
}

// TestWideCustomerIDs lists customers whose ids are in Chinese and Japanese (two
// terminal columns a character) and one written with a combining accent (e + U+0301,
// two runes in one column): the id column is padded by columns, so every row is as
// wide as its header on a terminal. Padded by runes, as fmt's %*s pads, the row of
// "山田太郎" stood four columns right of the others.
func TestWideCustomerIDs(t *testing.T) {
	ids := map[string]string{
		"20111": "山田太郎",
		"12476": "メール@例え.jp",
		"15562": "Jose\u0301 Garci\u0301a",
	}
	_, table := topTable(t, ids)
	for _, id := range ids {
		if !strings.Contains(strings.Join(table, "\n"), id) {
			t.Errorf("the table lacks %s:\n%s", id, strings.Join(table, "\n"))
		}
	}
}

// topTable runs the command on the CDNOW sample as a CSV whose customers' ids are
// replaced by ids (the sample's id: the new one), listing the top 3 customers, which
// are the three ids TestOddCustomerIDs and TestWideCustomerIDs replace. It checks
// that every row of the table is as wide as its header in terminal columns, and
// returns the whole output and the table's lines.
func topTable(t *testing.T, ids map[string]string) (string, []string) {
	t.Helper()
	raw, err := os.ReadFile(cdnow)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, line := range strings.Split(string(raw), "\n") {
		f := strings.Fields(line)
		if len(f) != 5 {
			continue
		}
		id := f[0]
		if o, ok := ids[id]; ok {
			id = o
		}
		fmt.Fprintf(&b, "\"%s\",%s,%s\n", id, f[2], f[4])
	}
	var out bytes.Buffer
	cfg := config{format: "csv", layout: "20060102", calibrationEnd: "1997-09-30", unit: 7 * 24 * time.Hour, top: 3}
	if err := run(&out, strings.NewReader(b.String()), cfg); err != nil {
		t.Fatal(err)
	}
	got := out.String()
	all := strings.Split(strings.TrimSuffix(got, "\n"), "\n")
	var lines []string
	for i, line := range all {
		if strings.Contains(line, "customer    x") {
			lines = all[i:]
		}
	}
	if len(lines) != 4 {
		t.Fatalf("want a header and 3 customers:\n%s", strings.Join(lines, "\n"))
	}
	for _, line := range lines[1:] {
		if english.Width(line) != english.Width(lines[0]) {
			t.Errorf("row %q is %d columns wide, the header %d:\n%s", line, english.Width(line), english.Width(lines[0]), strings.Join(lines, "\n"))
		}
	}
	return got, lines
}

// TestTopNone: -top 0 prints the base's figures and no table (a header without rows).
func TestTopNone(t *testing.T) {
	got := runCDNOW(t, 0)
	if !strings.Contains(got, "90% intervals (delta method)") || strings.Contains(got, "P(alive)") {
		t.Errorf("-top 0:\n%s", got)
	}
}

// TestTimeZone: with -tz the dates printed, -calibration-end and the calendar days
// purchases are counted in are the shop's. Twelve New York customers buy at 18:00 and
// again at 20:00 on the same local days (23:00 and 01:00 the next day in UTC): in UTC
// each evening was two purchase days, a repeat purchase that was one basket, and the
// header printed the UTC dates of the first and last purchases.
func TestTimeZone(t *testing.T) {
	ny, err := loadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	start := time.Date(2025, 1, 1, 18, 0, 0, 0, ny)
	for k := 1; k <= 12; k++ {
		for d := k; d < 120; d += 7 + k {
			at := start.AddDate(0, 0, d)
			for _, tm := range []time.Time{at, at.Add(2 * time.Hour)} {
				b.WriteString(fmt.Sprintf("c%d,%s,%d\n", k, tm.Format(time.RFC3339), 10+k))
			}
		}
	}
	run1 := func(loc *time.Location) string {
		var out bytes.Buffer
		cfg := config{format: "csv", layout: time.RFC3339, calibrationEnd: "2025-02-28", unit: 24 * time.Hour, top: 1, loc: loc}
		if err := run(&out, strings.NewReader(b.String()), cfg); err != nil {
			t.Fatal(err)
		}
		return out.String()
	}
	local, utc := run1(ny), run1(nil)
	header := func(out string) string { return out[:strings.IndexByte(out, '\n')] }
	if want := "2025-01-02 to 2025-04-30; calibration to 2025-02-28"; !strings.Contains(header(local), want) {
		t.Errorf("-tz America/New_York: %q, want the local dates %q", header(local), want)
	}
	if want := "2025-01-02 to 2025-05-01"; !strings.Contains(header(utc), want) {
		t.Errorf("UTC: %q, want the UTC dates %q", header(utc), want)
	}
	// The tracking table's last row: repeat purchase days by the end of the data.
	lastActual := func(out string) int {
		i := strings.Index(out, "(the tracking plot):")
		rows := strings.Split(strings.TrimSpace(out[i:]), "\n")
		n := 0
		for _, r := range rows[2:] {
			f := strings.Fields(r)
			if len(f) < 2 {
				break
			}
			if v, err := strconv.Atoi(f[1]); err == nil {
				n = v
			} else {
				break
			}
		}
		return n
	}
	purchases := strings.Count(b.String(), "\n") / 2 // local purchase days: one basket each evening
	if got, want := lastActual(local), purchases-12; got != want {
		t.Errorf("-tz America/New_York: %d repeat purchase days, want %d (one a local evening, less each customer's first)", got, want)
	}
	if got := lastActual(utc); got <= lastActual(local) {
		t.Errorf("UTC: %d repeat purchase days, want more than the %d local ones (an evening straddles two UTC days)", got, lastActual(local))
	}
}

// TestUnboundedSpend: spends so spread between customers that Gamma-Gamma's q is at
// most 1 leave the model without a mean spend, and ExpectedSpend is +Inf for a
// customer without repeat purchases. The report printed "total +Inf, mean +Inf" and
// listed those one-time buyers as the most valuable, each worth +Inf; they are now
// left out of the value, said so, and the others valued.
func TestUnboundedSpend(t *testing.T) {
	f, err := os.Open("testdata/heavy-spend.csv") // customers' mean spends from 1 to 10,000
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out bytes.Buffer
	if err := run(&out, f, config{format: "csv", unit: 7 * 24 * time.Hour, top: 10}); err != nil {
		t.Fatal(err)
	}
	got := out.String()
	if strings.Contains(got, "Inf") || strings.Contains(got, "NaN") {
		t.Errorf("an infinite value printed:\n%s", got)
	}
	for _, want := range []string{
		"at most 1: the customers' mean spends are spread too widely to have a mean, so 7 customers without enough repeat purchases to go by have no finite expected spend, and are left out of the value below",
		"Customer value over the next year (1%/month discount) of the other 33 customers; total ",
		"; value of those 33 ",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("want %q in\n%s", want, got)
		}
	}
}

// twelveTimes is twelve customers' purchases of 2025 and early 2026, with times of day.
var twelveTimes = func() string {
	var b strings.Builder
	start := time.Date(2025, 1, 1, 9, 30, 0, 0, time.UTC)
	for k := 1; k <= 12; k++ {
		for d := 0; d < 365; d += 20 * k {
			fmt.Fprintf(&b, "c%d,%s,%d\n", k, start.AddDate(0, 0, d+k).Format(time.DateTime), 10+k)
		}
	}
	return b.String()
}()

// TestBoundaryNoteNamesTheHeld: a limit may name a parameter the fit does not hold
// ("r, alpha → ∞" where Boundary.Params is r alone, alpha the maximum given r): the
// note says which are held, so that "r → ∞  alpha 58151.921" beside "r, alpha → ∞" does
// not read as a parameter held but printed as a number.
func TestBoundaryNoteNamesTheHeld(t *testing.T) {
	for _, c := range []struct {
		params []string
		limit  string
		want   string
	}{
		{[]string{"r"}, "r, alpha → ∞: every customer buys at the same rate r/alpha (Poisson purchasing)",
			"  BG/NBD      at the boundary of its parameters: r is held at its limit and the others fitted given it, so it rests on the limit r, alpha → ∞: every customer buys at the same rate r/alpha (Poisson purchasing)\n"},
		{[]string{"r", "b"}, "r, alpha → ∞: ...; a, b → ∞: ...",
			"  BG/NBD      at the boundary of its parameters: r and b are held at their limits and the others fitted given them, so it rests on the limit r, alpha → ∞: ...; a, b → ∞: ...\n"},
		{[]string{"r", "a", "b"}, "r, alpha → ∞: ...; a → 0, b → ∞: ...",
			"  BG/NBD      at the boundary of its parameters: r, a and b are held at their limits and the others fitted given them, so it rests on the limit r, alpha → ∞: ...; a → 0, b → ∞: ...\n"},
	} {
		d := scoring.Diagnostics{Boundary: &scoring.Boundary{Params: c.params, Values: make([]float64, len(c.params)), Limit: c.limit}}
		if got := boundaryNote("BG/NBD", d); got != c.want {
			t.Errorf("%v:\n%q\nwant\n%q", c.params, got, c.want)
		}
	}
	// Every held parameter is printed as its limit, the others as numbers.
	d := scoring.Diagnostics{Boundary: &scoring.Boundary{Params: []string{"r", "b"}, Values: []float64{2980.96, 2980.96}}}
	if got, want := params(d, "  ", "r", 2980.96, "alpha", 58151.921, "a", 936.415, "b", 2980.96), "r → ∞  alpha 58151.921  a 936.415  b → ∞"; got != want {
		t.Errorf("params: %q, want %q", got, want)
	}
}

// TestNoChurnPAlive: a small shop where nobody churned (testdata/no-churn.csv, 200
// customers, generated) fits BG/NBD a hair inside the no-dropout limit, and the delta
// method's normal approximation listed its best customers' P(alive) as "1.000 [0.000,
// 1.000]". The report now takes the bootstrap's intervals, which the likelihood
// supports: near 1 for customers buying every week or two.
func TestNoChurnPAlive(t *testing.T) {
	f, err := os.Open("testdata/no-churn.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out bytes.Buffer
	if err := run(&out, f, config{format: "csv", header: true, unit: 7 * 24 * time.Hour, top: 10}); err != nil {
		t.Fatal(err)
	}
	got := out.String()
	if strings.Contains(got, "[0.000, 1.000]") || !strings.Contains(got, "90% intervals (parametric bootstrap, 50 replicates)") {
		t.Fatalf("want the bootstrap's intervals and no P(alive) of [0, 1]:\n%s", got)
	}
	rows := 0
	for line := range strings.Lines(got[strings.Index(got, "P(alive)"):]) {
		f := strings.Fields(line)
		if len(f) < 7 || !strings.HasPrefix(f[5], "[") {
			continue
		}
		rows++
		if lo, err := strconv.ParseFloat(strings.Trim(f[5], "[,"), 64); err != nil || lo < 0.9 {
			t.Errorf("P(alive) %s %s %s of a customer buying every week or two", f[4], f[5], f[6])
		}
	}
	if rows != 10 {
		t.Errorf("%d customers' rows read, want 10:\n%s", rows, got)
	}
}
