package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clientele-go/clientele"
	"github.com/clientele-go/clientele/internal/pg"
	"github.com/clientele-go/clientele/internal/pg/pgtest"
)

// TestStuckPostgresAnswers503: on a PostgreSQL where another session holds the saved
// segment's row (a write waits for it) and then the whole segment table (every read
// waits too), a saved segment's PUT and a GET answer 503 once -pg-timeout runs out,
// instead of waiting for the lock with the request, putMu, and every later PUT and
// snapshot behind them; once the lock is released, a PUT is saved again.
func TestStuckPostgresAnswers503(t *testing.T) {
	schema, st := pgStorage(t, pgtest.Timeout, "x", "y")
	s, base := serveOn(t, st)
	call(t, "PUT", base+"/v1/segments/b", `did("x")`, http.StatusOK, nil)
	table := pg.Ident(schema) + ".segment_blob"

	release := pgtest.Hold(t, "SELECT 1 FROM "+table+" WHERE name = '"+savedPrefix+"b' FOR UPDATE")
	answered(t, "PUT", base+"/v1/segments/b", `not did("x")`, http.StatusServiceUnavailable, "deadline exceeded", "segment/pgstore: put") // its write waits for the row
	release()

	release = pgtest.Hold(t, "LOCK TABLE "+table+" IN ACCESS EXCLUSIVE MODE")
	answered(t, "GET", base+"/v1/segments/b", "", http.StatusServiceUnavailable, "deadline exceeded", "segment/pgstore: versions") // its refresh reads them
	release()

	call(t, "PUT", base+"/v1/segments/b", `did("x") and not did("y")`, http.StatusOK, nil)
	if got, want := s.definition("b"), canon(`did("x") and not did("y")`); got != want {
		t.Fatalf("after the locks: definition %q, want %q", got, want)
	}
}

// TestNegativePGTimeoutRefused: the server refuses a negative -pg-timeout at start, as
// a usage error (exit status 2), rather than serving without the bound asked for.
func TestNegativePGTimeoutRefused(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second) // a server that starts serving is killed
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "SERVER_ARGS=-addr 127.0.0.1:0 -store mem: -pg-timeout -1s")
	out, err := cmd.CombinedOutput()
	if cmd.ProcessState == nil || cmd.ProcessState.ExitCode() != 2 || !strings.Contains(string(out), "-pg-timeout -1s") {
		t.Fatalf("server -pg-timeout -1s: %v, output %q; want exit status 2 naming the flag", err, out)
	}
}

// TestStuckIdentityLog: while another session holds the identity log's table, a batch
// of calls is not accepted, each rejected naming the deadline, once -pg-timeout runs
// out, whether the lock stops the resolver's read of the log's tail (ACCESS EXCLUSIVE)
// or only its flush (SHARE): a call whose record may not be durable is never reported
// accepted, as a cancelled request's would be. Once the lock is released the same
// calls are accepted.
func TestStuckIdentityLog(t *testing.T) {
	schema, st := pgStorage(t, pgtest.Timeout)
	_, base := serveOn(t, st)
	// More calls than the resolver settles in one flush (LinkBatch leads the log once
	// per few hundred events), so that the first group's flush fails with calls after
	// it: a store's timeout must not pass for the request's own cancellation, which
	// would report the group accepted.
	const n = 1000
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, `{"type":"identify","userId":"u-%d","anonymousId":"a-%d","timestamp":"2025-03-02T12:00:00Z"}`+"\n", i, i/2)
	}
	calls := b.String()
	var posted struct {
		Accepted int `json:"accepted"`
		Rejected []struct {
			Error string `json:"error"`
		} `json:"rejected"`
	}
	table := pg.Ident(schema) + ".identity_log"
	for _, mode := range []string{"ACCESS EXCLUSIVE", "SHARE"} {
		release := pgtest.Hold(t, "LOCK TABLE "+table+" IN "+mode+" MODE")
		resp, err := (&http.Client{Timeout: pgtest.Watchdog}).Post(base+"/v1/events", "application/json", strings.NewReader(calls))
		release()
		if err != nil {
			t.Fatalf("POST /v1/events under a %s lock: %v", mode, err)
		}
		err = json.NewDecoder(resp.Body).Decode(&posted)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		if len(posted.Rejected) > 0 {
			t.Logf("under a %s lock: %d, %d accepted, %d rejected: %s", mode, resp.StatusCode, posted.Accepted, len(posted.Rejected), posted.Rejected[0].Error)
		}
		if posted.Accepted != 0 || len(posted.Rejected) != n || !strings.Contains(posted.Rejected[0].Error, "deadline exceeded") {
			t.Fatalf("POST /v1/events under a %s lock: %d accepted, %d rejected; want the %d calls rejected, naming the deadline", mode, posted.Accepted, len(posted.Rejected), n)
		}
		// Not the calls' fault: 503, to be sent again, not a 400 a client drops.
		if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" {
			t.Fatalf("POST /v1/events under a %s lock: status %d, Retry-After %q; want 503 with Retry-After", mode, resp.StatusCode, resp.Header.Get("Retry-After"))
		}
	}
	posted.Rejected = nil
	call(t, "POST", base+"/v1/events", calls, http.StatusOK, &posted)
	if posted.Accepted != n {
		t.Fatalf("POST /v1/events once the lock is released: %d accepted, want %d", posted.Accepted, n)
	}
}

