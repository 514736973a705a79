package main

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clientele-go/clientele"
	"github.com/clientele-go/clientele/internal/pg/pgtest"
	"github.com/clientele-go/clientele/segment"
	segpg "github.com/clientele-go/clientele/segment/pgstore"
)

// replica is an in-process server on a shared PostgreSQL schema, following the others
// as run does (st.follow calling refresh), and its base URL.
type replica struct {
	s    *server
	base string
}

func startReplica(t *testing.T, url, schema string, clock clientele.Clock) *replica {
	t.Helper()
	s, st := storageServer(t, url, schema, clock, nil)
	fctx, stopFollow := context.WithCancel(context.Background())
	followed := make(chan struct{})
	go func() {
		defer close(followed)
		st.follow(fctx, func(ctx context.Context) error {
			if err := s.refresh(ctx); err != nil && ctx.Err() == nil {
				t.Logf("following the storage: %v", err)
			}
			return nil
		})
	}()
	base, stop := start(t, s)
	t.Cleanup(func() {
		if err := stop(); err != nil {
			t.Error(err)
		}
		stopFollow()
		<-followed
	})
	return &replica{s: s, base: base}
}

// within waits for cond, checked every few milliseconds, failing t after a deadline
// generous enough for a loaded machine (the follower's own poll is 250 ms).
func within(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("after 30 s: %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// definition is the replica's saved definition of name as its index holds it, read
// without a request (a request would refresh first, and the test is of the follower).
func (r *replica) definition(name string) string { return r.s.definition(name) }

func (s *server) definition(name string) string {
	q, ok := s.seg.Definition(name)
	if !ok {
		return ""
	}
	return q.String()
}

// canon is a definition as the index prints it.
func canon(def string) string { return segment.Must(def).String() }

type change struct{ Entered, Exited []uint32 }

func (r *replica) changes(t *testing.T) map[string]change {
	t.Helper()
	out := map[string]change{}
	call(t, "GET", r.base+"/v1/changes", "", 200, &out)
	return out
}

const followCalls = `{"type":"track","event":"x","userId":"u-1","timestamp":"2025-03-01T09:00:00Z"}
{"type":"track","event":"x","userId":"u-2","timestamp":"2025-03-01T09:00:00Z"}
{"type":"track","event":"y","userId":"u-2","timestamp":"2025-03-01T09:00:00Z"}
{"type":"track","event":"y","userId":"u-3","timestamp":"2025-03-01T09:00:00Z"}
`

// TestSegmentsFollowAcrossServers: a segment saved, redefined and deleted on one server
// reaches the other, running, within a deadline and without a request to it; and the
// follower reports entries and exits as the saving server does (a redefinition keeps
// the members, so only the difference is reported).
func TestSegmentsFollowAcrossServers(t *testing.T) {
	url := pgtest.URL(t)
	schema := pgtest.Schema(t, pgtest.Pool(t))
	clock := clientele.FixedClock(time.Date(2025, 3, 3, 0, 0, 0, 0, time.UTC))
	a, b := startReplica(t, url, schema, clock), startReplica(t, url, schema, clock)
	var linked struct{ Profiles []uint32 }
	call(t, "POST", a.base+"/v1/events", followCalls, 200, &linked)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("definitions not applied: A %v, B %v", a.s.savedStuck, b.s.savedStuck)
		}
	})
	u1, u2, u3 := linked.Profiles[0], linked.Profiles[1], linked.Profiles[3]

	call(t, "PUT", a.base+"/v1/segments/buyers", `did("x")`, 200, nil)
	within(t, "B has A's new segment", func() bool { return b.definition("buyers") == canon(`did("x")`) })
	for name, r := range map[string]*replica{"A": a, "B": b} {
		got := r.changes(t)["buyers"]
		if want := (change{Entered: []uint32{u1, u2}}); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("%s: changes after the save: %v, want %v", name, got, want)
		}
	}

	// Redefined on B this time: A follows, and both report the difference only.
	call(t, "PUT", b.base+"/v1/segments/buyers", `did("y")`, 200, nil)
	within(t, "A has B's redefinition", func() bool { return a.definition("buyers") == canon(`did("y")`) })
	for name, r := range map[string]*replica{"A": a, "B": b} {
		got := r.changes(t)["buyers"]
		if want := (change{Entered: []uint32{u3}, Exited: []uint32{u1}}); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("%s: changes after the redefinition: %v, want %v (u-2 stays)", name, got, want)
		}
	}

	call(t, "DELETE", a.base+"/v1/segments/buyers", "", 200, nil)
	within(t, "B deleted the segment A deleted", func() bool { return b.definition("buyers") == "" })
	call(t, "GET", b.base+"/v1/segments/buyers", "", 404, nil)
	call(t, "DELETE", b.base+"/v1/segments/buyers", "", 404, nil)
	if got := b.changes(t); len(got) != 0 {
		t.Fatalf("B: changes after the delete: %v", got)
	}

	// A segment referencing one saved on the other server: PUT refreshes first.
	call(t, "PUT", a.base+"/v1/segments/base", `did("x")`, 200, nil)
	call(t, "PUT", b.base+"/v1/segments/ref", `segment:base and did("y")`, 200, nil)
	call(t, "DELETE", a.base+"/v1/segments/base", "", 409, nil)
	within(t, "A has B's ref", func() bool { return a.definition("ref") != "" })
}

