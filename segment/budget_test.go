package segment

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// century is an index with a hundred years of daily activity: the hostile input of
// issue 14 (a 2,149-term expression over it ran for a minute).
func century(t *testing.T) (*Index, time.Time) {
	t.Helper()
	x := mustIndex()
	start := time.Date(1926, 1, 1, 12, 0, 0, 0, time.UTC)
	var batch []Activity
	for d := range 36500 {
		batch = append(batch, Activity{Event: "visit", Profile: uint32(1 + d%50), At: start.AddDate(0, 0, d)})
	}
	x.RecordBatch(batch)
	return x, start.AddDate(0, 0, 36500)
}

func TestBudgetStopsHostileQueries(t *testing.T) {
	x, at := century(t)
	ctx := context.Background()
	terms := make([]string, 2149)
	for i := range terms {
		terms[i] = fmt.Sprintf("count(visit, %dd) >= %d", 36500-i, 1+i%9)
	}
	for name, c := range map[string]struct {
		expr string
		want string
	}{
		"many terms":        {strings.Join(terms, " OR "), "terms"},
		"a century of days": {strings.Join(terms[:40], " OR "), "daily bitmaps"},
		"many operations":   {"count(visit, 36500d) >= 8", "operations"},
	} {
		q := mustParse(t, c.expr)
		_, err := x.Eval(ctx, at, q, nil)
		if !errors.Is(err, ErrBudget) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: Eval = %v, want ErrBudget naming %s", name, err, c.want)
		}
		if _, err := x.Count(ctx, at, q, nil); !errors.Is(err, ErrBudget) {
			t.Errorf("%s: Count = %v, want ErrBudget", name, err)
		}
	}
	// A larger budget lets a century's query through, with the answer an unmetered
	// evaluation gives.
	q := mustParse(t, strings.Join(terms[:4], " OR "))
	big := Budget{Terms: 1e6, Days: 1e8, Ops: 1e9}
	got, err := x.Eval(ctx, at, q, &EvalOptions{Budget: &big})
	if err != nil {
		t.Fatal(err)
	}
	e := &evaluator{x: x, today: dayOf(at, x.loc), memo: nil}
	if want := e.eval(q.root, nil).b; !got.Equals(want) {
		t.Errorf("within a large budget: %v, unmetered %v", got, want)
	}
	if big.Days >= 1e8 || big.Ops >= 1e9 || big.Terms != 1e6-5 {
		t.Errorf("the budget passed in was not spent: %+v", big)
	}
}

func TestBudgetIsSharedAndSpent(t *testing.T) {
	x, at := century(t)
	q := mustParse(t, "did(visit, 36500d)")
	b := Budget{Terms: 10, Days: 80_000, Ops: 1e6}
	ctx := context.Background()
	for i := range 2 {
		if _, err := x.Eval(ctx, at, q, &EvalOptions{Budget: &b}); err != nil {
			t.Fatalf("evaluation %d of 2: %v", i+1, err)
		}
	}
	if _, err := x.Eval(ctx, at, q, &EvalOptions{Budget: &b}); !errors.Is(err, ErrBudget) {
		t.Fatalf("a third evaluation of 36,500 days under one 80,000-day budget: %v", err)
	}
}

func TestEvalStopsWhenContextIsDone(t *testing.T) {
	x, at := century(t)
	q := mustParse(t, "count(visit, 36500d) >= 3")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := x.Eval(ctx, at, q, nil); !errors.Is(err, context.Canceled) {
		t.Fatalf("Eval with a cancelled context = %v, want context.Canceled", err)
	}
	if _, err := x.Count(ctx, at, q, nil); !errors.Is(err, context.Canceled) {
		t.Fatalf("Count with a cancelled context = %v, want context.Canceled", err)
	}
	//lint:ignore SA1012 a nil context is the caller error under test
	if _, err := x.Eval(nil, at, q, nil); !errors.Is(err, ErrInvalid) { //nolint:staticcheck
		t.Fatalf("Eval with a nil context = %v, want ErrInvalid", err)
	}
}
