package clientele_test

import (
	"errors"
	"fmt"
	"iter"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/clientele-go/clientele"
	"github.com/clientele-go/clientele/scoring"
	"pgregory.net/rapid"
)

// pairs yields vs with err in place of the value at bad (none if bad < 0).
func pairs(vs []int, bad int, err error) iter.Seq2[int, error] {
	return func(yield func(int, error) bool) {
		for i, v := range vs {
			if i == bad {
				if !yield(0, err) {
					return
				}
				continue
			}
			if !yield(v, nil) {
				return
			}
		}
	}
}

// TestValues: Values yields exactly the values before the first error, records that
// error, and stops the source when the consumer stops.
func TestValues(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		vs := rapid.SliceOf(rapid.Int()).Draw(t, "values")
		bad := rapid.IntRange(-1, len(vs)).Draw(t, "bad")
		boom := errors.New("boom")
		var err error
		got := slices.Collect(clientele.Values(pairs(vs, bad, boom), &err))
		want := vs
		if bad >= 0 && bad < len(vs) {
			want = vs[:bad]
		}
		if !slices.Equal(got, want) {
			t.Fatalf("got %v, want %v", got, want)
		}
		if wantErr := bad >= 0 && bad < len(vs); (err != nil) != wantErr || err != nil && err != boom {
			t.Fatalf("err = %v with bad %d of %d", err, bad, len(vs))
		}
	})
	var err error
	n := 0
	for range clientele.Values(pairs([]int{1, 2, 3}, -1, nil), &err) {
		if n++; n == 2 {
			break
		}
	}
	if n != 2 || err != nil {
		t.Errorf("early stop: %d values, err %v", n, err)
	}
}

// A transactions file streams into Summarize without being collected first; the
// reader's error, if any, is kept.
func ExampleValues() {
	csv := "customer,date,amount\n1,2025-01-01,10\n1,2025-01-09,20\n2,2025-01-05,5\n"
	var err error
	txs := clientele.Values(scoring.ReadTransactions(strings.NewReader(csv), &scoring.ReadOptions{Header: true}), &err)
	ss, serr := scoring.Summarize(txs, &scoring.SummaryOptions{End: mustDate("2025-01-31")})
	if err = errors.Join(err, serr); err != nil {
		panic(err)
	}
	for _, s := range ss {
		fmt.Printf("profile %d: %d repeat purchases, spend %.0f\n", s.Profile, s.Frequency, s.Spend)
	}
	_, bad := scoring.Summarize(clientele.Values(scoring.ReadTransactions(strings.NewReader("1,2025-01-01,ten\n"), nil), &err), &scoring.SummaryOptions{End: mustDate("2025-01-31")})
	fmt.Println(bad == nil, errors.Is(err, scoring.ErrSyntax))
	// Output:
	// profile 1: 1 repeat purchases, spend 30
	// profile 2: 0 repeat purchases, spend 5
	// true true
}

func mustDate(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}
