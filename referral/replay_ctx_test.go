package referral_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/clientele-go/clientele/internal/sharedlog/sharedlogtest"
	"github.com/clientele-go/clientele/referral"
)

// replayLedger records n invitations in a Program on s.
func replayLedger(t *testing.T, s referral.Store, n int) {
	t.Helper()
	p, err := referral.Open(s, referral.Rules{})
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range n {
		contact := referral.Signals{Email: fmt.Sprintf("friend%d@example.com", i)}
		if err := p.Invite(context.Background(), at, "inv"+strconv.Itoa(i), uint32(1+i%100), contact); err != nil {
			t.Fatal(err)
		}
	}
}

// replays opens Programs for the checks of sharedlogtest.
var replays = sharedlogtest.Replays[*referral.Program, referral.Record]{
	Fill: func(t *testing.T, s sharedlogtest.Store[referral.Record], n int) { replayLedger(t, s, n) },
	Open: func(s sharedlogtest.Store[referral.Record]) (*referral.Program, error) {
		return referral.Open(s, referral.Rules{})
	},
	OpenContext: func(ctx context.Context, s sharedlogtest.Store[referral.Record]) (*referral.Program, error) {
		return referral.Open(s, referral.Rules{}, referral.WithReplayContext(ctx))
	},
	Stopped: "referral: open: replay stopped after ",
	Call:    "Open",
}

// TestReplayContextCancelled: a ctx cancelled while Open replays a long MemStore or
// FileStore makes Open return no Program and an error wrapping context.Canceled that
// names how many records it had replayed, a few hundred at most past the one it was
// reading when ctx ended; it reads no more of the store. With no ctx, or a live one,
// the same store replays whole (see sharedlogtest.ReplayCancelled).
func TestReplayContextCancelled(t *testing.T) {
	const events, after = 5000, 1000
	stores := map[string]func(t *testing.T) sharedlogtest.Store[referral.Record]{
		"MemStore": func(*testing.T) sharedlogtest.Store[referral.Record] { return &referral.MemStore{} },
		"FileStore": func(t *testing.T) sharedlogtest.Store[referral.Record] {
			s, err := referral.OpenFileStore(filepath.Join(t.TempDir(), "ledger"), &referral.FileOptions{NoSync: true})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			return s
		},
	}
	sharedlogtest.ReplayCancelled(t, replays, stores, events, after, func(t *testing.T, p *referral.Program) {
		if got := len(p.Invites()); got != events {
			t.Errorf("a whole replay holds %d invitations, want %d", got, events)
		}
	})
}

// TestReplayContextDone: a ctx done before Open fails it at once, with its own error
// (context.Canceled, or DeadlineExceeded for a deadline passed), before the store is
// read; a nil ctx is ErrInvalid naming the option (see sharedlogtest.ReplayDone).
func TestReplayContextDone(t *testing.T) {
	sharedlogtest.ReplayDone(t, replays, &referral.MemStore{}, referral.ErrInvalid)
}
