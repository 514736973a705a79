package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/clientele-go/clientele/internal/pg"
	"github.com/clientele-go/clientele/internal/pg/pgtest"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// TestLeftRequestEndsSegmentStoreCall: with no -pg-timeout, a PUT whose write of the
// definition waits for a row another session holds ends when its client leaves: the
// request's context ends the store call, the PUT's Save is undone and putMu let go, so
// that a PUT of another segment is saved while the row is still held. Before, the
// first PUT waited for the row as long as it was held, and every later PUT, sync and
// snapshot behind it.
func TestLeftRequestEndsSegmentStoreCall(t *testing.T) {
	schema, st := pgStorage(t, 0, "x")
	s, base := serveOn(t, st)
	call(t, "PUT", base+"/v1/segments/b", `did("x")`, http.StatusOK, nil)
	table := pg.Ident(schema) + ".segment_blob"
	// Cancelled once the PUT's write waits for the row.
	ctx, release := pgtest.CancelWhenBlocked(t, "SELECT 1 FROM "+table+" WHERE name = '"+savedPrefix+"b' FOR UPDATE")
	defer release()
	req, err := http.NewRequestWithContext(ctx, "PUT", base+"/v1/segments/b", strings.NewReader(`not did("x")`))
	if err != nil {
		t.Fatal(err)
	}
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
		t.Fatalf("PUT whose client left: answered %s; want the client's own cancellation", resp.Status)
	}

	err = pgtest.Within(t, "PUT of another segment while the row is held", func() error {
		req, err := http.NewRequest("PUT", base+"/v1/segments/c", strings.NewReader(`did("x")`))
		if err != nil {
			return err
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			body, _ := io.ReadAll(resp.Body)
			return fmt.Errorf("status %s: %s", resp.Status, body)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("PUT of another segment while the row is held: %v; want 200", err)
	}
	if got, want := s.definition("b"), canon(`did("x")`); got != want {
		t.Errorf("after the PUT whose client left: definition %q, want %q (its Save undone)", got, want)
	}
}

// TestRequestsDoNotWaitForSnapshotWrite: while a periodic snapshot's write waits for the
// snapshot's row another session holds (a stalled PostgreSQL, with no -pg-timeout, or the
// long write of a large index), the server answers a POST of events and a GET, both of
// which sync the saved definitions (syncSaved) as they refresh. The snapshot held putMu
// through its write, and the sync waited for it: every request waited for a snapshot
// begun in the background, here for as long as the row was held.
func TestRequestsDoNotWaitForSnapshotWrite(t *testing.T) {
	schema, st := pgStorage(t, 0, "x")
	st.snapshotEvery = 1
	_, base := serveOn(t, st)
	call(t, "PUT", base+"/v1/segments/b", `did("x")`, http.StatusOK, nil)
	release := pgtest.Hold(t, "SELECT 1 FROM "+pg.Ident(schema)+".segment_blob WHERE name = '"+snapshotName+"' FOR UPDATE")
	defer release()
	post := func(user string) {
		call(t, "POST", base+"/v1/events", `{"type":"track","event":"x","userId":"`+user+`","timestamp":"2025-03-02T12:00:00Z"}`, http.StatusOK, nil)
	}
	post("u-1")                           // starts a periodic snapshot (-snapshot-every 1)
	waiting(t, pgtest.Pool(t), schema, 0) // whose write waits for the row
	post("u-2")
	var seg struct{ Size int }
	call(t, "GET", base+"/v1/segments/b", "", http.StatusOK, &seg)
	if seg.Size != 2 {
		t.Errorf("segment b during the snapshot's write: %d members, want 2", seg.Size)
	}
}

// TestSecondSignalAbandonsLastSnapshot: with no -pg-timeout, the last snapshot a
// stopping server writes waits for the snapshot's row another session holds; a second
// SIGINT abandons it, and the server exits, logging the snapshot's failure, rather than
// waiting for the row as long as it is held (only SIGKILL stopped it). So too when a
// periodic snapshot already waited for the row, holding snapMu: the shutdown ends it,
// and the last snapshot, which supersedes it, is written (and waits) in its place.
func TestSecondSignalAbandonsLastSnapshot(t *testing.T) {
	for _, periodic := range []bool{false, true} {
		t.Run(fmt.Sprint("periodic ", periodic), func(t *testing.T) {
			pool := pgtest.Pool(t)
			schema := pgtest.Schema(t, pool)
			c := startProc(t, "-pg-timeout", "0", "-events", "x", "-snapshot-every", "1", "-store", pgtest.URL(t), "-schema", schema)
			// A PUT writes a snapshot: the row the next ones replace.
			call(t, "PUT", c.base+"/v1/segments/b", `did("x")`, http.StatusOK, nil)
			release := pgtest.Hold(t, "SELECT 1 FROM "+pg.Ident(schema)+".segment_blob WHERE name = '"+snapshotName+"' FOR UPDATE")
			defer release()
			stuck := 0
			if periodic {
				// With -snapshot-every 1, an event starts a periodic snapshot.
				call(t, "POST", c.base+"/v1/events", `{"type":"track","event":"x","userId":"u-1","timestamp":"2025-03-02T12:00:00Z"}`, http.StatusOK, nil)
				stuck = waiting(t, pool, schema, 0)
			}
			c.interrupt(t)
			// The second signal once the last snapshot's write waits for the row.
			waiting(t, pool, schema, stuck)
			c.interrupt(t)
			err := pgtest.Within(t, "the server's exit after a second SIGINT", c.wait)
			if log := c.logs(); err != nil || !strings.Contains(log, "segment snapshot") || !strings.Contains(log, "context canceled") {
				t.Fatalf("server after a second SIGINT: exit %v; want it to exit 0 logging the snapshot's failure, context canceled:\n%s", err, log)
			}
		})
	}
}

// TestSecondSignalDuringGrace: a second SIGINT sent while the shutdown waits for a
// request in flight (a PUT whose snapshot waits for a row another session holds, with
// no -pg-timeout) ends the wait at once, the PUT with it, and abandons the last
// snapshot, which would wait for the same row. When each stage registered for signals
// of its own, the first stage's registration swallowed a signal sent before the last
// snapshot's was made: the server waited out the 10 s grace, then waited for the row
// as long as it was held, deaf to the second signal.
func TestSecondSignalDuringGrace(t *testing.T) {
	pool := pgtest.Pool(t)
	schema := pgtest.Schema(t, pool)
	c := startProc(t, "-pg-timeout", "0", "-events", "x", "-store", pgtest.URL(t), "-schema", schema)
	call(t, "PUT", c.base+"/v1/segments/b", `did("x")`, http.StatusOK, nil)
	release := pgtest.Hold(t, "SELECT 1 FROM "+pg.Ident(schema)+".segment_blob WHERE name = '"+snapshotName+"' FOR UPDATE")
	defer release()
	put := make(chan error, 1)
	go func() {
		req, err := http.NewRequest("PUT", c.base+"/v1/segments/c", strings.NewReader(`did("x")`))
		if err == nil {
			var resp *http.Response
			if resp, err = http.DefaultClient.Do(req); err == nil {
				resp.Body.Close()
			}
		}
		put <- err
	}()
	waiting(t, pool, schema, 0) // the PUT's snapshot waits for the row
	c.interrupt(t)
	pgtest.Eventually(t, func() (bool, string) {
		return strings.Contains(c.logs(), "shutting down"), "no shutdown logged after a SIGINT:\n" + c.logs()
	})
	c.interrupt(t)
	err := pgtest.Within(t, "the server's exit after a second SIGINT during the grace", c.wait)
	if log := c.logs(); err == nil || !strings.Contains(log, "a second signal ended the wait for requests in flight") {
		t.Fatalf("server after a second SIGINT during the grace: exit %v; want a failure that says the wait was cut short:\n%s", err, log)
	}
	<-put
}

// waiting returns the process id of a session, other than not's, that waits for a lock
// on schema's segment table, failing t if none does after pgtest.Watchdog.
func waiting(t *testing.T, pool *pgxpool.Pool, schema string, not int) int {
	t.Helper()
	var pid int
	pgtest.Eventually(t, func() (bool, string) {
		rows, err := pool.Query(context.Background(), `SELECT pid FROM pg_stat_activity
			WHERE wait_event_type = 'Lock' AND pid <> $2 AND strpos(query, $1) > 0`, pg.Ident(schema)+".segment_blob", not)
		var pids []int
		if err == nil {
			pids, err = pgx.CollectRows(rows, pgx.RowTo[int])
		}
		if err != nil {
			t.Fatal(err)
		}
		if len(pids) > 0 {
			pid = pids[0]
		}
		return len(pids) > 0, fmt.Sprintf("no statement on %s waits for a lock (but process %d's)", schema, not)
	})
	return pid
}
