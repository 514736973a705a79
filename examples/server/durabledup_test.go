package main

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clientele-go/clientele"
	"github.com/clientele-go/clientele/internal/pg"
	"github.com/clientele-go/clientele/internal/pg/pgtest"
)

// trackingReplyOf is a tracking API reply as the tests read it.
type trackingReplyOf struct {
	Success    bool
	Accepted   int
	Duplicates int
	Rejected   []trackingReject
}

// dupBatch is a batch of four calls with messageIds, three of them with an event, for
// messageIds prefix-1 to prefix-4.
func dupBatch(prefix string) string {
	return strings.ReplaceAll(`{"batch":[
		{"type":"page","anonymousId":"a-1","messageId":"P-1","timestamp":"2025-03-01T10:00:00Z"},
		{"type":"identify","userId":"u-1","anonymousId":"a-1","messageId":"P-2","timestamp":"2025-03-01T10:01:00Z"},
		{"type":"track","event":"Order Completed","userId":"u-1","messageId":"P-3","timestamp":"2025-03-01T10:02:00Z"},
		{"type":"track","event":"Signed Up","userId":"u-2","messageId":"P-4","timestamp":"2025-03-01T10:03:00Z"}
	]}`, "P-", prefix+"-")
}

// trackingOn starts a server on spec (and schema) with the write key wk-web, stopped
// when t ends (or by the stop returned, which also closes its storage: a restart).
func trackingOn(t *testing.T, spec, schema string) (s *server, st *storage, base string, stop func()) {
	t.Helper()
	s, st = storageServer(t, spec, schema, clientele.FixedClock(time.Date(2025, 3, 10, 0, 0, 0, 0, time.UTC)), nil)
	s.writeKeys = map[string]string{"wk-web": "web"}
	base, stopServe := start(t, s)
	stop = sync.OnceFunc(func() {
		if err := stopServe(); err != nil {
			t.Error(err)
		}
		st.close()
	})
	t.Cleanup(stop)
	return s, st, base, stop
}

// appliedNames returns the names of the events the server applied, in order.
func appliedNames(s *server) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var names []string
	for _, e := range s.events {
		names = append(names, e.Name)
	}
	return names
}

// TestDedupSurvivesRestart: a batch resent to a server restarted on the same files is
// not applied again: its events are in the log once, and the server, which rebuilt the
// messageIds it remembers from the log, answers every call with an event a duplicate.
// The ids were remembered in memory only, and the resent batch doubled every event.
// The identify call, which has no event, leaves no key in the log: linked again
// (which changes nothing), it is counted accepted.
func TestDedupSurvivesRestart(t *testing.T) {
	spec := "file:" + filepath.Join(t.TempDir(), "data")
	_, _, base, stop := trackingOn(t, spec, "")
	var out trackingReplyOf
	postBatch(t, base, dupBatch("m"), 200, &out)
	if out.Accepted != 4 || out.Duplicates != 0 {
		t.Fatalf("first copy: %+v", out)
	}
	stop()

	s, st, base, _ := trackingOn(t, spec, "")
	out = trackingReplyOf{}
	postBatch(t, base, dupBatch("m"), 200, &out)
	if out.Accepted != 1 || out.Duplicates != 3 {
		t.Errorf("the batch resent after a restart: %+v, want 3 duplicates and the identify accepted", out)
	}
	if n := count(t, st.events); n != 3 {
		t.Errorf("the event log holds %d events, want 3 (each call's once)", n)
	}
	if got, want := appliedNames(s), []string{"page", "Order Completed", "Signed Up"}; !slices.Equal(got, want) {
		t.Errorf("events applied: %q, want %q", got, want)
	}
	// A call without a messageId cannot be told from a new one: applied again.
	call := `{"batch":[{"type":"track","event":"Order Completed","userId":"u-1","timestamp":"2025-03-01T10:05:00Z"}]}`
	for i := range 2 {
		out = trackingReplyOf{}
		postBatch(t, base, call, 200, &out)
		if out.Accepted != 1 {
			t.Errorf("call without a messageId, copy %d: %+v, want it accepted", i+1, out)
		}
	}
}

