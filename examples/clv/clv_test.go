package main

import (
	"bytes"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

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

func itoa(n int) string { return strconv.Itoa(n) }

func TestBadInput(t *testing.T) {
	for _, c := range []struct {
		in   string
		cfg  config
		want string
	}{
		{"1,2025-01-01,10\n2,2025-13-01,5\n", config{format: "csv"}, "line 2"},
		{"1,2025-01-01,-3\n", config{format: "csv"}, "line 1"},
		{"", config{format: "csv"}, "no transactions"},
		{"customer,date,amount\nc1,2025-01-01,10\n", config{format: "csv"}, "add -header"},
		{"c1,2025-01-01,10\nc1,2025-02-01,10\n", config{format: "csv"}, "BG/NBD needs at least 10 customers, got 1"},
		{"1,2025-01-01,10\n", config{format: "xml"}, `unknown format "xml"`},
		{"1,2025-01-01,10\n1,2025-02-01,10\n", config{format: "csv", calibrationEnd: "2025-03-01"}, "leaves no holdout"},
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
