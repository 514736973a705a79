package main

import (
	"bufio"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/clientele-go/clientele"
	"github.com/clientele-go/clientele/internal/pg/pgtest"
	"github.com/clientele-go/clientele/segment"
	segpg "github.com/clientele-go/clientele/segment/pgstore"
)

// TestMain runs the server itself when a test re-executes the binary with SERVER_ARGS,
// so that a test can SIGKILL a real server process.
func TestMain(m *testing.M) {
	if args := os.Getenv("SERVER_ARGS"); args != "" {
		os.Args = append([]string{os.Args[0]}, strings.Fields(args)...)
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

var listening = regexp.MustCompile(`url=(http://[0-9.:]+)`)

// proc is a server process started from the test binary (see TestMain).
type proc struct {
	cmd  *exec.Cmd
	base string // its URL
	done chan struct{}
	err  error // its exit, once done is closed
	mu   sync.Mutex
	log  strings.Builder
}

// startProc starts a server with args (and -addr 127.0.0.1:0), killed when t ends, and
// returns it once it listens. What it logs is kept (proc.logs), and shown if t fails.
func startProc(t *testing.T, args ...string) *proc {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "SERVER_ARGS="+strings.Join(append([]string{"-addr", "127.0.0.1:0"}, args...), " "))
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &proc{cmd: cmd, done: make(chan struct{})}
	url := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			p.mu.Lock()
			p.log.WriteString(sc.Text() + "\n")
			p.mu.Unlock()
			if m := listening.FindStringSubmatch(sc.Text()); m != nil {
				url <- m[1]
			}
		}
		p.err = cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-p.done
		if t.Failed() {
			t.Logf("server %s logged:\n%s", p.base, p.logs())
		}
	})
	select {
	case p.base = <-url:
	case <-p.done:
		t.Fatalf("server exited before listening: %v", p.err)
	}
	return p
}

// wait returns the server's exit, once it has exited.
func (p *proc) wait() error {
	<-p.done
	return p.err
}

// logs returns what the server has logged so far.
func (p *proc) logs() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.log.String()
}

func (p *proc) kill(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-p.done
}

// interrupt sends the server SIGINT.
func (p *proc) interrupt(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
}

func get(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %s", url, resp.StatusCode, data)
	}
	return string(data)
}

func send(t *testing.T, method, url, body string) {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s %s: %d %s", method, url, resp.StatusCode, data)
	}
}

// state is what a server answers about the test's people: the profile of each user
// with its identifiers and segments, the buyers segment and the funnel.
func state(t *testing.T, base string) string {
	t.Helper()
	var b strings.Builder
	for _, u := range []string{"u-1", "u-2", "u-3"} {
		var found struct{ Profile uint32 }
		json.Unmarshal([]byte(get(t, base+"/v1/lookup?kind=user_id&value="+u)), &found)
		fmt.Fprintf(&b, "%s: %s\n", u, get(t, fmt.Sprintf("%s/v1/profiles/%d", base, found.Profile)))
	}
	b.WriteString(get(t, base+"/v1/segments/buyers"))
	b.WriteString(get(t, base+"/v1/funnel?steps=page,Order%20Completed&window=30d"))
	return b.String()
}

// Calls fed half through one server and half through the other; the links that join
// a-1 to u-1 and c-3 to u-2 arrive through different servers than the pages.
var (
	callsA = `{"type":"page","anonymousId":"a-1","timestamp":"2025-03-01T09:00:00Z"}
{"type":"page","anonymousId":"c-3","timestamp":"2025-03-02T11:00:00Z"}
{"type":"track","event":"Order Completed","userId":"u-2","timestamp":"2025-03-02T12:00:00Z"}
`
	callsB = `{"type":"identify","userId":"u-1","anonymousId":"a-1","traits":{"email":"ann@example.com"},"timestamp":"2025-03-01T09:05:00Z"}
{"type":"track","event":"Order Completed","userId":"u-1","timestamp":"2025-03-01T09:10:00Z"}
{"type":"alias","previousId":"c-3","userId":"u-2","timestamp":"2025-03-02T11:31:00Z"}
{"type":"track","event":"page","userId":"u-3","timestamp":"2025-03-03T08:00:00Z"}
`
)

// TestTwoServersOnePostgres starts two servers on one schema, feeds both, checks they
// answer the same, SIGKILLs both, restarts them and checks again.
func TestTwoServersOnePostgres(t *testing.T) {
	url := pgtest.URL(t)
	pool := pgtest.Pool(t)
	schema := pgtest.Schema(t, pool)
	args := []string{"-store", url, "-schema", schema}
	a, b := startProc(t, args...), startProc(t, args...)
	send(t, "POST", a.base+"/v1/events", callsA)
	send(t, "POST", b.base+"/v1/events", callsB)
	send(t, "PUT", a.base+"/v1/segments/buyers", `did("Order Completed")`)
	want := state(t, a.base)
	if !strings.Contains(want, "ann@example.com") || !strings.Contains(want, `"segments":["buyers"]`) {
		t.Fatalf("server A's answers lack what both servers were fed:\n%s", want)
	}
	if got := state(t, b.base); got != want {
		t.Fatalf("servers differ:\nA: %s\nB: %s", want, got)
	}
	a.kill(t)
	b.kill(t)
	a, b = startProc(t, args...), startProc(t, args...)
	for name, p := range map[string]*proc{"A": a, "B": b} {
		if got := state(t, p.base); got != want {
			t.Fatalf("server %s after SIGKILL and restart:\n got %s\nwant %s", name, got, want)
		}
	}
}