// TestDedupRebuiltRingBounded: the ids a server remembers at start are the last of
// the log's, as many as its ring holds.
func TestDedupRebuiltRingBounded(t *testing.T) {
	d := dedup{size: 2}
	a, b, c := msgKey{'a'}, msgKey{'b'}, msgKey{'c'}
	d.remember([]msgKey{a, b, c})
	for _, key := range []msgKey{b, c} {
		if ok, _ := d.claim(key); ok {
			t.Errorf("%c remembered, then claimed as new", key[0])
		}
	}
	if ok, _ := d.claim(a); !ok {
		t.Errorf("a, the oldest, not forgotten")
	}
	// A key pending (claimed, not settled) stays so when the log shows it.
	d.remember([]msgKey{a})
	if _, wait := d.claim(a); wait == nil {
		t.Errorf("a pending, remembered: no longer pending")
	}
}

// TestDedupAcrossServersOnPostgres: servers sharing PostgreSQL apply a messageId once,
// whichever server the copies reach: one after the other (the second server, which
// has not yet read the first one's events, is told by the table), and at once (both
// servers appending the same calls, the table's lock and key deciding). Each server
// remembered the ids it applied itself only, and both applied the batch. (The
// identify call, without an event, is linked by both, which changes nothing.)
func TestDedupAcrossServersOnPostgres(t *testing.T) {
	url := pgtest.URL(t)
	schema := pgtest.Schema(t, pgtest.Pool(t))
	a, st, baseA, _ := trackingOn(t, url, schema)
	b, _, baseB, _ := trackingOn(t, url, schema)

	var outA, outB trackingReplyOf
	postBatch(t, baseA, dupBatch("seq"), 200, &outA)
	postBatch(t, baseB, dupBatch("seq"), 200, &outB)
	if outA.Accepted != 4 || outB.Accepted != 1 || outB.Duplicates != 3 {
		t.Errorf("the batch sent to A, then to B: A %+v, B %+v; want B's calls with an event duplicates", outA, outB)
	}
	if n := count(t, st.events); n != 3 {
		t.Fatalf("the event table holds %d events, want 3", n)
	}

	const rounds = 8
	for r := range rounds {
		prefix := fmt.Sprintf("r%d", r)
		var wg sync.WaitGroup
		var replies [2]trackingReplyOf
		for i, base := range []string{baseA, baseB} {
			wg.Go(func() { postBatch(t, base, dupBatch(prefix), 200, &replies[i]) })
		}
		wg.Wait()
		if got := replies[0].Accepted + replies[1].Accepted; got != 3+2 || replies[0].Duplicates+replies[1].Duplicates != 3 {
			t.Errorf("round %d, the batch sent to both at once: %+v and %+v; want each call with an event accepted once and a duplicate once", r, replies[0], replies[1])
		}
	}
	if n, want := count(t, st.events), 3*(rounds+1); n != want {
		t.Errorf("the event table holds %d events, want %d", n, want)
	}
	for name, s := range map[string]*server{"A": a, "B": b} {
		if err := s.refresh(t.Context()); err != nil {
			t.Fatal(err)
		}
		if n := len(appliedNames(s)); n != 3*(rounds+1) {
			t.Errorf("server %s applied %d events, want %d", name, n, 3*(rounds+1))
		}
	}
}

