package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/clientele-go/clientele"
	"github.com/clientele-go/clientele/identity"
)

// post sends body to path with the write key as basic auth and decodes the reply.
func post(t *testing.T, base, path, key, body string, gz bool) (int, map[string]any) {
	t.Helper()
	var b bytes.Buffer
	if gz {
		zw := gzip.NewWriter(&b)
		zw.Write([]byte(body))
		zw.Close()
	} else {
		b.WriteString(body)
	}
	req, _ := http.NewRequest("POST", base+path, &b)
	req.Header.Set("Content-Type", "application/json")
	if gz {
		req.Header.Set("Content-Encoding", "gzip")
	}
	if key != "" {
		req.SetBasicAuth(key, "")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	data, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(data, &out); err != nil {
		t.Fatalf("POST %s: reply %q is not JSON", path, data)
	}
	return resp.StatusCode, out
}

func newTrackingServer(t *testing.T, clock clientele.Clock) (*server, string, func() error) {
	s := memoryServer(t, clock)
	s.writeKeys = map[string]string{"wk-web": "web"}
	s.token = "admin" // the tracking API must not need it
	base, stop := start(t, s)
	return s, base, stop
}

// postBatch sends body to /v1/batch with the write key of newTrackingServer, wants
// status and decodes the reply into out.
func postBatch(t *testing.T, base, body string, status int, out any) {
	t.Helper()
	req, err := http.NewRequest("POST", base+"/v1/batch", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.SetBasicAuth("wk-web", "")
	do(t, req, status, out)
}

func TestTrackingAPI(t *testing.T) {
	s, base, stop := newTrackingServer(t, clientele.FixedClock(time.Date(2025, 3, 10, 0, 0, 0, 0, time.UTC)))
	defer stop()
	batch := `{"batch":[
		{"type":"page","anonymousId":"a1","messageId":"m1","timestamp":"2025-03-01T10:00:00Z"},
		{"type":"identify","userId":"u1","anonymousId":"a1","traits":{"email":"ann@example.com"},"messageId":"m2","timestamp":"2025-03-02T10:00:00Z"},
		{"type":"track","event":"Order Completed","userId":"u1","messageId":"m3"},
		{"type":"track","userId":"u1","messageId":"m4"}
	],"sentAt":"2025-03-03T10:00:00Z"}`
	code, out := post(t, base, "/v1/batch", "wk-web", batch, true)
	if code != 200 || out["success"] != true || out["accepted"] != 3.0 || len(out["rejected"].([]any)) != 1 {
		t.Fatalf("batch: %d %v", code, out)
	}
	// A retried batch is applied once: every call is a duplicate (the bad one is
	// rejected again, as it was never applied).
	if code, out = post(t, base, "/v1/batch", "wk-web", batch, false); code != 200 || out["accepted"] != 0.0 || out["duplicates"] != 3.0 {
		t.Fatalf("retry: %d %v", code, out)
	}
	n := len(s.events)
	if n != 2 {
		t.Errorf("%d events recorded, want 2 (page and order, once each)", n)
	}
	// Every single-call endpoint; the path gives the type.
	for _, c := range []struct{ path, body string }{
		{"/v1/identify", `{"userId":"u2","traits":{"email":"bob@example.com"},"timestamp":"2025-03-04T10:00:00Z"}`},
		{"/v1/track", `{"userId":"u2","event":"Order Completed","timestamp":"2025-03-04T11:00:00Z"}`},
		{"/v1/page", `{"anonymousId":"a9","name":"Home"}`},
		{"/v1/screen", `{"userId":"u2","name":"Cart"}`},
		{"/v1/group", `{"userId":"u2","groupId":"acme","traits":{"email":"x@acme.example"}}`},
		{"/v1/alias", `{"previousId":"a9","userId":"u2"}`},
	} {
		if code, out := post(t, base, c.path, "wk-web", c.body, false); code != 200 || out["accepted"] != 1.0 {
			t.Errorf("%s: %d %v", c.path, code, out)
		}
	}
	if p, ok := s.ids.Lookup(idOf("anonymous_id", "a9")); !ok || p != s.ids.Current(mustLookup(t, s, "user_id", "u2")) {
		t.Errorf("alias did not join a9 to u2")
	}
	for _, c := range []struct {
		path, key, body string
		code            int
		want            string
	}{
		{"/v1/track", "", `{"userId":"u","event":"e"}`, 401, "unknown write key"},
		{"/v1/track", "wk-other", `{"userId":"u","event":"e"}`, 401, "unknown write key"},
		{"/v1/track", "wk-web", `{"userId":"u","event":"e","timestamp":"` + strings.Repeat("x", maxCall) + `"}`, 400, "over 32 KB"},
		{"/v1/batch", "wk-web", `{"batch":[` + strings.Repeat(`{"type":"page","userId":"u"},`, maxBatch/28) + `{}]}`, 400, "over 500 KB"},
		{"/v1/batch", "wk-web", `{"batch":[{"type":"page","userId":"u","p":"` + strings.Repeat("x", maxCall) + `"}]}`, 400, "over the 32 KB limit of a call"},
		{"/v1/batch", "wk-web", `{"batch":`, 400, "batch"},
		// The envelope's type is named in JSON's terms, not as encoding/json's Go
		// struct ("cannot unmarshal array into Go value of type struct { Batch ...").
		{"/v1/batch", "wk-web", `[]`, 400, `a batch is {"batch": [call, ...]}: got a JSON array`},
		{"/v1/batch", "wk-web", `{"batch":"x"}`, 400, `a batch is {"batch": [call, ...]}: "batch" is a JSON string`},
		{"/v1/batch", "wk-web", `{"calls":[]}`, 400, `a batch is {"batch": [call, ...]}: no "batch"`},
		{"/v1/track", "wk-web", `nope`, 400, "not JSON"},
	} {
		code, out := post(t, base, c.path, c.key, c.body, false)
		if code != c.code || !strings.Contains(fmt.Sprint(out["error"]), c.want) {
			t.Errorf("%s with key %q: %d %v, want %d saying %q", c.path, c.key, code, out, c.code, c.want)
		}
	}
	// The write key in the body works too, as Segment allows.
	if code, out := post(t, base, "/v1/track", "", `{"writeKey":"wk-web","userId":"u3","event":"e"}`, false); code != 200 || out["accepted"] != 1.0 {
		t.Errorf("writeKey in the body: %d %v", code, out)
	}
	// A gzip bomb is cut at the limit.
	if code, out := post(t, base, "/v1/batch", "wk-web", `{"batch":[`+strings.Repeat(" ", 4*maxBatch)+`]}`, true); code != 400 {
		t.Errorf("gzip over the limit: %d %v", code, out)
	}
}

// claimed claims key and settles it at once as applied, reporting whether it was new.
func (d *dedup) claimed(key msgKey) bool {
	ok, _ := d.claim(key)
	if ok {
		d.settle(key, true)
	}
	return ok
}

func TestDedupRing(t *testing.T) {
	d := dedup{size: 1000}
	a, b := dedupKey("web", "a"), dedupKey("web", "b")
	if !d.claimed(a) || d.claimed(a) {
		t.Fatal("claim")
	}
	if ok, _ := d.claim(b); !ok {
		t.Fatal("claim b")
	}
	d.settle(b, false)
	if !d.claimed(b) {
		t.Fatal("a released key is new again")
	}
	for i := range d.size {
		d.claimed(dedupKey("web", fmt.Sprint(i)))
	}
	if len(d.seen) != d.size || len(d.ring) != d.size || len(d.pending) != 0 {
		t.Errorf("remembered %d keys in a ring of %d (%d pending), want %d", len(d.seen), len(d.ring), len(d.pending), d.size)
	}
	if !d.claimed(a) {
		t.Errorf("the oldest key was not forgotten")
	}
}

// TestSegmentNodeClient sends every call type through Segment's official Node client,
// @segment/analytics-node 3.1.0, to the server on loopback, then checks the profiles,
// an audience and a funnel built from them. .ci/run installs the client (npm ci in
// testdata/segment-node); plain go test skips without it, CI never does.
func TestSegmentNodeClient(t *testing.T) {
	dir, _ := filepath.Abs("testdata/segment-node")
	node, err := exec.LookPath("node")
	if _, statErr := os.Stat(filepath.Join(dir, "node_modules", "@segment", "analytics-node")); err != nil || statErr != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI needs node and %s/node_modules (npm ci): %v %v", dir, err, statErr)
		}
		t.Skip("no node or no node_modules: run npm ci in examples/server/testdata/segment-node")
	}
	// The client stamps an untimed call with its own clock, so the server's must be the
	// real one too, or that call would lie in the funnel's future.
	s, base, stop := newTrackingServer(t, clientele.SystemClock{})
	defer stop()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "send.mjs", base, "wk-web")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("node send.mjs: %v\n%s", err, out)
	}
	// Profiles: anon-7 identified as user-7 with an e-mail (not the group's); anon-8
	// aliased to user-8.
	zoe := mustLookup(t, s, "user_id", "user-7")
	var prof struct {
		Identifiers []struct{ Kind, Value string }
	}
	call(t, "GET", base+fmt.Sprintf("/v1/profiles/%d", zoe), "", http.StatusUnauthorized, nil)
	authCall(t, "GET", base+fmt.Sprintf("/v1/profiles/%d", zoe), "", http.StatusOK, &prof)
	slices.SortFunc(prof.Identifiers, func(a, b struct{ Kind, Value string }) int { return strings.Compare(a.Kind, b.Kind) })
	if got := fmt.Sprint(prof.Identifiers); got != "[{anonymous_id anon-7} {email zoe@example.com} {user_id user-7}]" {
		t.Errorf("user-7's identifiers %s", got)
	}
	if s.ids.Current(mustLookup(t, s, "anonymous_id", "anon-8")) != s.ids.Current(mustLookup(t, s, "user_id", "user-8")) {
		t.Errorf("alias did not join anon-8 to user-8")
	}
	// Segments and funnel over the calls: screen, page, track all recorded.
	authCall(t, "PUT", base+"/v1/segments/screeners", `did(screen) AND did("Order Completed")`, http.StatusOK, nil)
	var seg struct {
		Size    uint64
		Members []uint32
	}
	authCall(t, "GET", base+"/v1/segments/screeners", "", http.StatusOK, &seg)
	if seg.Size != 1 || seg.Members[0] != s.ids.Current(zoe) {
		t.Errorf("screeners %+v, want user-7", seg)
	}
	var fun struct {
		Steps []struct {
			Name     string
			Profiles int64
		}
	}
	authCall(t, "GET", base+"/v1/funnel?steps=page,Order%20Completed&window=7d", "", http.StatusOK, &fun)
	if len(fun.Steps) != 2 || fun.Steps[0].Profiles != 2 || fun.Steps[1].Profiles != 1 {
		t.Errorf("funnel %+v, want 2 visitors then 1 buyer", fun)
	}
	// The untimed "Signed Up" arrived and counts.
	authCall(t, "PUT", base+"/v1/segments/signed", `did("Signed Up")`, http.StatusOK, nil)
	authCall(t, "GET", base+"/v1/segments/signed", "", http.StatusOK, &seg)
	if seg.Size != 1 {
		t.Errorf("signed-up %+v, want user-8", seg)
	}
}

