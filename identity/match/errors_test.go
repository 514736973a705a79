package match_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/clientele-go/clientele/identity"
	"github.com/clientele-go/clientele/identity/match"
)

// TestErrorPaths drives the error paths of the public functions: each error must wrap
// the package's sentinel that names its kind, and carry "match:" exactly once.
func TestErrorPaths(t *testing.T) {
	email := match.Comparison{Field: match.FieldEmail, Levels: []match.Level{{Kind: match.Exact}}}
	city := match.Comparison{Field: match.FieldCity, Levels: []match.Level{{Kind: match.Exact}}}
	records := []match.Record{
		{Email: "a@example.com", City: "Leeds"},
		{Email: "a@example.com", City: "Leeds"},
		{Email: "b@example.com", City: "York"},
	}
	byEmail := []match.BlockingRule{{Fields: []string{match.FieldEmail}}}
	newWith := func(rs []match.Record, s match.Settings) error { _, err := match.New(rs, s); return err }
	settings := func(cs ...match.Comparison) match.Settings {
		return match.Settings{Comparisons: cs, Blocking: byEmail}
	}
	l, err := match.New(records, settings(email, city))
	if err != nil {
		t.Fatal(err)
	}
	one, err := match.New(records[:1], settings(email))
	if err != nil {
		t.Fatal(err)
	}
	good := &match.Model{Prior: 0.1, M: [][]float64{{0.9, 0.1}, {0.9, 0.1}}, U: [][]float64{{0.1, 0.9}, {0.1, 0.9}}}
	predict := func(m *match.Model, w float64) error { _, _, err := l.Predict(m, w); return err }
	waterfall := func(m *match.Model, a, b int) error { _, err := l.Waterfall(m, a, b); return err }
	train := func(l *match.Linker, o *match.TrainOptions) error { _, err := l.Train(o); return err }
	res, err := identity.New(identity.DefaultRules())
	if err != nil {
		t.Fatal(err)
	}
	ids := []identity.ID{{Kind: "email", Value: "a@example.com"}, {Kind: "email", Value: "b@example.com"}}
	link := func(pairs []match.Scored, threshold float64) error {
		_, err := match.Link(context.Background(), res, time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC), ids, pairs, threshold)
		return err
	}
	for _, c := range []struct {
		name string
		err  error
		want error
		says string // what the message must say, if anything
	}{
		{"New without comparisons", newWith(records, match.Settings{}), match.ErrInvalid, ""},
		{"New with a negative MaxBlock", newWith(records, match.Settings{Comparisons: []match.Comparison{email}, MaxBlock: -1}), match.ErrInvalid, ""},
		{"New comparing an unknown field", newWith(records, settings(match.Comparison{Field: "shoe", Levels: email.Levels})), match.ErrInvalid, ""},
		{"New with no levels", newWith(records, settings(match.Comparison{Field: match.FieldEmail})), match.ErrInvalid, ""},
		{"New with nine levels", newWith(records, settings(match.Comparison{Field: match.FieldEmail, Levels: make([]match.Level, 9)})), match.ErrInvalid, ""},
		{"New with an unknown level kind", newWith(records, settings(match.Comparison{Field: match.FieldEmail, Levels: []match.Level{{Kind: 99}}})), match.ErrInvalid, ""},
		{"New with a Jaro-Winkler threshold above 1", newWith(records, settings(match.Comparison{Field: match.FieldSurname, Levels: []match.Level{{Kind: match.JaroWinkler, Threshold: 1.5}}})), match.ErrInvalid, ""},
		{"New with a NaN threshold", newWith(records, settings(match.Comparison{Field: match.FieldSurname, Levels: []match.Level{{Kind: match.DamerauLevenshtein, Threshold: math.NaN()}}})), match.ErrInvalid, ""},
		{"New with term frequencies on a fuzzy first level", newWith(records, settings(match.Comparison{Field: match.FieldSurname, TermFrequency: true, Levels: []match.Level{{Kind: match.JaroWinkler, Threshold: 0.9}}})), match.ErrInvalid, ""},
		{"New with a value over MaxFieldLen", newWith([]match.Record{{Email: strings.Repeat("x", match.MaxFieldLen+1)}}, settings(email)), match.ErrInvalid, ""},
		{"New with a value that is not UTF-8", newWith([]match.Record{{Email: "\xff"}}, settings(email)), match.ErrInvalid, ""},
		{"New with a birth date that is not a date", newWith([]match.Record{{Birth: "March 1st"}}, settings(match.Comparison{Field: match.FieldBirth, Levels: []match.Level{{Kind: match.DateWithin, Threshold: 1}}})), match.ErrInvalid, ""},
		{"New with a birth date of the form but no day", newWith([]match.Record{{Birth: "1990-02-30"}}, settings(match.Comparison{Field: match.FieldBirth, Levels: []match.Level{{Kind: match.DateWithin, Threshold: 1}}})), match.ErrInvalid, ""},
		{"New with a blocking rule of no fields", newWith(records, match.Settings{Comparisons: []match.Comparison{email}, Blocking: []match.BlockingRule{{}}}), match.ErrInvalid, ""},
		{"New blocking on an unknown field", newWith(records, match.Settings{Comparisons: []match.Comparison{email}, Blocking: []match.BlockingRule{{Fields: []string{"shoe"}}}}), match.ErrInvalid, ""},
		{"Train without sessions or blocking rules", train(mustNew(t, records, match.Settings{Comparisons: []match.Comparison{email}}), nil), match.ErrInvalid, ""},
		{"Train on one record", train(one, nil), match.ErrInvalid, "train: 1 record, need at least 2"},
		{"Train with negative RandomPairs", train(l, &match.TrainOptions{RandomPairs: -1}), match.ErrInvalid, "RandomPairs -1"},
		{"Train with negative MaxIter", train(l, &match.TrainOptions{MaxIter: -5}), match.ErrInvalid, "MaxIter -5"},
		{"Train with a NaN Tol", train(l, &match.TrainOptions{Tol: math.NaN()}), match.ErrInvalid, "Tol NaN"},
		{"Train blocking on a field no comparison reads", train(l, &match.TrainOptions{Sessions: []match.BlockingRule{{Fields: []string{match.FieldPhone}}}}), match.ErrInvalid, ""},
		{"Train leaving a comparison unestimated", train(l, &match.TrainOptions{Sessions: []match.BlockingRule{{Fields: []string{match.FieldEmail, match.FieldCity}}}}), match.ErrInvalid, ""},
		{"Predict with a nil model", predict(nil, 0), match.ErrInvalid, ""},
		{"Predict with a prior of 1", predict(&match.Model{Prior: 1, M: good.M, U: good.U}, 0), match.ErrInvalid, ""},
		{"Predict with a model of another shape", predict(&match.Model{Prior: 0.1, M: good.M[:1], U: good.U[:1]}, 0), match.ErrInvalid, "model has 1 comparison in M and 1 in U, the linker 2 comparisons"},
		{"Predict with a comparison of another shape", predict(&match.Model{Prior: 0.1, M: [][]float64{{1}, good.M[1]}, U: [][]float64{{1}, good.U[1]}}, 0), match.ErrInvalid, "model comparison 0 (email) has 1 level in M and 1 in U, want 2 (its levels and else)"},
		{"Predict with a level probability of 0", predict(&match.Model{Prior: 0.1, M: [][]float64{{0, 1}, {0.9, 0.1}}, U: good.U}, 0), match.ErrInvalid, ""},
		{"Predict with a NaN minWeight", predict(good, math.NaN()), match.ErrInvalid, "predict: minWeight is NaN"},
		{"Predict without blocking rules", second3(mustNew(t, records, match.Settings{Comparisons: []match.Comparison{email, city}}).Predict(good, 0)), match.ErrInvalid, "predict: Settings.Blocking has no rules"},
		{"Waterfall of a record out of range", waterfall(good, 0, 3), match.ErrInvalid, "waterfall of records 0 and 3: an index is out of range for Len() = 3"},
		{"Waterfall with a nil model", waterfall(nil, 0, 1), match.ErrInvalid, ""},
		{"Cluster of a negative count", second(match.Cluster(-1, nil, nil)), match.ErrInvalid, "cluster: record count -1 out of range"},
		{"Cluster of more labels than MaxClusterLabels", second(match.Cluster(match.MaxClusterLabels/2+1, nil, []float64{0, 5})), match.ErrInvalid, "cluster: 134217729 records at 2 thresholds is over the limit of 268435456 labels (MaxClusterLabels); cluster at fewer thresholds a call"},
		{"Cluster at a NaN threshold", second(match.Cluster(2, nil, []float64{math.NaN()})), match.ErrInvalid, "cluster: threshold 0 is NaN"},
		{"Cluster of a pair out of range", second(match.Cluster(2, []match.Scored{{A: 0, B: 2}}, []float64{0})), match.ErrInvalid, "cluster: pair 0 (0, 2) names a record index out of range for n = 2"},
		{"Cluster of a pair of NaN weight", second(match.Cluster(2, []match.Scored{{A: 0, B: 1, Weight: math.NaN()}}, []float64{0})), match.ErrInvalid, "cluster: pair 0 (0, 1) has weight NaN"},
		{"Link at a NaN threshold", link(nil, math.NaN()), match.ErrInvalid, "link: threshold is NaN"},
		{"Link of a pair out of range", link([]match.Scored{{A: 0, B: 2, Weight: 9}}, 0), match.ErrInvalid, "link: pair 0 (0, 2) names a record index out of range for len(ids) = 2"},
		{"Link stopped by the resolver", linkNil(ids), identity.ErrInvalid, ""},
		{"Evaluate of different lengths", second(match.Evaluate([]int{1, 2}, []int{1})), match.ErrInvalid, "evaluate: 2 true labels, 1 predicted"},
		{"Evaluate of one true label", second(match.Evaluate([]int{1}, []int{1, 2})), match.ErrInvalid, "evaluate: 1 true label, 2 predicted"},
	} {
		checkErr(t, c.name, c.err, c.want)
		if c.err != nil && !strings.Contains(c.err.Error(), c.says) {
			t.Errorf("%s: %q does not say %q", c.name, c.err, c.says)
		}
	}
}

