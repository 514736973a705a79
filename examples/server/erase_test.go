package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clientele-go/clientele"
	"github.com/clientele-go/clientele/funnel"
	"github.com/clientele-go/clientele/identity"
	"github.com/clientele-go/clientele/internal/pg/pgtest"
	"github.com/clientele-go/clientele/segment"
)

// erased is the reply of a DELETE /v1/profiles/{id}.
type erased struct {
	Profile     uint32
	Profiles    []uint32
	Identifiers int
	Events      int
	Segments    []string
}

// people posts calls and saves browsers (did page) and buyers, and takes the first
// changes, so that the browsers' members are u-1 and u-2. It returns u-1's profile,
// u-2's, and the key c-3's first call was given (merged into u-2 by the alias).
func people(t *testing.T, base string) (u1, u2, c3 uint32) {
	t.Helper()
	var posted struct{ Profiles []uint32 }
	call(t, "POST", base+"/v1/events", calls, http.StatusOK, &posted)
	call(t, "PUT", base+"/v1/segments/browsers", `did(page)`, http.StatusOK, nil)
	call(t, "PUT", base+"/v1/segments/buyers", `did("Order Completed")`, http.StatusOK, nil)
	u1, u2 = lookupUser(t, base, "u-1"), lookupUser(t, base, "u-2")
	c3 = posted.Profiles[4] // the fifth call accepted: c-3's page
	if c3 == u2 {
		t.Fatalf("c-3's page was given u-2's key %d: the test cannot show a merged key resolved", c3)
	}
	got := map[string]change{}
	call(t, "GET", base+"/v1/changes", "", http.StatusOK, &got)
	if fmt.Sprint(got["browsers"]) != fmt.Sprint(change{Entered: []uint32{u1, u2}}) {
		t.Fatalf("first changes of browsers: %v, want u-1 %d and u-2 %d entering", got["browsers"], u1, u2)
	}
	return u1, u2, c3
}

func lookupUser(t *testing.T, base, user string) uint32 {
	t.Helper()
	var found struct{ Profile uint32 }
	call(t, "GET", base+"/v1/lookup?kind=user_id&value="+user, "", http.StatusOK, &found)
	return found.Profile
}

// forgotten checks that the server at base reports nothing of u-2 (profile u2, also
// known by key c3) and still reports u-1: no profile, identifier, segment member or
// funnel step holds u-2, and the next changes do not name them (no exit is reported).
func forgotten(t *testing.T, base string, u1, u2, c3 uint32) {
	t.Helper()
	for _, k := range []uint32{u2, c3} {
		call(t, "GET", fmt.Sprintf("%s/v1/profiles/%d", base, k), "", http.StatusNotFound, nil)
	}
	for _, id := range [][2]string{{"user_id", "u-2"}, {"anonymous_id", "b-2"}, {"anonymous_id", "c-3"}} {
		call(t, "GET", base+"/v1/lookup?kind="+id[0]+"&value="+id[1], "", http.StatusNotFound, nil)
	}
	var seg struct {
		Size    uint64
		Members []uint32
	}
	call(t, "GET", base+"/v1/segments/browsers", "", http.StatusOK, &seg)
	if seg.Size != 1 || !slices.Equal(seg.Members, []uint32{u1}) {
		t.Errorf("browsers after the erasure: %+v, want u-1 (%d) alone", seg, u1)
	}
	changes := map[string]change{}
	call(t, "GET", base+"/v1/changes", "", http.StatusOK, &changes)
	for name, c := range changes {
		for _, k := range []uint32{u2, c3} {
			if slices.Contains(c.Entered, k) || slices.Contains(c.Exited, k) {
				t.Errorf("changes of %s after the erasure name erased key %d: %v", name, k, c)
			}
		}
	}
	var fun struct{ Steps []struct{ Profiles int64 } }
	call(t, "GET", base+"/v1/funnel?steps=page&window=30d", "", http.StatusOK, &fun)
	if len(fun.Steps) != 1 || fun.Steps[0].Profiles != 1 {
		t.Errorf("funnel of page after the erasure: %+v, want u-1 alone", fun)
	}
	var p struct{ Segments []string }
	call(t, "GET", fmt.Sprintf("%s/v1/profiles/%d", base, u1), "", http.StatusOK, &p)
	if !slices.Equal(p.Segments, []string{"browsers", "buyers"}) {
		t.Errorf("u-1 after u-2's erasure is in %v, want [browsers buyers]", p.Segments)
	}
}

