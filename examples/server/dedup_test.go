package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/clientele-go/clientele"
	"github.com/clientele-go/clientele/internal/tracking"
)

// gatedEvents is an event log whose next hold Appends each wait, after telling entered,
// for an error from release (nil: the append goes ahead).
type gatedEvents struct {
	eventLog
	hold    atomic.Int32
	entered chan struct{}
	release chan error
}

func (g *gatedEvents) Append(ctx context.Context, evs ...event) ([]bool, error) {
	if g.hold.Add(-1) >= 0 {
		g.entered <- struct{}{}
		if err := <-g.release; err != nil {
			return nil, err
		}
	}
	return g.eventLog.Append(ctx, evs...)
}

// count returns how many events the log holds.
func count(t *testing.T, l eventLog) int {
	t.Helper()
	n := 0
	for range l.Since(t.Context(), 0) {
		n++
	}
	return n
}

// memServerWith is a server on memory storage whose event log is events(the memory one).
func memServerWith(t *testing.T, events func(eventLog) eventLog) *server {
	t.Helper()
	s, _ := storageServer(t, "mem:", "", clientele.FixedClock(time.Date(2025, 3, 10, 0, 0, 0, 0, time.UTC)),
		func(st *storage) { st.events = events(st.events) })
	s.writeKeys = map[string]string{"wk-web": "web"}
	return s
}

// postAsync sends a tracking call and delivers its status and body on the channel.
func postAsync(base, path, body string) <-chan string {
	out := make(chan string, 1)
	go func() {
		req, _ := http.NewRequest("POST", base+path, strings.NewReader(body))
		req.SetBasicAuth("wk-web", "")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			out <- err.Error()
			return
		}
		defer resp.Body.Close()
		data, _ := io.ReadAll(resp.Body)
		out <- fmt.Sprintf("%d %s", resp.StatusCode, strings.TrimSpace(string(data)))
	}()
	return out
}

// TestDuplicateWaitsForFirstCopy: a copy of a call (a client's retry sent at once) that
// arrives while the first copy is being applied is not answered until the first copy
// settles. It used to be answered "duplicates":1 at once; when the first copy's write
// then failed, the client of the copy believed the call delivered, and it was lost.
// Now it is a duplicate only once the first copy is durable, and applied by the copy
// itself if the first failed. The interleaving is fixed by hooks, not by sleeps.
func TestDuplicateWaitsForFirstCopy(t *testing.T) {
	const call = `{"userId":"u-1","event":"Order Completed","messageId":"m-1"}`
	for _, c := range []struct {
		name        string
		firstErr    error
		first, copy string
	}{
		// The first copy's client is asked to retry (503); the copy applied the call.
		{"first copy fails", errors.New("disk full"), `503 {"error":"the call could not be kept, through no fault of its own (keep the event: disk full): send it again"`, `200 {"success":true,"accepted":1,"duplicates":0}`},
		{"first copy kept", nil, `200 {"success":true,"accepted":1,"duplicates":0}`, `200 {"success":true,"accepted":0,"duplicates":1}`},
	} {
		t.Run(c.name, func(t *testing.T) {
			gate := &gatedEvents{entered: make(chan struct{}), release: make(chan error)}
			gate.hold.Store(1)
			s := memServerWith(t, func(l eventLog) eventLog { gate.eventLog = l; return gate })
			waiting := make(chan msgKey, 1)
			s.seen.onWait = func(key msgKey) { waiting <- key }
			base, stop := start(t, s)
			defer stop()

			first := postAsync(base, "/v1/track", call)
			<-gate.entered // the first copy holds the claim, its write not yet done
			copy := postAsync(base, "/v1/track", call)
			select {
			case <-waiting:
			case got := <-copy:
				gate.release <- c.firstErr
				<-first
				t.Fatalf("the copy was answered while the first was in flight: %s", got)
			}
			gate.release <- c.firstErr
			if got := <-first; !strings.HasPrefix(got, c.first) {
				t.Errorf("first copy: %s, want %s...", got, c.first)
			}
			if got := <-copy; !strings.HasPrefix(got, c.copy) {
				t.Errorf("second copy: %s, want %s...", got, c.copy)
			}
			if n := count(t, gate.eventLog); n != 1 {
				t.Errorf("the event log holds %d events, want the call once", n)
			}
			// A later retry is a plain duplicate.
			if got := <-postAsync(base, "/v1/track", call); !strings.Contains(got, `"duplicates":1`) {
				t.Errorf("a later retry: %s", got)
			}
		})
	}
}

