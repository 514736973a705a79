package main

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/clientele-go/clientele/internal/pg"
	"github.com/clientele-go/clientele/internal/pg/pgtest"
)

// drain reads events.Since(ctx, pos) to its end, calling pause (if not nil) with each
// position, and returns how many it read and Err.
func drain(ctx context.Context, events eventLog, pos uint64, pause func(uint64)) (int, error) {
	n := 0
	for p := range events.Since(ctx, pos) {
		if pause != nil {
			pause(p)
		}
		n++
	}
	return n, events.Err()
}

// TestStuckEventTableReads: with -pg-timeout, while another session holds the event
// table, a replay (Since, with a ctx that never ends, as at a server's start) and an
// erasure (Erase) fail with an error wrapping context.DeadlineExceeded once it runs
// out, instead of waiting for the lock as long as it is held; while a session holds a
// row the erasure would overwrite, the erasure does too. Once the locks are released
// both complete.
func TestStuckEventTableReads(t *testing.T) {
	schema, st := pgStorage(t, pgtest.Timeout)
	ctx := context.Background()
	at := time.Date(2025, 3, 2, 12, 0, 0, 0, time.UTC)
	if _, err := st.events.Append(ctx, event{At: at, Name: "x", Profile: 1}, event{At: at, Name: "y", Profile: 2}); err != nil {
		t.Fatal(err)
	}
	table := pg.Ident(schema) + ".server_event"
	since := pgtest.Call{Name: "Since", Do: func() error { _, err := drain(ctx, st.events, 0, nil); return err }}
	erase := pgtest.Call{Name: "Erase", Do: func() error { _, err := st.events.Erase(ctx, []uint32{2}); return err }}
	pgtest.Stuck(t, "LOCK TABLE "+table+" IN ACCESS EXCLUSIVE MODE", since, erase)
	pgtest.Stuck(t, "SELECT * FROM "+table+" WHERE profile = 2 FOR UPDATE", erase)

	if n, err := drain(ctx, st.events, 0, nil); n != 2 || err != nil {
		t.Fatalf("Since once the locks are released: %d events, %v; want 2", n, err)
	}
	if n, err := st.events.Erase(ctx, []uint32{2}); n != 1 || err != nil {
		t.Fatalf("Erase once the locks are released: %d overwritten, %v; want 1", n, err)
	}
}

// TestEventTableBoundPerStatement: -pg-timeout bounds each fetch of a replay and each
// page of an erasure, not the call: a replay of a table several fetches long whose
// caller pauses for twice the timeout between fetches reads every event, in order; an
// erasure of a person with several pages of events overwrites them all. A ctx that
// ends still ends the replay, with an error wrapping its error.
func TestEventTableBoundPerStatement(t *testing.T) {
	const n = 3*pageRows + 10
	_, st := pgStorage(t, pgtest.Timeout)
	ctx := context.Background()
	at := time.Date(2025, 3, 2, 12, 0, 0, 0, time.UTC)
	evs := make([]event, n)
	for i := range evs {
		evs[i] = event{At: at, Name: fmt.Sprint("e", i), Profile: uint32(1 + i%2)}
	}
	// Appended in small parts: -pg-timeout bounds an Append whole, and one of 12,298
	// rows ran out of the test's second on a machine loaded by other test binaries.
	for part := range slices.Chunk(evs, 512) {
		if _, err := st.events.Append(ctx, part...); err != nil {
			t.Fatal(err)
		}
	}
	want := uint64(0)
	read, err := drain(ctx, st.events, 0, func(p uint64) {
		if p != want {
			t.Fatalf("Since yields position %d, want %d", p, want)
		}
		want++
		if p == pageRows+1 {
			time.Sleep(2 * pgtest.Timeout)
		}
	})
	if read != n || err != nil {
		t.Fatalf("Since with the caller pausing for longer than -pg-timeout: %d events, %v; want %d", read, err, n)
	}
	if got, err := st.events.Erase(ctx, []uint32{1}); got != (n+1)/2 || err != nil {
		t.Fatalf("Erase of %d events: %d overwritten, %v", (n+1)/2, got, err)
	}
	if got, err := st.events.Erase(ctx, []uint32{1}); got != 0 || err != nil {
		t.Fatalf("Erase again: %d overwritten, %v; want 0", got, err)
	}

	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	_, err = drain(cctx, st.events, 0, func(p uint64) {
		if p == 10 {
			cancel()
		}
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Since whose ctx was cancelled while it read: %v; want an error wrapping context.Canceled", err)
	}
}
