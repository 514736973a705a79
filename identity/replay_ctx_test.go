package identity_test

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/clientele-go/clientele/identity"
	"github.com/clientele-go/clientele/internal/sharedlog/sharedlogtest"
)

// replayLog links events into a resolver on s, each pair of them merged by a device,
// so that a replay of s has work to do, and returns the resolver.
func replayLog(t *testing.T, s identity.Store, events int) *identity.Resolver {
	t.Helper()
	r, err := identity.New(identity.DefaultRules(), identity.WithStore(s))
	if err != nil {
		t.Fatal(err)
	}
	ctx, at := context.Background(), time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range events {
		if _, err := r.Link(ctx, at, "web", replayIDs(i)...); err != nil {
			t.Fatal(err)
		}
	}
	return r
}

func replayIDs(i int) []identity.ID {
	return []identity.ID{
		{Kind: "email", Value: fmt.Sprintf("u%d@example.com", i)},
		{Kind: "device_id", Value: "d" + strconv.Itoa(i/2)},
	}
}

// replays opens resolvers for the checks of sharedlogtest.
var replays = sharedlogtest.Replays[*identity.Resolver, []byte]{
	Fill: func(t *testing.T, s sharedlogtest.Store[[]byte], n int) { replayLog(t, s, n) },
	Open: func(s sharedlogtest.Store[[]byte]) (*identity.Resolver, error) {
		return identity.New(identity.DefaultRules(), identity.WithStore(s))
	},
	OpenContext: func(ctx context.Context, s sharedlogtest.Store[[]byte]) (*identity.Resolver, error) {
		return identity.New(identity.DefaultRules(), identity.WithStore(s), identity.WithReplayContext(ctx))
	},
	Stopped: "identity: replay stopped after ",
	Call:    "New",
}

// TestReplayContextCancelled: a ctx cancelled while New replays a long MemStore or
// FileStore makes New return no resolver and an error wrapping context.Canceled that
// names how many records it had replayed; it stops reading the store rather than
// replay the rest of it.
func TestReplayContextCancelled(t *testing.T) {
	const events, after = 20000, 3000
	stores := map[string]func(t *testing.T) identity.Store{
		"MemStore": func(*testing.T) identity.Store { return &identity.MemStore{} },
		"FileStore": func(t *testing.T) identity.Store {
			s, err := identity.OpenFileStore(filepath.Join(t.TempDir(), "log"), &identity.FileOptions{NoSync: true})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			return s
		},
	}
	for name, open := range stores {
		t.Run(name, func(t *testing.T) {
			s := open(t)
			replayLog(t, s, events)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			c := &sharedlogtest.Counting[[]byte]{Store: s, After: after, Cancel: cancel}
			r, err := identity.New(identity.DefaultRules(), identity.WithStore(c), identity.WithReplayContext(ctx))
			if r != nil || !errors.Is(err, context.Canceled) {
				t.Fatalf("New cancelled after %d of %d records = %v, %v; want nil and context.Canceled", after, events+1, r, err)
			}
			if n := replays.Replayed(t, err); n >= after {
				t.Errorf("New says it replayed %d records; want fewer than the %d read when ctx ended", n, after)
			}
			if n := c.Yielded.Load(); n >= events {
				t.Errorf("the store yielded %d records of %d: the replay read on after its ctx ended", n, events+1)
			}
			// The same store, with no ctx or a live one, replays whole.
			for _, opts := range [][]identity.Option{nil, {identity.WithReplayContext(context.Background())}} {
				r, err := identity.New(identity.DefaultRules(), append(opts, identity.WithStore(s))...)
				if err != nil {
					t.Fatal(err)
				}
				if got, want := r.Position(), uint64(events+1); got != want {
					t.Errorf("Position after a whole replay = %d, want %d", got, want)
				}
				a, _ := r.Lookup(replayIDs(events - 2)[0])
				b, _ := r.Lookup(replayIDs(events - 1)[0])
				if a == 0 || a != b {
					t.Errorf("the last pair replayed into profiles %d and %d, want one", a, b)
				}
			}
		})
	}
}

// TestReplayContextDone: a ctx done before New fails it at once, with its own error
// (context.Canceled, or DeadlineExceeded for a deadline passed), before the store is
// read; a nil ctx is ErrInvalid naming the option (see sharedlogtest.ReplayDone).
func TestReplayContextDone(t *testing.T) {
	sharedlogtest.ReplayDone(t, replays, &identity.MemStore{}, identity.ErrInvalid)
}