// TestDuplicateWaitBoundedByRequest: a copy waiting for the first copy gives up when
// its own request ends, reporting the call not applied (its client retries), and the
// first copy's claim is untouched.
func TestDuplicateWaitBoundedByRequest(t *testing.T) {
	gate := &gatedEvents{entered: make(chan struct{}), release: make(chan error)}
	gate.hold.Store(1)
	s := memServerWith(t, func(l eventLog) eventLog { gate.eventLog = l; return gate })
	waiting := make(chan msgKey, 1)
	s.seen.onWait = func(key msgKey) { waiting <- key }
	m, err := tracking.Parse([]byte(`{"type":"track","userId":"u-1","event":"Order Completed","messageId":"m-1","timestamp":"2025-03-01T10:00:00Z"}`), nil)
	if err != nil {
		t.Fatal(err)
	}
	firstDone := make(chan trackingReply)
	go func() {
		var out trackingReply
		s.applyOnce(t.Context(), "web", []tracking.Message{m}, make([]error, 1), &out)
		firstDone <- out
	}()
	<-gate.entered
	ctx, cancel := context.WithCancel(t.Context())
	copyDone := make(chan []error)
	var out trackingReply
	go func() {
		errs := make([]error, 1)
		s.applyOnce(ctx, "web", []tracking.Message{m}, errs, &out)
		copyDone <- errs
	}()
	select {
	case <-waiting:
	case errs := <-copyDone:
		gate.release <- nil
		<-firstDone
		t.Fatalf("the copy was answered while the first was in flight: %+v, error %v", out, errs[0])
	}
	cancel()
	errs := <-copyDone
	if !errors.Is(errs[0], context.Canceled) || out.Accepted+out.Duplicates != 0 || !strings.Contains(errs[0].Error(), `messageId "m-1"`) {
		t.Errorf("the copy whose request ended: %+v, error %v; want not applied, context.Canceled", out, errs[0])
	}
	gate.release <- nil
	if got := <-firstDone; got.Accepted != 1 {
		t.Errorf("first copy %+v, want accepted", got)
	}
	if n := count(t, gate.eventLog); n != 1 {
		t.Errorf("the event log holds %d events, want 1", n)
	}
}

// flakyEvents is an event log whose every other Append fails, the first included, each
// after a pause so that requests interleave.
type flakyEvents struct {
	eventLog
	n atomic.Int32
}

func (f *flakyEvents) Append(ctx context.Context, evs ...event) ([]bool, error) {
	time.Sleep(200 * time.Microsecond)
	if f.n.Add(1)%2 == 1 {
		return nil, errors.New("disk full")
	}
	return f.eventLog.Append(ctx, evs...)
}

// TestConcurrentCopiesNeverLost: many requests send the same messageIds in different
// orders at once, on a log whose every other write fails. Every call a request
// reports delivered (accepted or duplicate) is in the log, and no call is there twice;
// requests holding each other's messageIds finish (no request waits while holding a
// claim).
func TestConcurrentCopiesNeverLost(t *testing.T) {
	var events eventLog
	s := memServerWith(t, func(l eventLog) eventLog {
		events = l
		return &flakyEvents{eventLog: l}
	})
	const ids, requests = 8, 24
	var msgs []tracking.Message
	for i := range ids {
		m, err := tracking.Parse(fmt.Appendf(nil, `{"type":"track","userId":"u-%d","event":"e%d","messageId":"m-%d","timestamp":"2025-03-01T10:00:00Z"}`, i, i, i), nil)
		if err != nil {
			t.Fatal(err)
		}
		msgs = append(msgs, m)
	}
	delivered := make([]atomic.Bool, ids)
	var wg sync.WaitGroup
	for r := range requests {
		rnd := rand.New(rand.NewPCG(uint64(r), 7))
		order := rnd.Perm(ids)[:1+rnd.IntN(ids)] // some of the calls, in any order
		wg.Go(func() {
			batch := make([]tracking.Message, len(order))
			for k, i := range order {
				batch[k] = msgs[i]
			}
			errs := make([]error, len(batch))
			var out trackingReply
			s.applyOnce(t.Context(), "web", batch, errs, &out)
			for k, err := range errs {
				if err == nil {
					delivered[order[k]].Store(true)
				}
			}
		})
	}
	wg.Wait()
	kept := map[string]int{}
	for _, e := range events.Since(t.Context(), 0) {
		kept[e.Name]++
	}
	for i := range ids {
		name := fmt.Sprint("e", i)
		if kept[name] > 1 {
			t.Errorf("m-%d kept %d times", i, kept[name])
		}
		if delivered[i].Load() && kept[name] != 1 {
			t.Errorf("m-%d reported delivered but kept %d times", i, kept[name])
		}
	}
}