// authCall is call with the bearer token of newTrackingServer.
func authCall(t *testing.T, method, url, body string, wantStatus int, out any) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer admin")
	do(t, req, wantStatus, out)
}

func idOf(kind, value string) identity.ID { return identity.ID{Kind: kind, Value: value} }

func mustLookup(t *testing.T, s *server, kind, value string) uint32 {
	t.Helper()
	p, ok := s.ids.Lookup(idOf(kind, value))
	if !ok {
		t.Fatalf("no profile holds %s %q", kind, value)
	}
	return p
}

// TestDedupRingReclaimed: a key released (its call failed) and claimed again by the
// retry is remembered for a whole ring from the retry. The stale slot of its first
// claim used to forget it when the ring came round to that slot, so a client's second
// retry a few calls later was applied twice.
func TestDedupRingReclaimed(t *testing.T) {
	d := dedup{size: 4}
	d.claim(msgKey{'a'})
	d.settle(msgKey{'a'}, false)
	d.claimed(msgKey{'b'})
	d.claimed(msgKey{'c'})
	if !d.claimed(msgKey{'a'}) {
		t.Fatal("the retry of a released key is not new")
	}
	d.claimed(msgKey{'d'}) // reuses the slot of a's first claim
	if d.claimed(msgKey{'a'}) {
		t.Error("a claimed two calls ago was forgotten")
	}
	for _, k := range "efgh" {
		d.claimed(msgKey{byte(k)})
	}
	if !d.claimed(msgKey{'a'}) {
		t.Error("a was not forgotten after a whole ring")
	}
	if len(d.seen) != d.size {
		t.Errorf("remembered %d keys in a ring of %d", len(d.seen), d.size)
	}
}