// logHolds returns the events of the log whose profile is one of keys, and the
// tombstones.
func logHolds(t *testing.T, l eventLog, keys []uint32) (held, tombstones int) {
	t.Helper()
	for _, e := range l.Since(t.Context(), 0) {
		switch {
		case e.Profile == 0:
			if e != tombstoneOf(e) { // the call's key alone is kept
				t.Errorf("a tombstone keeps %+v", e)
			}
			tombstones++
		case slices.Contains(keys, e.Profile):
			held++
		}
	}
	if err := l.Err(); err != nil {
		t.Fatal(err)
	}
	return held, tombstones
}

// snapshotHolds reports whether the stored segment snapshot holds any of keys, as a
// profile or a saved segment's member.
func snapshotHolds(t *testing.T, segs segment.Store, keys []uint32) bool {
	t.Helper()
	data, err := segs.Get(snapshotName)
	if err != nil {
		t.Fatal(err)
	}
	_, rest, err := readIncarnations(data[8:], 8)
	if err != nil {
		t.Fatal(err)
	}
	x, err := segment.ReadSnapshot(rest)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		if x.Profiles().Contains(k) {
			return true
		}
		for _, name := range x.Segments() {
			if m, _ := x.Members(name); m.Contains(k) {
				return true
			}
		}
	}
	return false
}

// TestEraseProfile: DELETE /v1/profiles/{id} erases the person whose profile holds the
// key named (here a key merged into u-2's profile): identifiers, audiences, events,
// on a server that keeps nothing, on memory storage and on files, where the event log
// and the segment snapshot lose them too and a restart does not bring them back. A
// second DELETE is 404; a malformed id is 400 naming it.
func TestEraseProfile(t *testing.T) {
	now := time.Date(2025, 3, 3, 0, 0, 0, 0, time.UTC)
	for _, spec := range []string{"", "mem:", "file:"} {
		t.Run(map[string]string{"": "no storage", "mem:": "mem", "file:": "file"}[spec], func(t *testing.T) {
			var s *server
			var st *storage
			if spec == "" {
				s = memoryServer(t, clientele.FixedClock(now))
			} else {
				if spec == "file:" {
					spec += filepath.Join(t.TempDir(), "data")
				}
				s, st = storageServer(t, spec, "", clientele.FixedClock(now), nil)
			}
			base, stop := start(t, s)
			u1, u2, c3 := people(t, base)
			var got erased
			call(t, "DELETE", fmt.Sprintf("%s/v1/profiles/%d", base, c3), "", http.StatusOK, &got)
			want := erased{Profile: u2, Profiles: []uint32{min(u2, c3), max(u2, c3)}, Identifiers: 3, Events: 2, Segments: []string{"browsers"}}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("DELETE of u-2's merged key %d: %+v, want %+v", c3, got, want)
			}
			forgotten(t, base, u1, u2, c3)
			for _, k := range []uint32{c3, u2} {
				var e errorBody
				call(t, "DELETE", fmt.Sprintf("%s/v1/profiles/%d", base, k), "", http.StatusNotFound, &e)
				if e.Code != "not_found" || !strings.Contains(e.Error, "erased") {
					t.Errorf("a second DELETE of %d: %+v, want not_found saying it may be erased", k, e)
				}
			}
			for _, id := range []string{"x", "0", "-1", "4294967296", "1.5"} {
				var e errorBody
				call(t, "DELETE", base+"/v1/profiles/"+id, "", http.StatusBadRequest, &e)
				if !strings.Contains(e.Error, fmt.Sprintf("%q", id)) || !strings.Contains(e.Error, "positive 32-bit integer") {
					t.Errorf("DELETE /v1/profiles/%s: %q does not name the id and what it must be", id, e.Error)
				}
			}
			call(t, "DELETE", base+"/v1/profiles/999", "", http.StatusNotFound, nil)
			if err := stop(); err != nil {
				t.Fatal(err)
			}
			if st == nil {
				return
			}
			keys := []uint32{u2, c3}
			if held, tombs := logHolds(t, st.events, keys); held != 0 || tombs != 2 {
				t.Errorf("the event log holds %d events of u-2 and %d tombstones, want 0 and 2", held, tombs)
			}
			if snapshotHolds(t, st.segments, keys) {
				t.Errorf("the stored segment snapshot still holds u-2")
			}
			if !strings.HasPrefix(spec, "file:") {
				return
			}
			st.close()
			s, _ = storageServer(t, spec, "", clientele.FixedClock(now), nil)
			base, stop = start(t, s)
			defer stop()
			forgotten(t, base, u1, u2, c3)
			// An erasure does not suppress: the person sent again is someone new.
			call(t, "POST", base+"/v1/events", `{"type":"page","userId":"u-2","timestamp":"2025-03-02T12:00:00Z"}`, http.StatusOK, nil)
			if p := lookupUser(t, base, "u-2"); p == u2 || p == c3 {
				t.Errorf("u-2 sent again has the erased key %d", p)
			}
		})
	}
}