// TestUnkeptCallAsksRetry: a call refused through no fault of its own (the storage
// failed) is answered 503 with Retry-After, so that a Segment library, which retries on
// 5xx and reads nothing of a 200, sends it again; the calls of the batch that were kept
// are duplicates then. It used to be answered 200, listing the call in "rejected", and
// the library dropped it. A call refused for itself is still a 200.
func TestUnkeptCallAsksRetry(t *testing.T) {
	s := memServerWith(t, func(l eventLog) eventLog { return &flakyEvents{eventLog: l} })
	base, stop := start(t, s)
	defer stop()
	batch := `{"batch":[
		{"type":"identify","userId":"u-1","traits":{"email":"ann@example.com"},"messageId":"i-1","timestamp":"2025-03-01T10:00:00Z"},
		{"type":"track","userId":"u-1","event":"Order Completed","messageId":"t-1","timestamp":"2025-03-01T10:01:00Z"}
	]}`
	req, _ := http.NewRequest("POST", base+"/v1/batch", strings.NewReader(batch))
	req.SetBasicAuth("wk-web", "")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	data, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 503 || resp.Header.Get("Retry-After") == "" || !strings.Contains(string(data), `"accepted":1`) ||
		!strings.Contains(string(data), `"rejected":[{"index":1,"error":"keep the event: disk full"}]`) ||
		!strings.Contains(string(data), `"error":"1 of 2 calls could not be kept, through no fault of its own (keep the event: disk full): send the request again; the calls kept are not applied twice`) {
		t.Fatalf("a batch whose event could not be kept: %d, Retry-After %q, %s", resp.StatusCode, resp.Header.Get("Retry-After"), data)
	}
	if got := <-postAsync(base, "/v1/batch", batch); got != `200 {"success":true,"accepted":1,"duplicates":1}` {
		t.Errorf("the retry: %s", got)
	}
	// Refused for itself: a 200 listing it.
	if got := <-postAsync(base, "/v1/track", `{"userId":"u-2","messageId":"t-2"}`); !strings.HasPrefix(got, `200 {"success":true,"accepted":0,"duplicates":0,"rejected":[{"index":0,`) {
		t.Errorf("a call without its event: %s", got)
	}
	// The 503 counts the calls refused through no fault of theirs alone: the one
	// refused for itself was counted too ("2 of 2 calls ... through no fault of theirs").
	mixed := `{"batch":[
		{"type":"track","userId":"u-3","messageId":"t-3"},
		{"type":"track","userId":"u-3","event":"Order Completed","messageId":"t-4","timestamp":"2025-03-01T10:02:00Z"}
	]}`
	if got := <-postAsync(base, "/v1/batch", mixed); !strings.HasPrefix(got, `503 {"error":"1 of 2 calls could not be kept, through no fault of its own (keep the event: disk full)`) {
		t.Errorf("a batch of a bad call and one not kept: %s", got)
	}
}

// TestRememberedIDsBounded: the messageIds remembered for de-duplication take 16 bytes
// each whatever their length (a call of 32 KB may carry a messageId of 30 KB, and the
// server remembers 2^20 of them: kept whole, 32 GiB), and a call sent again with one is
// still a duplicate.
func TestRememberedIDsBounded(t *testing.T) {
	s, base, stop := newTrackingServer(t, clientele.FixedClock(time.Date(2025, 3, 3, 0, 0, 0, 0, time.UTC)))
	defer stop()
	var calls []string
	for i := range 10 {
		id := fmt.Sprintf("%d-%s", i, strings.Repeat("m", 20000))
		calls = append(calls, fmt.Sprintf(`{"type":"track","event":"signup","userId":"u-%d","messageId":%q}`, i, id))
	}
	body := `{"batch":[` + strings.Join(calls, ",") + "]}"
	for _, want := range []trackingReply{{Success: true, Accepted: 10}, {Success: true, Duplicates: 10}} {
		var got trackingReply
		postBatch(t, base, body, http.StatusOK, &got)
		if got.Accepted != want.Accepted || got.Duplicates != want.Duplicates {
			t.Fatalf("accepted %d, duplicates %d; want %d, %d", got.Accepted, got.Duplicates, want.Accepted, want.Duplicates)
		}
	}
	s.seen.mu.Lock()
	defer s.seen.mu.Unlock()
	if len(s.seen.ring) != 10 {
		t.Fatalf("%d keys remembered, want 10", len(s.seen.ring))
	}
}
