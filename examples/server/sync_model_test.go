package main

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clientele-go/clientele"
	"github.com/clientele-go/clientele/identity"
	"github.com/clientele-go/clientele/segment"
	segpg "github.com/clientele-go/clientele/segment/pgstore"
	"pgregory.net/rapid"
)

// versionedMem is a segment store in memory that numbers writes and creations as
// segment/pgstore does (Versions): another server's view of the shared rows, for tests
// of the sync that need no database.
type versionedMem struct {
	mu    sync.Mutex
	blobs map[string][]byte
	vers  map[string]segpg.Version
	next  int64
	// beforePut, if set, runs (once, then cleared) at the start of the next
	// PutVersion: another server's writes landing between this server's sync and its
	// write.
	beforePut func()
}

func (m *versionedMem) Put(name string, data []byte) error {
	_, err := m.PutVersion(name, data)
	return err
}

func (m *versionedMem) PutVersion(name string, data []byte) (segpg.Version, error) {
	m.mu.Lock()
	hook := m.beforePut
	m.beforePut = nil
	m.mu.Unlock()
	if hook != nil {
		hook()
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.blobs == nil {
		m.blobs, m.vers = map[string][]byte{}, map[string]segpg.Version{}
	}
	m.next++
	v, ok := m.vers[name]
	if !ok {
		v.Incarnation = m.next
	}
	v.Write = m.next
	m.blobs[name], m.vers[name] = slices.Clone(data), v
	return v, nil
}

func (m *versionedMem) Get(name string) ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	b, ok := m.blobs[name]
	if !ok {
		return nil, fmt.Errorf("get %q: %w", name, segment.ErrNotFound)
	}
	return slices.Clone(b), nil
}

func (m *versionedMem) Delete(name string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.blobs[name]; !ok {
		return fmt.Errorf("delete %q: %w", name, segment.ErrNotFound)
	}
	delete(m.blobs, name)
	delete(m.vers, name)
	return nil
}

func (m *versionedMem) List() ([]string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Sorted(maps.Keys(m.blobs)), nil
}

func (m *versionedMem) Versions(prefix string) (map[string]segpg.Version, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := map[string]segpg.Version{}
	for n, v := range m.vers {
		if strings.HasPrefix(n, prefix) {
			out[n] = v
		}
	}
	return out, nil
}