// TestEraseRestartFromOlderSnapshot: a restart from a snapshot written before an
// erasure (a crash before the snapshot after it, or another server's stale one) does
// not bring the person back, and replaces the stored snapshot by one without them.
func TestEraseRestartFromOlderSnapshot(t *testing.T) {
	now := time.Date(2025, 3, 3, 0, 0, 0, 0, time.UTC)
	dir := "file:" + filepath.Join(t.TempDir(), "data")
	s, st := storageServer(t, dir, "", clientele.FixedClock(now), nil)
	base, stop := start(t, s)
	u1, u2, c3 := people(t, base)
	if err := s.snapshot(context.Background()); err != nil { // with the members of the first changes
		t.Fatal(err)
	}
	old, err := st.segments.Get(snapshotName)
	if err != nil {
		t.Fatal(err)
	}
	call(t, "DELETE", fmt.Sprintf("%s/v1/profiles/%d", base, u2), "", http.StatusOK, nil)
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if err := st.segments.Put(snapshotName, old); err != nil {
		t.Fatal(err)
	}
	if !snapshotHolds(t, st.segments, []uint32{u2}) {
		t.Fatal("the snapshot put back does not hold u-2: the test shows nothing")
	}
	st.close()
	s, st = storageServer(t, dir, "", clientele.FixedClock(now), nil)
	if snapshotHolds(t, st.segments, []uint32{u2, c3}) {
		t.Errorf("after the start, the stored snapshot still holds u-2")
	}
	base, stop = start(t, s)
	defer stop()
	forgotten(t, base, u1, u2, c3)
}

// TestEraseLateEvent: an event accepted on a key before the key's erasure but appended
// after it (a request linked, then the DELETE ran, then it appended) is neither kept
// nor counted, and is erased from the log when the server meets it.
func TestEraseLateEvent(t *testing.T) {
	now := time.Date(2025, 3, 3, 0, 0, 0, 0, time.UTC)
	s, st := storageServer(t, "mem:", "", clientele.FixedClock(now), nil)
	base, stop := start(t, s)
	defer stop()
	call(t, "POST", base+"/v1/events", `{"type":"page","anonymousId":"a-1","timestamp":"2025-03-01T09:00:00Z"}`, http.StatusOK, nil)
	call(t, "PUT", base+"/v1/segments/browsers", `did(page)`, http.StatusOK, nil)
	k, err := s.ids.Link(t.Context(), now, "web", identity.ID{Kind: "user_id", Value: "late"})
	if err != nil {
		t.Fatal(err)
	}
	var got erased
	call(t, "DELETE", fmt.Sprintf("%s/v1/profiles/%d", base, k), "", http.StatusOK, &got)
	if got.Events != 0 || !slices.Equal(got.Profiles, []uint32{k}) {
		t.Errorf("erasure of a profile without events: %+v", got)
	}
	if _, err := s.record(t.Context(), event{At: now.Add(-time.Hour), Name: "page", Profile: k}); err != nil {
		t.Fatal(err)
	}
	var seg struct{ Size uint64 }
	call(t, "GET", base+"/v1/segments/browsers", "", http.StatusOK, &seg)
	var fun struct{ Steps []struct{ Profiles int64 } }
	call(t, "GET", base+"/v1/funnel?steps=page&window=30d", "", http.StatusOK, &fun)
	if seg.Size != 1 || len(fun.Steps) != 1 || fun.Steps[0].Profiles != 1 {
		t.Errorf("the late event of erased key %d counts: browsers %+v, funnel %+v", k, seg, fun)
	}
	if held, tombs := logHolds(t, st.events, []uint32{k}); held != 0 || tombs != 1 {
		t.Errorf("the event log holds %d late events of the erased key and %d tombstones, want 0 and 1", held, tombs)
	}
}