// TestSyncSavedOrder: definitions written to the store by another process at once, in
// an order the server's names do not follow (a references z; then both deleted), are
// all applied by one sync.
func TestSyncSavedOrder(t *testing.T) {
	url := pgtest.URL(t)
	pool := pgtest.Pool(t)
	schema := pgtest.Schema(t, pool)
	ctx := context.Background()
	s, _ := storageServer(t, url, schema, clientele.FixedClock(time.Date(2025, 3, 3, 0, 0, 0, 0, time.UTC)), nil)
	other, err := segpg.Open(ctx, pgtest.Pool(t), &segpg.Options{Schema: schema})
	if err != nil {
		t.Fatal(err)
	}
	s.seg.Record(time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC), 1, "x")
	for _, kv := range [][2]string{{"a", "segment:z"}, {"z", `did("x")`}} {
		if err := other.Put(savedPrefix+kv[0], []byte(kv[1])); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.syncSaved(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := s.seg.Segments(); !slices.Equal(got, []string{"a", "z"}) {
		t.Logf("definitions not applied: %v", s.savedStuck)
		t.Fatalf("after saves elsewhere: %v", got)
	}
	for _, n := range []string{"a", "z"} {
		if err := other.Delete(savedPrefix + n); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.syncSaved(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := s.seg.Segments(); len(got) != 0 {
		t.Fatalf("after deletes elsewhere: %v", got)
	}
}

// TestConcurrentSegmentSaves: two servers redefine the same segments concurrently, while
// a reader on each takes their changes. Every server ends with the definition the store
// holds (the write that committed last), and each server's changes never report a
// profile entering a segment it is in, or leaving one it is not in.
func TestConcurrentSegmentSaves(t *testing.T) {
	url := pgtest.URL(t)
	pool := pgtest.Pool(t)
	schema := pgtest.Schema(t, pool)
	clock := clientele.FixedClock(time.Date(2025, 3, 3, 0, 0, 0, 0, time.UTC))
	a, b := startReplica(t, url, schema, clock), startReplica(t, url, schema, clock)
	call(t, "POST", a.base+"/v1/events", followCalls, 200, nil)
	defs := []string{`did("x")`, `did("y")`, `did("x") and did("y")`, `did("x") or did("y")`, `not did("x")`}
	names := []string{"s1", "s2"}
	const puts = 30
	ctx, stopReaders := context.WithCancel(context.Background())
	var readers, writers sync.WaitGroup
	members := map[*replica]map[string]map[uint32]bool{}
	check := func(r *replica, who string) {
		cs := r.changes(t)
		m := members[r]
		for seg, c := range cs {
			if m[seg] == nil {
				m[seg] = map[uint32]bool{}
			}
			for _, p := range c.Entered {
				if m[seg][p] {
					t.Errorf("%s: profile %d entered %s twice", who, p, seg)
				}
				m[seg][p] = true
			}
			for _, p := range c.Exited {
				if !m[seg][p] {
					t.Errorf("%s: profile %d exited %s, which it was not in", who, p, seg)
				}
				delete(m[seg], p)
			}
		}
	}
	for who, r := range map[string]*replica{"A": a, "B": b} {
		members[r] = map[string]map[uint32]bool{}
		readers.Go(func() {
			for ctx.Err() == nil {
				check(r, who)
			}
		})
	}
	for w, r := range []*replica{a, b, a, b} {
		writers.Go(func() {
			for i := range puts {
				name, def := names[(i+w)%len(names)], defs[(i*3+w)%len(defs)]
				call(t, "PUT", r.base+"/v1/segments/"+name, def, 200, nil)
			}
		})
	}
	writers.Wait()
	stopReaders()
	readers.Wait()
	store, err := segpg.Open(context.Background(), pool, &segpg.Options{Schema: schema})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{}
	for _, n := range names {
		def, err := store.Get(savedPrefix + n)
		if err != nil {
			t.Fatal(err)
		}
		want[n] = string(def)
	}
	for who, r := range map[string]*replica{"A": a, "B": b} {
		within(t, fmt.Sprintf("%s holds the store's definitions %v", who, want), func() bool {
			for n, d := range want {
				if r.definition(n) != d {
					return false
				}
			}
			return true
		})
		// The changes reported add up to the members now.
		check(r, who)
		for _, n := range names {
			got, _ := r.s.seg.Members(n)
			if have := slices.Sorted(maps.Keys(members[r][n])); fmt.Sprint(have) != fmt.Sprint(got.ToArray()) {
				t.Errorf("%s: %s: changes add up to %v, members are %v", who, n, have, got.ToArray())
			}
		}
	}
	if t.Failed() {
		return
	}
	var stuck []string
	for _, r := range []*replica{a, b} {
		for n, e := range r.s.savedStuck {
			stuck = append(stuck, n+": "+e)
		}
	}
	if len(stuck) > 0 {
		t.Errorf("definitions not applied: %s", strings.Join(stuck, "; "))
	}
}

// TestSyncSavedConflict: two definitions that are each sound but not together (a
// cycle, as two servers saving at once can leave in the store) leave the index with
// what it had for the one it refuses, reported once however many syncs follow; the next
// write that makes them agree is applied, the refused one included.
func TestSyncSavedConflict(t *testing.T) {
	url := pgtest.URL(t)
	pool := pgtest.Pool(t)
	schema := pgtest.Schema(t, pool)
	ctx := context.Background()
	s, _ := storageServer(t, url, schema, clientele.FixedClock(time.Date(2025, 3, 3, 0, 0, 0, 0, time.UTC)), nil)
	var logged strings.Builder
	var logMu sync.Mutex
	s.log = slog.New(slog.NewTextHandler(writerFunc(func(p []byte) (int, error) {
		logMu.Lock()
		defer logMu.Unlock()
		return logged.Write(p)
	}), nil))
	s.seg.Record(time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC), 1, "x")
	other, err := segpg.Open(ctx, pgtest.Pool(t), &segpg.Options{Schema: schema})
	if err != nil {
		t.Fatal(err)
	}
	put := func(kvs ...[2]string) {
		t.Helper()
		for _, kv := range kvs {
			if err := other.Put(savedPrefix+kv[0], []byte(kv[1])); err != nil {
				t.Fatal(err)
			}
		}
	}
	syncNow := func() {
		t.Helper()
		if err := s.syncSaved(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	put([2]string{"a", `did("x")`}, [2]string{"z", `did("x")`})
	syncNow()
	put([2]string{"a", "segment:z"}, [2]string{"z", "segment:a"})
	for range 3 {
		syncNow()
	}
	refused := 0
	for _, n := range []string{"a", "z"} {
		if s.definition(n) == canon(`did("x")`) {
			refused++
		}
	}
	if n := strings.Count(logged.String(), "saved segment from the storage"); refused != 1 || n != 1 || len(s.savedStuck) != 1 {
		t.Fatalf("after a cycle: a %q, z %q, %d warnings, stuck %v; want one refused, reported once",
			s.definition("a"), s.definition("z"), n, s.savedStuck)
	}
	put([2]string{"z", `did("x")`})
	syncNow()
	if a, z := s.definition("a"), s.definition("z"); a != canon("segment:z") || z != canon(`did("x")`) || len(s.savedStuck) != 0 {
		t.Fatalf("after z is redefined: a %q, z %q, stuck %v", a, z, s.savedStuck)
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

// TestRecreatedSegmentBetweenSyncs: a segment deleted and saved again under its name on
// one server, between two syncs of another, is a new segment on both (everyone in it
// enters), whether the new definition differs or is the same. The other server took it
// for a redefinition: it kept the members and reported the difference only (or, for the
// same definition, nothing), while the saving server reported everyone entering.
func TestRecreatedSegmentBetweenSyncs(t *testing.T) {
	url := pgtest.URL(t)
	schema := pgtest.Schema(t, pgtest.Pool(t))
	clock := clientele.FixedClock(time.Date(2025, 3, 3, 0, 0, 0, 0, time.UTC))
	// No follower: each server syncs only at its own requests, so A syncs neither
	// between B's DELETE and PUT nor after them until the test asks.
	replicas := map[string]*replica{}
	for _, name := range []string{"A", "B"} {
		s, _ := storageServer(t, url, schema, clock, nil)
		base, stop := start(t, s)
		t.Cleanup(func() {
			if err := stop(); err != nil {
				t.Error(err)
			}
		})
		replicas[name] = &replica{s: s, base: base}
	}
	a, b := replicas["A"], replicas["B"]
	var linked struct{ Profiles []uint32 }
	call(t, "POST", a.base+"/v1/events", followCalls, 200, &linked)
	u1, u2, u3 := linked.Profiles[0], linked.Profiles[1], linked.Profiles[3]
	both := func(step string, want change) {
		t.Helper()
		for name, r := range replicas {
			if got := r.changes(t)["buyers"]; fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("%s: %s: changes %v, want %v", step, name, got, want)
			}
		}
	}
	call(t, "PUT", a.base+"/v1/segments/buyers", `did("x")`, 200, nil)
	both("saved on A", change{Entered: []uint32{u1, u2}})
	for _, def := range []string{`did("y")`, `did("y")`} {
		call(t, "DELETE", b.base+"/v1/segments/buyers", "", 200, nil)
		call(t, "PUT", b.base+"/v1/segments/buyers", def, 200, nil)
		both("deleted and saved anew on B as "+def, change{Entered: []uint32{u2, u3}})
	}
}

// TestRecreatedSegmentAcrossRestart: a server that writes its snapshot (at shutdown)
// after another server deleted and saved anew a segment it holds, without syncing in
// between, starts from that snapshot seeing a new segment, as the saving server did:
// the snapshot says which incarnation of each segment it holds. Without it, the start
// took the segment for a redefinition, kept the snapshot's members and reported only
// the difference.
func TestRecreatedSegmentAcrossRestart(t *testing.T) {
	url := pgtest.URL(t)
	schema := pgtest.Schema(t, pgtest.Pool(t))
	clock := clientele.FixedClock(time.Date(2025, 3, 3, 0, 0, 0, 0, time.UTC))
	serve := func() (*replica, func()) {
		s, st := storageServer(t, url, schema, clock, nil)
		base, stop := start(t, s)
		return &replica{s: s, base: base}, func() {
			if err := stop(); err != nil {
				t.Error(err)
			}
			if err := s.snapshot(context.Background()); err != nil { // as run does on the way out
				t.Error(err)
			}
			st.close()
		}
	}
	a, stopA := serve()
	b, stopB := serve()
	defer stopB()
	var linked struct{ Profiles []uint32 }
	call(t, "POST", a.base+"/v1/events", followCalls, 200, &linked)
	u1, u2, u3 := linked.Profiles[0], linked.Profiles[1], linked.Profiles[3]
	call(t, "PUT", a.base+"/v1/segments/buyers", `did("x")`, 200, nil)
	for _, r := range []*replica{a, b} {
		if got, want := r.changes(t)["buyers"], (change{Entered: []uint32{u1, u2}}); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("changes after the save: %v, want %v", got, want)
		}
	}
	call(t, "DELETE", b.base+"/v1/segments/buyers", "", 200, nil)
	call(t, "PUT", b.base+"/v1/segments/buyers", `did("y")`, 200, nil)
	stopA() // A's snapshot, the latest, holds the old buyers and their members
	a, stopA = serve()
	defer stopA()
	want := change{Entered: []uint32{u2, u3}}
	for name, r := range map[string]*replica{"A, restarted": a, "B": b} {
		if got := r.changes(t)["buyers"]; fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s: changes after the delete and save on B: %v, want %v", name, got, want)
		}
	}
}

// pair returns two servers on one schema, A and B, without followers: each syncs only
// at its own requests (or when the test calls it), so the test orders the syncs. setup,
// if not nil, is called with each server (0 is A) before it serves.
func pair(t *testing.T, setup func(i int, s *server)) (a, b *replica, clock clientele.Clock) {
	t.Helper()
	url := pgtest.URL(t)
	schema := pgtest.Schema(t, pgtest.Pool(t))
	clock = clientele.FixedClock(time.Date(2025, 3, 3, 0, 0, 0, 0, time.UTC))
	var rs [2]*replica
	for i := range rs {
		s, _ := storageServer(t, url, schema, clock, nil)
		if setup != nil {
			setup(i, s)
		}
		base, stop := start(t, s)
		t.Cleanup(func() {
			if err := stop(); err != nil {
				t.Error(err)
			}
		})
		rs[i] = &replica{s: s, base: base}
	}
	return rs[0], rs[1], clock
}

// TestOwnPutLearnsIncarnation: a server that created a segment with a PUT, and whose
// changes were taken before its next sync (the Refresh of a read whose sync ran just
// before the PUT, called here directly), then meets the segment deleted and saved anew
// by another server: it is a new segment on both, everyone in it entering. The PUT did
// not learn the incarnation it created, so the sync after it took the new incarnation
// for a redefinition: it kept the members and reported +u3 -u1 where B reported u2 and
// u3 entering.
func TestOwnPutLearnsIncarnation(t *testing.T) {
	a, b, clock := pair(t, nil)
	var linked struct{ Profiles []uint32 }
	call(t, "POST", a.base+"/v1/events", followCalls, 200, &linked)
	u1, u2, u3 := linked.Profiles[0], linked.Profiles[1], linked.Profiles[3]
	call(t, "PUT", a.base+"/v1/segments/buyers", `did("x")`, 200, nil)
	cs, err := a.s.seg.Refresh(clock.Now())
	if err != nil || len(cs) != 1 || fmt.Sprint(cs[0].Entered.ToArray()) != fmt.Sprint([]uint32{u1, u2}) {
		t.Fatalf("A's refresh after its PUT: %v, %v", cs, err)
	}
	call(t, "DELETE", b.base+"/v1/segments/buyers", "", 200, nil)
	call(t, "PUT", b.base+"/v1/segments/buyers", `did("y")`, 200, nil)
	want := change{Entered: []uint32{u2, u3}}
	for name, r := range map[string]*replica{"A": a, "B": b} {
		if got := r.changes(t)["buyers"]; fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s: changes after B deleted and saved anew the segment A created: %v, want %v", name, got, want)
		}
	}
}

// TestConcurrentCreations: two running servers create segments of the same names at
// once, B sometimes deleting one and creating it again while A writes it, as readers on
// both take their changes. Both end with the store's definition and incarnation of
// every segment, none stuck; and from there, a segment B deletes and saves anew is a
// new segment on both (everyone in it entering). (A deleted segment's members are not
// reported leaving, so the changes during the writes do not add up to the members:
// only the end is checked.)
func TestConcurrentCreations(t *testing.T) {
	url := pgtest.URL(t)
	pool := pgtest.Pool(t)
	schema := pgtest.Schema(t, pool)
	clock := clientele.FixedClock(time.Date(2025, 3, 3, 0, 0, 0, 0, time.UTC))
	a, b := startReplica(t, url, schema, clock), startReplica(t, url, schema, clock)
	var linked struct{ Profiles []uint32 }
	call(t, "POST", a.base+"/v1/events", followCalls, 200, &linked)
	u1, u2 := linked.Profiles[0], linked.Profiles[1]
	defs := []string{`did("x")`, `did("y")`, `did("x") and did("y")`, `not did("x")`}
	ctx, stopReaders := context.WithCancel(context.Background())
	var readers sync.WaitGroup
	for _, r := range []*replica{a, b} {
		readers.Go(func() {
			for ctx.Err() == nil {
				r.changes(t)
			}
		})
	}
	var names []string
	for round := range 12 {
		name := fmt.Sprintf("s%d", round%4)
		if round < 4 {
			names = append(names, name)
		}
		var writers sync.WaitGroup
		for w, r := range []*replica{a, b} {
			writers.Go(func() {
				if w == 1 && round >= 4 {
					// 404 if B's sync has not brought A's creation yet.
					req, _ := http.NewRequest("DELETE", r.base+"/v1/segments/"+name, nil)
					resp, err := http.DefaultClient.Do(req)
					if err != nil {
						t.Error(err)
						return
					}
					resp.Body.Close()
				}
				call(t, "PUT", r.base+"/v1/segments/"+name, defs[(round+w)%len(defs)], 200, nil)
			})
		}
		writers.Wait()
	}
	stopReaders()
	readers.Wait()
	store, err := segpg.Open(context.Background(), pool, &segpg.Options{Schema: schema})
	if err != nil {
		t.Fatal(err)
	}
	vers, err := store.Versions(savedPrefix)
	if err != nil {
		t.Fatal(err)
	}
	for who, r := range map[string]*replica{"A": a, "B": b} {
		within(t, who+" holds the store's definitions and incarnations", func() bool {
			r.s.putMu.Lock()
			defer r.s.putMu.Unlock()
			for _, n := range names {
				def, err := store.Get(savedPrefix + n)
				if err != nil || r.definition(n) != string(def) || r.s.savedVers[n] != vers[savedPrefix+n] {
					return false
				}
			}
			return true
		})
		if len(r.s.savedStuck) > 0 {
			t.Errorf("%s: definitions not applied: %v", who, r.s.savedStuck)
		}
		r.changes(t)
	}
	for _, n := range names {
		call(t, "DELETE", b.base+"/v1/segments/"+n, "", 200, nil)
		call(t, "PUT", b.base+"/v1/segments/"+n, `did("x")`, 200, nil)
	}
	want := change{Entered: []uint32{u1, u2}}
	for who, r := range map[string]*replica{"A": a, "B": b} {
		cs := r.changes(t)
		for _, n := range names {
			if got := cs[n]; fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("%s: %s deleted and saved anew on B: changes %v, want %v", who, n, got, want)
			}
		}
	}
}

// TestRecreatedReferencedSegment: between two syncs of A, B points r away from s,
// deletes s, saves s anew and points r back. s is a new segment on A too (everyone in
// it enters) and r keeps its members (only the difference is reported), as on B, with
// nothing logged. A could not delete s (r, unchanged, references it): s kept its old
// definition and members, with a warning, until r or s was written again.
func TestRecreatedReferencedSegment(t *testing.T) {
	var logged strings.Builder
	var logMu sync.Mutex
	a, b, _ := pair(t, func(i int, s *server) {
		if i == 0 {
			s.log = slog.New(slog.NewTextHandler(writerFunc(func(p []byte) (int, error) {
				logMu.Lock()
				defer logMu.Unlock()
				return logged.Write(p)
			}), &slog.HandlerOptions{Level: slog.LevelWarn}))
		}
	})
	var linked struct{ Profiles []uint32 }
	call(t, "POST", a.base+"/v1/events", followCalls, 200, &linked)
	u1, u2, u3 := linked.Profiles[0], linked.Profiles[1], linked.Profiles[3]
	call(t, "PUT", a.base+"/v1/segments/s", `did("x")`, 200, nil)
	call(t, "PUT", a.base+"/v1/segments/r", `segment:s`, 200, nil)
	want := map[string]change{"s": {Entered: []uint32{u1, u2}}, "r": {Entered: []uint32{u1, u2}}}
	for name, r := range map[string]*replica{"A": a, "B": b} {
		if got := r.changes(t); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("%s: changes after the saves: %v, want %v", name, got, want)
		}
	}
	call(t, "PUT", b.base+"/v1/segments/r", `did("y")`, 200, nil)
	call(t, "DELETE", b.base+"/v1/segments/s", "", 200, nil)
	call(t, "PUT", b.base+"/v1/segments/s", `did("y")`, 200, nil)
	call(t, "PUT", b.base+"/v1/segments/r", `segment:s`, 200, nil)
	want = map[string]change{"s": {Entered: []uint32{u2, u3}}, "r": {Entered: []uint32{u3}, Exited: []uint32{u1}}}
	for name, r := range map[string]*replica{"A": a, "B": b} {
		if got := r.changes(t); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s: changes after B re-created s under r: %v, want %v", name, got, want)
		}
		if d := r.definition("s"); d != canon(`did("y")`) {
			t.Errorf("%s: s is %q", name, d)
		}
	}
	logMu.Lock()
	defer logMu.Unlock()
	if logged.Len() > 0 || len(a.s.savedStuck) > 0 {
		t.Errorf("A logged %q, stuck %v", logged.String(), a.s.savedStuck)
	}
}