// TestRejectionPositions: a rejected call is named by its 0-based index in the batch,
// once. The message used to repeat the position 1-based ({"index":1,"error":"call 2 of
// the batch: ..."}), pointing at the next call; a call over the size limit was named
// 1-based too.
func TestRejectionPositions(t *testing.T) {
	_, base, stop := newTrackingServer(t, clientele.FixedClock(time.Date(2025, 3, 10, 0, 0, 0, 0, time.UTC)))
	defer stop()
	code, out := post(t, base, "/v1/batch", "wk-web", `{"batch":[
		{"type":"page","anonymousId":"a1","messageId":"p0"},
		{"type":"track","userId":"u1","messageId":"p1"},
		{"type":"page","anonymousId":"a2","messageId":"p2"},
		"not a call"
	]}`, false)
	rejected, _ := out["rejected"].([]any)
	if code != 200 || out["accepted"] != 2.0 || len(rejected) != 2 {
		t.Fatalf("batch: %d %v", code, out)
	}
	for k, want := range []struct {
		index float64
		says  string
	}{{1, `"event"`}, {3, "JSON object"}} {
		r := rejected[k].(map[string]any)
		msg := fmt.Sprint(r["error"])
		if r["index"] != want.index || !strings.Contains(msg, want.says) || strings.Contains(msg, "of the batch") {
			t.Errorf("rejection %d: %v, want index %v saying %s and no second position", k, r, want.index, want.says)
		}
	}
	big := `{"type":"page","userId":"u","p":"` + strings.Repeat("x", maxCall) + `"}`
	code, out = post(t, base, "/v1/batch", "wk-web", `{"batch":[{"type":"page","userId":"u"},`+big+`]}`, false)
	if msg := fmt.Sprint(out["error"]); code != 400 || !strings.Contains(msg, "index 1 ") {
		t.Errorf("a call over the limit: %d %q, want 400 naming index 1", code, msg)
	}
}