// TestConcurrentErasures: DELETEs of one person at once, by its two keys: one erases
// (200), the others find nothing (404); none fails.
func TestConcurrentErasures(t *testing.T) {
	now := time.Date(2025, 3, 3, 0, 0, 0, 0, time.UTC)
	s, _ := storageServer(t, "file:"+filepath.Join(t.TempDir(), "data"), "", clientele.FixedClock(now), nil)
	base, stop := start(t, s)
	defer stop()
	_, u2, c3 := people(t, base)
	statuses := deleteAtOnce(t, []string{base, base, base, base}, []uint32{u2, c3, u2, c3})
	if !slices.Equal(statuses, []int{200, 404, 404, 404}) {
		t.Errorf("statuses of four DELETEs at once: %v, want one 200 and three 404", statuses)
	}
}

// deleteAtOnce sends DELETE /v1/profiles/keys[i] to bases[i], all at once, and returns
// the statuses, sorted.
func deleteAtOnce(t *testing.T, bases []string, keys []uint32) []int {
	t.Helper()
	statuses := make([]int, len(bases))
	var wg sync.WaitGroup
	for i := range bases {
		wg.Go(func() {
			req, _ := http.NewRequest("DELETE", fmt.Sprintf("%s/v1/profiles/%d", bases[i], keys[i]), nil)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
			statuses[i] = resp.StatusCode
		})
	}
	wg.Wait()
	slices.Sort(statuses)
	return statuses
}

// eraseOnPostgres checks, on the storage's tables, that no event of keys is left in
// server_event and that the tombstones are there, and that the shared snapshot does
// not hold them.
func eraseOnPostgres(t *testing.T, schema string, keys []uint32, tombstones int) {
	t.Helper()
	pool := pgtest.Pool(t)
	var held, tombs int
	err := pool.QueryRow(context.Background(), "SELECT count(*) FILTER (WHERE profile = ANY($1::bigint[])), count(*) FILTER (WHERE profile = 0) FROM "+schema+".server_event",
		[]int64{int64(keys[0]), int64(keys[1])}).Scan(&held, &tombs)
	if err != nil {
		t.Fatal(err)
	}
	if held != 0 || tombs != tombstones {
		t.Errorf("server_event holds %d events of the erased keys and %d tombstones, want 0 and %d", held, tombs, tombstones)
	}
	var snap []byte
	if err := pool.QueryRow(context.Background(), "SELECT data FROM "+schema+".segment_blob WHERE name = $1", snapshotName).Scan(&snap); err != nil {
		t.Fatal(err)
	}
	if binary.BigEndian.Uint64(snap) == 0 {
		t.Fatal("the snapshot holds no event: the test shows nothing")
	}
	if snapshotHolds(t, memSegments(snap), keys) {
		t.Errorf("the shared segment snapshot still holds the erased person")
	}
}

// memSegments is a segment store holding one snapshot.
func memSegments(snap []byte) segment.Store {
	var m segment.MemStore
	m.Put(snapshotName, snap)
	return &m
}

// TestEraseAcrossServers: a person erased through server A is no longer reported by
// server B, which follows the storage as run does, without a request to it (its
// index and events lose them as its follower catches up); B's reads then answer as
// A's, a DELETE on B is 404, and a server started afterwards knows nothing of them.
func TestEraseAcrossServers(t *testing.T) {
	url := pgtest.URL(t)
	schema := pgtest.Schema(t, pgtest.Pool(t))
	clock := clientele.FixedClock(time.Date(2025, 3, 3, 0, 0, 0, 0, time.UTC))
	a, b := startReplica(t, url, schema, clock), startReplica(t, url, schema, clock)
	u1, u2, c3 := people(t, a.base)
	within(t, "B has A's segments", func() bool { return b.definition("browsers") != "" && b.definition("buyers") != "" })
	var p struct{ Segments []string }
	call(t, "GET", fmt.Sprintf("%s/v1/profiles/%d", b.base, c3), "", http.StatusOK, &p)
	if !slices.Equal(p.Segments, []string{"browsers"}) {
		t.Fatalf("B before the erasure: u-2 is in %v, want [browsers]", p.Segments)
	}
	call(t, "DELETE", fmt.Sprintf("%s/v1/profiles/%d", a.base, c3), "", http.StatusOK, nil)
	within(t, "B's follower forgets u-2", func() bool {
		if b.s.seg.Profiles().Contains(u2) || b.s.ids.Current(c3) != 0 {
			return false
		}
		b.s.mu.Lock()
		defer b.s.mu.Unlock()
		return !slices.ContainsFunc(b.s.events, func(e funnel.Event) bool { return e.Profile == u2 || e.Profile == c3 })
	})
	call(t, "DELETE", fmt.Sprintf("%s/v1/profiles/%d", b.base, u2), "", http.StatusNotFound, nil)
	b.changes(t) // B's first: u-1 entering, as on A before the erasure
	for _, r := range []*replica{a, b} {
		forgotten(t, r.base, u1, u2, c3)
	}
	eraseOnPostgres(t, schema, []uint32{u2, c3}, 2)
	c := startReplica(t, url, schema, clock)
	c.changes(t) // C's first: u-1 entering
	forgotten(t, c.base, u1, u2, c3)
}

