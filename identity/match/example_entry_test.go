package match_test

import (
	"fmt"

	"github.com/clientele-go/clientele/identity/match"
)

// New reads the records once, normalised for the comparisons the settings name, and
// refuses what it cannot compare, naming the record and the field; a placeholder such
// as "n/a" is a missing value, not an error.
func ExampleNew() {
	settings := match.Settings{
		Comparisons: []match.Comparison{
			{Field: match.FieldSurname, Levels: []match.Level{{Kind: match.Exact}}},
			{Field: match.FieldBirth, Levels: []match.Level{{Kind: match.Exact}, {Kind: match.DateWithin, Threshold: 30}}},
		},
	}
	l, err := match.New([]match.Record{
		{Surname: "Smith", Birth: "1980-04-02"},
		{Surname: "Smyth", Birth: "n/a"},
	}, settings)
	fmt.Println(l.Len(), err)

	_, err = match.New([]match.Record{
		{Surname: "Smith", Birth: "1980-04-02"},
		{Surname: "Smyth", Birth: "02/04/1980"},
	}, settings)
	fmt.Println(err)
	// Output:
	// 2 <nil>
	// match: invalid input: record 1 field birth: birth date "02/04/1980" is not YYYY-MM-DD
}

// Cluster joins records into people through chains of pairs: at a threshold low
// enough to take the weak pair 1-2, record 0 joins record 2 as well, although the two
// were never compared. Labels are the smallest record of each person, so several
// thresholds can be read side by side.
func ExampleCluster() {
	pairs := []match.Scored{
		{A: 0, B: 1, Weight: 12.5}, // same e-mail, name typo
		{A: 1, B: 2, Weight: 3.1},  // same surname and town only
		{A: 3, B: 4, Weight: 8.0},
	}
	thresholds := []float64{10, 5, 0}
	people, err := match.Cluster(5, pairs, thresholds)
	if err != nil {
		fmt.Println(err)
		return
	}
	for i, t := range thresholds {
		fmt.Printf("at %2.0f bits: %v\n", t, people[i])
	}
	// Output:
	// at 10 bits: [0 0 2 3 4]
	// at  5 bits: [0 0 2 3 3]
	// at  0 bits: [0 0 0 3 3]
}

// A weight is log2 of the odds of a match: 0 bits is even odds, each bit doubles them,
// so a threshold chosen in bits reads as a probability like this.
func ExampleProbability() {
	for _, w := range []float64{-10, 0, 1, 5, 10, 20} {
		fmt.Printf("%3.0f bits: %.6f\n", w, match.Probability(w))
	}
	// Output:
	// -10 bits: 0.000976
	//   0 bits: 0.500000
	//   1 bits: 0.666667
	//   5 bits: 0.969697
	//  10 bits: 0.999024
	//  20 bits: 0.999999
}
