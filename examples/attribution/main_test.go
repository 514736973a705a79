package main

import (
	"bytes"
	"io"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/clientele-go/clientele/internal/english"
	"github.com/clientele-go/clientele/internal/golden"
	"github.com/clientele-go/clientele/referral/attribution"
)

// TestHandWorked checks the printed credits of the hand-worked file. On a > b > c with
// 3 conversions: first touch gives a 3, last gives c 3, linear 1 each, U-shaped
// 1.2/0.6/1.2, and decay (half-life one touch: weights 1/4, 1/2, 1) 3/7, 6/7, 12/7.
// Markov order 1 is memoryless: start → a (3/5) or b (2/5); a → b; b → c (3/5) or
// null (2/5); c → conversion. P(conv) = 3/5·3/5 + 2/5·3/5 = 3/5. Removing a leaves
// 2/5·3/5 = 6/25, a removal effect of (3/5 - 6/25)/(3/5) = 3/5; removing b or c leaves
// nothing, an effect of 1. Shares: a 3·0.6/2.6 = 0.69, b and c 3/2.6 = 1.15. Order 2
// remembers that b came after a, so the three channels share equally.
func TestHandWorked(t *testing.T) {
	var out bytes.Buffer
	if err := run(&out, "testdata/paths.csv", 0, false, "direct"); err != nil {
		t.Fatal(err)
	}
	got := out.String()
	for _, want := range []struct{ channel, models string }{
		{"a", "3.00 0.00 0.00 1.00 1.20 0.43 0.69 1.00 1.00"},
		{"b", "0.00 0.00 0.00 1.00 0.60 0.86 1.15 1.00 1.00"},
		{"c", "0.00 3.00 3.00 1.00 1.20 1.71 1.15 1.00 1.00"},
		{"total", "3.00 3.00 3.00 3.00 3.00 3.00 3.00 3.00 3.00"},
	} {
		if row := rowOf(got, "Conversions credited", want.channel); row != want.models {
			t.Errorf("conversions credited to %s = %q, want %q\n%s", want.channel, row, want.models, got)
		}
	}
	if !strings.Contains(got, "2 distinct journeys, 3 conversions worth 30.00, 2 journeys without one") {
		t.Errorf("summary line missing:\n%s", got)
	}
}

// rowOf returns the numbers of a channel's row in the named table, single-spaced.
func rowOf(report, table, channel string) string {
	_, rest, _ := strings.Cut(report, table)
	m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(channel) + `\s+(.*)$`).FindStringSubmatch(rest)
	if m == nil {
		return ""
	}
	return strings.Join(strings.Fields(m[1]), " ")
}

// TestGenerated runs the default, generated journeys: every model must credit all the
// conversions, and the data-driven models must differ from last touch somewhere.
func TestGenerated(t *testing.T) {
	var out bytes.Buffer
	if err := run(&out, "", 20000, false, "direct"); err != nil {
		t.Fatal(err)
	}
	got := out.String()
	m := regexp.MustCompile(`(\d+) conversions worth`).FindStringSubmatch(got)
	if m == nil {
		t.Fatalf("no summary:\n%s", got)
	}
	conv, _ := strconv.ParseFloat(m[1], 64)
	// About 2% of people reached become users (sign up), less referred friends.
	if conv < 0.01*20000 || conv > 0.04*20000 {
		t.Errorf("%v conversions from 20,000 people reached, want about 2%%", conv)
	}
	for _, f := range strings.Fields(rowOf(got, "Conversions credited", "total")) {
		if v, _ := strconv.ParseFloat(f, 64); v != conv {
			t.Errorf("a model credits %v conversions in total, want %v", v, conv)
		}
	}
	if rowOf(got, "Conversions credited", "email") == "" {
		t.Errorf("no row for the email channel:\n%s", got)
	}
}