// TestEraseAtNextCatchUp: servers that follow nothing (each catches up at its own
// requests) stop reporting a person erased through another at their next request; a
// DELETE of the person sent to both at once erases them once (one 200, one 404).
func TestEraseAtNextCatchUp(t *testing.T) {
	url := pgtest.URL(t)
	schema := pgtest.Schema(t, pgtest.Pool(t))
	clock := clientele.FixedClock(time.Date(2025, 3, 3, 0, 0, 0, 0, time.UTC))
	var rs [2]*replica
	for i := range rs {
		s, _ := storageServer(t, url, schema, clock, nil)
		base, stop := start(t, s)
		t.Cleanup(func() {
			if err := stop(); err != nil {
				t.Error(err)
			}
		})
		rs[i] = &replica{s: s, base: base}
	}
	a, b := rs[0], rs[1]
	u1, u2, c3 := people(t, a.base)
	b.changes(t)
	var seg struct{ Members []uint32 }
	call(t, "GET", b.base+"/v1/segments/browsers", "", http.StatusOK, &seg)
	if !slices.Equal(seg.Members, []uint32{u1, u2}) {
		t.Fatalf("B's browsers before the erasure: %v", seg.Members)
	}
	statuses := deleteAtOnce(t, []string{a.base, b.base}, []uint32{c3, u2})
	if !slices.Equal(statuses, []int{200, 404}) {
		t.Errorf("statuses of DELETEs at once on A and B: %v, want one 200 and one 404", statuses)
	}
	for _, r := range []*replica{b, a} {
		forgotten(t, r.base, u1, u2, c3)
	}
	eraseOnPostgres(t, schema, []uint32{u2, c3}, 2)

	// u-1 erased through A; B, not caught up, then writes its snapshot (a periodic one
	// begun before its catch-up), which replaces the one A wrote without u-1. B's
	// next catch-up replaces it again.
	call(t, "DELETE", fmt.Sprintf("%s/v1/profiles/%d", a.base, u1), "", http.StatusOK, nil)
	if err := b.s.snapshot(context.Background()); err != nil {
		t.Fatal(err)
	}
	pool := pgtest.Pool(t)
	stored := func() segment.Store {
		var snap []byte
		if err := pool.QueryRow(t.Context(), "SELECT data FROM "+schema+".segment_blob WHERE name = $1", snapshotName).Scan(&snap); err != nil {
			t.Fatal(err)
		}
		return memSegments(snap)
	}
	if !snapshotHolds(t, stored(), []uint32{u1}) {
		t.Fatal("B's snapshot does not hold u-1: the test shows nothing")
	}
	call(t, "GET", b.base+"/v1/changes", "", http.StatusOK, nil)
	within(t, "B replaces its snapshot holding u-1", func() bool { return !snapshotHolds(t, stored(), []uint32{u1}) })
}

// failingErase is an event log whose Erase fails while fail is set.
type failingErase struct {
	eventLog
	fail bool
}

func (f *failingErase) Erase(ctx context.Context, profiles []uint32) (int, error) {
	if f.fail {
		return 0, errors.New("disk gone")
	}
	return f.eventLog.Erase(ctx, profiles)
}

