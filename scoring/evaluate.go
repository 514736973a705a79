package scoring

import (
	"cmp"
	"fmt"
	"math"
	"slices"

	"github.com/clientele-go/clientele/internal/english"
)

// Evaluation measures how well predicted probabilities rank and match binary outcomes:
// the tables a marketer reads before spending on the top of a list.
type Evaluation struct {
	N, Positives int
	// AUC is the area under the ROC curve: the probability that a random positive
	// scores above a random negative, ties counting half (Mann-Whitney U / (n₊ n₋)).
	AUC float64
	// Brier is the mean squared error of the probabilities; LogLoss their mean
	// negative log-likelihood (probabilities clipped to [1e-15, 1-1e-15]).
	Brier, LogLoss float64
	Deciles        []Decile         // by score, highest first
	Calibration    []CalibrationBin // by score, lowest first
}

// Decile is one tenth of the rows ranked by score, highest first. Rows with equal
// scores that straddle a boundary are split by input order.
type Decile struct {
	Decile             int // 1 holds the highest scores
	Count, Positives   int
	MinScore, MaxScore float64
	Rate               float64 // Positives / Count
	Lift               float64 // Rate / the overall rate
	Gain               float64 // share of all positives in deciles 1..Decile
	CumulativeLift     float64 // Gain / share of rows in deciles 1..Decile
}

// CalibrationBin is one tenth of the rows ranked by score, lowest first: a calibrated
// model has MeanPredicted close to Observed in every bin.
type CalibrationBin struct {
	Count                   int
	MeanPredicted, Observed float64
}

// Evaluate computes AUC, lift and gains by decile, and a calibration table for scores
// that are probabilities (in [0, 1]) against outcomes. It needs at least one row of
// each class: outcomes all true or all false are ErrInvalid, as are lengths that
// differ and a score that is no probability.
func Evaluate(scores []float64, outcomes []bool) (*Evaluation, error) {
	n := len(scores)
	if n != len(outcomes) {
		return nil, fmt.Errorf("%w: %s, %s", ErrInvalid, english.Count(n, "score"), english.Count(len(outcomes), "outcome"))
	}
	ev := &Evaluation{N: n}
	for i, s := range scores {
		if !(s >= 0 && s <= 1) {
			return nil, fmt.Errorf("%w: score %d is %v, not a probability", ErrInvalid, i, s)
		}
		if outcomes[i] {
			ev.Positives++
		}
		y := 0.0
		if outcomes[i] {
			y = 1
		}
		ev.Brier += (s - y) * (s - y) / float64(n)
		p := math.Min(math.Max(s, 1e-15), 1-1e-15)
		if outcomes[i] {
			ev.LogLoss -= math.Log(p) / float64(n)
		} else {
			ev.LogLoss -= math.Log1p(-p) / float64(n)
		}
	}
	if err := bothClasses(ev.Positives, n); err != nil {
		return nil, err
	}
	ev.AUC = auc(scores, outcomes, ev.Positives)

	// Rank by score, highest first, ties by input order.
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(scores[b], scores[a]) })
	base := float64(ev.Positives) / float64(n)
	cum := 0
	bins := min(10, n)
	for d := range bins {
		lo, hi := d*n/bins, (d+1)*n/bins
		dec := Decile{Decile: d + 1, Count: hi - lo, MaxScore: scores[order[lo]], MinScore: scores[order[hi-1]]}
		for _, i := range order[lo:hi] {
			if outcomes[i] {
				dec.Positives++
			}
		}
		cum += dec.Positives
		dec.Rate = float64(dec.Positives) / float64(dec.Count)
		dec.Lift = dec.Rate / base
		dec.Gain = float64(cum) / float64(ev.Positives)
		dec.CumulativeLift = dec.Gain / (float64(hi) / float64(n))
		ev.Deciles = append(ev.Deciles, dec)
	}
	slices.Reverse(order)
	for d := range bins {
		lo, hi := d*n/bins, (d+1)*n/bins
		b := CalibrationBin{Count: hi - lo}
		for _, i := range order[lo:hi] {
			b.MeanPredicted += scores[i]
			if outcomes[i] {
				b.Observed++
			}
		}
		b.MeanPredicted /= float64(b.Count)
		b.Observed /= float64(b.Count)
		ev.Calibration = append(ev.Calibration, b)
	}
	return ev, nil
}

// bothClasses refuses outcomes of one class: AUC, lift and calibration compare the
// customers who converted with those who did not, and with none of either there is
// nothing to compare (no model is fitted, so ErrTooFew's "too few customers to fit"
// would mislead). The message says what to evaluate on instead.
func bothClasses(positives, n int) error {
	const need = "AUC, lift and calibration compare customers who converted with customers who did not and need at least one of each: evaluate on a holdout long or large enough to hold both"
	switch {
	case n == 0:
		return fmt.Errorf("%w: no scores to evaluate", ErrInvalid)
	case n == 1 && positives == 0:
		return fmt.Errorf("%w: the one customer did not convert (its outcome is false); %s", ErrInvalid, need)
	case n == 1:
		return fmt.Errorf("%w: the one customer converted (its outcome is true); %s", ErrInvalid, need)
	case positives == 0:
		return fmt.Errorf("%w: none of the %d customers converted (every outcome false); %s", ErrInvalid, n, need)
	case positives == n:
		return fmt.Errorf("%w: all %d customers converted (every outcome true); %s", ErrInvalid, n, need)
	}
	return nil
}

// auc is the Mann-Whitney statistic with midranks for ties, divided by n₊ n₋.
func auc(scores []float64, outcomes []bool, positives int) float64 {
	ranks := midranks(scores)
	var sum float64
	for i, r := range ranks {
		if outcomes[i] {
			sum += r
		}
	}
	np, nn := float64(positives), float64(len(scores)-positives)
	return (sum - np*(np+1)/2) / (np * nn)
}