// linkNil links with a nil context, which the resolver refuses: Link must pass the
// resolver's error on, wrapped with the pair, with each package's prefix once.
func linkNil(ids []identity.ID) error {
	res, err := identity.New(identity.DefaultRules())
	if err != nil {
		return err
	}
	//lint:ignore SA1012 the nil context is the error path under test
	_, err = match.Link(nil, res, time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC), ids, []match.Scored{{A: 0, B: 1, Weight: 9}}, 0)
	return err
}

func mustNew(t *testing.T, rs []match.Record, s match.Settings) *match.Linker {
	t.Helper()
	l, err := match.New(rs, s)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// checkErr fails unless err wraps want, opens with "match: " and names each package
// whose prefix it carries exactly once.
func checkErr(t *testing.T, name string, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Errorf("%s: err = %v, want %v", name, err, want)
		return
	}
	for _, prefix := range []string{"match:", "identity:"} {
		if n := strings.Count(err.Error(), prefix); n > 1 {
			t.Errorf("%s: %q carries the prefix %s %d times", name, err, prefix, n)
		}
	}
	if !strings.HasPrefix(err.Error(), "match: ") {
		t.Errorf("%s: %q does not open with the package prefix", name, err)
	}
}

func second[T any](_ T, err error) error { return err }

func second3[T, U any](_ T, _ U, err error) error { return err }

