package match

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
)

// The match weight Predict gives a pair is the documented sum of the waterfall's terms:
// the prior log odds, log2(M/U) of each comparison's level (0 when null) and the
// term-frequency adjustment log2(U[exact]/tf) of an exact agreement.
func TestWeightIsSumOfLogBayesFactors(t *testing.T) {
	_, _, l, m := fake1000Model(t)
	scored, _, err := l.Predict(m, math.Inf(-1))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range scored[:500] {
		terms, err := l.Waterfall(m, int(s.A), int(s.B))
		if err != nil {
			t.Fatal(err)
		}
		want := math.Log2(m.Prior / (1 - m.Prior))
		k := 0
		for _, term := range terms[1:] {
			if strings.HasSuffix(term.Comparison, "(term frequency)") {
				c := l.cols[k-1]
				want += math.Log2(m.U[k-1][0] / c.tf[s.A])
				continue
			}
			lv := l.cols[k].level(s.A, s.B)
			if lv != null {
				want += math.Log2(m.M[k][lv] / m.U[k][lv])
			} else if term.Weight != 0 {
				t.Fatalf("null level weighs %v", term.Weight)
			}
			k++
		}
		sum := 0.0
		for _, term := range terms {
			sum += term.Weight
		}
		if math.Abs(sum-s.Weight) > 1e-9 || math.Abs(want-s.Weight) > 1e-9 {
			t.Fatalf("pair %d-%d: Predict %v, waterfall sum %v, definition %v", s.A, s.B, s.Weight, sum, want)
		}
	}
}

// Records with every field empty have nothing to compare and never match, not even each
// other.
func TestEmptyRecordsNeverMatch(t *testing.T) {
	recs := []Record{{}, {}, {FirstName: "Ann", Surname: "Lee", City: "Leeds"}, {FirstName: "Ann", Surname: "Lee", City: "Leeds"}, {}, {Attrs: map[string]string{}}}
	s := Settings{
		Comparisons: []Comparison{
			{Field: FieldFirstName, Levels: []Level{{Kind: Exact}}},
			{Field: FieldSurname, Levels: []Level{{Kind: Exact}}},
			{Field: FieldCity, Levels: []Level{{Kind: Exact}}},
		},
		Blocking: []BlockingRule{{Fields: []string{FieldCity}}, {Fields: []string{FieldFirstName}}},
	}
	l, err := New(recs, s)
	if err != nil {
		t.Fatal(err)
	}
	m := &Model{Prior: 0.5, M: [][]float64{{0.9, 0.1}, {0.9, 0.1}, {0.9, 0.1}}, U: [][]float64{{0.1, 0.9}, {0.1, 0.9}, {0.1, 0.9}}}
	scored, _, err := l.Predict(m, math.Inf(-1))
	if err != nil {
		t.Fatal(err)
	}
	if len(scored) != 1 || scored[0].A != 2 || scored[0].B != 3 {
		t.Fatalf("pairs %v, want only 2-3", scored)
	}
	// Even a pair handed to the scorer directly carries no evidence.
	if _, ok := l.score(m.weights(), m, 0, 0, 1); ok {
		t.Fatal("two empty records were scored")
	}
}