func TestBadInput(t *testing.T) {
	for _, c := range []struct{ csv, want string }{
		{"path,conversions,nulls,value\na > > b,1,0,0\n", "line 2, column 1 (path)"},
		{"a > b,1,x,0\n", `line 1, column 9 (nulls): "x"`},
		{"a > b,-1,0,0\n", "line 1, column 7 (conversions)"},
		{"a > b,1,0\n", "line 1: 3 fields, want 4: path,conversions,nulls,value"},
		{"path,conversions,nulls,value\na > b,1,0,0,9\n", "line 2: 5 fields, want 4"},
		{"path;conversions;nulls;value\na > b;1;0;0\n", `line 1: 1 field, want 4: path,conversions,nulls,value (the fields seem separated by ";"; this reads commas)`},
		{"path,conversions,nulls,value\n", "no journeys"},
		// Figures follow the SDK's one rule (internal/amount): Go's literal forms,
		// which strconv.ParseFloat took, are refused, and a thousands separator is
		// told how to write the figure.
		{"a > b,1_000,0,0\n", `line 1, column 7 (conversions): "1_000" is not a non-negative number`},
		{"a > b,1,0,0x1p4\n", `line 1, column 11 (value): "0x1p4" is not a non-negative number`},
		{"a > b,1,0,\"1,299.00\"\n", `"1,299.00" is not a non-negative number: a comma is read as a decimal comma only`},
		// A header of the four names in another order was read as a journey.
		{"Conversions,Path,Nulls,Value\n1,a,0,0\n", "line 1 names the columns Conversions,Path,Nulls,Value; want them in the order path,conversions,nulls,value"},
		// A value on a row that did not convert is named at its line, not by the
		// first model as "path 0" of the merged paths.
		{"path,conversions,nulls,value\na,1,0,5\nb,0,2,300\n", "line 3, column 7 (value): value 300 without conversions"},
		// A quote inside a channel's name got encoding/csv's words alone.
		{"path,conversions,nulls,value\nsay \"hi\" > email,1,0,9\n", `line 2, column 5: bare " in non-quoted-field: a field holding a quote is written in quotes with the quote doubled, as in "say ""hi"" > email",1,0,9.90`},
	} {
		_, _, err := runCSV(t, c.csv)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: error %v, want one mentioning %q", c.csv, err, c.want)
		}
	}
}

// TestDecimalCommaValue: a quoted value with a decimal comma reads as clv and
// ReadPaths read it (internal/amount), to the same report as the value written with a
// point. It was refused as "not a non-negative number".
func TestDecimalCommaValue(t *testing.T) {
	pc, comma, err := runCSV(t, "path,conversions,nulls,value\na > b,2,1,\"12,50\"\nb,1,3,\"7,5\"\n")
	if err != nil {
		t.Fatal(err)
	}
	pp, point, err := runCSV(t, "path,conversions,nulls,value\na > b,2,1,12.50\nb,1,3,7.5\n")
	if err != nil {
		t.Fatal(err)
	}
	if comma, point = strings.ReplaceAll(comma, pc, "p.csv"), strings.ReplaceAll(point, pp, "p.csv"); comma != point {
		t.Errorf("a decimal comma read otherwise:\n%s\nwant\n%s", comma, point)
	}
}

// TestAbsurdFigures: a row whose value is past scoring.MaxAmount or whose count is past
// attribution.MaxCount is refused at its line and column, naming the figure, before any
// model runs, as is a row worth more than MaxAmount a conversion or one that takes the
// rows' totals past those bounds. A value of 1e300 was credited and printed a table over
// three hundred characters wide a column; rows of 1.7e308 took the totals past
// math.MaxFloat64; and rows within the bounds that the library refuses all together
// were refused by it as "path 0", naming no line.
func TestAbsurdFigures(t *testing.T) {
	const money = " is over 1e15, the largest value read: no money figure (an id or a count read as the value?)"
	const count = " is over 1e12, the most journeys one row may count (over a hundred a person alive): no count (a value or an id read as the count?)"
	for _, c := range []struct{ csv, want string }{
		{"path,conversions,nulls,value\nsearch > email,3,10,1e300\nsocial,1,5,20\n", "line 2, column 21 (value): 1e300" + money},
		{"path,conversions,nulls,value\nsearch > email,3,5,1.7e308\nemail,2,1,1.7e308\nsocial,1,4,10\n", "line 2, column 20 (value): 1.7e308" + money},
		{"a,1e15,0,0\n", "line 1, column 3 (conversions): 1e15" + count},
		{"a,1,1000000000001,0\n", "line 1, column 5 (nulls): 1000000000001" + count},
		{"a,1e-300,0,1\n", "line 1, column 12 (value): 1 for 1e-300 conversions is over 1e15 a conversion: no money figure"},
		{"a,6e11,0,1\nb > a,6e11,0,1\n", "line 2, column 7 (conversions): 6e11 takes the rows' total conversions past 1e12"},
		{"a,1,6e11,1\na,1,6e11,1\n", "line 2, column 5 (nulls): 6e11 takes the rows' total nulls past 1e12"},
		{"a,1,0,6e14\nb,1,0,6e14\n", "line 2, column 7 (value): 6e14 takes the rows' total value past 1e15"},
		// Each row worth 1e15 a conversion, to rounding; the two on one path, more.
		{"a,0.0819,0,8.19e13\na,0.363,0,3.63e14\n", "line 2, column 11 (value): 3.63e14 takes the value of path a past 1e15 a conversion, to rounding: no money figure"},
	} {
		f, out, err := runCSV(t, c.csv)
		if want := f + ": " + c.want; err == nil || err.Error() != want {
			t.Errorf("%q: error %v, want %q", c.csv, err, want)
		}
		if out != "" {
			t.Errorf("%q: printed before the error:\n%s", c.csv, out)
		}
	}
	// At the bounds, the figures are read, and the columns widen to them.
	_, out, err := runCSV(t, "a > b,1e12,1e12,1e15\n")
	if err != nil {
		t.Fatalf("figures at the bounds: %v", err)
	}
	checkTablesAlign(t, out)
	// Lenient, the row is skipped and the rest credited.
	var problems bytes.Buffer
	rows, _, err := readCSV(strings.NewReader("a,1,0,1.7e308\nb,1,0,1.7e308\nc,1,0,5\n"), true, &problems)
	if err != nil || len(rows) != 1 || !strings.Contains(problems.String(), "line 2, column 7 (value)") {
		t.Fatalf("lenient: rows %v, err %v, problems %q", rows, err, problems.String())
	}
	if _, err := attribute(rows, "direct"); err != nil {
		t.Errorf("lenient: the rows read are refused: %v", err)
	}
}