// ctxShared is a SharedStore with SinceContext, as identity/pgstore is: SinceContext
// yields what Since yields and ends with an error wrapping ctx's once ctx is done
// (looked at before each record, as a wait on the database ends); after a failed flush
// (refused) Since and SinceContext refuse with ErrDiverged until Records reads the log
// again, as pgstore's do. It counts the calls of each reading.
type ctxShared struct {
	*memShared
	refused           atomic.Bool
	sinceCtx, records atomic.Int64
}

func (s *ctxShared) Since(pos uint64) iter.Seq2[[]byte, error] {
	return s.since(context.Background(), pos)
}

func (s *ctxShared) SinceContext(ctx context.Context, pos uint64) iter.Seq2[[]byte, error] {
	s.sinceCtx.Add(1)
	return s.since(ctx, pos)
}

func (s *ctxShared) since(ctx context.Context, pos uint64) iter.Seq2[[]byte, error] {
	return func(yield func([]byte, error) bool) {
		if s.refused.Load() {
			yield(nil, fmt.Errorf("mem: a flush failed: %w", identity.ErrDiverged))
			return
		}
		for rec, err := range s.memShared.Since(pos) {
			if cerr := ctx.Err(); cerr != nil {
				yield(nil, fmt.Errorf("mem: read: %w", cerr))
				return
			}
			if !yield(rec, err) {
				return
			}
		}
	}
}

func (s *ctxShared) Records() iter.Seq2[[]byte, error] {
	s.records.Add(1)
	s.refused.Store(false)
	return s.memShared.Since(0)
}

// TestReplayContextShared: on a SharedStore with SinceContext, New given a ctx reads the
// log through it, so that a ctx cancelled part-way ends the read, with an error
// wrapping context.Canceled that says how many records were replayed; with a live ctx
// it replays the whole log, as New without one does, and writes an empty log's
// configuration record. A store that refuses its SinceContext after a failed flush is
// read with Records instead, which ends the refusal, as New without a ctx ends it: the
// resolver then links without reading the log again.
func TestReplayContextShared(t *testing.T) {
	const events, after = 5000, 1000
	l := &memLog{}
	replayLog(t, l.replica(), events)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s := &ctxShared{memShared: l.replica()}
	r, err := identity.New(identity.DefaultRules(), identity.WithStore(&cancelSince{s, after, cancel}), identity.WithReplayContext(ctx))
	if r != nil || !errors.Is(err, context.Canceled) {
		t.Fatalf("New on a shared store cancelled after %d records = %v, %v; want nil and context.Canceled", after, r, err)
	}
	if n := replays.Replayed(t, err); n >= after {
		t.Errorf("New says it replayed %d records; want fewer than the %d read when ctx ended", n, after)
	}

	live, stop := context.WithCancel(context.Background()) // one that can end: Background never does
	defer stop()
	for k, refused := range []bool{false, true} {
		s := &ctxShared{memShared: l.replica()}
		s.refused.Store(refused)
		r, err := identity.New(identity.DefaultRules(), identity.WithStore(s), identity.WithReplayContext(live))
		if want := uint64(events + 1 + k); err != nil || r.Position() != want {
			t.Fatalf("refused %v: New on a shared store with a live ctx: %v, %v; want position %d", refused, r.Position(), err, want)
		}
		wantRecords := int64(0)
		if refused {
			wantRecords = 1
		}
		if got, want := [2]int64{s.sinceCtx.Load(), s.records.Load()}, [2]int64{1, wantRecords}; got != want {
			t.Errorf("refused %v: New read SinceContext %d times and Records %d; want %d and %d", refused, got[0], got[1], want[0], want[1])
		}
		if s.refused.Load() {
			t.Errorf("refused %v: the store still refuses after New", refused)
		}
		if _, err := r.Link(context.Background(), time.Date(2025, 2, 1, 0, 0, 0, 0, time.UTC), "web", replayIDs(events)...); err != nil {
			t.Fatalf("refused %v: Link after New: %v", refused, err)
		}
		if n := s.records.Load(); n != wantRecords {
			t.Errorf("refused %v: Link read the whole log again (%d Records in all)", refused, n)
		}
	}
	// An empty shared store gets its configuration record under a lead ctx bounds.
	empty := &memLog{}
	if r, err := identity.New(identity.DefaultRules(), identity.WithStore(&ctxShared{memShared: empty.replica()}), identity.WithReplayContext(live)); err != nil || r.Position() != 1 {
		t.Fatalf("New on an empty shared store with a live ctx: %v; want position 1", err)
	}
}

// cancelSince is a ctxShared whose SinceContext calls cancel just before it yields its
// after-th record.
type cancelSince struct {
	*ctxShared
	after  int
	cancel func()
}

func (c *cancelSince) SinceContext(ctx context.Context, pos uint64) iter.Seq2[[]byte, error] {
	return sharedlogtest.CancelAfter(c.ctxShared.SinceContext(ctx, pos), c.after, c.cancel)
}