// A value shared by thousands of records (a default phone number) weighs far less
// than a rare one when term-frequency adjusted, and its block is skipped and reported
// rather than expanded into millions of pairs.
func TestCommonValueDownWeightedAndBlocked(t *testing.T) {
	var recs []Record
	for i := range 3000 {
		recs = append(recs, Record{Phone: "07700 900000", Surname: fmt.Sprintf("s%d", i)})
	}
	recs = append(recs, Record{Phone: "07700 912345", Surname: "x"}, Record{Phone: "07700-912345", Surname: "y"})
	s := Settings{
		Comparisons: []Comparison{{Field: FieldPhone, TermFrequency: true, Levels: []Level{{Kind: Exact}, {Kind: DamerauLevenshtein, Threshold: 1}}}},
		Blocking:    []BlockingRule{{Fields: []string{FieldPhone}}},
	}
	l, err := New(recs, s)
	if err != nil {
		t.Fatal(err)
	}
	m := &Model{Prior: 1e-4, M: [][]float64{{0.9, 0.05, 0.05}}, U: [][]float64{{0.001, 0.01, 0.989}}}
	common, _ := l.Waterfall(m, 0, 1)
	rare, _ := l.Waterfall(m, 3000, 3001)
	sum := func(ts []Term) float64 {
		s := 0.0
		for _, t := range ts {
			s += t.Weight
		}
		return s
	}
	if !(sum(common) < sum(rare)-10) {
		t.Fatalf("common phone weighs %v, rare %v", sum(common), sum(rare))
	}
	scored, st, err := l.Predict(m, math.Inf(-1))
	if err != nil {
		t.Fatal(err)
	}
	if len(scored) != 1 || st.Pairs != 1 || st.Skipped != 3000*2999/2 || len(st.Blocked) != 1 || !strings.Contains(st.Blocked[0], "07700900000 (3000 records)") {
		t.Fatalf("scored %v, stats %+v", scored, st)
	}
	// MaxPairs stops generation and counts the rest.
	s.MaxBlock, s.MaxPairs = 5000, 1000
	l, _ = New(recs, s)
	scored, st, _ = l.Predict(m, math.Inf(-1))
	if len(scored) != 1000 || st.Pairs != 1000 || st.Pairs+st.Skipped != 3000*2999/2+1 {
		t.Fatalf("with MaxPairs: %d scored, stats %+v", len(scored), st)
	}
}

func TestNewRejects(t *testing.T) {
	ok := []Comparison{{Field: FieldSurname, Levels: []Level{{Kind: Exact}}}}
	for _, c := range []struct {
		recs []Record
		s    Settings
		want string
	}{
		{[]Record{{Surname: "\xff"}}, Settings{Comparisons: ok}, "record 0 field surname: not UTF-8"},
		{[]Record{{}, {Surname: strings.Repeat("x", MaxFieldLen+1)}}, Settings{Comparisons: ok}, "record 1 field surname"},
		{[]Record{{Birth: "1/2/1990"}}, Settings{Comparisons: []Comparison{{Field: FieldBirth, Levels: []Level{{Kind: Exact}}}}}, "not YYYY-MM-DD"},
		{nil, Settings{Comparisons: []Comparison{{Field: "shoe", Levels: []Level{{Kind: Exact}}}}}, `unknown field "shoe"`},
		{nil, Settings{Comparisons: []Comparison{{Field: FieldSurname}}}, "0 levels"},
		{nil, Settings{Comparisons: []Comparison{{Field: FieldSurname, Levels: []Level{{Kind: JaroWinkler, Threshold: 2}}}}}, "threshold 2 out of range"},
		{nil, Settings{Comparisons: []Comparison{{Field: FieldSurname, TermFrequency: true, Levels: []Level{{Kind: JaroWinkler, Threshold: 0.9}}}}}, "exact first level"},
		{[]Record{{Attrs: map[string]string{"d": "x"}}}, Settings{Comparisons: []Comparison{{Field: "attr:d", Levels: []Level{{Kind: DateWithin, Threshold: 3}}}}}, "record 0"},
		{nil, Settings{Comparisons: ok, Blocking: []BlockingRule{{}}}, "blocking rule 0"},
		{nil, Settings{}, "no comparisons"},
	} {
		_, err := New(c.recs, c.s)
		if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("New(%v): %v, want ErrInvalid with %q", c.s, err, c.want)
		}
	}
	l, _ := New([]Record{{Surname: "a"}, {Surname: "b"}}, Settings{Comparisons: ok})
	for _, m := range []*Model{nil, {Prior: 0.5}, {Prior: 2, M: [][]float64{{0.5, 0.5}}, U: [][]float64{{0.5, 0.5}}}, {Prior: 0.1, M: [][]float64{{0, 1}}, U: [][]float64{{0.5, 0.5}}}} {
		if _, err := l.Waterfall(m, 0, 1); !errors.Is(err, ErrInvalid) {
			t.Errorf("Waterfall with model %v: %v", m, err)
		}
	}
	if _, err := l.Train(nil); !errors.Is(err, ErrInvalid) {
		t.Errorf("Train without sessions: %v", err)
	}
}

