package main

import "testing"

// TestRankingLine: the report counts the truly strong promotions among the best
// measured only where the best measured are defined. On a small base most promotions
// measure 0%, and a tie broken by promotion number read "the top 4 include 1 of those
// 4" when nothing was ranked at all.
func TestRankingLine(t *testing.T) {
	truth := []float64{0.1, 0.01, 0.2, 0.02, 0.03}
	for _, c := range []struct {
		measured []float64
		want     string
	}{
		{[]float64{0.05, 0.01, 0.04, 0.0, 0.02}, "Ranked by their measured response, the top 2 include 2 of those 2."},
		{[]float64{0.05, 0.01, 0.0, 0.04, 0.02}, "Ranked by their measured response, the top 2 include 1 of those 2."},
		{[]float64{0, 0, 0, 0, 0}, "Their measured responses cannot rank them: all 5 measure 0.0%."},
		{[]float64{0.01, 0.01, 0.01, 0.01, 0}, "Their measured responses cannot rank them: the best 4 tie at 1.0%."},
		{[]float64{0, 0, 0, 0.03, 0}, "Ranked by their measured response, 0 of those 2 are among the 1 measured above a tie at 0.0%, which 4 promotions share."},
		{[]float64{0.03, 0, 0, 0, 0}, "Ranked by their measured response, 1 of those 2 is among the 1 measured above a tie at 0.0%, which 4 promotions share."},
		// A tie inside the top is no tie at the cut.
		{[]float64{0.04, 0.0, 0.04, 0.0, 0.01}, "Ranked by their measured response, the top 2 include 2 of those 2."},
	} {
		if got := rankingLine(c.measured, truth, 0.05); got != c.want {
			t.Errorf("rankingLine(%v):\n got %s\nwant %s", c.measured, got, c.want)
		}
	}
	if got := rankingLine([]float64{0.1}, []float64{0.01}, 0.05); got != "" {
		t.Errorf("no strong promotion: %q, want no line", got)
	}
}