// TestDedupOldEventTable: a server_event table made by the code before the key
// column (schema version 2) opens: its events read as they were, without a key, and
// the calls applied after the migration are de-duplicated across a restart.
func TestDedupOldEventTable(t *testing.T) {
	url := pgtest.URL(t)
	pool := pgtest.Pool(t)
	schema := pgtest.Schema(t, pool)
	ctx := context.Background()
	oldDDL := []string{
		`CREATE TABLE %[1]s.server_event (pos bigint PRIMARY KEY, at bigint NOT NULL, name text NOT NULL, profile bigint NOT NULL)`,
		`CREATE INDEX server_event_profile ON %[1]s.server_event (profile)`,
	}
	if err := pg.Migrate(ctx, pool, schema, "server_event", oldDDL); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2025, 2, 1, 0, 0, 0, 0, time.UTC)
	if _, err := pool.Exec(ctx, "INSERT INTO "+pg.Ident(schema)+".server_event (pos, at, name, profile) VALUES (0, $1, 'old', 0), (1, $1, 'older', 0)", at.UnixNano()); err != nil {
		t.Fatal(err)
	}
	_, st, base, stop := trackingOn(t, url, schema)
	var got []event
	for _, e := range st.events.Since(t.Context(), 0) {
		got = append(got, e)
	}
	if err := st.events.Err(); err != nil {
		t.Fatal(err)
	}
	if want := []event{{At: at, Name: "old"}, {At: at, Name: "older"}}; !slices.Equal(got, want) {
		t.Fatalf("the old table's events read as %+v, want %+v", got, want)
	}
	var out trackingReplyOf
	postBatch(t, base, dupBatch("m"), 200, &out)
	stop()
	_, st, base, _ = trackingOn(t, url, schema)
	out = trackingReplyOf{}
	postBatch(t, base, dupBatch("m"), 200, &out)
	if out.Accepted != 1 || out.Duplicates != 3 {
		t.Errorf("the batch resent after a restart on the migrated table: %+v, want 3 duplicates", out)
	}
	if n := count(t, st.events); n != 2+3 {
		t.Errorf("the table holds %d events, want 5", n)
	}
}