// TestEventsOfProfilesLinkedMeanwhile: A links two people and appends their events
// between B's identity catch-up and its reading of the events (a hook in B's refresh).
// B applies them to the people's profiles once identity has caught up again. Before,
// B met keys it did not know yet and put the events under key 0, so that the people
// never entered B's segments (TestConcurrentCreations failed so, now and then).
func TestEventsOfProfilesLinkedMeanwhile(t *testing.T) {
	var aBase string
	var once sync.Once
	var linked struct{ Profiles []uint32 }
	a, b, _ := pair(t, func(i int, s *server) {
		if i == 1 {
			s.afterCatchUp = func() {
				once.Do(func() { call(t, "POST", aBase+"/v1/events", followCalls, 200, &linked) })
			}
		}
	})
	aBase = a.base
	call(t, "PUT", b.base+"/v1/segments/buyers", `did("x")`, 200, nil)
	if len(linked.Profiles) != 4 {
		t.Fatalf("A linked %v; want the four calls' profiles", linked.Profiles)
	}
	want := change{Entered: []uint32{linked.Profiles[0], linked.Profiles[1]}}
	for who, r := range map[string]*replica{"A": a, "B": b} {
		if got := r.changes(t)["buyers"]; fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s: changes %v, want %v", who, got, want)
		}
	}
}
