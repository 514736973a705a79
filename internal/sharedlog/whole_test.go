package sharedlog_test

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"slices"
	"testing"

	"github.com/clientele-go/clientele/internal/sharedlog"
)

var errDiverged = errors.New("diverged")

// plainLog is a store with Records only.
type plainLog struct{ recs []int }

func (p *plainLog) Records() iter.Seq2[int, error] {
	return func(yield func(int, error) bool) {
		for _, r := range p.recs {
			if !yield(r, nil) {
				return
			}
		}
	}
}

// ctxLog is a shared store with SinceContext that refuses it while refused, as a
// pgstore does after a failed flush, until Records is read; it says which was read.
type ctxLog struct {
	plainLog
	refused bool
	read    []string
}

func (c *ctxLog) Records() iter.Seq2[int, error] {
	c.read = append(c.read, "Records")
	c.refused = false
	return c.plainLog.Records()
}

func (c *ctxLog) Since(pos uint64) iter.Seq2[int, error] {
	return c.SinceContext(context.Background(), pos)
}

func (c *ctxLog) SinceContext(ctx context.Context, pos uint64) iter.Seq2[int, error] {
	c.read = append(c.read, fmt.Sprintf("SinceContext(%d)", pos))
	return func(yield func(int, error) bool) {
		if c.refused {
			yield(0, fmt.Errorf("a flush failed: %w", errDiverged))
			return
		}
		for _, r := range c.recs[pos:] {
			if err := ctx.Err(); err != nil {
				yield(0, err)
				return
			}
			if !yield(r, nil) {
				return
			}
		}
	}
}

func collect(seq iter.Seq2[int, error]) ([]int, error) {
	var out []int
	for r, err := range seq {
		if err != nil {
			return out, err
		}
		out = append(out, r)
	}
	return out, nil
}

// TestWhole: Whole reads a store without SinceContext by Records; one with it through
// SinceContext(ctx, 0), whose error on a done ctx it passes on; and one that refuses
// SinceContext after a failed flush by Records, which ends the refusal, as the owner's
// Records alone would.
func TestWhole(t *testing.T) {
	recs := []int{1, 2, 3}
	ctx := context.Background()
	if got, err := collect(sharedlog.Whole[int](ctx, &plainLog{recs}, errDiverged)); err != nil || !slices.Equal(got, recs) {
		t.Errorf("Whole of a plain store = %v, %v; want %v", got, err, recs)
	}
	for _, refused := range []bool{false, true} {
		c := &ctxLog{plainLog: plainLog{recs}, refused: refused}
		got, err := collect(sharedlog.Whole[int](ctx, c, errDiverged))
		want := []string{"SinceContext(0)"}
		if refused {
			want = append(want, "Records")
		}
		if err != nil || !slices.Equal(got, recs) || !slices.Equal(c.read, want) || c.refused {
			t.Errorf("refused %v: Whole = %v, %v, read %v, still refused %v; want %v, read %v", refused, got, err, c.read, c.refused, recs, want)
		}
	}
	done, cancel := context.WithCancel(ctx)
	cancel()
	c := &ctxLog{plainLog: plainLog{recs}}
	if got, err := collect(sharedlog.Whole[int](done, c, errDiverged)); !errors.Is(err, context.Canceled) || len(got) != 0 {
		t.Errorf("Whole with a done ctx = %v, %v; want context.Canceled", got, err)
	}
}

// recordsCtxLog is a ctxLog with RecordsContext too, as the pgstores have: it ends the
// refusal as Records does, and yields ctx's error once ctx is done.
type recordsCtxLog struct{ ctxLog }

func (c *recordsCtxLog) RecordsContext(ctx context.Context) iter.Seq2[int, error] {
	c.read = append(c.read, "RecordsContext")
	c.refused = false
	return func(yield func(int, error) bool) {
		for _, r := range c.recs {
			if err := ctx.Err(); err != nil {
				yield(0, err)
				return
			}
			if !yield(r, nil) {
				return
			}
		}
	}
}

// TestWholeRecordsContext: a store that refuses SinceContext after a failed flush and
// has RecordsContext is read again through RecordsContext(ctx), so that ctx ends that
// read too (a pgstore's Records would wait for the database regardless of ctx), and
// the refusal ends as Records would end it.
func TestWholeRecordsContext(t *testing.T) {
	recs := []int{1, 2, 3}
	want := []string{"SinceContext(0)", "RecordsContext"}
	c := &recordsCtxLog{ctxLog{plainLog: plainLog{recs}, refused: true}}
	got, err := collect(sharedlog.Whole[int](context.Background(), c, errDiverged))
	if err != nil || !slices.Equal(got, recs) || !slices.Equal(c.read, want) || c.refused {
		t.Errorf("Whole = %v, %v, read %v, still refused %v; want %v, read %v", got, err, c.read, c.refused, recs, want)
	}
	done, cancel := context.WithCancel(context.Background())
	cancel()
	c = &recordsCtxLog{ctxLog{plainLog: plainLog{recs}, refused: true}}
	got, err = collect(sharedlog.Whole[int](done, c, errDiverged))
	if !errors.Is(err, context.Canceled) || len(got) != 0 || !slices.Equal(c.read, want) || c.refused {
		t.Errorf("Whole with a done ctx = %v, %v, read %v, still refused %v; want context.Canceled, read %v", got, err, c.read, c.refused, want)
	}
}
