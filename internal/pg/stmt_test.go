package pg_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/clientele-go/clientele/internal/pg"
)

// TestEnded checks what the stores' error paths rely on: an error of a statement whose
// context ended matches the context's error, once, and a success stays one.
func TestEnded(t *testing.T) {
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	server := errors.New("ERROR: canceling statement due to user request (SQLSTATE 57014)")
	if err := pg.Ended(canceled, server); !errors.Is(err, context.Canceled) || !errors.Is(err, server) {
		t.Errorf("pg.Ended(canceled, server error) = %v, want one wrapping both", err)
	}
	if err := pg.Ended(canceled, nil); err != nil {
		t.Errorf("pg.Ended(canceled, nil) = %v, want nil: the statement succeeded", err)
	}
	already := pg.Ended(canceled, context.Canceled)
	if already != context.Canceled {
		t.Errorf("pg.Ended(canceled, context.Canceled) = %v, want it unchanged", already)
	}
	if err := pg.Ended(context.Background(), server); err != server {
		t.Errorf("pg.Ended(live ctx, err) = %v, want err unchanged", err)
	}
}

// TestBound checks that a timeout that is not positive leaves ctx as it is (no deadline,
// and the cancel does not end it), and that a positive one sets a deadline.
func TestBound(t *testing.T) {
	parent := context.Background()
	for _, d := range []time.Duration{0, -time.Second} {
		ctx, cancel := pg.Bound(parent, d)
		cancel()
		if ctx != parent || ctx.Err() != nil {
			t.Errorf("pg.Bound(ctx, %v) = %v (err %v), want ctx itself, not ended", d, ctx, ctx.Err())
		}
	}
	ctx, cancel := pg.Bound(parent, time.Hour)
	defer cancel()
	if _, ok := ctx.Deadline(); !ok {
		t.Error("pg.Bound(ctx, time.Hour) has no deadline")
	}
	cancel()
	if !errors.Is(ctx.Err(), context.Canceled) {
		t.Errorf("after cancel, Bound's ctx.Err() = %v, want context.Canceled", ctx.Err())
	}
}
