package uplift

import (
	"context"
	"errors"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// countdown is a context that is not done for its first left calls of Err and is
// cancelled from then on: a cancellation that lands between two bootstrap replicates,
// with no hook in the code under test.
type countdown struct {
	context.Context
	left atomic.Int64
	once sync.Once
	done chan struct{}
}

func newCountdown(left int64) *countdown {
	c := &countdown{Context: context.Background(), done: make(chan struct{})}
	c.left.Store(left)
	return c
}

func (c *countdown) Err() error {
	if c.left.Add(-1) >= 0 {
		return nil
	}
	c.once.Do(func() { close(c.done) })
	return context.Canceled
}

func (c *countdown) Done() <-chan struct{} { return c.done }

// cancelCampaign is a campaign of 400 rows whose evaluation and check succeed.
func cancelCampaign() (score, uplift []float64, tr, conv []bool, spend []float64) {
	n := 400
	score, tr, conv, spend = make([]float64, n), make([]bool, n), make([]bool, n), make([]float64, n)
	for i := range n {
		score[i] = float64(i%13) / 13
		tr[i] = i%3 != 0
		conv[i] = (i%7 == 0) || (tr[i] && i%5 == 0)
		if conv[i] {
			spend[i] = float64(10 + i%9)
		}
	}
	return score, score, tr, conv, spend
}

// TestEvaluateStopsWhenContextDone: Evaluate, EvaluateSpend, Plan.Check and
// Plan.CheckSpend had no context, so a host could not give up on their bootstrap
// (200 replicates of a million rows take 8 to 22 s). A context done before the call,
// or done after the first replicate, stops each of them with an error wrapping
// context.Canceled, no result, and the inputs and the plan unchanged.
func TestEvaluateStopsWhenContextDone(t *testing.T) {
	score, u, tr, conv, spend := cancelCampaign()
	plan, err := Target(u, nil, &Promotion{Contacts: 100})
	if err != nil {
		t.Fatal(err)
	}
	spendPlan, err := Target(u, nil, &Promotion{Contacts: 100, Outcome: Spend})
	if err != nil {
		t.Fatal(err)
	}
	before := []any{slices.Clone(score), slices.Clone(tr), slices.Clone(conv), slices.Clone(spend), *plan, *spendPlan}
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	for _, ctx := range []struct {
		name string
		make func() context.Context
	}{
		{"cancelled before the call", func() context.Context { return cancelled }},
		// Err is asked once at the start, then before each replicate: the second
		// replicate is the first not to run.
		{"cancelled after the first replicate", func() context.Context { return newCountdown(2) }},
	} {
		for _, call := range []struct {
			name string
			run  func(ctx context.Context) (any, error)
		}{
			{"Evaluate", func(ctx context.Context) (any, error) { return Evaluate(ctx, score, tr, conv, nil) }},
			{"EvaluateSpend", func(ctx context.Context) (any, error) { return EvaluateSpend(ctx, score, tr, spend, nil) }},
			{"Check", func(ctx context.Context) (any, error) { return plan.Check(ctx, u, nil, tr, conv, nil) }},
			{"CheckSpend", func(ctx context.Context) (any, error) { return spendPlan.CheckSpend(ctx, u, nil, tr, spend, nil) }},
		} {
			got, err := call.run(ctx.make())
			if !errors.Is(err, context.Canceled) || strings.Count(err.Error(), "uplift:") != 1 || !strings.Contains(err.Error(), "of 200 bootstrap replicates") {
				t.Errorf("%s, %s: %v, want an error wrapping context.Canceled", call.name, ctx.name, err)
			}
			if v := reflect.ValueOf(got); v.Kind() == reflect.Pointer && !v.IsNil() || v.Kind() == reflect.Struct && !v.IsZero() {
				t.Errorf("%s, %s: result %v, want none", call.name, ctx.name, got)
			}
			// The same call under a live context succeeds: the error was the context's.
			if _, err := call.run(newCountdown(1 << 40)); err != nil {
				t.Errorf("%s under a live context: %v", call.name, err)
			}
		}
	}
	after := []any{score, tr, conv, spend, *plan, *spendPlan}
	if !reflect.DeepEqual(before, after) {
		t.Error("a cancelled call changed its inputs or the plan")
	}
	//lint:ignore SA1012 a nil context is the caller's mistake under test
	if _, err := Evaluate(nil, score, tr, conv, nil); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "nil context") {
		t.Errorf("Evaluate of a nil context: %v, want ErrInvalid", err)
	}
	//lint:ignore SA1012 a nil context is the caller's mistake under test
	if _, err := plan.Check(nil, u, nil, tr, conv, nil); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "nil context") {
		t.Errorf("Check of a nil context: %v, want ErrInvalid", err)
	}
}

// TestBootstrapStopsWithinAReplicatePerCore: cancelled inside the first replicate, the
// bootstrap starts no other: at most one replicate per goroutine runs, the one each had
// begun, of 200.
func TestBootstrapStopsWithinAReplicatePerCore(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var calls atomic.Int64
	o, _ := (&EvalOptions{Replicates: 200}).defaults()
	_, _, err := bootstrap(ctx, o, 50, func(w []uint32) []float64 {
		calls.Add(1)
		cancel()
		return []float64{1}
	})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("bootstrap cancelled in its first replicate: %v, want context.Canceled", err)
	}
	if n := calls.Load(); n > int64(runtime.GOMAXPROCS(0)) {
		t.Errorf("%d replicates ran after the cancellation, want at most one per goroutine (%d)", n, runtime.GOMAXPROCS(0))
	}
}