// TrainOptions{Sessions: []BlockingRule{}} (empty, not nil, as append or a decoded
// configuration leaves it) trains on Settings.Blocking as nil does; it failed with "no
// training sessions and no blocking rules" though the Settings had one.
func TestTrainEmptySessionsIsDefault(t *testing.T) {
	email := match.Comparison{Field: match.FieldEmail, Levels: []match.Level{{Kind: match.Exact}}}
	surname := match.Comparison{Field: match.FieldSurname, Levels: []match.Level{{Kind: match.Exact}}}
	// Pairs sharing an e-mail agree on the surname more often than random pairs do,
	// and pairs sharing a surname on the e-mail, so that each session finds matches.
	records := []match.Record{
		{Email: "a@example.com", Surname: "Lee"}, {Email: "a@example.com", Surname: "Lee"},
		{Email: "b@example.com", Surname: "Lee"}, {Email: "b@example.com", Surname: "Shaw"},
		{Email: "c@example.com", Surname: "Shaw"}, {Email: "d@example.com", Surname: "Ray"},
		{Email: "e@example.com", Surname: "Fox"},
	}
	l := mustNew(t, records, match.Settings{Comparisons: []match.Comparison{email, surname},
		Blocking: []match.BlockingRule{{Fields: []string{match.FieldEmail}}, {Fields: []string{match.FieldSurname}}}})
	want, err := l.Train(nil)
	if err != nil {
		t.Fatal(err)
	}
	got, err := l.Train(&match.TrainOptions{Sessions: []match.BlockingRule{}})
	if err != nil {
		t.Fatalf("Train with empty Sessions: %v", err)
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("Train with empty Sessions = %v, with nil %v", got, want)
	}
}

