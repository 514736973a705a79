package match_test

import (
	"fmt"
	"reflect"
	"testing"

	"github.com/clientele-go/clientele/identity/match"
)

// TestNewCopiesSettings holds the Linker's doc, "not changed after New": a caller
// reusing its Levels and Fields slices for another linker must not change this one.
// Sharing them, a threshold edited afterwards changed its waterfall, a rule edited
// afterwards trained sessions on other fields than its blocking keys, and a level
// turned DateWithin made Waterfall panic, having no dates to compare.
func TestNewCopiesSettings(t *testing.T) {
	// Families sharing a surname, each with one person recorded twice.
	names := []string{"ann", "bob", "cleo", "dan", "eve", "finn", "gus", "hal", "ida", "jo"}
	var records []match.Record
	for i := range 30 {
		surname := fmt.Sprint("family", i)
		twice := names[i%len(names)]
		records = append(records, match.Record{FirstName: twice, Surname: surname},
			match.Record{FirstName: twice, Surname: surname},
			match.Record{FirstName: names[(i+3)%len(names)], Surname: surname})
	}
	levels := []match.Level{{Kind: match.Exact}, {Kind: match.JaroWinkler, Threshold: 0.99}}
	fields := []string{match.FieldSurname}
	comparisons := []match.Comparison{{Field: match.FieldFirstName, Levels: levels}}
	blocking := []match.BlockingRule{{Fields: fields}}
	l, err := match.New(records, match.Settings{Comparisons: comparisons, Blocking: blocking})
	if err != nil {
		t.Fatal(err)
	}
	model := &match.Model{Prior: 0.1, M: [][]float64{{0.7, 0.2, 0.1}}, U: [][]float64{{0.1, 0.2, 0.7}}}
	before, err := l.Waterfall(model, 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	pairsBefore, _, err := l.Predict(model, 0)
	if err != nil {
		t.Fatal(err)
	}
	var reportBefore match.TrainReport
	if _, err := l.Train(&match.TrainOptions{Report: &reportBefore}); err != nil {
		t.Fatal(err)
	}

	levels[1] = match.Level{Kind: match.DateWithin, Threshold: 5}
	fields[0] = match.FieldFirstName
	comparisons[0].Field = match.FieldSurname
	blocking[0] = match.BlockingRule{Fields: []string{match.FieldSurname, match.FieldFirstName}}

	after, err := l.Waterfall(model, 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(before, after) {
		t.Errorf("waterfall changed with the caller's settings:\nbefore %v\nafter  %v", before, after)
	}
	pairsAfter, _, err := l.Predict(model, 0)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(pairsBefore, pairsAfter) {
		t.Errorf("Predict changed with the caller's settings: %v, then %v", pairsBefore, pairsAfter)
	}
	var reportAfter match.TrainReport
	if _, err := l.Train(&match.TrainOptions{Report: &reportAfter}); err != nil {
		t.Fatalf("Train after the caller edited its settings: %v", err)
	}
	if !reflect.DeepEqual(reportBefore, reportAfter) {
		t.Errorf("Train's sessions changed with the caller's settings:\nbefore %+v\nafter  %+v", reportBefore, reportAfter)
	}
}
