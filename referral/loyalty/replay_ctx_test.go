package loyalty_test

import (
	"context"
	"errors"
	"iter"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/clientele-go/clientele/internal/sharedlog/sharedlogtest"
	"github.com/clientele-go/clientele/referral/loyalty"
)

// replayCounting is a Store whose Records calls cancel just before it yields its
// after-th record (0: never) and counts the records it yields: a host's SIGTERM that
// arrives while Open replays a long ledger.
type replayCounting struct {
	loyalty.Store
	after   int
	cancel  func()
	yielded atomic.Int64
}

func (c *replayCounting) Records() iter.Seq2[loyalty.Record, error] {
	recs := c.Store.Records()
	if c.after > 0 {
		recs = sharedlogtest.CancelAfter(recs, c.after, c.cancel)
	}
	return func(yield func(loyalty.Record, error) bool) {
		for rec, err := range recs {
			c.yielded.Add(1)
			if !yield(rec, err) {
				return
			}
		}
	}
}

// replayLedger records n bonuses in a Ledger on s.
func replayLedger(t *testing.T, s loyalty.Store, n int) {
	t.Helper()
	l, err := loyalty.Open(s, loyalty.Rules{})
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range n {
		if _, err := l.Bonus(context.Background(), at, "bonus"+strconv.Itoa(i), uint32(1+i%100), 10, "welcome"); err != nil {
			t.Fatal(err)
		}
	}
}

var replayedRE = regexp.MustCompile(`^loyalty: open: replay stopped after (\d+) records: `)

// replayedCount returns the count of records err says the replay stopped after, failing
// t unless it says so.
func replayedCount(t *testing.T, err error) int {
	t.Helper()
	m := replayedRE.FindStringSubmatch(err.Error())
	if m == nil {
		t.Fatalf("error %q does not say how many records were replayed", err)
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

// TestReplayContextCancelled: a ctx cancelled while Open replays a long MemStore or
// FileStore makes Open return no Ledger and an error wrapping context.Canceled that
// names how many records it had replayed, a few hundred at most past the one it was
// reading when ctx ended; it reads no more of the store. With no ctx, or a live one,
// the same store replays whole.
func TestReplayContextCancelled(t *testing.T) {
	const events, after = 5000, 1000
	stores := map[string]func(t *testing.T) loyalty.Store{
		"MemStore": func(*testing.T) loyalty.Store { return &loyalty.MemStore{} },
		"FileStore": func(t *testing.T) loyalty.Store {
			s, err := loyalty.OpenFileStore(filepath.Join(t.TempDir(), "log"), &loyalty.FileOptions{NoSync: true})
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
			replayLedger(t, s, events)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			c := &replayCounting{Store: s, after: after, cancel: cancel}
			p, err := loyalty.Open(c, loyalty.Rules{}, loyalty.WithReplayContext(ctx))
			if p != nil || !errors.Is(err, context.Canceled) {
				t.Fatalf("Open cancelled after %d of %d records = %v, %v; want nil and context.Canceled", after, events, p, err)
			}
			n := replayedCount(t, err)
			if n < after-1 || n > after+256 {
				t.Errorf("Open says it replayed %d records; want %d to %d", n, after-1, after+256)
			}
			if y := c.yielded.Load(); y != int64(n)+1 {
				t.Errorf("the store yielded %d records; want the %d replayed and the one Open stopped at", y, n)
			}
			for _, opts := range [][]loyalty.Option{nil, {loyalty.WithReplayContext(context.Background())}} {
				p, err := loyalty.Open(s, loyalty.Rules{}, opts...)
				if err != nil {
					t.Fatal(err)
				}
				at := time.Date(2025, 1, 2, 0, 0, 0, 0, time.UTC)
				if got, want := p.Balance(at, 1).Available, int64(10*events/100); got != want {
					t.Errorf("a whole replay gives member 1 %d points, want %d", got, want)
				}
			}
		})
	}
}

// TestReplayContextDone: a ctx done before Open fails it at once, with its own error
// (context.Canceled, or DeadlineExceeded for a deadline passed), before the store is
// read; a nil ctx is ErrInvalid naming the option.
func TestReplayContextDone(t *testing.T) {
	s := &loyalty.MemStore{}
	replayLedger(t, s, 10)
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	expired, cancel2 := context.WithDeadline(context.Background(), time.Unix(0, 0))
	defer cancel2()
	for _, tc := range []struct {
		ctx  context.Context
		want error
	}{{cancelled, context.Canceled}, {expired, context.DeadlineExceeded}} {
		c := &replayCounting{Store: s}
		p, err := loyalty.Open(c, loyalty.Rules{}, loyalty.WithReplayContext(tc.ctx))
		if p != nil || !errors.Is(err, tc.want) || replayedCount(t, err) != 0 {
			t.Errorf("Open with a done ctx = %v, %v; want nil and %v after 0 records", p, err, tc.want)
		}
		if n := c.yielded.Load(); n != 0 {
			t.Errorf("Open with a done ctx read %d records of the store", n)
		}
	}
	var none context.Context
	p, err := loyalty.Open(s, loyalty.Rules{}, loyalty.WithReplayContext(none))
	if p != nil || !errors.Is(err, loyalty.ErrInvalid) || !strings.Contains(err.Error(), "WithReplayContext: nil context") {
		t.Errorf("Open with a nil replay ctx = %v, %v; want nil and ErrInvalid naming WithReplayContext", p, err)
	}
}
