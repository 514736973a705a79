package match

import "fmt"

// Quality grades a clustering of records into people against the true people.
type Quality struct {
	// Pairwise scores over record pairs: a pair is predicted when both records are in
	// one predicted cluster and true when they are one person.
	TruePairs, PredictedPairs, CorrectPairs int64
	Precision, Recall, F1                   float64
	// B-cubed scores (Bagga & Baldwin 1998): per record, the share of its predicted
	// cluster that is its person (precision) and of its person that is in its predicted
	// cluster (recall), averaged over records.
	BCubedPrecision, BCubedRecall, BCubedF1 float64
	// AdjustedRand is the Rand index corrected for chance (Hubert & Arabie 1985): 1 for
	// identical clusterings, about 0 for a random one.
	AdjustedRand float64
}

// Evaluate compares predicted cluster labels with true ones, record by record (the two
// slices are parallel; labels are compared for equality only). Ratios with a zero
// denominator are 1 when nothing was missed (no predicted pairs and no true pairs) and 0
// otherwise. It fails with ErrInvalid when the lengths differ.
func Evaluate[T, P comparable](truth []T, predicted []P) (Quality, error) {
	if len(truth) != len(predicted) {
		return Quality{}, fmt.Errorf("%w: %d true labels, %d predicted", ErrInvalid, len(truth), len(predicted))
	}
	type cell struct {
		t T
		p P
	}
	cells := map[cell]int64{}
	tSize := map[T]int64{}
	pSize := map[P]int64{}
	for i := range truth {
		cells[cell{truth[i], predicted[i]}]++
		tSize[truth[i]]++
		pSize[predicted[i]]++
	}
	pairs := func(n int64) int64 { return n * (n - 1) / 2 }
	var q Quality
	var bp, br float64
	for c, n := range cells {
		q.CorrectPairs += pairs(n)
		bp += float64(n) * float64(n) / float64(pSize[c.p])
		br += float64(n) * float64(n) / float64(tSize[c.t])
	}
	for _, n := range tSize {
		q.TruePairs += pairs(n)
	}
	for _, n := range pSize {
		q.PredictedPairs += pairs(n)
	}
	ratio := func(a, b int64) float64 {
		if b == 0 {
			if q.TruePairs == 0 && q.PredictedPairs == 0 {
				return 1
			}
			return 0
		}
		return float64(a) / float64(b)
	}
	q.Precision = ratio(q.CorrectPairs, q.PredictedPairs)
	q.Recall = ratio(q.CorrectPairs, q.TruePairs)
	q.F1 = harmonic(q.Precision, q.Recall)
	if n := float64(len(truth)); n > 0 {
		q.BCubedPrecision, q.BCubedRecall = bp/n, br/n
	} else {
		// No records: a mean over none, which like the pairwise ratios missed nothing.
		q.BCubedPrecision, q.BCubedRecall = 1, 1
	}
	q.BCubedF1 = harmonic(q.BCubedPrecision, q.BCubedRecall)
	// Hubert & Arabie (1985): (index - expected) / (max - expected) over pair counts.
	all := float64(pairs(int64(len(truth))))
	sumT, sumP := float64(q.TruePairs), float64(q.PredictedPairs)
	expected := 0.0
	if all > 0 {
		expected = sumT * sumP / all
	}
	den := (sumT+sumP)/2 - expected
	if den == 0 {
		q.AdjustedRand = 1
	} else {
		q.AdjustedRand = (float64(q.CorrectPairs) - expected) / den
	}
	return q, nil
}

func harmonic(a, b float64) float64 {
	if a+b == 0 {
		return 0
	}
	return 2 * a * b / (a + b)
}
