package main

import (
	"bytes"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/clientele-go/clientele/internal/synth"
)

// TestInsightReport runs the insight section on a base small enough to count by hand:
// three visitors, two of whom sign up and buy, one of whom is reached again and leaves.
func TestInsightReport(t *testing.T) {
	at := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	ev := func(p uint32, h int, k synth.Kind, ch string) event {
		return event{profile: p, at: at.Add(time.Duration(h) * time.Hour), kind: k, channel: ch}
	}
	r := &resolved{events: []event{
		ev(1, 0, synth.Touch, "email"), ev(1, 1, synth.Visit, "store"), ev(1, 2, synth.Signup, "web"), ev(1, 3, synth.Purchase, "store"),
		ev(2, 0, synth.Touch, "email"), ev(2, 1, synth.Visit, "store"), ev(2, 2, synth.Signup, "web"), ev(2, 3, synth.Purchase, "web"),
		ev(3, 0, synth.Touch, "display"), ev(3, 1, synth.Visit, "web"), ev(3, 2, synth.Touch, "search"),
	}}
	var buf bytes.Buffer
	w := &reportWriter{w: &buf}
	if err := reportInsight(w, r, map[uint32]uint32{2: 1}); err != nil {
		t.Fatal(err)
	}
	text := buf.String()
	for _, want := range []string{
		"Of the 3 profiles that visited, 2 bought within 90 days of their first visit (66.7%)",
		"Bars are the share of the 3 profiles that visited.",
		// Step 1: two sign-ups, one touch; nobody stops.
		"  1      signup                     2   66.7%  ████████████████████            first visit 100%",
		"         touch                      1   33.3%  ██████████                      first visit 100%",
		// Step 2: both sign-ups buy; the touched profile did nothing more.
		"  2      purchase                   2   66.7%  ████████████████████            signup 100%",
		"         (no more events)           1   33.3%",
		// Step 3: nothing follows the purchases; the chart stops there.
		"  3      (no more events)           2   66.7%\n",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("report lacks %q:\n%s", want, text)
		}
	}
	// The minimum of 20 profiles leaves every candidate of so small a base untested, and
	// the chart ends when every path has.
	if !strings.Contains(text, "so none is tested") || strings.Contains(text, "Goes with") || strings.Contains(text, "step 4") {
		t.Errorf("candidates tested or empty depths drawn on a three-profile base:\n%s", text)
	}
}

// TestRatioText holds the odds ratios of the table to two significant digits: a lower
// bound of 0.0047 printed as "0.00" read as the estimate 0 that the note reserves for a
// candidate no buyer has.
func TestRatioText(t *testing.T) {
	for _, c := range []struct {
		v    float64
		want string
	}{
		{0, "0"}, {0.004706, "0.0047"}, {0.0333, "0.033"}, {0.04, "0.040"}, {0.00004, "4.0e-05"}, {0.1, "0.10"}, {0.4567, "0.46"},
		{1, "1.00"}, {9.994, "9.99"}, {22.8, "22.8"}, {192.4, "192"}, {math.Inf(1), "∞"},
	} {
		if got := ratioText(c.v); got != c.want {
			t.Errorf("ratioText(%v) = %q, want %q", c.v, got, c.want)
		}
	}
}