// Train's default sessions are Settings.Blocking, and a blocking rule may name a field
// no comparison reads (New accepts it): such a session is the best one EM has, since
// it estimates every comparison. Train used to refuse it ("compared by no comparison,
// so it cannot block a training session"), so a linker New accepted could not be
// trained with the defaults, and a linker of one comparison could not be trained at
// all. Here fake_1000 is blocked on the city alone, which no comparison reads.
func TestTrainSessionOnUncomparedField(t *testing.T) {
	recs, truth := loadFake1000(t)
	s := fake1000Settings()
	s.Comparisons = slices.DeleteFunc(s.Comparisons, func(c Comparison) bool { return c.Field == FieldCity })
	s.Blocking = []BlockingRule{{Fields: []string{FieldCity}}}
	l, err := New(recs, s)
	if err != nil {
		t.Fatal(err)
	}
	m, err := l.Train(&TrainOptions{Seed: 1, RandomPairs: 100_000})
	if err != nil {
		t.Fatalf("Train with the default sessions: %v", err)
	}
	// Graded on the candidate pairs, the only ones blocking on the city lets it see.
	scored, _, err := l.Predict(m, math.Inf(-1))
	if err != nil {
		t.Fatal(err)
	}
	var tp, fp, fn int
	for _, p := range scored {
		same := truth[p.A] == truth[p.B]
		switch {
		case p.Weight >= 0 && same:
			tp++
		case p.Weight >= 0:
			fp++
		case same:
			fn++
		}
	}
	precision, recall := float64(tp)/float64(tp+fp), float64(tp)/float64(tp+fn)
	if precision < 0.95 || recall < 0.75 {
		t.Errorf("candidate pairs at 0 bits: precision %.3f, recall %.3f, want >= 0.95 and 0.75", precision, recall)
	}
	// One comparison, blocked on a field it does not read.
	one := Settings{Comparisons: s.Comparisons[len(s.Comparisons)-1:], Blocking: s.Blocking}
	if l, err = New(recs, one); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Train(&TrainOptions{Seed: 1, RandomPairs: 100_000}); err != nil {
		t.Fatalf("Train of one comparison blocked on another field: %v", err)
	}
	// A session on a field the Settings never name has no values to block on, and says so.
	_, err = l.Train(&TrainOptions{Sessions: []BlockingRule{{Fields: []string{FieldPostcode}}}})
	if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), `field "postcode" is named by no comparison or blocking rule`) {
		t.Errorf("session on a field the Settings never name: %v", err)
	}
}

// TestRandomUOfARareField: u is estimated from pairs that both hold the field, which
// for a field 20 of 4,000 records hold, each a different value, puts an exact
// agreement's u near 0. Drawn among all records, 1,000 random pairs held it on both
// sides about once in ten draws, and with none every level's u was 1/3, an exact
// agreement weighing hardly more than a disagreement. For a field most records hold,
// the exact level's u is the share of agreeing pairs among the holders, Σ c(c-1) over
// the values' counts c, divided by h(h-1) for h holders.
func TestRandomUOfARareField(t *testing.T) {
	recs := make([]Record, 4000)
	counts := map[string]int{}
	h := 0
	for i := range recs {
		recs[i].Surname = fmt.Sprintf("s%d", i%(3+i%7)) // uneven counts
		if i%4 != 0 {
			recs[i].City = recs[i].Surname
			counts[recs[i].City]++
			h++
		}
		if i%200 == 0 {
			recs[i].Email = fmt.Sprintf("p%d@example.com", i)
		}
	}
	l, err := New(recs, Settings{Comparisons: []Comparison{
		{Field: FieldSurname, Levels: []Level{{Kind: Exact}}},
		{Field: FieldEmail, Levels: []Level{{Kind: Exact}, {Kind: JaroWinkler, Threshold: 0.9}}},
		{Field: FieldCity, Levels: []Level{{Kind: Exact}}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	u := l.randomU(20_000, 1)
	if u[1][0] > 0.01 {
		t.Errorf("a rare e-mail's exact u = %v (%v), want near 0", u[1][0], u[1])
	}
	agree := 0.0
	for _, c := range counts {
		agree += float64(c) * float64(c-1)
	}
	want := agree / (float64(h) * float64(h-1))
	if math.Abs(u[2][0]-want) > 0.01 {
		t.Errorf("city's exact u = %v, want %v (Σ c(c-1) / h(h-1))", u[2][0], want)
	}
}
