package loyalty_test

import (
	"context"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/clientele-go/clientele/internal/sharedlog/sharedlogtest"
	"github.com/clientele-go/clientele/referral/loyalty"
)

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

// replays opens Ledgers for the checks of sharedlogtest.
var replays = sharedlogtest.Replays[*loyalty.Ledger, loyalty.Record]{
	Fill: func(t *testing.T, s sharedlogtest.Store[loyalty.Record], n int) { replayLedger(t, s, n) },
	Open: func(s sharedlogtest.Store[loyalty.Record]) (*loyalty.Ledger, error) {
		return loyalty.Open(s, loyalty.Rules{})
	},
	OpenContext: func(ctx context.Context, s sharedlogtest.Store[loyalty.Record]) (*loyalty.Ledger, error) {
		return loyalty.Open(s, loyalty.Rules{}, loyalty.WithReplayContext(ctx))
	},
	Stopped: "loyalty: open: replay stopped after ",
	Call:    "Open",
}

// TestReplayContextCancelled: a ctx cancelled while Open replays a long MemStore or
// FileStore makes Open return no Ledger and an error wrapping context.Canceled that
// names how many records it had replayed, a few hundred at most past the one it was
// reading when ctx ended; it reads no more of the store. With no ctx, or a live one,
// the same store replays whole (see sharedlogtest.ReplayCancelled).
func TestReplayContextCancelled(t *testing.T) {
	const events, after = 5000, 1000
	stores := map[string]func(t *testing.T) sharedlogtest.Store[loyalty.Record]{
		"MemStore": func(*testing.T) sharedlogtest.Store[loyalty.Record] { return &loyalty.MemStore{} },
		"FileStore": func(t *testing.T) sharedlogtest.Store[loyalty.Record] {
			s, err := loyalty.OpenFileStore(filepath.Join(t.TempDir(), "log"), &loyalty.FileOptions{NoSync: true})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			return s
		},
	}
	sharedlogtest.ReplayCancelled(t, replays, stores, events, after, func(t *testing.T, p *loyalty.Ledger) {
		at := time.Date(2025, 1, 2, 0, 0, 0, 0, time.UTC)
		if got, want := p.Balance(at, 1).Available, int64(10*events/100); got != want {
			t.Errorf("a whole replay gives member 1 %d points, want %d", got, want)
		}
	})
}

// TestReplayContextDone: a ctx done before Open fails it at once, with its own error
// (context.Canceled, or DeadlineExceeded for a deadline passed), before the store is
// read; a nil ctx is ErrInvalid naming the option (see sharedlogtest.ReplayDone).
func TestReplayContextDone(t *testing.T) {
	sharedlogtest.ReplayDone(t, replays, &loyalty.MemStore{}, loyalty.ErrInvalid)
}
