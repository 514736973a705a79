package main

import (
	"encoding/binary"
	"path/filepath"
	"testing"
	"time"

	"github.com/clientele-go/clientele/segment"
)

// TestPeriodicSnapshot: with -snapshot-every 3, the server writes a segment snapshot
// every three events without a segment being saved or a shutdown; after a SIGKILL the
// restarted server starts from it plus the events after it and answers as before.
func TestPeriodicSnapshot(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	args := []string{"-store", "file:" + dir, "-snapshot-every", "3"}
	p := startProc(t, args...)
	blobs, err := segment.OpenFileStore(filepath.Join(dir, "segments"), nil)
	if err != nil {
		t.Fatal(err)
	}
	snapPos := func() uint64 {
		data, err := blobs.Get(snapshotName)
		if err != nil || len(data) < 8 {
			return 0
		}
		return binary.BigEndian.Uint64(data)
	}
	send(t, "POST", p.base+"/v1/events", callsA+callsB)
	send(t, "PUT", p.base+"/v1/segments/buyers", `did("Order Completed")`) // a snapshot of every event so far
	saved := snapPos()
	send(t, "POST", p.base+"/v1/events", callsA) // three events more: a periodic snapshot
	want := state(t, p.base)
	pos := snapPos()
	for deadline := time.Now().Add(10 * time.Second); pos < saved+3 && time.Now().Before(deadline); pos = snapPos() {
		time.Sleep(20 * time.Millisecond)
	}
	if saved == 0 || pos != saved+3 {
		t.Fatalf("snapshots hold the events before %d (saved segment) and %d; want a periodic one at %d", saved, pos, saved+3)
	}
	p.kill(t)
	p = startProc(t, args...)
	if got := state(t, p.base); got != want {
		t.Fatalf("after SIGKILL and a restart from the snapshot:\n got %s\nwant %s", got, want)
	}
}