func FuzzReadCSV(f *testing.F) {
	f.Add("path,conversions,nulls,value\na > b > c,3,0,30\nb,0,2,0\n")
	f.Add("a,1,1,1\n\"x > y\",2,3,4.5\n")
	f.Add("a > ,1,0,0\n")
	f.Add("a,1.7e308,0,1\nb,1.7e308,0,1e308\n")
	f.Add("a,6e11,0,1\nb > a,6e11,0,1\n")
	f.Add("a,0.0819,0,8.19e13\na,0.363,0,3.63e14\na,1e-300,0,1\n")
	f.Fuzz(func(t *testing.T, in string) {
		rows, _, err := readCSV(strings.NewReader(in), true, io.Discard)
		if err != nil {
			return
		}
		for _, p := range rows {
			if len(p.Touches) == 0 || p.Conversions < 0 || p.Nulls < 0 || p.Value < 0 {
				t.Fatalf("accepted a bad journey %+v", p)
			}
		}
		// What is read, the models take: no total passes the library's bounds (Linear: the
		// cheapest model, which checks the paths as every model does).
		if _, err := attribution.Attribute(rows, attribution.Linear{}); err != nil {
			t.Fatalf("rows read, refused by a model: %v", err)
		}
	})
}

// TestByteOrderMark reads files saved as Excel's "CSV UTF-8", which start with a byte
// order mark: with it, the header was read as a journey ("conversions" is not a
// number) and, without a header, the first channel was a channel of its own.
func TestByteOrderMark(t *testing.T) {
	for _, in := range []string{
		"\ufeffpath,conversions,nulls,value\nsearch > email,1,0,5\nsearch,1,2,3\n",
		"\ufeffsearch > email,1,0,5\nsearch,1,2,3\n",
	} {
		rows, _, err := readCSV(strings.NewReader(in), false, io.Discard)
		if err != nil || len(rows) != 2 || rows[0].Touches[0] != "search" {
			t.Errorf("%q: %v, %v; want two journeys, the first from search", in, rows, err)
		}
	}
	// Files each with a mark, joined with cat: the second file's first channel was a
	// channel of its own ("\ufeffsearch").
	rows, _, err := readCSV(strings.NewReader("\ufeffsearch > email,1,0,5\n\ufeffsearch,1,2,3\n"), false, io.Discard)
	if err != nil || len(rows) != 2 || rows[1].Touches[0] != "search" {
		t.Errorf("joined files: %v, %v; want two journeys, the second from search", rows, err)
	}
	// Joined with their headers: the second header is named as such, not as a journey
	// whose conversions are "conversions"; -lenient skips it.
	joined := "path,conversions,nulls,value\nsearch,1,2,3\n\ufeffPath,Conversions,Nulls,Value\nemail,1,0,5\n"
	want := "line 3 repeats the header line (files joined with their headers?): remove it, or skip it with -lenient"
	if _, _, err := readCSV(strings.NewReader(joined), false, io.Discard); err == nil || err.Error() != want {
		t.Errorf("joined with headers: %v, want %q", err, want)
	}
	if rows, skipped, err := readCSV(strings.NewReader(joined), true, io.Discard); err != nil || len(rows) != 2 || skipped != 1 {
		t.Errorf("joined with headers, -lenient: %v, %d skipped, %v; want two journeys", rows, skipped, err)
	}
	// Quoted, as spreadsheets write fields: the mark before a later row's quote was
	// "bare \" in non-quoted-field", a quoted header so too, and a comment after it
	// was a journey.
	quoted := "\"path\",\"conversions\",\"nulls\",\"value\"\n\"search\",1,2,3\n" +
		"\ufeff# the second export\n\ufeff\"email > search\",1,0,5\n"
	if rows, _, err := readCSV(strings.NewReader(quoted), false, io.Discard); err != nil || len(rows) != 2 || rows[1].Touches[0] != "email" {
		t.Errorf("joined files, quoted: %v, %v; want two journeys, the second from email", rows, err)
	}
	quoted = "\"path\",\"conversions\",\"nulls\",\"value\"\n\"search\",1,2,3\n" +
		"\ufeff\"path\",\"conversions\",\"nulls\",\"value\"\n\"email\",1,0,5\n"
	want = "line 3 repeats the header line (files joined with their headers?): remove it, or skip it with -lenient"
	if _, _, err := readCSV(strings.NewReader(quoted), false, io.Discard); err == nil || err.Error() != want {
		t.Errorf("joined with quoted headers: %v, want %q", err, want)
	}
}