// TestSyncAgainstModel: another server creates, redefines, deletes and creates again
// segments in the shared store, in any order, while this one syncs (and refreshes its
// changes), saves and deletes segments itself, and restarts from its snapshot at random
// moments. Its changes must be those of a reference model in which a segment's
// reported members start empty at every new incarnation and carry over a
// redefinition: what the servers that followed every write report, the writing one
// included. The server's own PUT may land on a definition the other server deleted and
// saved anew after this one's last sync; and its changes may be taken between its own
// PUT and its next sync (a read whose sync ran before a PUT on another request, and
// whose Refresh after it), so that the incarnation its own PUT created is the one the
// next sync compares with.
func TestSyncAgainstModel(t *testing.T) {
	// Each definition and the people in it: 0 did x, 1 did x and y, 2 did y.
	defs := map[string][]int{}
	for def, in := range map[string][]int{`did("x")`: {0, 1}, `did("y")`: {1, 2}, `did("x") AND did("y")`: {1}, `NOT did("x")`: {2}} {
		defs[segment.Must(def).String()] = in
	}
	defKeys := slices.Sorted(maps.Keys(defs))
	names := []string{"a", "b", "c"}
	clock := clientele.FixedClock(time.Date(2025, 3, 3, 0, 0, 0, 0, time.UTC))
	rapid.Check(t, func(t *rapid.T) {
		st, err := openStorage(context.Background(), "mem:", "", 0)
		if err != nil {
			t.Fatal(err)
		}
		store := &versionedMem{}
		st.segments = store
		st.follow = func(context.Context, func(context.Context) error) error { return nil } // shared
		s, err := newServerOn(context.Background(), clock, st)
		if err != nil {
			t.Fatal(err)
		}
		var evs []event
		var people []uint32
		for i, did := range []string{"x", "xy", "y"} {
			p, err := s.ids.Link(context.Background(), clock.Now().Add(-time.Hour), "web", identity.ID{Kind: "user_id", Value: fmt.Sprint("u", i)}) // "0" is a blocked value: key 0
			if err != nil {
				t.Fatal(err)
			}
			people = append(people, p)
			for _, n := range did {
				evs = append(evs, event{At: clock.Now().Add(-time.Hour), Name: string(n), Profile: p})
			}
		}
		if _, err := s.record(context.Background(), evs...); err != nil {
			t.Fatal(err)
		}
		// held is a segment as the server should hold it: the incarnation and the
		// definition of the storage's row as of the server's last sync or own write, and
		// the members its changes reported since that incarnation began.
		type held struct {
			incarnation int64
			def         string
			reported    map[uint32]bool
		}
		model := map[string]*held{}
		// syncModel takes the storage's rows as the server's view: after a sync, and
		// after the server's own PUT or DELETE (which syncs, then writes).
		syncModel := func() {
			vers, _ := store.Versions(savedPrefix)
			for name := range model {
				if _, ok := vers[savedPrefix+name]; !ok {
					delete(model, name)
				}
			}
			for blob, v := range vers {
				name := strings.TrimPrefix(blob, savedPrefix)
				def, _ := store.Get(blob)
				if h, ok := model[name]; !ok || h.incarnation != v.Incarnation {
					model[name] = &held{v.Incarnation, string(def), map[uint32]bool{}}
				} else {
					h.def = string(def)
				}
			}
		}
		checkChanges := func(t *rapid.T) {
			cs, err := s.seg.Refresh(clock.Now())
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]string{}
			for _, c := range cs {
				got[c.Segment] = fmt.Sprint(c.Entered.ToArray(), c.Exited.ToArray())
			}
			want := map[string]string{}
			for name, h := range model {
				now := map[uint32]bool{}
				for _, i := range defs[h.def] {
					now[people[i]] = true
				}
				var in, out []uint32
				for p := range now {
					if !h.reported[p] {
						in = append(in, p)
					}
				}
				for p := range h.reported {
					if !now[p] {
						out = append(out, p)
					}
				}
				h.reported = now
				if len(in)+len(out) > 0 {
					slices.Sort(in)
					slices.Sort(out)
					want[name] = fmt.Sprint(in, out)
				}
			}
			if !maps.Equal(got, want) {
				t.Fatalf("changes %v, want %v (stuck: %v)", got, want, s.savedStuck)
			}
		}
		own := func(t *rapid.T, method, name, body string, ok ...int) {
			w := httptest.NewRecorder()
			s.routes().ServeHTTP(w, httptest.NewRequest(method, "/v1/segments/"+name, strings.NewReader(body)))
			if !slices.Contains(ok, w.Code) {
				t.Fatalf("%s %s: %d %s", method, name, w.Code, w.Body)
			}
			syncModel()
		}
		t.Repeat(map[string]func(t *rapid.T){
			"put": func(t *rapid.T) {
				name := rapid.SampledFrom(names).Draw(t, "name")
				def := rapid.SampledFrom(defKeys).Draw(t, "def")
				store.Put(savedPrefix+name, []byte(def))
			},
			"delete": func(t *rapid.T) {
				store.Delete(savedPrefix + rapid.SampledFrom(names).Draw(t, "name"))
			},
			"own put": func(t *rapid.T) {
				name := rapid.SampledFrom(names).Draw(t, "name")
				def := rapid.SampledFrom(defKeys).Draw(t, "def")
				if rapid.Bool().Draw(t, "re-created by the other server between this one's sync and its write") {
					other := rapid.SampledFrom(defKeys).Draw(t, "other def")
					store.beforePut = func() {
						store.Delete(savedPrefix + name)
						store.Put(savedPrefix+name, []byte(other))
					}
				}
				own(t, "PUT", name, def, http.StatusOK)
			},
			"own delete": func(t *rapid.T) {
				own(t, "DELETE", rapid.SampledFrom(names).Draw(t, "name"), "", http.StatusOK, http.StatusNotFound)
			},
			"sync": func(t *rapid.T) {
				if err := s.refresh(context.Background()); err != nil {
					t.Fatal(err)
				}
				syncModel()
				checkChanges(t)
			},
			"changes": checkChanges,
			"restart": func(t *rapid.T) {
				if err := s.snapshot(context.Background()); err != nil {
					t.Fatal(err)
				}
				if s, err = newServerOn(context.Background(), clock, st); err != nil {
					t.Fatal(err)
				}
				syncModel()
			},
		})
	})
}