// TestStuckEventTable: while another session holds the event table, a call is
// rejected, naming the deadline, once -pg-timeout runs out, as its event could not be
// kept, instead of waiting for the lock, and the answer is 503 (send it again); once
// the lock is released the call is accepted.
func TestStuckEventTable(t *testing.T) {
	schema, st := pgStorage(t, pgtest.Timeout)
	_, base := serveOn(t, st)
	event := `{"type":"track","event":"Signed Up","userId":"u-1","timestamp":"2025-03-02T12:00:00Z"}`
	release := pgtest.Hold(t, "LOCK TABLE "+pg.Ident(schema)+".server_event IN ACCESS EXCLUSIVE MODE")
	resp, err := (&http.Client{Timeout: pgtest.Watchdog}).Post(base+"/v1/events", "application/json", strings.NewReader(event))
	release()
	if err != nil {
		t.Fatalf("POST /v1/events while the event table is locked: %v", err)
	}
	data, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(string(data), `"accepted":0`) || !strings.Contains(string(data), "keep the event: timeout: context deadline exceeded") {
		t.Fatalf("POST /v1/events while the event table is locked: %d %s; want the call rejected naming the deadline", resp.StatusCode, data)
	}
	call(t, "POST", base+"/v1/events", event, http.StatusOK, nil)
}

// TestRequestDeadline: with -pg-timeout 0 (no bound of the store's own) while another
// session holds the identity log's table and then the referral ledger's, requests end at
// the request's deadline (withDeadline; 1s here, requestDeadline in serve) and are
// answered as for a client that left: the events' calls rejected, a referral event and a
// refreshing GET 503. Without the deadline they wait for the lock (past the server's
// write deadline the client would see EOF). Once released, the same server takes them.
func TestRequestDeadline(t *testing.T) {
	schema, st := pgStorage(t, 0)
	s, err := newServerOn(context.Background(), clientele.FixedClock(time.Date(2025, 3, 3, 0, 0, 0, 0, time.UTC)), st)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(withDeadline(s.routes(), time.Second))
	t.Cleanup(srv.Close)
	event := `{"type":"track","event":"x","userId":"ann","timestamp":"2025-03-01T09:00:00Z"}`
	code := `{"key":"code-ann","user":"ann","at":"2025-03-01T10:00:00Z"}`
	call(t, "POST", srv.URL+"/v1/events", event, http.StatusOK, nil)

	release := pgtest.Hold(t, "LOCK TABLE "+pg.Ident(schema)+".identity_log IN ACCESS EXCLUSIVE MODE")
	answered(t, "POST", srv.URL+"/v1/events", event, http.StatusServiceUnavailable, context.Canceled.Error()) // the Link's tail read waits
	answered(t, "POST", srv.URL+"/v1/referral/codes", code, http.StatusServiceUnavailable, context.Canceled.Error())
	release()

	release = pgtest.Hold(t, "LOCK TABLE "+pg.Ident(schema)+".referral_log IN ACCESS EXCLUSIVE MODE")
	answered(t, "POST", srv.URL+"/v1/referral/codes", code, http.StatusServiceUnavailable, context.Canceled.Error()) // the ledger's tail read waits
	answered(t, "GET", srv.URL+"/v1/profiles/1", "", http.StatusServiceUnavailable, context.Canceled.Error())        // its refresh's catch-up waits
	release()

	call(t, "POST", srv.URL+"/v1/events", event, http.StatusOK, nil)
	call(t, "POST", srv.URL+"/v1/referral/codes", code, http.StatusOK, nil)
}

// answered sends a request that a held lock blocks and fails t unless it is answered
// with status, its body naming each of wants, before pgtest.Watchdog (so that a server
// waiting for the lock fails the test rather than hanging it).
func answered(t *testing.T, method, url, body string, status int, wants ...string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := (&http.Client{Timeout: pgtest.Watchdog}).Do(req)
	if err != nil {
		t.Fatalf("%s %s while PostgreSQL is stuck: %v", method, url, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	ok := resp.StatusCode == status
	for _, w := range wants {
		ok = ok && strings.Contains(string(data), w)
	}
	if !ok {
		t.Fatalf("%s %s while PostgreSQL is stuck: %d %s; want %d naming %q", method, url, resp.StatusCode, data, status, wants)
	}
}

// pgStorage opens the server's storage on a fresh schema of the test PostgreSQL with
// -pg-timeout timeout and the events declared, closed when t ends, and returns the
// schema with it.
func pgStorage(t *testing.T, timeout time.Duration, declared ...string) (string, *storage) {
	t.Helper()
	schema := pgtest.Schema(t, pgtest.Pool(t))
	st, err := openStorage(context.Background(), pgtest.URL(t), schema, timeout)
	if err != nil {
		t.Fatal(err)
	}
	st.close = sync.OnceFunc(st.close)
	t.Cleanup(st.close)
	st.declared = declared
	return schema, st
}

// serveOn starts a server on st at a fixed clock, stopped when t ends, and returns it
// with its base URL.
func serveOn(t *testing.T, st *storage) (*server, string) {
	t.Helper()
	s, err := newServerOn(context.Background(), clientele.FixedClock(time.Date(2025, 3, 3, 0, 0, 0, 0, time.UTC)), st)
	if err != nil {
		t.Fatal(err)
	}
	base, stop := start(t, s)
	t.Cleanup(func() {
		if err := stop(); err != nil {
			t.Error(err)
		}
	})
	return s, base
}
