package match_test

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/clientele-go/clientele/identity/match"
	"pgregory.net/rapid"
)

// threeComparisons compares first name (exact, then Jaro-Winkler), surname and e-mail.
func threeComparisons(blocking ...match.BlockingRule) match.Settings {
	return match.Settings{
		Comparisons: []match.Comparison{
			{Field: match.FieldFirstName, Levels: []match.Level{{Kind: match.Exact}, {Kind: match.JaroWinkler, Threshold: 0.9}}},
			{Field: match.FieldSurname, Levels: []match.Level{{Kind: match.Exact}}},
			{Field: match.FieldEmail, Levels: []match.Level{{Kind: match.Exact}}},
		},
		Blocking: blocking,
	}
}

var byCity = match.BlockingRule{Fields: []string{match.FieldCity}}

// A training session whose pairs hold no two records of one person, or are all alike,
// has no match class for EM to find. Train returned a model anyway: for 40 people of
// one city, each once, EM's "match" class was a few pairs with similar first names, and
// an exact agreement on a name or e-mail, which no pair of the session showed, came out
// at m = 1e-6 against u = 6e-4, -9.3 bits each, so that two records agreeing on
// everything weighed 25 bits less than two agreeing on nothing; for one pair of records that
// disagree on everything, every disagreement weighed for a match and the pair scored
// +1.6 bits. With FitU, pairs all alike gave m = u, every weight 0. Train now refuses
// such a session, saying so.
func TestTrainRefusesSessionWithoutMatches(t *testing.T) {
	var people, alike []match.Record
	for i := range 40 {
		people = append(people, match.Record{FirstName: fmt.Sprint("ann", i), Surname: fmt.Sprint("lee", i), Email: fmt.Sprint(i, "@example.com"), City: "Leeds"})
		alike = append(alike, match.Record{FirstName: "ann", Surname: "lee", Email: "ann@example.com", City: "Leeds"})
	}
	for _, c := range []struct {
		name    string
		records []match.Record
		fitU    bool
	}{
		{"40 people, once each", people, false},
		{"40 people, once each, FitU", people, true},
		{"one pair disagreeing on everything", people[:2], false},
		{"one pair disagreeing on everything, FitU", people[:2], true},
		{"one pair alike, FitU", alike[:2], true},
		{"40 records alike, FitU", alike, true},
	} {
		l := mustNew(t, c.records, threeComparisons(byCity))
		m, err := l.Train(&match.TrainOptions{Seed: 1, FitU: c.fitU})
		if !errors.Is(err, match.ErrInvalid) {
			t.Errorf("%s: Train = %+v, %v; want ErrInvalid", c.name, m, err)
			continue
		}
		if says := "session 0 (city) found no matches: EM's match class agrees no more than its non-matches"; !strings.Contains(err.Error(), says) {
			t.Errorf("%s: Train's error %q does not say %q", c.name, err, says)
		}
	}
	// Records alike with u from random pairs: these agree too, as often as the pairs
	// EM sees, and EM finds them all matches; an agreement weighs for a match.
	for _, records := range [][]match.Record{alike[:2], alike} {
		l := mustNew(t, records, threeComparisons(byCity))
		m, err := l.Train(&match.TrainOptions{Seed: 1})
		if err != nil {
			t.Fatalf("%d records alike: %v", len(records), err)
		}
		for k := range m.M {
			if !(m.M[k][0] > m.U[k][0]) {
				t.Errorf("%d records alike: comparison %d: m %v, u %v; want m > u on agreeing", len(records), k, m.M[k], m.U[k])
			}
		}
	}
}

// twins returns 100 people of 20 surnames, all of Leeds, each twice: the second record has the first
// name with two letters swapped three times in ten, and a different e-mail three
// times in ten.
func twins() []match.Record {
	rng := rand.New(rand.NewPCG(1, 2))
	word := func(n int) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte('a' + rng.IntN(26))
		}
		return string(b)
	}
	var recs []match.Record
	for i := range 100 {
		r := match.Record{FirstName: word(6), Surname: fmt.Sprint("s", i%20), Email: word(8) + "@example.com", City: "Leeds"}
		twin := r
		if rng.IntN(10) < 3 {
			b := []byte(twin.FirstName)
			b[2], b[3] = b[3], b[2]
			twin.FirstName = string(b)
		}
		if rng.IntN(10) < 3 {
			twin.Email = word(8) + "@example.com"
		}
		recs = append(recs, r, twin)
	}
	return recs
}