// TestWideFigures: credits of a million conversions are wider than the columns' 9
// characters; the columns widen, so that every row of a table still lines up.
func TestWideFigures(t *testing.T) {
	_, out, err := runCSV(t, "path,conversions,nulls,value\nsearch > email,1200000,3,98765432.10\nsocial,5,3,12.50\n")
	if err != nil {
		t.Fatal(err)
	}
	checkTablesAlign(t, out)
}

// TestLenientReportsEveryBadRow: strict, the first bad row stops the read; lenient,
// every bad row is reported with its line and column and the good rows are read, up to
// attribution.MaxBadLines bad rows (issue #21: only the first was reported).
func TestLenientReportsEveryBadRow(t *testing.T) {
	in := "path,conversions,nulls,value\na,1,0,5\nb > ,1,0,0\nc,x,0,0\nd,2,1,0\ne,1,2\n"
	if _, _, err := readCSV(strings.NewReader(in), false, io.Discard); err == nil || !strings.Contains(err.Error(), "line 3, column 1 (path)") {
		t.Fatalf("strict: %v, want the error of line 3", err)
	}
	var problems strings.Builder
	rows, _, err := readCSV(strings.NewReader(in), true, &problems)
	if err != nil || len(rows) != 2 || rows[0].Touches[0] != "a" || rows[1].Touches[0] != "d" {
		t.Fatalf("lenient: %v, %v; want the journeys a and d", rows, err)
	}
	for _, want := range []string{"line 3, column 1 (path)", "line 4, column 3 (conversions)", "line 6: 3 fields, want 4"} {
		if !strings.Contains(problems.String(), want) {
			t.Errorf("problems %q do not report %q", problems.String(), want)
		}
	}
	var many strings.Builder
	for range attribution.MaxBadLines + 1 {
		many.WriteString("a,x,0,0\nb,1,0,0\n")
	}
	problems.Reset()
	if _, _, err := readCSV(strings.NewReader(many.String()), true, &problems); err == nil || strings.Count(problems.String(), "skipped:") != attribution.MaxBadLines {
		t.Fatalf("past the cap: %v after %d reports", err, strings.Count(problems.String(), "skipped:"))
	}
}

// TestREADMEShowsRealOutput holds the README's "Real output of the first command" (a
// generated base of 100,000 people) to what the command prints.
func TestREADMEShowsRealOutput(t *testing.T) {
	if testing.Short() {
		t.Skip("generates 100,000 people")
	}
	want := golden.Block(t, "README.md", "Real output of the first command")
	var out bytes.Buffer
	if err := run(&out, "", 100_000, false, "direct"); err != nil {
		t.Fatal(err)
	}
	if got := out.String(); got != want {
		t.Errorf("README.md shows an output the command no longer prints; it prints:\n%s", got)
	}
}

