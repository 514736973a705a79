package match

import (
	"fmt"

	"github.com/clientele-go/clientele/internal/english"
)

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
// slices are parallel; labels are compared for equality only, so a label equal to
// nothing, such as a float64 NaN, is a cluster of its own). Ratios with a zero
// denominator are 1 when nothing was missed (no predicted pairs and no true pairs) and 0
// otherwise. It fails with ErrInvalid when the lengths differ.
func Evaluate[T, P comparable](truth []T, predicted []P) (Quality, error) {
	if len(truth) != len(predicted) {
		return Quality{}, fmt.Errorf("%w: evaluate: %s, %d predicted", ErrInvalid, english.Count(len(truth), "true label"), len(predicted))
	}
	type cell struct{ t, p int }
	tl, pl := dense(truth), dense(predicted)
	cells := map[cell]int64{}
	tSize := map[int]int64{}
	pSize := map[int]int64{}
	for i := range tl {
		cells[cell{tl[i], pl[i]}]++
		tSize[tl[i]]++
		pSize[pl[i]]++
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

// dense numbers the distinct labels. A label not equal to itself (a NaN, or a value
// holding one) gets a number of its own each time: as a map key it would be a new key
// at every insertion and found by no lookup, so the counts above would miss it (a
// B-cubed recall of +Inf for a NaN truth label).
func dense[L comparable](labels []L) []int {
	ids := make(map[L]int)
	out := make([]int, len(labels))
	next := 0
	for i, x := range labels {
		if x != x {
			out[i] = next
			next++
			continue
		}
		id, ok := ids[x]
		if !ok {
			id = next
			next++
			ids[x] = id
		}
		out[i] = id
	}
	return out
}

func harmonic(a, b float64) float64 {
	if a+b == 0 {
		return 0
	}
	return 2 * a * b / (a + b)
}