// TestDedupOldEventLog: an event log written before records carried their call's key
// (testdata/store-v1, written by the server of commit 97c0108 from the batch of
// dupBatch("old") less the last messageId) opens and reads as it was. Its calls were
// kept without a key, so a copy of them is applied again (the limit the upgrade
// keeps); the calls applied after it, in records of the new version appended to the
// old log, are de-duplicated across a restart.
func TestDedupOldEventLog(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"events.log", "identity.log"} {
		data, err := os.ReadFile(filepath.Join("testdata", "store-v1", name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	s, _, base, stop := trackingOn(t, "file:"+dir, "")
	old := []string{"page", "Order Completed", "Signed Up"}
	if got := appliedNames(s); !slices.Equal(got, old) {
		t.Fatalf("the old log's events: %q, want %q", got, old)
	}
	if u1, u2 := mustLookup(t, s, "user_id", "u-1"), mustLookup(t, s, "user_id", "u-2"); u1 == u2 {
		t.Fatalf("u-1 and u-2 share profile %d", u1)
	}
	var out trackingReplyOf
	postBatch(t, base, dupBatch("new"), 200, &out)
	if out.Accepted != 4 {
		t.Fatalf("new calls: %+v", out)
	}
	stop()
	s, st, base, _ := trackingOn(t, "file:"+dir, "")
	out = trackingReplyOf{}
	postBatch(t, base, dupBatch("new"), 200, &out)
	if out.Accepted != 1 || out.Duplicates != 3 {
		t.Errorf("the new calls resent after a restart: %+v, want 3 duplicates", out)
	}
	want := append(slices.Clone(old), old...)
	if got := appliedNames(s); !slices.Equal(got, want) {
		t.Errorf("events after the restart: %q, want %q", got, want)
	}
	var keyed int
	for _, e := range st.events.Since(t.Context(), 0) {
		if e.Keyed {
			keyed++
		}
	}
	if err := st.events.Err(); err != nil || keyed != 3 {
		t.Errorf("%d events of the log carry a key (%v), want the 3 new ones", keyed, err)
	}
}

// oldDecodeEvent is decodeEvent as the servers before keyed records have it (commit
// 97c0108), to show what they make of the records written now.
func oldDecodeEvent(b []byte) (event, error) {
	at, n := binary.Varint(b)
	if n <= 0 {
		return event{}, errors.New("bad event time")
	}
	p, m := binary.Uvarint(b[n:])
	if m <= 0 || p > 1<<32-1 {
		return event{}, errors.New("bad event profile")
	}
	return event{At: time.Unix(0, at).UTC(), Profile: uint32(p), Name: string(b[n+m:])}, nil
}

// TestKeyedRecordRefusedByOldServers: a record with a key is refused by a server
// before this version (the log is then not read: it stops its start) rather than read
// with the key taken into the event's name; a record without a key is still the old
// format, read alike by both.
func TestKeyedRecordRefusedByOldServers(t *testing.T) {
	at := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	keyed := event{At: at, Name: "page", Profile: 7, Key: dedupKey("web", "m-1"), Keyed: true}
	if _, err := oldDecodeEvent(encodeEvent(keyed)); err == nil {
		t.Errorf("an old server reads a keyed record")
	}
	if e, err := decodeEvent(encodeEvent(keyed)); err != nil || e != keyed {
		t.Errorf("keyed record: %+v, %v", e, err)
	}
	plain := event{At: at, Name: "page", Profile: 7}
	if !slices.Equal(encodeEvent(plain), []byte{0x80, 0x80, 0xe0, 0xd8, 0x87, 0xaf, 0xc2, 0xa8, 0x30, 7, 'p', 'a', 'g', 'e'}) {
		t.Errorf("a record without a key is not the old format: % x", encodeEvent(plain))
	}
	if e, err := oldDecodeEvent(encodeEvent(plain)); err != nil || e != plain {
		t.Errorf("an old server reads a record without a key as %+v, %v", e, err)
	}
	for n := range len(encodeEvent(keyed)) - len("page") {
		if _, err := decodeEvent(encodeEvent(keyed)[:n]); err == nil {
			t.Errorf("a keyed record cut to %d bytes decodes", n)
		}
	}
}

// TestDedupErasedCallStaysDuplicate: a call whose person was erased is still a
// duplicate when it comes again, after a restart too: its event's tombstone keeps the
// call's key, so a late retry neither brings the event back nor links the person's
// identifiers anew. On files and on PostgreSQL.
func TestDedupErasedCallStaysDuplicate(t *testing.T) {
	for _, store := range []string{"file", "postgres"} {
		t.Run(store, func(t *testing.T) {
			spec, schema := "file:"+filepath.Join(t.TempDir(), "data"), ""
			if store == "postgres" {
				spec = pgtest.URL(t)
				schema = pgtest.Schema(t, pgtest.Pool(t))
			}
			const track = `{"userId":"u-9","event":"Order Completed","messageId":"e-1","timestamp":"2025-03-01T10:00:00Z"}`
			_, _, base, stop := trackingOn(t, spec, schema)
			if code, out := post(t, base, "/v1/track", "wk-web", track, false); code != 200 || out["accepted"] != 1.0 {
				t.Fatalf("track: %d %v", code, out)
			}
			var got erased
			call(t, "DELETE", fmt.Sprintf("%s/v1/profiles/%d", base, lookupUser(t, base, "u-9")), "", 200, &got)
			if got.Events != 1 {
				t.Fatalf("erasure: %+v, want the event erased", got)
			}
			stop()
			_, st, base, _ := trackingOn(t, spec, schema)
			if code, out := post(t, base, "/v1/track", "wk-web", track, false); code != 200 || out["duplicates"] != 1.0 {
				t.Errorf("the erased call sent again after a restart: %d %v, want a duplicate", code, out)
			}
			call(t, "GET", base+"/v1/lookup?kind=user_id&value=u-9", "", 404, nil)
			if held, tombstones := logHolds(t, st.events, nil); held != 0 || tombstones != 1 || count(t, st.events) != 1 {
				t.Errorf("the log holds %d events, %d of them tombstones; want the tombstone alone", count(t, st.events), tombstones)
			}
		})
	}
}

// TestEventLogAppendSkipsKeys: an event whose key an earlier one of the same Append
// has is left out, on every log; on PostgreSQL, one whose key the table holds too, and
// the events after it take the positions that follow, without a gap (a reader stops
// at one).
func TestEventLogAppendSkipsKeys(t *testing.T) {
	at := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	ev := func(name, id string) event {
		e := event{At: at, Name: name, Profile: 1}
		if id != "" {
			e.Key, e.Keyed = dedupKey("web", id), true
		}
		return e
	}
	for _, store := range []string{"mem", "file", "postgres"} {
		t.Run(store, func(t *testing.T) {
			st := eventStorage(t, store)
			defer st.close()
			dup, err := st.events.Append(t.Context(), ev("a", "1"), ev("b", ""), ev("c", "1"), ev("d", "2"))
			if err != nil || !slices.Equal(dup, []bool{false, false, true, false}) {
				t.Fatalf("first append: %v, %v; want the third left out", dup, err)
			}
			dup, err = st.events.Append(t.Context(), ev("e", "2"), ev("f", "3"), ev("g", ""))
			if err != nil {
				t.Fatal(err)
			}
			want := []string{"a", "b", "d", "f", "g"}
			if store == "postgres" {
				if !slices.Equal(dup, []bool{true, false, false}) {
					t.Errorf("second append: %v, want the first left out", dup)
				}
			} else if dup != nil {
				t.Errorf("second append: %v, want none left out (the server's dedup tells)", dup)
			} else {
				want = []string{"a", "b", "d", "e", "f", "g"}
			}
			var got []string
			for pos, e := range st.events.Since(t.Context(), 0) {
				if pos != uint64(len(got)) {
					t.Fatalf("event %q at position %d, want %d", e.Name, pos, len(got))
				}
				got = append(got, e.Name)
			}
			if err := st.events.Err(); err != nil || !slices.Equal(got, want) {
				t.Errorf("the log holds %q (%v), want %q", got, err, want)
			}
		})
	}
}

// TestEventLogZeroKey: a key of 16 zero bytes, which dedupKey makes as likely as any
// other, is a key on every log: read back as one (on a file log, from a record of the
// keyed format), and a second event carrying it is left out; an event without a key
// beside it is kept, and read back without one.
func TestEventLogZeroKey(t *testing.T) {
	at := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	zero := event{At: at, Name: "a", Profile: 1, Keyed: true}
	none := event{At: at, Name: "b", Profile: 1}
	again := event{At: at, Name: "c", Profile: 1, Keyed: true}
	for _, store := range []string{"mem", "file", "postgres"} {
		t.Run(store, func(t *testing.T) {
			st := eventStorage(t, store)
			defer st.close()
			dup, err := st.events.Append(t.Context(), zero, none, again)
			if err != nil || !slices.Equal(dup, []bool{false, false, true}) {
				t.Fatalf("append: %v, %v; want the third left out", dup, err)
			}
			var got []event
			for _, e := range st.events.Since(t.Context(), 0) {
				got = append(got, e)
			}
			if err := st.events.Err(); err != nil || !slices.Equal(got, []event{zero, none}) {
				t.Errorf("the log holds %+v (%v), want %+v", got, err, []event{zero, none})
			}
		})
	}
}

// TestPGEventsKeyOfWrongLength: a row whose dedup is not 16 bytes (no server writes
// one: the table was changed by hand, or is damaged) stops the reading with
// errBadRecord, rather than being read as some other key.
func TestPGEventsKeyOfWrongLength(t *testing.T) {
	schema, st := pgStorage(t, defaultPGTimeout)
	if _, err := pgtest.Pool(t).Exec(t.Context(), "INSERT INTO "+pg.Ident(schema)+".server_event (pos, at, name, profile, dedup) VALUES (0, 0, 'a', 1, '\\x0102')"); err != nil {
		t.Fatal(err)
	}
	for range st.events.Since(t.Context(), 0) {
		t.Fatal("an event read from a row with a dedup of 2 bytes")
	}
	if err := st.events.Err(); !errors.Is(err, errBadRecord) || !strings.Contains(err.Error(), "dedup key of 2 bytes") {
		t.Fatalf("%v, want errBadRecord naming the key's length", err)
	}
}

// eventStorage opens a storage of the kind ("mem", "file" or "postgres") for a test of
// its event log; the caller closes it.
func eventStorage(t *testing.T, kind string) *storage {
	t.Helper()
	var st *storage
	var err error
	switch kind {
	case "mem":
		st, err = openStorage(t.Context(), "mem:", "", 0)
	case "file":
		st, err = openStorage(t.Context(), "file:"+filepath.Join(t.TempDir(), "data"), "", 0)
	case "postgres":
		_, st = pgStorage(t, defaultPGTimeout)
	default:
		t.Fatalf("no storage of kind %q", kind)
	}
	if err != nil {
		t.Fatal(err)
	}
	return st
}
