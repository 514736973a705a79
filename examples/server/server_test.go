package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/clientele-go/clientele"
	"github.com/clientele-go/clientele/identity"
	"github.com/clientele-go/clientele/segment"
)

const calls = `{"type":"page","anonymousId":"a-1","timestamp":"2025-03-01T09:00:00Z"}
{"type":"identify","userId":"u-1","anonymousId":"a-1","traits":{"email":"ann@example.com"},"timestamp":"2025-03-01T09:05:00Z"}
{"type":"track","event":"Order Completed","userId":"u-1","timestamp":"2025-03-01T09:10:00Z"}
not json
{"type":"page","anonymousId":"b-2","timestamp":"2025-03-02T10:00:00Z"}
{"type":"page","anonymousId":"c-3","timestamp":"2025-03-02T11:00:00Z"}
{"type":"identify","userId":"u-2","anonymousId":"b-2","timestamp":"2025-03-02T11:30:00Z"}
{"type":"alias","previousId":"c-3","userId":"u-2","timestamp":"2025-03-02T11:31:00Z"}
`

// start serves s on a real localhost port and returns its base URL and a stop function
// that shuts it down gracefully and reports serve's error.
func start(t *testing.T, s *server) (string, func() error) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- serve(ctx, context.Background(), ln, s) }()
	return "http://" + ln.Addr().String(), func() error {
		cancel()
		select {
		case err := <-done:
			return err
		case <-time.After(15 * time.Second):
			return fmt.Errorf("serve did not return after shutdown")
		}
	}
}

// storageServer is a server on the storage spec names (schema: PostgreSQL's, else ""),
// its clock clock, for one test: prepare, if not nil, changes the storage before the
// server opens it (a store that fails on demand, an event log that waits). It returns
// the storage too, for a test that writes under the server or restarts it: st.close may
// be called early (a restart), and is called when the test ends otherwise.
func storageServer(t testing.TB, spec, schema string, clock clientele.Clock, prepare func(st *storage)) (*server, *storage) {
	t.Helper()
	st, err := openStorage(context.Background(), spec, schema, defaultPGTimeout)
	if err != nil {
		t.Fatal(err)
	}
	st.close = sync.OnceFunc(st.close)
	t.Cleanup(st.close)
	if prepare != nil {
		prepare(st)
	}
	s, err := newServerOn(context.Background(), clock, st)
	if err != nil {
		t.Fatal(err)
	}
	return s, st
}

// memoryServer is a server that keeps nothing (newServer), for one test.
func memoryServer(t testing.TB, clock clientele.Clock, opts ...identity.Option) *server {
	t.Helper()
	s, err := newServer(clock, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// call sends a request and decodes the JSON reply into out (if not nil).
func call(t *testing.T, method, url, body string, wantStatus int, out any) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	do(t, req, wantStatus, out)
}

// client is the tests' HTTP client: its Timeout turns a server that never answers into
// a failing test rather than one that hangs until go test's own timeout, far above any
// answer on a loaded machine under -race.
var client = &http.Client{Timeout: time.Minute}

// do sends req and decodes the JSON reply into out (if not nil).
func do(t *testing.T, req *http.Request, wantStatus int, out any) {
	t.Helper()
	method, url := req.Method, req.URL.String()
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != wantStatus {
		t.Fatalf("%s %s: status %d, want %d: %s", method, url, resp.StatusCode, wantStatus, data)
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			t.Fatalf("%s %s: %v in %s", method, url, err, data)
		}
	}
}