// TestRejectionsListedBounded: a tracking reply lists at most maxListed rejected calls,
// and then counts them all in rejected_total. A gzip body of a few hundred bytes, a
// batch of 250,000 calls such as [1,1,...] sent with a write key (which is public), was
// answered with every one of them listed: 24 MB of reply for each request.
func TestRejectionsListedBounded(t *testing.T) {
	_, base, stop := newTrackingServer(t, clientele.FixedClock(time.Date(2025, 3, 3, 0, 0, 0, 0, time.UTC)))
	defer stop()
	n := 3 * maxListed
	batch := `{"batch":[{"type":"track","userId":"u-1","event":"signup"},` + strings.Repeat("1,", n-1) + "1]}"
	var got trackingReply
	post := func(body string) {
		t.Helper()
		got = trackingReply{}
		postBatch(t, base, body, http.StatusOK, &got)
	}
	post(batch)
	if got.Accepted != 1 || len(got.Rejected) != maxListed || got.RejectedTotal != n ||
		got.Rejected[0].Index != 1 || got.Rejected[maxListed-1].Index != maxListed {
		t.Fatalf("a batch of %d bad calls: accepted %d, %d listed (from %d), rejected_total %d; want 1, the first %d from 1, %d",
			n, got.Accepted, len(got.Rejected), got.Rejected[0].Index, got.RejectedTotal, maxListed, n)
	}
	// Every rejection listed: no total.
	post(`{"batch":[{"type":"track","userId":"u-2","event":"signup"},1,2]}`)
	if len(got.Rejected) != 2 || got.RejectedTotal != 0 {
		t.Fatalf("a batch of 2 bad calls: %+v, want both listed and no total", got)
	}
}

// TestBatchCallsBounded: a batch of more calls than 500 KB can hold of valid ones is
// refused before its calls are parsed (parsing 250,000 junk calls cost a second and
// 120 MB a request), and the largest batch of the smallest valid calls is applied whole.
func TestBatchCallsBounded(t *testing.T) {
	s, base, stop := newTrackingServer(t, clientele.FixedClock(time.Date(2025, 3, 3, 0, 0, 0, 0, time.UTC)))
	defer stop()
	var refused struct{ Error string }
	postBatch(t, base, `{"batch":[{"type":"track","userId":"u-1","event":"signup"},`+strings.Repeat("1,", maxCalls)+"1]}", http.StatusBadRequest, &refused)
	if want := fmt.Sprintf("the batch holds %d calls", maxCalls+2); !strings.Contains(refused.Error, want) {
		t.Fatalf("a batch of %d calls: error %q, want it to say %q", maxCalls+2, refused.Error, want)
	}
	if n := s.ids.Stats().Profiles; n != 0 {
		t.Fatalf("a refused batch applied calls: %d profiles", n)
	}
	const call = `{"type":"page","userId":"u"}`
	n := (maxBatch - len(`{"batch":[]}`) + 1) / (len(call) + 1) // as many as the body limit holds
	var got trackingReply
	postBatch(t, base, `{"batch":[`+strings.Repeat(call+",", n-1)+call+"]}", http.StatusOK, &got)
	if got.Accepted != n || len(got.Rejected) != 0 {
		t.Fatalf("a batch of the %d smallest valid calls: accepted %d, rejected %d; want all accepted", n, got.Accepted, len(got.Rejected))
	}
}