// TestEraseEventLogRefused: an erasure whose event log refuses to overwrite the events
// answers 503 saying what is done and what is not; the person is forgotten all the
// same (a second DELETE is 404), and a restart before any retry erases the events: it
// meets them under keys identity does not know, one of them (c-3's, merged into u-2)
// in no snapshot.
func TestEraseEventLogRefused(t *testing.T) {
	now := time.Date(2025, 3, 3, 0, 0, 0, 0, time.UTC)
	dir := "file:" + filepath.Join(t.TempDir(), "data")
	events := &failingErase{}
	s, st := storageServer(t, dir, "", clientele.FixedClock(now), func(st *storage) { events.eventLog, st.events = st.events, events })
	base, stop := start(t, s)
	u1, u2, c3 := people(t, base)
	events.fail = true
	var e errorBody
	call(t, "DELETE", fmt.Sprintf("%s/v1/profiles/%d", base, u2), "", http.StatusServiceUnavailable, &e)
	if !strings.Contains(e.Error, "is forgotten") || !strings.Contains(e.Error, "disk gone") || !strings.Contains(e.Error, "event log") {
		t.Errorf("503 of a refused event log: %q does not say the profile is forgotten and the log is not erased", e.Error)
	}
	call(t, "DELETE", fmt.Sprintf("%s/v1/profiles/%d", base, u2), "", http.StatusNotFound, nil)
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	keys := []uint32{u2, c3}
	if held, _ := logHolds(t, st.events, keys); held != 2 {
		t.Fatalf("the refused log holds %d events of u-2, want 2: the test shows nothing", held)
	}
	st.close()
	s, st = storageServer(t, dir, "", clientele.FixedClock(now), nil)
	if held, tombs := logHolds(t, st.events, keys); held != 0 || tombs != 2 {
		t.Errorf("after a restart, the event log holds %d events of u-2 and %d tombstones, want 0 and 2", held, tombs)
	}
	if snapshotHolds(t, st.segments, keys) {
		t.Errorf("after a restart, the stored snapshot still holds u-2")
	}
	base, stop = start(t, s)
	defer stop()
	forgotten(t, base, u1, u2, c3)
}

// TestEraseReferralLedger: a DELETE erases the person's contact details from the
// referral ledger (file and PostgreSQL), in memory and in the bytes stored, while the
// rewards they earned and their referee's details stay; a replica on the same schema
// answers the referee's balance as before.
func TestEraseReferralLedger(t *testing.T) {
	const secret, other = "ann-secret@example.com", "bob@example.com"
	now := time.Date(2026, 3, 5, 0, 0, 0, 0, time.UTC)
	// The accounts that do not need ann's user id, which the erasure forgets: bob's
	// balance and the payout run, which lists ann's key.
	accounts := func(t *testing.T, base string) string {
		t.Helper()
		const at = "&at=2026-03-04T10:00:00Z"
		return get(t, base+"/v1/referral/balance?user=bob"+at) + get(t, base+"/v1/referral/payables?"+at[1:])
	}
	refer := func(t *testing.T, base string) uint32 {
		t.Helper()
		postJSON(t, base+"/v1/referral/codes", `{"key":"code-ann","user":"ann","email":"`+secret+`","phone":"+44 7700 900123","device":"ann-phone","ip":"203.0.113.7","at":"2026-03-01T10:00:00Z"}`)
		call(t, "POST", base+"/v1/events", `{"type":"page","userId":"ann","timestamp":"2026-03-01T10:00:00Z"}`, http.StatusOK, nil)
		postJSON(t, base+"/v1/referral/orders", referAndBuy(t, base, base))
		return lookupUser(t, base, "ann")
	}
	t.Run("file", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "data")
		s, st := storageServer(t, "file:"+dir, "", clientele.FixedClock(now), nil)
		base, stop := start(t, s)
		ann := refer(t, base)
		before := accounts(t, base)
		call(t, "DELETE", fmt.Sprintf("%s/v1/profiles/%d", base, ann), "", http.StatusOK, nil)
		if after := accounts(t, base); after != before {
			t.Errorf("the programme's accounts changed with the erasure:\n%s\nwant\n%s", after, before)
		}
		if err := stop(); err != nil {
			t.Fatal(err)
		}
		st.close()
		data, err := os.ReadFile(filepath.Join(dir, "referral.log"))
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range []string{secret, "7700", "ann-phone", "203.0.113.7"} {
			if bytes.Contains(data, []byte(v)) {
				t.Errorf("referral.log still holds the erased %q", v)
			}
		}
		if !bytes.Contains(data, []byte(other)) {
			t.Errorf("referral.log lost the referee's e-mail %q, which is not the erased person's", other)
		}
	})
	t.Run("postgres", func(t *testing.T) {
		url := pgtest.URL(t)
		pool := pgtest.Pool(t)
		schema := pgtest.Schema(t, pool)
		clock := clientele.FixedClock(now)
		a, b := startReplica(t, url, schema, clock), startReplica(t, url, schema, clock)
		ann := refer(t, a.base)
		before := accounts(t, a.base)
		call(t, "DELETE", fmt.Sprintf("%s/v1/profiles/%d", a.base, ann), "", http.StatusOK, nil)
		for _, r := range []*replica{a, b} {
			if after := accounts(t, r.base); after != before {
				t.Errorf("the programme's accounts changed with the erasure:\n%s\nwant\n%s", after, before)
			}
		}
		var held, kept int
		err := pool.QueryRow(context.Background(), `SELECT
			count(*) FILTER (WHERE position($1::bytea in rec) > 0),
			count(*) FILTER (WHERE position($2::bytea in rec) > 0)
			FROM `+schema+`.referral_log`, []byte(secret), []byte(other)).Scan(&held, &kept)
		if err != nil {
			t.Fatal(err)
		}
		if held != 0 || kept == 0 {
			t.Errorf("referral_log holds the erased e-mail %d times and the referee's %d times, want none and some", held, kept)
		}
	})
}