func TestEndToEnd(t *testing.T) {
	now := time.Date(2025, 3, 3, 0, 0, 0, 0, time.UTC)
	s := memoryServer(t, clientele.FixedClock(now))
	base, stop := start(t, s)

	var posted struct {
		Accepted int
		Rejected []struct {
			Line  int
			Error string
		}
	}
	call(t, "POST", base+"/v1/events", calls, http.StatusOK, &posted)
	if posted.Accepted != 7 || len(posted.Rejected) != 1 || posted.Rejected[0].Line != 4 {
		t.Fatalf("posted %+v, want 7 accepted and line 4 rejected", posted)
	}

	var saved map[string]string
	call(t, "PUT", base+"/v1/segments/buyers", `did("Order Completed")`, http.StatusOK, &saved)
	call(t, "PUT", base+"/v1/segments/browsers", `did(page) AND NOT segment:buyers`, http.StatusOK, nil)
	var bad map[string]string
	call(t, "PUT", base+"/v1/segments/oops", `did(page`, http.StatusBadRequest, &bad)
	if !strings.Contains(bad["error"], "column") {
		t.Errorf("a bad query's error %q does not say where", bad["error"])
	}
	// The query wrapped in JSON, as every other body here is, says what the body is.
	call(t, "PUT", base+"/v1/segments/oops", `{"query": "did(page)"}`, http.StatusBadRequest, &bad)
	if !strings.Contains(bad["error"], "the body is the query itself") {
		t.Errorf("a query sent as JSON: %q, want it told the body is the query itself", bad["error"])
	}

	var seg struct {
		Size    uint64
		Members []uint32
	}
	call(t, "GET", base+"/v1/segments/buyers", "", http.StatusOK, &seg)
	if seg.Size != 1 {
		t.Errorf("buyers: %+v, want one member", seg)
	}
	buyer := seg.Members[0]
	call(t, "GET", base+"/v1/segments/nobody", "", http.StatusNotFound, nil)

	// The first refresh reports everyone as entered; the next reports nothing new.
	var changes map[string]struct {
		Entered, Exited []uint32
		Size            uint64
	}
	call(t, "GET", base+"/v1/changes", "", http.StatusOK, &changes)
	if c := changes["browsers"]; len(c.Entered) != 1 || c.Size != 1 {
		t.Errorf("browsers changes %+v: want one entered (u-2, whose two anonymous profiles merged)", c)
	}
	clear(changes) // Unmarshal into a map keeps the keys it already has
	call(t, "GET", base+"/v1/changes", "", http.StatusOK, &changes)
	if len(changes) != 0 {
		t.Errorf("second refresh changed segments: %+v", changes)
	}

	var profile struct {
		Profile     uint32
		Identifiers []struct{ Kind, Value string }
		Segments    []string
	}
	call(t, "GET", base+fmt.Sprintf("/v1/profiles/%d", buyer), "", http.StatusOK, &profile)
	if len(profile.Identifiers) != 3 || len(profile.Segments) != 1 || profile.Segments[0] != "buyers" {
		t.Errorf("profile %d: %+v", buyer, profile)
	}
	var found struct{ Profile uint32 }
	// Lookup normalises the value by the kind's rules, as Link does.
	call(t, "GET", base+"/v1/lookup?kind=email&value=Ann@Example.com", "", http.StatusOK, &found)
	if found.Profile != buyer {
		t.Errorf("lookup found %d, want %d", found.Profile, buyer)
	}
	call(t, "GET", base+"/v1/lookup?kind=email&value=bob@example.com", "", http.StatusNotFound, nil)
	call(t, "GET", base+"/v1/profiles/x", "", http.StatusBadRequest, nil)
	call(t, "GET", base+"/v1/profiles/999", "", http.StatusNotFound, nil)

	var fun struct {
		Steps []struct {
			Name     string
			Profiles int64
		}
	}
	call(t, "GET", base+"/v1/funnel?steps=page,Order%20Completed&window=1d", "", http.StatusOK, &fun)
	if len(fun.Steps) != 2 || fun.Steps[0].Profiles != 2 || fun.Steps[1].Profiles != 1 {
		t.Errorf("funnel %+v, want 2 then 1", fun)
	}
	call(t, "GET", base+"/v1/funnel?steps=page&window=soon", "", http.StatusBadRequest, nil)
	call(t, "GET", base+"/v1/funnel", "", http.StatusBadRequest, nil)

	// A body over the limit is refused whole: nothing of it is applied.
	before := s.ids.Stats().Identifiers
	big := strings.Repeat(`{"type":"page","anonymousId":"z","timestamp":"2025-03-02T10:00:00Z"}`+"\n", maxBody/60)
	call(t, "POST", base+"/v1/events", big, http.StatusRequestEntityTooLarge, nil)
	if after := s.ids.Stats().Identifiers; after != before {
		t.Errorf("a refused body changed the identifiers: %d -> %d", before, after)
	}
	call(t, "POST", base+"/v1/events", "nothing\n", http.StatusBadRequest, nil)

	if err := stop(); err != nil {
		t.Fatalf("graceful shutdown: %v", err)
	}
	if _, err := http.Get(base + "/healthz"); err == nil {
		t.Errorf("the server still answers after shutdown")
	}
}