// A training session that blocks on every compared field estimates no comparison, and
// its EM learns nothing: its lambda stays at the start, 1/2. Train counted half its
// pairs as matches in the prior all the same, so that adding it to a good session
// changed the prior; it now leaves the session out, as it leaves one without pairs.
func TestTrainSessionEstimatingNothingLeavesPriorAlone(t *testing.T) {
	all := match.BlockingRule{Fields: []string{match.FieldFirstName, match.FieldSurname, match.FieldEmail}}
	l := mustNew(t, twins(), threeComparisons(byCity))
	want, err := l.Train(&match.TrainOptions{Seed: 1, Sessions: []match.BlockingRule{byCity}})
	if err != nil {
		t.Fatal(err)
	}
	got, err := l.Train(&match.TrainOptions{Seed: 1, Sessions: []match.BlockingRule{all, byCity}})
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("with a session estimating nothing: %+v; without: %+v", got, want)
	}
	// Alone, it leaves every comparison unestimated, and says why.
	_, err = l.Train(&match.TrainOptions{Seed: 1, Sessions: []match.BlockingRule{all}})
	if !errors.Is(err, match.ErrInvalid) || !strings.Contains(err.Error(), "session 0 (first_name, surname, email) blocks on first_name") {
		t.Errorf("Train on a session estimating nothing: %v", err)
	}
}

// Whatever the records and options, Train returns a model whose every probability and
// weight is a number, or fails with ErrInvalid: records drawn from a few values each,
// often missing, so that sessions are often one pair, records all alike, all null or
// without a match, with EM capped at a few iterations or stopped by a loose tolerance,
// and u from as few as one random pair.
func TestTrainNeverNaN(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		pick := func(label string, vs ...string) string { return rapid.SampledFrom(vs).Draw(t, label) }
		n := rapid.IntRange(2, 12).Draw(t, "records")
		recs := make([]match.Record, n)
		for i := range recs {
			recs[i] = match.Record{
				FirstName: pick("first", "", "ann", "anne", "bob"),
				Surname:   pick("surname", "", "lee", "shaw"),
				Email:     pick("email", "", "a@x", "b@x"),
				City:      pick("city", "", "leeds", "york"),
			}
		}
		l, err := match.New(recs, threeComparisons(byCity, match.BlockingRule{Fields: []string{match.FieldSurname}}))
		if err != nil {
			t.Fatal(err)
		}
		opts := &match.TrainOptions{
			Seed:        rapid.Uint64().Draw(t, "seed"),
			FitU:        rapid.Bool().Draw(t, "fitU"),
			RandomPairs: rapid.SampledFrom([]int{0, 1, 3}).Draw(t, "random pairs"),
			MaxIter:     rapid.SampledFrom([]int{0, 1, 2, 1000}).Draw(t, "max iter"),
			Tol:         rapid.SampledFrom([]float64{0, 1e-12, 0.5, 10}).Draw(t, "tol"),
		}
		m, err := l.Train(opts)
		if err != nil {
			if !errors.Is(err, match.ErrInvalid) {
				t.Fatalf("Train: %v", err)
			}
			return
		}
		if !(m.Prior > 0 && m.Prior <= 0.5) {
			t.Fatalf("prior %v", m.Prior)
		}
		for k := range m.M {
			for lv := range m.M[k] {
				if !(m.M[k][lv] > 0 && m.M[k][lv] <= 1 && m.U[k][lv] > 0 && m.U[k][lv] <= 1) {
					t.Fatalf("comparison %d level %d: m %v, u %v", k, lv, m.M[k][lv], m.U[k][lv])
				}
			}
		}
		scored, _, err := l.Predict(m, math.Inf(-1))
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range scored {
			if math.IsNaN(s.Weight) || math.IsInf(s.Weight, 0) {
				t.Fatalf("pair %d-%d weighs %v", s.A, s.B, s.Weight)
			}
		}
	})
}
