package match_test

import (
	"fmt"

	"github.com/clientele-go/clientele/identity/match"
)

// Three records, two of them one person with typos in name and phone: a model (here
// set by hand; Linker.Train estimates one without labels) scores the candidate pairs,
// and Cluster turns the pairs of 5 bits or more into people, one label per record.
func Example() {
	records := []match.Record{
		{FirstName: "John", Surname: "Smith", Phone: "07700 900123", Postcode: "SW1A 1AA"},
		{FirstName: "Jon", Surname: "Smyth", Phone: "07700 900132", Postcode: "sw1a1aa"},
		{FirstName: "Mary", Surname: "Jones", Phone: "07700 900999", Postcode: "M1 1AE"},
	}
	l, err := match.New(records, match.Settings{
		Comparisons: []match.Comparison{
			{Field: match.FieldSurname, Levels: []match.Level{{Kind: match.Exact}, {Kind: match.JaroWinkler, Threshold: 0.85}}},
			{Field: match.FieldPhone, Levels: []match.Level{{Kind: match.Exact}, {Kind: match.DamerauLevenshtein, Threshold: 1}}},
			{Field: match.FieldPostcode, Levels: []match.Level{{Kind: match.Exact}}},
		},
		Blocking: []match.BlockingRule{{Fields: []string{match.FieldPostcode}}, {Fields: []string{match.FieldSurname}}},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	model := &match.Model{
		Prior: 0.001,
		M:     [][]float64{{0.8, 0.15, 0.05}, {0.8, 0.15, 0.05}, {0.9, 0.1}},
		U:     [][]float64{{0.001, 0.01, 0.989}, {0.0001, 0.001, 0.9989}, {0.01, 0.99}},
	}
	pairs, _, err := l.Predict(model, 0)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, p := range pairs {
		fmt.Printf("records %d and %d: %.2f bits\n", p.A, p.B, p.Weight)
	}
	people, _ := match.Cluster(l.Len(), pairs, []float64{5})
	fmt.Println("people:", people[0])
	// Output:
	// records 0 and 1: 7.66 bits
	// people: [0 0 2]
}