// TestDurableIdentities restarts the server on its identity log and finds the profiles.
func TestDurableIdentities(t *testing.T) {
	path := filepath.Join(t.TempDir(), "identity.log")
	clock := clientele.FixedClock(time.Date(2025, 3, 3, 0, 0, 0, 0, time.UTC))
	var first uint32
	for round := range 2 {
		fs, err := identity.OpenFileStore(path, nil)
		if err != nil {
			t.Fatal(err)
		}
		s := memoryServer(t, clock, identity.WithStore(fs))
		base, stop := start(t, s)
		if round == 0 {
			call(t, "POST", base+"/v1/events", calls, http.StatusOK, nil)
		}
		var found struct{ Profile uint32 }
		call(t, "GET", base+"/v1/lookup?kind=user_id&value=u-2", "", http.StatusOK, &found)
		if round == 0 {
			first = found.Profile
		} else if found.Profile != first {
			t.Errorf("after a restart u-2 is profile %d, was %d", found.Profile, first)
		}
		if err := stop(); err != nil {
			t.Fatal(err)
		}
		if err := fs.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

// TestJSONEverywhere: unknown paths and wrong methods answer in the server's one JSON
// error shape, as every other error does.
func TestJSONEverywhere(t *testing.T) {
	s := memoryServer(t, clientele.FixedClock(time.Date(2025, 3, 3, 0, 0, 0, 0, time.UTC)))
	base, stop := start(t, s)
	defer stop()
	for _, c := range []struct {
		method, path string
		status       int
		allow        string
	}{
		{"GET", "/nowhere", http.StatusNotFound, ""},
		{"GET", "/v1/events", http.StatusMethodNotAllowed, "POST"},
		{"POST", "/v1/segments/x", http.StatusMethodNotAllowed, "DELETE, GET, HEAD, PUT"},
		{"DELETE", "/v1/segments/x", http.StatusNotFound, ""},
		{"GET", "/v1/profiles/x", http.StatusBadRequest, ""},
		{"GET", "/v1/funnel?steps=a&window=3x", http.StatusBadRequest, ""},
	} {
		if c.status == http.StatusMethodNotAllowed && errorCode(c.status) != "method_not_allowed" {
			t.Fatalf("errorCode(405) = %q", errorCode(c.status))
		}
		req, _ := http.NewRequest(c.method, base+c.path, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var e errorBody
		err = json.NewDecoder(resp.Body).Decode(&e)
		resp.Body.Close()
		if err != nil || resp.StatusCode != c.status || e.Code != errorCode(c.status) || e.Error == "" ||
			resp.Header.Get("Content-Type") != "application/json" {
			t.Errorf("%s %s: status %d, body %+v (%v), want %d in the JSON error shape", c.method, c.path, resp.StatusCode, e, err, c.status)
		}
		if got := resp.Header.Get("Allow"); got != c.allow {
			t.Errorf("%s %s: Allow %q, want %q", c.method, c.path, got, c.allow)
		}
	}
	var fun struct{ Steps []struct{ Name string } }
	call(t, "GET", base+"/v1/funnel?steps=a,b&window=7d", "", http.StatusOK, &fun)
}

// TestToken: with a token, every path but the health check needs it, and a missing
// profile answers exactly as an existing one does, so ids cannot be walked.
func TestToken(t *testing.T) {
	s := memoryServer(t, clientele.FixedClock(time.Date(2025, 3, 3, 0, 0, 0, 0, time.UTC)))
	s.token = "s3cret"
	base, stop := start(t, s)
	defer stop()
	do := func(path, auth string) (int, string) {
		req, _ := http.NewRequest("GET", base+path, nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, _ := do("/healthz", ""); code != http.StatusOK {
		t.Errorf("healthz without a token: %d", code)
	}
	_, one := do("/v1/profiles/1", "")
	_, many := do("/v1/profiles/999999", "Bearer wrong")
	if code, _ := do("/v1/profiles/1", ""); code != http.StatusUnauthorized || one != many {
		t.Errorf("without the token: %d %q vs %q, want the same 401 for every id", code, one, many)
	}
	if code, _ := do("/nowhere", ""); code != http.StatusUnauthorized {
		t.Errorf("an unknown path without the token: %d, want 401 (no route discovery)", code)
	}
	// The scheme's name is case-insensitive (RFC 9110, 11.1): "bearer" was a 401.
	for _, auth := range []string{"Bearer s3cret", "bearer s3cret", "BEARER s3cret"} {
		if code, body := do("/v1/profiles/999999", auth); code != http.StatusNotFound {
			t.Errorf("with the token as %q: %d %s, want 404", auth, code, body)
		}
	}
	for _, auth := range []string{"Bearer  s3cret", "Basic s3cret", "Bearers3cret", "s3cret"} {
		if code, _ := do("/v1/profiles/999999", auth); code != http.StatusUnauthorized {
			t.Errorf("Authorization %q: %d, want 401", auth, code)
		}
	}
}

func TestCheckListen(t *testing.T) {
	for _, c := range []struct {
		addr, token string
		ok          bool
	}{
		{"localhost:8080", "", true},
		{"127.0.0.1:0", "", true},
		{"[::1]:80", "", true},
		{":8080", "", false},
		{"0.0.0.0:8080", "", false},
		{"10.1.2.3:8080", "", false},
		{"0.0.0.0:8080", "t", true},
		{"nonsense", "", false},
	} {
		if err := checkListen(c.addr, c.token); (err == nil) != c.ok {
			t.Errorf("checkListen(%q, %q) = %v, want ok=%v", c.addr, c.token, err, c.ok)
		}
	}
}

// A query over budget gets 422 and the reason, for a segment's members and for a
// profile (which evaluates every saved segment under one budget), and the server stays
// responsive.
func TestOverBudget(t *testing.T) {
	now := time.Date(2025, 3, 3, 0, 0, 0, 0, time.UTC)
	s := memoryServer(t, clientele.FixedClock(now))
	base, stop := start(t, s)
	defer stop()
	call(t, "POST", base+"/v1/events", calls, http.StatusOK, nil)
	terms := make([]string, 1500)
	for i := range terms {
		terms[i] = fmt.Sprintf("did(page, %dd)", 1+i)
	}
	call(t, "PUT", base+"/v1/segments/huge", strings.Join(terms, " OR "), http.StatusOK, nil)
	var bad map[string]string
	call(t, "GET", base+"/v1/segments/huge", "", http.StatusUnprocessableEntity, &bad)
	if !strings.Contains(bad["error"], "over budget") || !strings.Contains(bad["error"], "terms") {
		t.Errorf("error %q does not say what ran out", bad["error"])
	}
	var p struct{ Profile uint32 }
	call(t, "GET", base+"/v1/lookup?kind=user_id&value=u-1", "", http.StatusOK, &p)
	call(t, "GET", fmt.Sprintf("%s/v1/profiles/%d", base, p.Profile), "", http.StatusUnprocessableEntity, &bad)
	call(t, "PUT", base+"/v1/segments/small", `did(page)`, http.StatusOK, nil)
	call(t, "GET", base+"/v1/segments/small", "", http.StatusOK, nil)
}

// faultySegments is a segment store that fails, while the matching flag is set, every
// Put, a Put of the index's snapshot (definitions are kept), or every Delete. While
// hold is set, a Put of the snapshot calls it with the bytes before anything else: a
// test's hook to hold the write.
type faultySegments struct {
	segment.Store
	puts, snapshots, deletes atomic.Bool
	hold                     atomic.Pointer[func(data []byte)]
}

// wrap makes f the storage's segment store, over the one it had: storageServer's
// prepare.
func (f *faultySegments) wrap(st *storage) { f.Store, st.segments = st.segments, f }

func (f *faultySegments) Put(name string, data []byte) error {
	if hold := f.hold.Load(); hold != nil && name == snapshotName {
		(*hold)(data)
	}
	if f.puts.Load() || (name == snapshotName && f.snapshots.Load()) {
		return errors.New("disk full")
	}
	return f.Store.Put(name, data)
}

func (f *faultySegments) Delete(name string) error {
	if f.deletes.Load() {
		return errors.New("disk gone")
	}
	return f.Store.Delete(name)
}

// TestRefusedSegmentChangesNothing: a PUT of a segment the server cannot keep changes
// nothing. A name the store cannot hold (a space, a letter beyond ASCII, too long) is
// 400 before anything changes; a store that fails undoes the save, restoring the
// earlier definition. Both used to answer an error yet leave the segment live in the
// index until a restart (a snapshot taken meanwhile even kept it half).
func TestRefusedSegmentChangesNothing(t *testing.T) {
	now := time.Date(2025, 3, 3, 0, 0, 0, 0, time.UTC)
	store := &faultySegments{}
	s, _ := storageServer(t, "file:"+filepath.Join(t.TempDir(), "data"), "", clientele.FixedClock(now), store.wrap)
	base, stop := start(t, s)
	defer stop()
	call(t, "POST", base+"/v1/events", `{"type":"page","anonymousId":"a-1","timestamp":"2025-03-01T09:00:00Z"}`, http.StatusOK, nil)
	long := strings.Repeat("x", maxSegmentName+1)
	for _, name := range []string{"high%20value", "K%C3%A4ufer", "a%2Fb", long} {
		var e errorBody
		call(t, "PUT", base+"/v1/segments/"+name, `did(page)`, http.StatusBadRequest, &e)
		if !strings.Contains(e.Error, "segment name") {
			t.Errorf("PUT %s: %q does not say the name is the problem", name, e.Error)
		}
		call(t, "GET", base+"/v1/segments/"+name, "", http.StatusNotFound, nil)
	}
	call(t, "PUT", base+"/v1/segments/"+long[1:], `did(page)`, http.StatusOK, nil)

	call(t, "PUT", base+"/v1/segments/kept", `did(page)`, http.StatusOK, nil)
	store.puts.Store(true)
	call(t, "PUT", base+"/v1/segments/lost", `did(page)`, http.StatusServiceUnavailable, nil)
	call(t, "GET", base+"/v1/segments/lost", "", http.StatusNotFound, nil)
	call(t, "PUT", base+"/v1/segments/kept", `NOT did(page)`, http.StatusServiceUnavailable, nil)
	var seg struct{ Query string }
	call(t, "GET", base+"/v1/segments/kept", "", http.StatusOK, &seg)
	if seg.Query != "did(page)" {
		t.Errorf("after a refused redefinition, kept is %q, want did(page)", seg.Query)
	}
	var changes map[string]any
	call(t, "GET", base+"/v1/changes", "", http.StatusOK, &changes)
	if _, ok := changes["lost"]; ok {
		t.Errorf("a refused segment reports changes: %v", changes)
	}
}

// TestSegmentSavedWhenSnapshotFails: a PUT whose definition is kept but whose snapshot
// after it fails is saved, and says so (200); a restart reads the definition back, a
// redefinition included. It used to answer 503, and a restart then kept the definition
// the older snapshot held, as a crash between the definition and the snapshot did.
func TestSegmentSavedWhenSnapshotFails(t *testing.T) {
	now := time.Date(2025, 3, 3, 0, 0, 0, 0, time.UTC)
	store := &faultySegments{}
	s, st := storageServer(t, "mem:", "", clientele.FixedClock(now), store.wrap)
	base, stop := start(t, s)
	call(t, "POST", base+"/v1/events", `{"type":"page","anonymousId":"a-1","timestamp":"2025-03-01T09:00:00Z"}`, http.StatusOK, nil)
	call(t, "PUT", base+"/v1/segments/kept", `did(page)`, http.StatusOK, nil)
	store.snapshots.Store(true)
	call(t, "PUT", base+"/v1/segments/kept", `NOT did(page)`, http.StatusOK, nil)
	call(t, "PUT", base+"/v1/segments/fresh", `did(page)`, http.StatusOK, nil)
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	s, err := newServerOn(t.Context(), clientele.FixedClock(now), st)
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{"kept": "NOT did(page)", "fresh": "did(page)"} {
		if q, ok := s.seg.Definition(name); !ok || q.String() != want {
			t.Errorf("after a restart, %s is %v (saved: %v), want %s", name, q, ok, want)
		}
	}
}

// TestDeleteSegment: DELETE removes a saved segment, kept before the reply (a restart
// does not bring it back, though the snapshot it restarts from may be older); one that
// another references is 409, an unknown one 404, and one the storage fails to delete
// stays saved.
func TestDeleteSegment(t *testing.T) {
	now := time.Date(2025, 3, 3, 0, 0, 0, 0, time.UTC)
	dir := "file:" + filepath.Join(t.TempDir(), "data")
	store := &faultySegments{}
	s, st := storageServer(t, dir, "", clientele.FixedClock(now), store.wrap)
	base, stop := start(t, s)
	call(t, "POST", base+"/v1/events", `{"type":"page","anonymousId":"a-1","timestamp":"2025-03-01T09:00:00Z"}`, http.StatusOK, nil)
	for _, nd := range [][2]string{{"a", `did(page)`}, {"b", `segment:a`}, {"c", `NOT did(page)`}} {
		call(t, "PUT", base+"/v1/segments/"+nd[0], nd[1], http.StatusOK, nil)
	}
	call(t, "DELETE", base+"/v1/segments/a", "", http.StatusConflict, nil)
	call(t, "DELETE", base+"/v1/segments/nothing", "", http.StatusNotFound, nil)
	store.deletes.Store(true)
	call(t, "DELETE", base+"/v1/segments/c", "", http.StatusServiceUnavailable, nil)
	call(t, "GET", base+"/v1/segments/c", "", http.StatusOK, nil)
	store.deletes.Store(false)
	// The snapshot before the deletes, put back after them: a crash between a delete
	// and the snapshot after it. The restart must not bring the segments back.
	old, err := st.segments.Get(snapshotName)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"b", "c"} {
		call(t, "DELETE", base+"/v1/segments/"+name, "", http.StatusOK, nil)
		call(t, "GET", base+"/v1/segments/"+name, "", http.StatusNotFound, nil)
	}
	call(t, "DELETE", base+"/v1/segments/a", "", http.StatusOK, nil)
	call(t, "PUT", base+"/v1/segments/a", `did(page)`, http.StatusOK, nil)
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if err := st.segments.Put(snapshotName, old); err != nil {
		t.Fatal(err)
	}
	st.close()
	s, _ = storageServer(t, dir, "", clientele.FixedClock(now), nil)
	if got := s.seg.Segments(); !slices.Equal(got, []string{"a"}) {
		t.Fatalf("after a restart from the snapshot before the deletes: %v, want [a]", got)
	}
}

// TestRefusedDeleteKeepsMembers: a DELETE refused, by the storage (503) or because
// another segment references the one named (409), leaves the segment as it was,
// members included, so the next changes report nothing. A storage refusal used to save
// the segment back without its members, and the next changes reported them all
// entering again.
func TestRefusedDeleteKeepsMembers(t *testing.T) {
	now := time.Date(2025, 3, 3, 0, 0, 0, 0, time.UTC)
	store := &faultySegments{}
	s, _ := storageServer(t, "file:"+filepath.Join(t.TempDir(), "data"), "", clientele.FixedClock(now), store.wrap)
	base, stop := start(t, s)
	defer stop()
	var linked struct{ Profiles []uint32 }
	call(t, "POST", base+"/v1/events", `{"type":"page","anonymousId":"a-1","timestamp":"2025-03-01T09:00:00Z"}`, http.StatusOK, &linked)
	call(t, "PUT", base+"/v1/segments/visitors", `did(page)`, http.StatusOK, nil)
	call(t, "PUT", base+"/v1/segments/ref", `segment:visitors`, http.StatusOK, nil)
	call(t, "PUT", base+"/v1/segments/alone", `did(page)`, http.StatusOK, nil)
	var changes map[string]change
	call(t, "GET", base+"/v1/changes", "", http.StatusOK, &changes)
	if got := fmt.Sprint(changes["alone"]); got != fmt.Sprint(change{Entered: linked.Profiles}) {
		t.Fatalf("first changes of alone: %s", got)
	}
	call(t, "DELETE", base+"/v1/segments/visitors", "", http.StatusConflict, nil)
	store.deletes.Store(true)
	call(t, "DELETE", base+"/v1/segments/alone", "", http.StatusServiceUnavailable, nil)
	changes = nil // Unmarshal into a map keeps the keys it held
	call(t, "GET", base+"/v1/changes", "", http.StatusOK, &changes)
	if len(changes) != 0 {
		t.Fatalf("changes after refused deletes: %v, want none", changes)
	}
}

// TestRestartLoadsDefinitionOfLateEvent: a segment saved while its snapshot failed, whose
// definition names an event the last snapshot does not hold, is back after a restart
// (the definitions are applied after the events that follow the snapshot).
func TestRestartLoadsDefinitionOfLateEvent(t *testing.T) {
	now := time.Date(2025, 3, 3, 0, 0, 0, 0, time.UTC)
	dir := "file:" + filepath.Join(t.TempDir(), "data")
	store := &faultySegments{}
	s, st := storageServer(t, dir, "", clientele.FixedClock(now), store.wrap)
	base, stop := start(t, s)
	call(t, "POST", base+"/v1/events", `{"type":"page","anonymousId":"a-1","timestamp":"2025-03-01T09:00:00Z"}`, http.StatusOK, nil)
	call(t, "PUT", base+"/v1/segments/early", `did(page)`, http.StatusOK, nil)
	store.snapshots.Store(true)
	call(t, "POST", base+"/v1/events", `{"type":"track","event":"late","anonymousId":"a-1","timestamp":"2025-03-02T09:00:00Z"}`, http.StatusOK, nil)
	call(t, "PUT", base+"/v1/segments/late", `did(late)`, http.StatusOK, nil)
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	st.close()
	s, _ = storageServer(t, dir, "", clientele.FixedClock(now), nil)
	if got := s.seg.Segments(); !slices.Equal(got, []string{"early", "late"}) {
		t.Fatalf("after a restart: %v, want [early late]", got)
	}
}

// TestEventsFileAsIngestReadsIt: POST /v1/events takes the JSON lines the ingest example
// reads, its spec.jsonl included: a byte order mark before line 1 and a line holding a
// batch envelope. Line 1 was refused as "invalid character 'ï'" and the envelope as "a
// batch envelope where one call was expected (read it with Calls)".
func TestEventsFileAsIngestReadsIt(t *testing.T) {
	s := memoryServer(t, clientele.FixedClock(time.Date(2025, 3, 3, 0, 0, 0, 0, time.UTC)))
	base, stop := start(t, s)
	defer stop()
	body := "\ufeff" + `{"type":"page","anonymousId":"a-1","timestamp":"2025-03-01T09:00:00Z"}` + "\r\n" +
		`{"batch":[{"type":"track","userId":"u-1","event":"Order Completed","timestamp":"2025-03-01T10:00:00Z"},` +
		`{"type":"track","userId":"u-2","timestamp":"2025-03-01T10:00:00Z"},` +
		`{"type":"page","anonymousId":"a-2"}],"sentAt":"2025-03-01T11:00:00Z"}` + "\r\n"
	var posted struct {
		Accepted int
		Rejected []struct {
			Line  int
			Error string
		}
	}
	call(t, "POST", base+"/v1/events", body, http.StatusOK, &posted)
	if posted.Accepted != 3 || len(posted.Rejected) != 1 || posted.Rejected[0].Line != 2 ||
		!strings.Contains(posted.Rejected[0].Error, `call 2 of the batch`) {
		t.Errorf("posted %+v, want 3 accepted and call 2 of line 2's batch rejected", posted)
	}
	// Files each with a byte order mark, joined with cat: the second file's first
	// line was refused as "invalid character 'ï'".
	joined := "\ufeff" + `{"type":"page","anonymousId":"a-3","timestamp":"2025-03-01T09:00:00Z"}` + "\r\n" +
		"\ufeff" + `{"type":"page","anonymousId":"a-4","timestamp":"2025-03-01T09:00:00Z"}` + "\r\n"
	call(t, "POST", base+"/v1/events", joined, http.StatusOK, &posted)
	if posted.Accepted != 2 || len(posted.Rejected) != 0 {
		t.Errorf("files joined with cat: posted %+v, want 2 accepted", posted)
	}
	data, err := os.ReadFile("../ingest/testdata/spec.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	call(t, "POST", base+"/v1/events", string(data), http.StatusOK, &posted)
	if len(posted.Rejected) != 0 {
		t.Errorf("ingest's spec.jsonl: rejected %+v", posted.Rejected)
	}
}

// TestQueryMistakes: a lookup without kind or value, or of a value no profile can hold
// (malformed, or blocked junk), and a funnel with an empty or misspelt step or a zero
// window are 400s naming the mistake. They were 404s ("no profile holds") and, for the
// funnel, an answer for other steps than asked: "steps=page,,page" dropped the empty
// one and ran page,page; "steps=pag" answered 0 profiles.
func TestQueryMistakes(t *testing.T) {
	s := memoryServer(t, clientele.FixedClock(time.Date(2025, 3, 3, 0, 0, 0, 0, time.UTC)))
	base, stop := start(t, s)
	defer stop()
	call(t, "POST", base+"/v1/events", `{"type":"page","userId":"u-1","timestamp":"2025-03-01T10:00:00Z"}`, http.StatusOK, nil)
	for _, c := range []struct{ path, want string }{
		{"/v1/lookup?kind=email", "lookup needs kind and value"},
		{"/v1/lookup?value=u-1", "lookup needs kind and value"},
		{"/v1/lookup?kind=email&value=null", `email "null" is never held`},
		{"/v1/lookup?kind=email&value=not-an-address", `email "not-an-address" is never held`},
		// A kind no call carries was 404, "no profile holds Email", as if the person
		// were unknown.
		{"/v1/lookup?kind=Email&value=ann@example.com", `kind "Email": the server holds identifiers of the kinds user_id, anonymous_id, email, phone, device_id`},
		{"/v1/lookup?kind=userId&value=u-1", `kind "userId"`},
		{"/v1/funnel?steps=page,,page&window=1d", `steps "page,,page": step 2 is empty`},
		{"/v1/funnel?steps=page,&window=1d", `steps "page,": step 2 is empty`},
		{"/v1/funnel?window=1d", `steps "": step 1 is empty`},
		// A misspelt step answered 200 with 0 profiles from it on, a funnel nobody
		// went down; window=0d answered as if no window were given.
		{"/v1/funnel?steps=pag&window=1d", `steps: step 1 "pag": no call has brought that event (did you mean page?); if it is another event, declare it with -events`},
		{"/v1/funnel?steps=page,Page&window=1d", `step 2 "Page": no call has brought that event (did you mean page?)`},
		{"/v1/funnel?steps=page&window=0d", `window "0d": want a positive duration`},
	} {
		var e errorBody
		call(t, "GET", base+c.path, "", http.StatusBadRequest, &e)
		if !strings.Contains(e.Error, c.want) {
			t.Errorf("GET %s: %q, want it to say %q", c.path, e.Error, c.want)
		}
	}
	// A segment naming an event no call has brought yet says so; one within two edits
	// of a known event keeps segment's suggestion.
	for body, want := range map[string]string{
		`did("Order Completed")`: `unknown event "Order Completed" (no call has brought that event to this server yet: a segment can name only events it has seen or -events declares, so declare it with -events or save it once one has arrived)`,
		`did(pag)`:               `unknown event "pag" (did you mean page?)`,
	} {
		var e errorBody
		call(t, "PUT", base+"/v1/segments/early", body, http.StatusBadRequest, &e)
		if !strings.HasSuffix(e.Error, want) {
			t.Errorf("PUT %s: %q, want it to end %q", body, e.Error, want)
		}
	}
	// A well-formed value nobody sent is still 404, and one that was sent 200.
	call(t, "GET", base+"/v1/lookup?kind=email&value=bob@example.com", "", http.StatusNotFound, nil)
	call(t, "GET", base+"/v1/lookup?kind=user_id&value=u-1", "", http.StatusOK, nil)
	call(t, "GET", base+"/v1/funnel?steps=page&window=1d", "", http.StatusOK, nil)
	// A step nobody took yet, like no other event, is a step with 0 profiles.
	var fun struct{ Steps []struct{ Profiles int64 } }
	call(t, "GET", base+"/v1/funnel?steps=page,Order%20Completed&window=1d", "", http.StatusOK, &fun)
	if len(fun.Steps) != 2 || fun.Steps[1].Profiles != 0 {
		t.Errorf("steps=page,Order Completed: %+v, want 0 profiles at step 2", fun)
	}
	// Another event near a known one is taken once declared, as -events does.
	call(t, "GET", base+"/v1/funnel?steps=page,pages&window=1d", "", http.StatusBadRequest, nil)
	if err := s.seg.DeclareEvents("pages"); err != nil {
		t.Fatal(err)
	}
	call(t, "GET", base+"/v1/funnel?steps=page,pages&window=1d", "", http.StatusOK, nil)
}

// TestFunnelMode: mode= takes funnel's modes by their ClickHouse names; with
// strict_once one page view is not both steps of page → page, as by default it is.
func TestFunnelMode(t *testing.T) {
	s := memoryServer(t, clientele.FixedClock(time.Date(2025, 3, 3, 0, 0, 0, 0, time.UTC)))
	base, stop := start(t, s)
	defer stop()
	call(t, "POST", base+"/v1/events", `{"type":"page","userId":"u-1","timestamp":"2025-03-01T10:00:00Z"}`, http.StatusOK, nil)
	for mode, want := range map[string]int64{"": 1, "default": 1, "strict_once": 0, "strict_order,strict_once": 0} {
		var fun struct{ Steps []struct{ Profiles int64 } }
		call(t, "GET", base+"/v1/funnel?steps=page,page&window=1d&mode="+mode, "", http.StatusOK, &fun)
		if len(fun.Steps) != 2 || fun.Steps[1].Profiles != want {
			t.Errorf("mode=%s: %+v, want %d profiles at step 2", mode, fun, want)
		}
	}
	var e errorBody
	call(t, "GET", base+"/v1/funnel?steps=page,page&mode=strict", "", http.StatusBadRequest, &e)
	if !strings.Contains(e.Error, `mode "strict"`) {
		t.Errorf("mode=strict: %q, want it named", e.Error)
	}
	call(t, "GET", base+"/v1/funnel?steps=page,page&mode=any_order,strict_once", "", http.StatusBadRequest, nil)
}

// TestFunnelFirstStepHasNoRate: the first step of /v1/funnel's answer has its profiles
// and no rates, the later steps their conversions with 95% Wilson bounds. The first
// step came with from_previous and from_first of 1 and a Wilson interval of n of n
// (0.34 to 1 for two profiles): doubt about a figure that is 1 by definition.
func TestFunnelFirstStepHasNoRate(t *testing.T) {
	s := memoryServer(t, clientele.FixedClock(time.Date(2025, 3, 3, 0, 0, 0, 0, time.UTC)))
	base, stop := start(t, s)
	defer stop()
	call(t, "POST", base+"/v1/events", `{"type":"page","userId":"u-1","timestamp":"2025-03-01T09:00:00Z"}
{"type":"track","event":"Order Completed","userId":"u-1","timestamp":"2025-03-01T10:00:00Z"}
{"type":"page","userId":"u-2","timestamp":"2025-03-01T09:00:00Z"}`, http.StatusOK, nil)
	type rate struct{ Estimate, Lo, Hi float64 }
	var fun struct {
		Steps []struct {
			Profiles     int64
			FromPrevious *rate `json:"from_previous"`
			FromFirst    *rate `json:"from_first"`
		}
	}
	var raw struct{ Steps []map[string]json.RawMessage }
	for _, out := range []any{&fun, &raw} {
		call(t, "GET", base+"/v1/funnel?steps=page,Order%20Completed", "", http.StatusOK, out)
	}
	if len(fun.Steps) != 2 {
		t.Fatalf("steps: %+v, want 2", fun.Steps)
	}
	for _, field := range []string{"from_previous", "from_first"} {
		if v, ok := raw.Steps[0][field]; ok {
			t.Errorf("step 1 has %s %s, want none", field, v)
		}
	}
	for _, r := range []*rate{fun.Steps[1].FromPrevious, fun.Steps[1].FromFirst} {
		if r == nil || r.Estimate != 0.5 || !(r.Lo > 0 && r.Lo < 0.5 && r.Hi > 0.5 && r.Hi < 1) {
			t.Errorf("step 2's rate %+v, want 0.5 within bounds either side", r)
		}
	}
	if fun.Steps[0].Profiles != 2 || fun.Steps[1].Profiles != 1 {
		t.Errorf("profiles %+v, want 2 then 1", fun.Steps)
	}
}

// TestQueryParsedWhole: a query the server cannot read whole is 400, naming what is
// wrong. Each handler read URL.Query, which drops a parameter it cannot parse and keeps
// the first of a repeated one: "steps=page&steps=Order Completed" answered the funnel
// of page alone, "limit=1%" listed 100 members, "steps=page;signup" answered that
// step 1 is empty.
func TestQueryParsedWhole(t *testing.T) {
	s := memoryServer(t, clientele.FixedClock(time.Date(2025, 3, 3, 0, 0, 0, 0, time.UTC)))
	s.writeKeys = map[string]string{"wk-web": "web"}
	base, stop := start(t, s)
	defer stop()
	call(t, "POST", base+"/v1/events", `{"type":"page","userId":"u-1","timestamp":"2025-03-01T09:00:00Z"}
{"type":"track","event":"Order Completed","userId":"u-1","timestamp":"2025-03-01T10:00:00Z"}`, http.StatusOK, nil)
	call(t, "PUT", base+"/v1/segments/buyers", `did("Order Completed")`, http.StatusOK, nil)
	for _, c := range []struct{ path, want string }{
		{"/v1/funnel?steps=page&steps=Order%20Completed", `query parameter "steps" is given 2 times; give it once, its events separated by commas`},
		{"/v1/funnel?steps=page&window=1d&window=7d", `query parameter "window" is given 2 times; give it once`},
		{"/v1/funnel?steps=page;Order%20Completed", `query "steps=page;Order%20Completed": invalid semicolon separator in query`},
		{"/v1/segments/buyers?limit=1%", `query "limit=1%": invalid URL escape "%"`},
		{"/v1/lookup?kind=user_id&value=u-1&value=u-2", `query parameter "value" is given 2 times`},
	} {
		var e errorBody
		call(t, "GET", base+c.path, "", http.StatusBadRequest, &e)
		if !strings.Contains(e.Error, c.want) {
			t.Errorf("%s: %q, want %q in it", c.path, e.Error, c.want)
		}
	}
	var fun struct{ Steps []struct{ Name string } }
	call(t, "GET", base+"/v1/funnel?steps=page,Order%20Completed&window=7d", "", http.StatusOK, &fun)
	if len(fun.Steps) != 2 {
		t.Errorf("a query read whole: %+v, want 2 steps", fun)
	}
	// The tracking API reads no query: a call is not refused (and dropped by its
	// library) for one.
	req, err := http.NewRequest("POST", base+"/v1/track?a=1&a=2;", strings.NewReader(`{"userId":"u-3","event":"signup"}`))
	if err != nil {
		t.Fatal(err)
	}
	req.SetBasicAuth("wk-web", "")
	var got trackingReply
	do(t, req, http.StatusOK, &got)
	if got.Accepted != 1 {
		t.Errorf("a tracking call with a query: %+v, want it accepted", got)
	}
}

// TestRepliesReadAsWritten: a reply's JSON writes '<', '>' and '&' as they are, so that
// an error read with curl says what it means. It escaped them for HTML: a cycle of
// segments read "s1 -\u003e s2 -\u003e s1".
func TestRepliesReadAsWritten(t *testing.T) {
	s := memoryServer(t, clientele.FixedClock(time.Date(2025, 3, 3, 0, 0, 0, 0, time.UTC)))
	base, stop := start(t, s)
	defer stop()
	call(t, "POST", base+"/v1/events", `{"type":"track","event":"signup","userId":"u-1","timestamp":"2025-03-01T09:00:00Z"}`, http.StatusOK, nil)
	call(t, "PUT", base+"/v1/segments/s1", `did(signup)`, http.StatusOK, nil)
	call(t, "PUT", base+"/v1/segments/s2", `segment:s1`, http.StatusOK, nil)
	req, err := http.NewRequest("PUT", base+"/v1/segments/s1", strings.NewReader(`segment:s2 AND did(signup)`))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(data), "s1 -> s2 -> s1") {
		t.Errorf("a cycle of segments: %d %s, want 400 naming s1 -> s2 -> s1", resp.StatusCode, data)
	}
}

// TestStoreForLog: the log names the storage without its password. It cut -store at
// its first '@', which printed a password given as pgx's password parameter whole.
func TestStoreForLog(t *testing.T) {
	for store, want := range map[string]string{
		"postgres://postgres@127.0.0.1:5432/test?sslmode=disable":  "postgres://postgres@127.0.0.1:5432/test?sslmode=disable",
		"postgres://ann:s3cret@db.example.com/app":                 "postgres://ann:xxxxx@db.example.com/app",
		"postgresql://db.example.com/app?password=s3cret&user=ann": "postgresql://db.example.com/app?password=xxxxx&user=ann",
		"file:/var/lib/clientele@2":                                "file:/var/lib/clientele@2",
		"mem:":                                                     "mem:",
	} {
		got := storeForLog(store)
		if got != want {
			t.Errorf("storeForLog(%q) = %q, want %q", store, got, want)
		}
		if strings.Contains(got, "s3cret") {
			t.Errorf("storeForLog(%q) = %q shows the password", store, got)
		}
	}
}
