package main

import (
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/clientele-go/clientele"
	"github.com/clientele-go/clientele/internal/pg/pgtest"
)

// TestEventsFlag: a server started with -events takes at once a segment naming a
// declared event no call has brought (it was 400, "no call has brought that event");
// a restart from its snapshot without the flag still knows the declared events, one
// that no segment names included (the snapshot holds them), and a restart with other
// names knows both: the declarations are the union, never withdrawn by a restart.
func TestEventsFlag(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	store := []string{"-store", "file:" + dir}
	p := startProc(t, append(store, "-events", "signup,trial")...)
	send(t, "PUT", p.base+"/v1/segments/signed", `did(signup)`)
	put(t, p.base, "misspelt", `did(sigup)`, http.StatusBadRequest)
	p.kill(t)

	p = startProc(t, store...)
	if got := get(t, p.base+"/v1/segments/signed"); !strings.Contains(got, `"query":"did(signup)"`) {
		t.Fatalf("after a restart without -events: %s", got)
	}
	send(t, "PUT", p.base+"/v1/segments/trying", `did(trial, 7d)`) // declared, named by no segment until now
	put(t, p.base, "other", `did(upgrade)`, http.StatusBadRequest)
	p.kill(t)

	p = startProc(t, append(store, "-events", "upgrade")...)
	send(t, "PUT", p.base+"/v1/segments/other", `did(upgrade) OR did(signup) OR did(trial)`)
	send(t, "POST", p.base+"/v1/events", `{"type":"track","event":"trial","userId":"u-1","timestamp":"2025-03-01T09:00:00Z"}`)
	if got := get(t, p.base+"/v1/segments/other"); !strings.Contains(got, `"size":1`) {
		t.Fatalf("a declared event's first call: %s, want one member", got)
	}
}

// put sends a PUT of a segment and checks the status.
func put(t *testing.T, base, name, def string, status int) {
	t.Helper()
	call(t, "PUT", base+"/v1/segments/"+name, def, status, nil)
}

// TestDeclaredEventsWithoutSnapshot: a segment saved on a declared event, whose
// snapshot is lost (it failed, or was deleted), is back after a restart without
// -events: the definition kept declares the events it names. It was held back, with a
// warning, until a call of the event arrived.
func TestDeclaredEventsWithoutSnapshot(t *testing.T) {
	now := time.Date(2025, 3, 3, 0, 0, 0, 0, time.UTC)
	dir := "file:" + filepath.Join(t.TempDir(), "data")
	s, st := storageServer(t, dir, "", clientele.FixedClock(now), func(st *storage) { st.declared = []string{"Order Completed"} })
	base, stop := start(t, s)
	put(t, base, "buyers", `did("Order Completed", 30d)`, http.StatusOK)
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if err := st.segments.Delete(snapshotName); err != nil {
		t.Fatal(err)
	}
	st.close()
	s, _ = storageServer(t, dir, "", clientele.FixedClock(now), nil)
	if got := s.seg.Segments(); !slices.Equal(got, []string{"buyers"}) {
		t.Fatalf("after a restart without the snapshot or -events: %v, want [buyers]", got)
	}
}

// TestDeclaredEventsAcrossServers: a segment saved on a server whose -events declares
// its event reaches a server on the same schema started without it, which applies it
// (it was held back there, with a warning, until a call of the event arrived) and then
// takes a PUT naming the event too. An event declared on one server and named by no
// saved segment is not known to the others: a PUT there naming it is 400.
func TestDeclaredEventsAcrossServers(t *testing.T) {
	url := pgtest.URL(t)
	schema := pgtest.Schema(t, pgtest.Pool(t))
	clock := clientele.FixedClock(time.Date(2025, 3, 3, 0, 0, 0, 0, time.UTC))
	a, _ := storageServer(t, url, schema, clock, func(st *storage) { st.declared = []string{"x", "only-a"} })
	b, _ := storageServer(t, url, schema, clock, nil)
	baseA, stopA := start(t, a)
	defer stopA()
	baseB, stopB := start(t, b)
	defer stopB()
	put(t, baseA, "xs", `did(x)`, http.StatusOK)
	call(t, "GET", baseB+"/v1/segments/xs", "", http.StatusOK, nil)
	put(t, baseB, "xs-week", `did(x, 7d)`, http.StatusOK)
	put(t, baseB, "a-only", `did("only-a")`, http.StatusBadRequest)
	call(t, "POST", baseB+"/v1/events", `{"type":"track","event":"x","userId":"u-1","timestamp":"2025-03-02T09:00:00Z"}`, http.StatusOK, nil)
	var got struct{ Size int }
	call(t, "GET", baseA+"/v1/segments/xs-week", "", http.StatusOK, &got)
	if got.Size != 1 {
		t.Fatalf("xs-week on A after a call of x on B: %d members, want 1", got.Size)
	}
}

// TestEventNamesFlag: -events takes comma-separated names, spaces around the commas
// trimmed, and refuses an empty one.
func TestEventNamesFlag(t *testing.T) {
	var e eventNames
	if err := e.Set("page, Order Completed"); err != nil {
		t.Fatal(err)
	}
	if err := e.Set("signup"); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(e, []string{"page", "Order Completed", "signup"}) {
		t.Fatalf("got %q", e)
	}
	if err := e.Set("a,,b"); err == nil || !strings.Contains(err.Error(), "empty event name") {
		t.Fatalf("a,,b: %v, want an empty event name refused", err)
	}
}