// TestFileStoreSurvivesKill: with the default file store, identities, saved segments,
// events and funnels survive a SIGKILL.
func TestFileStoreSurvivesKill(t *testing.T) {
	args := []string{"-store", "file:" + filepath.Join(t.TempDir(), "data")}
	p := startProc(t, args...)
	send(t, "POST", p.base+"/v1/events", callsA+callsB)
	send(t, "PUT", p.base+"/v1/segments/buyers", `did("Order Completed")`)
	send(t, "POST", p.base+"/v1/events", `{"type":"track","event":"Order Completed","userId":"u-3","timestamp":"2025-03-04T08:00:00Z"}`)
	want := state(t, p.base)
	p.kill(t)
	time.Sleep(10 * time.Millisecond)
	p = startProc(t, args...)
	if got := state(t, p.base); got != want {
		t.Fatalf("after SIGKILL and restart:\n got %s\nwant %s", got, want)
	}
}

// FuzzDecodeEvent: the event log's decoder never panics, and what it accepts encodes
// back to the same event.
func FuzzDecodeEvent(f *testing.F) {
	f.Add(encodeEvent(event{At: time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC), Name: "page", Profile: 7}))
	f.Add(encodeEvent(event{At: time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC), Name: "page", Profile: 7, Key: dedupKey("web", "m-1"), Keyed: true}))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		e, err := decodeEvent(data)
		if err != nil {
			return
		}
		again, err := decodeEvent(encodeEvent(e))
		if err != nil || again != e {
			t.Fatalf("round trip of %+v: %+v, %v", e, again, err)
		}
	})
}

// TestIncarnationsSection: a snapshot's incarnations read back as written, and the
// section cut anywhere after its magic, or naming more bytes than it holds, is
// ErrCorrupt (never a panic); a snapshot without the section reads as none.
func TestIncarnationsSection(t *testing.T) {
	vers := map[string]segpg.Version{"a": {Write: 9, Incarnation: 3}, "bb": {Incarnation: 1 << 40}, "unknown": {Write: 4}}
	sec := appendIncarnations(nil, []string{"a", "bb", "unknown", "not-versioned"}, vers)
	index := []byte("CLTSEGIX...")
	incs, rest, err := readIncarnations(append(sec, index...), 8)
	if err != nil || !maps.Equal(incs, map[string]int64{"a": 3, "bb": 1 << 40}) || string(rest) != string(index) {
		t.Fatalf("read back: %v, %q, %v", incs, rest, err)
	}
	if incs, rest, err := readIncarnations(index, 8); incs != nil || string(rest) != string(index) || err != nil {
		t.Fatalf("without the section: %v, %q, %v", incs, rest, err)
	}
	if got := appendIncarnations(nil, []string{"unknown"}, vers); len(got) != 0 {
		t.Fatalf("no incarnation known: %q, want no section", got)
	}
	for n := len(incMagic); n < len(sec); n++ {
		if _, _, err := readIncarnations(sec[:n], 8); !errors.Is(err, segment.ErrCorrupt) {
			t.Fatalf("cut at %d of %d: %v, want ErrCorrupt", n, len(sec), err)
		}
	}
	long := binary.AppendUvarint(binary.AppendUvarint([]byte(incMagic), 1), 1<<60)
	if _, _, err := readIncarnations(long, 8); !errors.Is(err, segment.ErrCorrupt) {
		t.Fatalf("a name longer than the blob: %v, want ErrCorrupt", err)
	}
	// Counted in English: it said "a segment name of 1 bytes".
	one := binary.AppendUvarint(binary.AppendUvarint([]byte(incMagic), 1), 1)
	if _, _, err := readIncarnations(one, 8); !errors.Is(err, segment.ErrCorrupt) || !strings.Contains(err.Error(), "a segment name of 1 byte, 0 left") {
		t.Fatalf("a name of 1 byte past the blob: %v", err)
	}
}

// TestShortSnapshotCorrupt: a stored segment snapshot too short to hold its header
// stops the start with ErrCorrupt, counted in English ("1 bytes" it said).
func TestShortSnapshotCorrupt(t *testing.T) {
	dir := "file:" + filepath.Join(t.TempDir(), "data")
	st, err := openStorage(context.Background(), dir, "", defaultPGTimeout)
	if err != nil {
		t.Fatal(err)
	}
	defer st.close()
	if err := st.segments.Put(snapshotName, []byte{1}); err != nil {
		t.Fatal(err)
	}
	_, err = newServerOn(context.Background(), clientele.FixedClock(time.Date(2025, 3, 3, 0, 0, 0, 0, time.UTC)), st)
	if !errors.Is(err, segment.ErrCorrupt) || !strings.Contains(err.Error(), "segment snapshot of 1 byte:") {
		t.Fatalf("a snapshot of 1 byte: %v, want ErrCorrupt saying so", err)
	}
}
