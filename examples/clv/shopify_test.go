package main

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"
)

// shopifyLayout is the layout of the fixture's "Created at" (2025-03-01 10:12:44 +0100).
const shopifyLayout = "2006-01-02 15:04:05 -0700"

// shopifyConfig reads testdata/shopify-orders.csv as the README says to read Shopify's
// orders export.
func shopifyConfig() config {
	return config{format: "csv", header: true, columns: "Email,Created at,Total", orderColumn: "Name",
		layout: shopifyLayout, unit: 7 * 24 * time.Hour, top: 40}
}

// TestShopifyItemRows: a Shopify orders export has a row per line item, the order's
// Total on its first row alone. With -order-column Name the later rows of an order are
// item rows of an order already read: skipped and counted, never bad lines. Each was
// "empty amount", and past 100 of them (the fixture has 165) even -lenient stopped.
// The report is the one of the orders alone, written a row each, and a customer's
// figures are those counted from the file by hand.
func TestShopifyItemRows(t *testing.T) {
	data, err := os.ReadFile("testdata/shopify-orders.csv")
	if err != nil {
		t.Fatal(err)
	}
	var got bytes.Buffer
	if err := run(&got, bytes.NewReader(data), shopifyConfig()); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(got.String(), "\n")
	for _, want := range []string{
		"121 transactions of 40 customers, 2024-01-02 to 2025-06-25; calibration to 2024-09-28, holdout 38.6 weeks",
		"165 item rows of orders already read (an order's later rows, without an amount, as an export with a row per item writes them) are skipped: each order is read once, at its first row's total",
	} {
		if !slices.Contains(lines, want) {
			t.Errorf("no line\n%s\nin\n%s", want, got.String())
		}
	}

	// The orders alone, one row each, from the file read with encoding/csv.
	records, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := map[string]int{}
	for i, name := range records[0] {
		col[name] = i
	}
	var orders bytes.Buffer
	items := 0
	var rosa []time.Time // one customer's orders
	for _, r := range records[1:] {
		if r[col["Total"]] == "" {
			items++
			continue
		}
		fmt.Fprintf(&orders, "%s,%s,%s\n", r[col["Email"]], r[col["Created at"]], r[col["Total"]])
		if r[col["Email"]] == "rosa.ortiz37@example.org" {
			at, err := time.Parse(shopifyLayout, r[col["Created at"]])
			if err != nil {
				t.Fatal(err)
			}
			rosa = append(rosa, at.UTC())
		}
	}
	if items != 165 {
		t.Fatalf("the fixture has %d item rows, want 165", items)
	}
	var want bytes.Buffer
	if err := run(&want, &orders, config{format: "csv", layout: shopifyLayout, unit: 7 * 24 * time.Hour, top: 40}); err != nil {
		t.Fatal(err)
	}
	wantLines := strings.Split(want.String(), "\n")
	without := slices.DeleteFunc(slices.Clone(lines), func(l string) bool { return strings.Contains(l, "item rows of orders already read") })
	if !slices.Equal(without, wantLines) {
		t.Errorf("the report differs from the one of the orders alone:\n%s\nwant\n%s", got.String(), want.String())
	}

	// Rosa's orders by hand: repeat purchases are her distinct days (UTC, without -tz)
	// after the first; t_x and T run from her first day to her last and to the data's.
	days := map[string]bool{}
	slices.SortFunc(rosa, func(a, b time.Time) int { return a.Compare(b) })
	for _, at := range rosa {
		days[at.Format(time.DateOnly)] = true
	}
	day := func(at time.Time) time.Time { return at.Truncate(24 * time.Hour) }
	end := time.Date(2025, 6, 25, 0, 0, 0, 0, time.UTC) // the data's last day, in the report's first line
	week := 7 * 24 * time.Hour
	figures := fmt.Sprintf(" %4d %8.2f %8.2f ", len(days)-1,
		float64(day(rosa[len(rosa)-1]).Sub(day(rosa[0])))/float64(week), float64(end.Sub(day(rosa[0])))/float64(week))
	found := false
	for _, l := range lines {
		if strings.HasPrefix(strings.TrimSpace(l), "rosa.ortiz37@example.org ") {
			found = true
			if !strings.Contains(l, figures) {
				t.Errorf("Rosa's row\n%s\nwant x, t_x and T%q", l, figures)
			}
		}
	}
	if !found || len(rosa) < 3 {
		t.Errorf("Rosa (%d orders) not listed in\n%s", len(rosa), got.String())
	}
}

