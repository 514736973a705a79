package sharedlogtest

import (
	"context"
	"errors"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Replays is what ReplayDone and ReplayCancelled need of a package whose owner O
// replays a store of records R when it opens: how to fill a store and open an owner
// on one, with WithReplayContext or without. Only these differ between the packages.
type Replays[O comparable, R any] struct {
	// Fill has an owner on s take n events, so that a replay of s has work to do,
	// failing t on an error.
	Fill func(t *testing.T, s Store[R], n int)
	// Open opens an owner on s without WithReplayContext; OpenContext with
	// WithReplayContext(ctx), ctx nil included.
	Open        func(s Store[R]) (O, error)
	OpenContext func(ctx context.Context, s Store[R]) (O, error)
	// Stopped is what the error of a replay that ctx ended begins with, before the
	// count of records replayed: "identity: replay stopped after ".
	Stopped string
	// Call names the constructor in messages: "New", "Open".
	Call string
}

// Replayed returns the count of records err says the replay stopped after, failing t
// unless it says so, beginning with Stopped.
func (r Replays[O, R]) Replayed(t testing.TB, err error) int {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want one that says how many records were replayed")
	}
	re := regexp.MustCompile(`^` + regexp.QuoteMeta(r.Stopped) + `(\d+) records: `)
	m := re.FindStringSubmatch(err.Error())
	if m == nil {
		t.Fatalf("error %q does not say how many records were replayed", err)
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

// ReplayDone checks that a ctx done before the constructor fails it at once, with
// its own error (context.Canceled, or DeadlineExceeded for a deadline passed), before
// the store is read, and that a nil ctx is invalid (wrapping invalid, the package's
// ErrInvalid) naming the option.
func ReplayDone[O comparable, R any](t *testing.T, r Replays[O, R], s Store[R], invalid error) {
	t.Helper()
	r.Fill(t, s, 10)
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	expired, cancel2 := context.WithDeadline(context.Background(), time.Unix(0, 0))
	defer cancel2()
	var none O
	for _, tc := range []struct {
		ctx  context.Context
		want error
	}{{cancelled, context.Canceled}, {expired, context.DeadlineExceeded}} {
		c := &Counting[R]{Store: s}
		o, err := r.OpenContext(tc.ctx, c)
		if o != none || !errors.Is(err, tc.want) || r.Replayed(t, err) != 0 {
			t.Errorf("%s with a done ctx = %v, %v; want nil and %v after 0 records", r.Call, o, err, tc.want)
		}
		if n := c.Yielded.Load(); n != 0 {
			t.Errorf("%s with a done ctx read %d records of the store", r.Call, n)
		}
	}
	var nilCtx context.Context
	o, err := r.OpenContext(nilCtx, s)
	if o != none || !errors.Is(err, invalid) || !strings.Contains(err.Error(), "WithReplayContext: nil context") {
		t.Errorf("%s with a nil replay ctx = %v, %v; want nil and ErrInvalid naming WithReplayContext", r.Call, o, err)
	}
}

// ReplayCancelled checks, for each of stores, that a ctx cancelled while the
// constructor replays a long store (events taken by Fill), just before the store yields
// its after-th record, makes it return no owner and an error wrapping
// context.Canceled that names how many records it had replayed, a few hundred at most
// past the one it was reading when ctx ended, and that it reads no more of the store.
// With no ctx, or a live one, the same store replays whole: whole checks what the
// owner answers then.
func ReplayCancelled[O comparable, R any](t *testing.T, r Replays[O, R], stores map[string]func(t *testing.T) Store[R], events, after int, whole func(t *testing.T, o O)) {
	t.Helper()
	for name, open := range stores {
		t.Run(name, func(t *testing.T) {
			s := open(t)
			r.Fill(t, s, events)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			c := &Counting[R]{Store: s, After: after, Cancel: cancel}
			o, err := r.OpenContext(ctx, c)
			if o != *new(O) || !errors.Is(err, context.Canceled) {
				t.Fatalf("%s cancelled after %d of %d records = %v, %v; want nil and context.Canceled", r.Call, after, events, o, err)
			}
			n := r.Replayed(t, err)
			if n < after-1 || n > after+256 {
				t.Errorf("%s says it replayed %d records; want %d to %d", r.Call, n, after-1, after+256)
			}
			if y := c.Yielded.Load(); y != int64(n)+1 {
				t.Errorf("the store yielded %d records; want the %d replayed and the one %s stopped at", y, n, r.Call)
			}
			for _, open := range []func(Store[R]) (O, error){r.Open, func(s Store[R]) (O, error) { return r.OpenContext(context.Background(), s) }} {
				o, err := open(s)
				if err != nil {
					t.Fatal(err)
				}
				whole(t, o)
			}
		})
	}
}
