package main

import (
	"context"
	"encoding/binary"
	"errors"
	"net/http"
	"testing"
)

// TestSnapshotNotReplacedByOlder: two servers share a schema; A applies events that B,
// without a follower, has not read. A snapshots, then B: B's snapshot, at a lower
// position, is not written (errSnapshotBehind), and the stored snapshot stays A's, so a
// start replays nothing A had applied. Once B has caught up, its snapshot, at A's
// position, is written. Before, B's older snapshot replaced A's, and the next start
// replayed every event again.
func TestSnapshotNotReplacedByOlder(t *testing.T) {
	a, b, _ := pair(t, nil)
	call(t, "POST", a.base+"/v1/events", callsA+callsB, http.StatusOK, nil)
	a.s.mu.Lock()
	ahead := a.s.applied
	a.s.mu.Unlock()
	b.s.mu.Lock()
	behind := b.s.applied
	b.s.mu.Unlock()
	if behind >= ahead {
		t.Fatalf("B has applied %d events, A %d: the test needs B behind", behind, ahead)
	}
	stored := func() uint64 {
		t.Helper()
		data, err := a.s.st.segments.Get(snapshotName)
		if err != nil || len(data) < 8 {
			t.Fatalf("the stored snapshot: %x, %v", data, err)
		}
		return binary.BigEndian.Uint64(data)
	}

	if err := a.s.snapshot(context.Background()); err != nil {
		t.Fatalf("A's snapshot: %v", err)
	}
	err := b.s.snapshot(context.Background())
	if got := stored(); got != ahead {
		t.Fatalf("after B's snapshot the stored one is at event %d; want A's, at %d, not B's at %d", got, ahead, behind)
	}
	if !errors.Is(err, errSnapshotBehind) {
		t.Fatalf("B's snapshot, behind A's: %v; want errSnapshotBehind", err)
	}

	if err := b.s.refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := b.s.snapshot(context.Background()); err != nil {
		t.Fatalf("B's snapshot once caught up: %v", err)
	}
	if got := stored(); got != ahead {
		t.Fatalf("after B caught up and snapshotted: the stored snapshot is at %d, want %d", got, ahead)
	}
}