// TestShopifyItemRowErrors: a row without an amount that is no item row of an order
// read before stays a bad line, and says why: the order's first row (with its total)
// comes later, the row's time is another than its order's, or it has no order id.
// Without -order-column, an empty amount is told of the flag.
func TestShopifyItemRowErrors(t *testing.T) {
	data, err := os.ReadFile("testdata/shopify-orders.csv")
	if err != nil {
		t.Fatal(err)
	}
	// Lines 3 and 4 are order #1120's: its total's row, then an item row.
	fixture := strings.Split(string(data), "\n")
	if !strings.HasPrefix(fixture[2], "#1120,rosa.ortiz37@example.org,paid,") || !strings.HasPrefix(fixture[3], "#1120,rosa.ortiz37@example.org,,,") {
		t.Fatalf("lines 3 and 4 are not order #1120's total and item:\n%s\n%s", fixture[2], fixture[3])
	}
	edit := func(f func(lines []string)) []byte {
		lines := slices.Clone(fixture)
		f(lines)
		return []byte(strings.Join(lines, "\n"))
	}
	for _, c := range []struct {
		name string
		in   []byte
		want string
	}{
		{"the item row first", edit(func(l []string) { l[2], l[3] = l[3], l[2] }),
			`line 3, column 41: empty amount: no earlier row of order "#1120" of customer "rosa.ortiz37@example.org" has its total: with -order-column a row without an amount is taken for an item row of an order read before, so an order's first row in the file must carry the order's total`},
		{"another time", edit(func(l []string) { l[3] = strings.Replace(l[3], "23:36:31", "23:37:31", 1) }),
			`line 4, column 41: empty amount: order "#1120" of customer "rosa.ortiz37@example.org" has another time on line 3 (2025-05-30 21:36:31 +00:00 there, 2025-05-30 21:37:31 +00:00 here): an item row of an order must agree with the order's first row`},
		{"no order id", edit(func(l []string) { l[3] = strings.TrimPrefix(l[3], "#1120") }),
			`line 4, column 36: empty amount: no order id either (column 1), so it is no item row of an order read before`},
		{"another customer's order", edit(func(l []string) { l[3] = strings.Replace(l[3], "rosa.ortiz37", "carla.novak22", 1) }),
			`line 4, column 42: empty amount: no earlier row of order "#1120" of customer "carla.novak22@example.org" has its total`},
	} {
		err := run(&bytes.Buffer{}, bytes.NewReader(c.in), shopifyConfig())
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v\nwant one with\n%s", c.name, err, c.want)
		}
		// -lenient skips it, and the orders are read as before: the row carried nothing.
		cfg := shopifyConfig()
		cfg.lenient = true
		var out bytes.Buffer
		if err := run(&out, bytes.NewReader(c.in), cfg); err != nil {
			t.Errorf("%s, -lenient: %v", c.name, err)
			continue
		}
		for _, want := range []string{"121 transactions of 40 customers", "1 bad line skipped", "164 item rows of orders already read"} {
			if !strings.Contains(out.String(), want) {
				t.Errorf("%s, -lenient: no %q in\n%s", c.name, want, out.String())
			}
		}
	}
	cfg := shopifyConfig()
	cfg.orderColumn = ""
	err = run(&bytes.Buffer{}, bytes.NewReader(data), cfg)
	if want := "line 4, column 41: empty amount (if the export has a row per item of an order, the order's total on its first row alone, name the order id's column with -order-column)"; err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("without -order-column: %v, want %q", err, want)
	}
}
