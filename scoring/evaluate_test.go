package scoring

import (
	"math"
	"testing"

	"pgregory.net/rapid"
)

// aucReference counts pairs: a positive above a negative scores 1, a tie 1/2.
func aucReference(scores []float64, outcomes []bool) float64 {
	var wins, pairs float64
	for i := range scores {
		for j := range scores {
			if outcomes[i] && !outcomes[j] {
				pairs++
				switch {
				case scores[i] > scores[j]:
					wins++
				case scores[i] == scores[j]:
					wins += 0.5
				}
			}
		}
	}
	return wins / pairs
}

func TestEvaluateMatchesReference(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		n := rapid.IntRange(2, 60).Draw(t, "n")
		scores := make([]float64, n)
		outcomes := make([]bool, n)
		for i := range scores {
			scores[i] = float64(rapid.IntRange(0, 10).Draw(t, "score")) / 10 // ties
			outcomes[i] = rapid.Bool().Draw(t, "y")
		}
		outcomes[0], outcomes[1] = true, false
		ev, err := Evaluate(scores, outcomes)
		if err != nil {
			t.Fatal(err)
		}
		if want := aucReference(scores, outcomes); math.Abs(ev.AUC-want) > 1e-12 {
			t.Fatalf("AUC %.12f, pairwise %.12f", ev.AUC, want)
		}
		var count, pos, calCount int
		prevGain, prevMax := 0.0, math.Inf(1)
		for _, d := range ev.Deciles {
			count += d.Count
			pos += d.Positives
			if d.Gain < prevGain || d.MaxScore > prevMax || d.MinScore > d.MaxScore {
				t.Fatalf("deciles out of order: %+v", ev.Deciles)
			}
			prevGain, prevMax = d.Gain, d.MinScore
		}
		last := ev.Deciles[len(ev.Deciles)-1]
		if count != n || pos != ev.Positives || math.Abs(last.Gain-1) > 1e-12 || math.Abs(last.CumulativeLift-1) > 1e-12 {
			t.Fatalf("deciles do not cover the rows: %+v", ev.Deciles)
		}
		var brier float64
		for i, s := range scores {
			brier += (s - b2f(outcomes[i])) * (s - b2f(outcomes[i])) / float64(n)
		}
		if math.Abs(brier-ev.Brier) > 1e-12 {
			t.Fatalf("Brier %v, want %v", ev.Brier, brier)
		}
		prev := -1.0
		for _, b := range ev.Calibration {
			calCount += b.Count
			if b.MeanPredicted < prev-1e-12 {
				t.Fatalf("calibration bins out of order: %+v", ev.Calibration)
			}
			prev = b.MeanPredicted
		}
		if calCount != n {
			t.Fatalf("calibration covers %d of %d rows", calCount, n)
		}
	})
}

func TestEvaluateRejectsNonProbabilities(t *testing.T) {
	for _, s := range []float64{-0.1, 1.5, math.NaN()} {
		if _, err := Evaluate([]float64{0.5, s}, []bool{true, false}); err == nil {
			t.Errorf("score %v accepted", s)
		}
	}
	if _, err := Evaluate([]float64{0.5}, []bool{true, false}); err == nil {
		t.Error("length mismatch accepted")
	}
}