// TestForgetInvitee: a person invited by e-mail who never signed up, whom no DELETE
// /v1/profiles/{id} can name, is erased by POST /v1/referral/forget: the ledger's file
// holds their contact no more, their invitation no longer attributes a sign-up with it,
// and another invitee's invitation stays and attributes.
func TestForgetInvitee(t *testing.T) {
	const secret, phone, kept = "carol@example.com", "+44 7700 900999", "erin@example.com"
	dir := filepath.Join(t.TempDir(), "data")
	s, st := storageServer(t, "file:"+dir, "", clientele.FixedClock(time.Date(2026, 3, 5, 0, 0, 0, 0, time.UTC)), nil)
	base, stop := start(t, s)
	postJSON(t, base+"/v1/referral/invites", `{"key":"inv-carol","user":"ann","email":"`+secret+`","phone":"`+phone+`","at":"2026-03-01T10:00:00Z"}`)
	postJSON(t, base+"/v1/referral/invites", `{"key":"inv-erin","user":"ann","email":"`+kept+`","at":"2026-03-01T10:00:00Z"}`)
	for _, body := range []string{
		`{"key":"k","email":"` + secret + `"}`,    // a key: a profile's erasure is DELETE
		`{"user":"ann","email":"` + secret + `"}`, // likewise a user
		`{}`, // no contact
	} {
		call(t, "POST", base+"/v1/referral/forget", body, http.StatusBadRequest, nil)
	}
	for range 2 { // the second finds nothing left and changes nothing
		postJSON(t, base+"/v1/referral/forget", `{"email":"`+secret+`","at":"2026-03-02T10:00:00Z"}`)
	}
	// The ledger's file, read before anyone signs up (a sign-up would give the e-mail
	// anew), holds neither of the invitee's contacts and still the other invitee's.
	data, err := os.ReadFile(filepath.Join(dir, "referral.log"))
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range []string{secret, phone} {
		if bytes.Contains(data, []byte(v)) {
			t.Errorf("referral.log still holds the erased invitee's %q", v)
		}
	}
	if !bytes.Contains(data, []byte(kept)) {
		t.Errorf("referral.log lost the other invitee's e-mail")
	}
	referrer := func(user, email string) uint32 {
		var d struct{ Referrer uint32 }
		if err := json.Unmarshal([]byte(postJSON(t, base+"/v1/referral/signups",
			`{"key":"signup-`+user+`","user":"`+user+`","email":"`+email+`","at":"2026-03-03T10:00:00Z"}`)), &d); err != nil {
			t.Fatal(err)
		}
		return d.Referrer
	}
	if r := referrer("carol", secret); r != 0 {
		t.Errorf("a sign-up with the erased e-mail was attributed to profile %d", r)
	}
	if r := referrer("erin", kept); r == 0 {
		t.Errorf("a sign-up with the kept invitee's e-mail was not attributed")
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	st.close()
}
