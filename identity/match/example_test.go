package match_test

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/clientele-go/clientele/identity"

	"github.com/clientele-go/clientele/identity/match"
)

// The till, the call centre and the web shop each hold a record of Jon Smyth; the
// phone numbers differ by a transposition and the names by typos. A hand-set model
// weighs the evidence and the waterfall shows why.
func ExampleLinker_Waterfall() {
	records := []match.Record{
		{FirstName: "John", Surname: "Smith", Phone: "07700 900123", Postcode: "SW1A 1AA"},
		{FirstName: "Jon", Surname: "Smyth", Phone: "07700 900132", Postcode: "sw1a1aa"},
		{FirstName: "Mary", Surname: "Jones", Phone: "07700 900999", Postcode: "M1 1AE"},
	}
	l, err := match.New(records, match.Settings{
		Comparisons: []match.Comparison{
			{Name: "name", Field: match.FieldSurname, Levels: []match.Level{{Kind: match.Exact}, {Kind: match.JaroWinkler, Threshold: 0.85}}},
			{Field: match.FieldPhone, Levels: []match.Level{{Kind: match.Exact}, {Kind: match.DamerauLevenshtein, Threshold: 1}}},
			{Field: match.FieldPostcode, Levels: []match.Level{{Kind: match.Exact}}},
		},
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
	terms, _ := l.Waterfall(model, 0, 1)
	total := 0.0
	for _, t := range terms {
		fmt.Printf("%-8s %-22s %6.2f\n", t.Comparison, t.Level, t.Weight)
		total += t.Weight
	}
	fmt.Printf("weight %.2f bits, probability %.3f\n", total, match.Probability(total))
	// Output:
	// prior    prior                   -9.96
	// name     jaro-winkler>=0.85       3.91
	// phone    damerau-levenshtein<=1   7.23
	// postcode exact                    6.49
	// weight 7.66 bits, probability 0.995
}

// Train estimates a model without labels, Predict scores the candidate pairs, Cluster
// turns pairs into people at several thresholds, and Evaluate grades the people
// against the truth.
func ExampleLinker_Train() {
	var records []match.Record
	var truth []int
	first := []string{"anna", "ben", "carl", "dora", "emil", "fay", "gus", "hana", "ivo", "jan", "kim", "lea"}
	last := []string{"lindqvist", "ottoson", "ruiz", "sato", "bergman", "nagy", "kuhn", "morales",
		"valente", "wolff", "zorn", "ames", "brandt", "castillo", "duarte", "engel", "fischer"}
	for p := range 300 {
		f, s := first[p%len(first)], last[p%len(last)]
		r := match.Record{FirstName: f, Surname: s, Email: fmt.Sprintf("%s.%s%d@mail.test", f, s, p),
			Birth: fmt.Sprintf("19%02d-%02d-%02d", 50+p%40, 1+p%12, 1+p%28)}
		records, truth = append(records, r), append(truth, p)
		if p%2 == 0 { // a second account: surname mistyped, e-mail left out
			r.Surname, r.Email = s[:1]+s[2:3]+s[1:2]+s[3:], ""
			records, truth = append(records, r), append(truth, p)
		}
	}
	l, _ := match.New(records, match.Settings{
		Comparisons: []match.Comparison{
			{Field: match.FieldFirstName, Levels: []match.Level{{Kind: match.Exact}}},
			{Field: match.FieldSurname, Levels: []match.Level{{Kind: match.Exact}, {Kind: match.JaroWinkler, Threshold: 0.9}}},
			{Field: match.FieldEmail, Levels: []match.Level{{Kind: match.Exact}}},
			{Field: match.FieldBirth, Levels: []match.Level{{Kind: match.Exact}, {Kind: match.DateWithin, Threshold: 30}}},
		},
		Blocking: []match.BlockingRule{{Fields: []string{match.FieldFirstName}}, {Fields: []string{match.FieldBirth}}},
	})
	model, err := l.Train(nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	pairs, stats, _ := l.Predict(model, math.Inf(-1))
	fmt.Println(stats.Pairs, "candidate pairs of", l.Len()*(l.Len()-1)/2, "-", stats.Skipped, "skipped")
	thresholds := []float64{-5, 5, 10}
	people, _ := match.Cluster(l.Len(), pairs, thresholds)
	for i, t := range thresholds {
		q, _ := match.Evaluate(truth, people[i])
		fmt.Printf("threshold %3.0f bits: precision %.2f recall %.2f\n", t, q.Precision, q.Recall)
	}
	// Output:
	// 9150 candidate pairs of 101025 - 0 skipped
	// threshold  -5 bits: precision 0.20 recall 1.00
	// threshold   5 bits: precision 1.00 recall 0.94
	// threshold  10 bits: precision 0.00 recall 0.00
}

// Matched pairs join the resolver's profiles as links that carry their weight, so
// Explain says which match joined two accounts and how strongly.
func ExampleLink() {
	ctx := context.Background()
	at := time.Date(2025, 5, 1, 9, 0, 0, 0, time.UTC)
	r, _ := identity.New(identity.DefaultRules())
	till := identity.ID{Kind: "loyalty_card", Value: "L-881"}
	call := identity.ID{Kind: "crm_id", Value: "C-17"}
	r.Link(ctx, at, "store", till)
	r.Link(ctx, at, "call_centre", call)

	// Pairs as Predict returns them: records 0 and 1 match with 14.2 bits.
	merged, _ := match.Link(ctx, r, at.Add(time.Hour), []identity.ID{till, call}, []match.Scored{{A: 0, B: 1, Weight: 14.2}}, 5)
	e, _ := r.Explain(till, call)
	fmt.Println(merged, "merge;", e)
	fmt.Println("weight", e.Path[0].Match.Weight)
	// Output:
	// 1 merge; loyalty_card:L-881 and crm_id:C-17 are in profile 1
	//   loyalty_card:L-881 -- crm_id:C-17 (match, matched at 14.2 bits, 2025-05-01T10:00:00Z)
	// weight 14.2
}
