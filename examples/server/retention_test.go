package main

import (
	"context"
	"encoding/binary"
	"strings"
	"testing"

	"github.com/clientele-go/clientele/internal/pg/pgtest"
)

// TestRetentionOnPostgres deletes old events with the statement pgevents.go documents,
// here every event the segment snapshot holds, and restarts: audiences are as before,
// funnels answer from the events kept, and an event accepted after the deletion counts
// in its audience, also after another restart.
func TestRetentionOnPostgres(t *testing.T) {
	url := pgtest.URL(t)
	pool := pgtest.Pool(t)
	schema := pgtest.Schema(t, pool)
	ctx := context.Background()
	args := []string{"-store", url, "-schema", schema}
	p := startProc(t, args...)
	send(t, "POST", p.base+"/v1/events", callsA+callsB)
	send(t, "PUT", p.base+"/v1/segments/buyers", `did("Order Completed")`) // snapshot of every event
	buyers := get(t, p.base+"/v1/segments/buyers")
	p.kill(t)
	var snap []byte
	if err := pool.QueryRow(ctx, "SELECT data FROM "+schema+".segment_blob WHERE name = $1", snapshotName).Scan(&snap); err != nil {
		t.Fatal(err)
	}
	snapPos := binary.BigEndian.Uint64(snap)
	// The documented statement, with a cutoff after every event: it deletes all the
	// snapshot holds.
	tag, err := pool.Exec(ctx, retentionSQL(schema), int64(1)<<62, int64(snapPos))
	if err != nil {
		t.Fatal(err)
	}
	if tag.RowsAffected() == 0 {
		t.Fatal("the retention statement deleted nothing: the test shows nothing")
	}
	p = startProc(t, args...)
	if got := get(t, p.base+"/v1/segments/buyers"); got != buyers {
		t.Fatalf("buyers after retention:\n got %s\nwant %s", got, buyers)
	}
	// u-3 buys after the deletion: the event must reach the audience, now and after a
	// restart that reads the snapshot and the events after it.
	send(t, "POST", p.base+"/v1/events", `{"type":"track","event":"Order Completed","userId":"u-3","timestamp":"2025-03-04T08:00:00Z"}`)
	after := get(t, p.base+"/v1/segments/buyers")
	if after == buyers {
		t.Fatalf("u-3's order did not reach buyers: %s", after)
	}
	want := state(t, p.base)
	p.kill(t)
	p = startProc(t, args...)
	if got := state(t, p.base); got != want {
		t.Fatalf("after retention and a restart:\n got %s\nwant %s", got, want)
	}
	if !strings.Contains(want, `"segments":["buyers"]`) {
		t.Fatalf("no profile in buyers:\n%s", want)
	}
}
