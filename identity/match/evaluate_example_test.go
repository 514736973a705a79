package match_test

import (
	"fmt"

	"github.com/clientele-go/clientele/identity/match"
)

// Choosing the threshold: cluster a labelled sample at several thresholds at once and
// grade each clustering against the true people. A low threshold joins two people
// (recall 1, precision falls); a high one splits a person (precision 1, recall falls).
// Probability says what a threshold means: at 5 bits a pair is a match with odds 32
// to 1.
func ExampleEvaluate() {
	truth := []string{"ann", "ann", "ann", "bob", "bob", "eve"}
	pairs := []match.Scored{ // as Linker.Predict scores them
		{A: 0, B: 1, Weight: 12.5},
		{A: 1, B: 2, Weight: 6.1},
		{A: 3, B: 4, Weight: 9.0},
		{A: 2, B: 3, Weight: 1.2}, // ann and bob share a postcode
		{A: 4, B: 5, Weight: -3.0},
	}
	thresholds := []float64{0, 5, 10}
	labels, err := match.Cluster(len(truth), pairs, thresholds)
	if err != nil {
		fmt.Println(err)
		return
	}
	for i, t := range thresholds {
		q, err := match.Evaluate(truth, labels[i])
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("%.0f bits (p %.3f): %v precision %.2f recall %.2f F1 %.2f\n",
			t, match.Probability(t), labels[i], q.Precision, q.Recall, q.F1)
	}
	// Output:
	// 0 bits (p 0.500): [0 0 0 0 0 5] precision 0.40 recall 1.00 F1 0.57
	// 5 bits (p 0.970): [0 0 0 3 3 5] precision 1.00 recall 1.00 F1 1.00
	// 10 bits (p 0.999): [0 0 2 3 4 5] precision 1.00 recall 0.25 F1 0.40
}