// TestWideLabelsAlign: channels named in Chinese or Japanese line up with the others:
// each of their characters takes two columns on a terminal, and the table padded the
// first column by runes (%-*s), so that "メール" pushed the rest of its row three
// columns right. A name with a combining accent (e + U+0301) takes a column fewer than
// its runes.
func TestWideLabelsAlign(t *testing.T) {
	_, out, err := runCSV(t, "path,conversions,nulls,value\nメール > email,1,0,10\n广告,1,0,2\nemail,1,1,1\ncafe\u0301,1,0,1\n"+
		"ニュースレター登録キャンペーン,1,0,1\n")
	if err != nil {
		t.Fatal(err)
	}
	checkTablesAlign(t, out)
}

// TestSummaryAndLayout reads a file as a shop writes one: a path on two rows, weighted
// (fractional) conversions and a channel name longer than the usual. The summary counts
// distinct paths and prints the counts as the credits sum them, and every row of a table
// starts its numbers at the same column. A file of journeys none of which converted
// says so instead of printing tables of zeros.
func TestSummaryAndLayout(t *testing.T) {
	// A channel named with a bidirectional override (U+202E) would reverse the rest of
	// its row on a terminal, and one of 200 letters would widen every row (it is cut
	// to 40 runes with its length after it).
	_, got, err := runCSV(t, "path,conversions,nulls,value\npaid_social_facebook > email,0.5,0,10\npaid_social_facebook > email,1,0.25,2\nemail,1,1,1\n"+
		"\u202eevil,1,0,0\n"+strings.Repeat("x", 200)+",0,1,0\n")
	if err != nil {
		t.Fatal(err)
	}
	if want := "4 distinct journeys, 3.50 conversions worth 13.00, 2.25 journeys without one"; !strings.Contains(got, want) {
		t.Errorf("summary: want %q in\n%s", want, got)
	}
	if strings.ContainsRune(got, '\u202e') {
		t.Errorf("the output holds a bidirectional override:\n%s", got)
	}
	checkTablesAlign(t, got)

	_, got, err = runCSV(t, "a > b,0,3,0\n")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(got, "0 conversions") || !strings.Contains(got, "Nothing to credit: no journey converted.") || strings.Contains(got, "credited") {
		t.Errorf("no conversions:\n%s", got)
	}
}

// TestOnePerson: a base of one person is "1 person", not "1 people".
func TestOnePerson(t *testing.T) {
	var out bytes.Buffer
	if err := run(&out, "", 1, false, "direct"); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(out.String(), "journeys of a generated base of 1 person: ") {
		t.Errorf("got %q", out.String())
	}
}

// runCSV writes content to a file and runs the program on it, returning the file's
// path, what it printed and its error.
func runCSV(t *testing.T, content string) (path, out string, err error) {
	t.Helper()
	path = t.TempDir() + "/p.csv"
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	err = run(&b, path, 0, false, "direct")
	return path, b.String(), err
}

// checkTablesAlign checks that every row of both credit tables in out is as wide as its
// header in terminal columns: the figures are right-aligned, so rows of one width line
// up.
func checkTablesAlign(t *testing.T, out string) {
	t.Helper()
	for _, title := range []string{"Conversions credited\n", "Value credited\n"} {
		_, table, _ := strings.Cut(out, title)
		table, _, _ = strings.Cut(table, "\n\n")
		lines := strings.Split(table, "\n")
		for _, line := range lines[1:] {
			if got, want := english.Width(line), english.Width(lines[0]); got != want {
				t.Errorf("%srow %q is %d columns wide, the header %d\n%s", title, line, got, want, table)
			}
		}
	}
}

// TestEstimate: the generation's estimate is written in days, hours and minutes, not
// as seconds: -people 99999999999 said "about 1000000s".
func TestEstimate(t *testing.T) {
	for people, want := range map[int]string{
		1:                  "about 1s",
		100_000:            "about 1s",
		1_000_000:          "about 10s",
		100_000_000:        "about 16m40s",
		99_999_999_999:     "about 1w4d14h",
		int(^uint(0) >> 1): "over a century",
	} {
		if got := estimate(people); got != want {
			t.Errorf("estimate(%d) = %q, want %q", people, got, want)
		}
	}
}