// When no training session can estimate a comparison, Train's error says why, session
// by session, so that a person can act on it: here every record shares "test@test.com",
// a block over MaxBlock, and no two surnames agree. An error that only listed the
// possible causes ("blocks on first_name or finds no pairs") named a rule that blocks on
// nothing of the kind and hid the block that was skipped.
func TestTrainSaysWhyNoSession(t *testing.T) {
	var records []match.Record
	for i := range 30 {
		records = append(records, match.Record{FirstName: "ann", Surname: strings.Repeat("x", i+1), Email: "test@test.com"})
	}
	l, err := match.New(records, match.Settings{
		Comparisons: []match.Comparison{
			{Field: match.FieldFirstName, Levels: []match.Level{{Kind: match.Exact}}},
			{Field: match.FieldSurname, Levels: []match.Level{{Kind: match.Exact}}},
			{Field: match.FieldEmail, Levels: []match.Level{{Kind: match.Exact}}},
		},
		Blocking: []match.BlockingRule{{Fields: []string{match.FieldEmail}}, {Fields: []string{match.FieldSurname}}},
		MaxBlock: 20,
	})
	if err != nil {
		t.Fatal(err)
	}
	_, err = l.Train(&match.TrainOptions{Seed: 1})
	if !errors.Is(err, match.ErrInvalid) {
		t.Fatalf("Train = %v, want ErrInvalid", err)
	}
	for _, says := range []string{
		`comparison "first_name" is estimated by no training session`,
		"session 0 (email) found no pairs, skipping blocks over MaxBlock 20 (test@test.com (30 records))",
		"session 1 (surname) found no pairs: no two records agree on its fields",
		"add a session (TrainOptions.Sessions) whose rule does not block on first_name",
	} {
		if !strings.Contains(err.Error(), says) {
			t.Errorf("Train's error %q does not say %q", err, says)
		}
	}
}

// A session whose pairs never hold a value of a comparison's field on both sides
// learns nothing of it. Train counted it as estimating the comparison and returned
// EM's starting guess as m: here the CRM's loyalty number, which the call centre's
// records lack, blocked on surname so that every pair is one CRM and one call-centre
// record, came out at m = 0.79 for an exact agreement, about +16 bits of evidence no
// pair had given. Train now refuses, saying why.
func TestTrainRefusesComparisonWithoutValues(t *testing.T) {
	var records []match.Record
	for i := range 300 {
		s := fmt.Sprint("sur", i)
		records = append(records,
			match.Record{Surname: s, FirstName: fmt.Sprint("ann", i), Attrs: map[string]string{"loyalty": fmt.Sprint("L", i)}},
			match.Record{Surname: s, FirstName: []string{fmt.Sprint("ann", i), "bob"}[i%2]})
	}
	l, err := match.New(records, match.Settings{
		Comparisons: []match.Comparison{
			{Field: match.FieldFirstName, Levels: []match.Level{{Kind: match.Exact}}},
			{Field: "attr:loyalty", Levels: []match.Level{{Kind: match.Exact}, {Kind: match.DamerauLevenshtein, Threshold: 1}}},
		},
		Blocking: []match.BlockingRule{{Fields: []string{match.FieldSurname}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	m, err := l.Train(&match.TrainOptions{Seed: 1})
	if !errors.Is(err, match.ErrInvalid) {
		t.Fatalf("Train = %+v, %v; want ErrInvalid", m, err)
	}
	for _, says := range []string{
		`comparison "attr:loyalty" is estimated by no training session`,
		"session 0 (surname) found no pair with a value of attr:loyalty on both sides",
	} {
		if !strings.Contains(err.Error(), says) {
			t.Errorf("Train's error %q does not say %q", err, says)
		}
	}
}
