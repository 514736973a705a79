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

// TestSegmentChainEstimatedOnce checks that a chain of saved segments, each
// referencing the one before twice (s_k = segment:s_{k−1} AND segment:s_{k−1}), costs
// work linear in its length. Ordering an AND's operands estimated each unevaluated
// reference afresh, so s_40 was estimated 2^40 times: 25 segments took seconds, 40
// would take years, with the read lock held, unmetered by Refresh and, for Eval and
// Count, past their budget and context (an estimate charges days but does not stop).
func TestSegmentChainEstimatedOnce(t *testing.T) {
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	for _, leaf := range []string{"did(visit, 30d)", "plan:pro OR plan:free"} {
		x := mustIndex()
		x.Tag("plan:pro", 1, 2, 3)
		x.Tag("plan:free", 4)
		for p := uint32(1); p <= 4; p++ {
			x.Record(at, p, "visit")
		}
		if err := x.Save("s00", mustParse(t, leaf)); err != nil {
			t.Fatal(err)
		}
		const n = 40
		for k := 1; k <= n; k++ {
			q := mustParse(t, fmt.Sprintf("segment:s%02d AND segment:s%02d", k-1, k-1))
			if err := x.Save(fmt.Sprintf("s%02d", k), q); err != nil {
				t.Fatal(err)
			}
		}
		done := make(chan struct{})
		go func() {
			defer close(done)
			q := mustParse(t, fmt.Sprintf("segment:s%02d", n))
			if c, err := x.Count(context.Background(), at, q, nil); err != nil || c != 4 {
				t.Errorf("%s: Count = %d, %v; want 4, nil", leaf, c, err)
			}
			if b, err := x.Eval(context.Background(), at, q, nil); err != nil || b.GetCardinality() != 4 {
				t.Errorf("%s: Eval = %v, %v; want 4 profiles", leaf, b, err)
			}
			changes, err := x.Refresh(at)
			if err != nil || len(changes) != n+1 {
				t.Errorf("%s: Refresh = %d changes, %v; want %d", leaf, len(changes), err, n+1)
			}
		}()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			t.Fatalf("%s: a chain of %d segments did not evaluate in 30s", leaf, n)
		}
	}
}
