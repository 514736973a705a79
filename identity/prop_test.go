package identity_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/clientele-go/clientele/identity"
	"github.com/google/go-cmp/cmp"
	"pgregory.net/rapid"
)

var (
	ctx = context.Background()
	t0  = time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)
)

// genID draws from a small universe so that events collide and profiles merge.
func genID() *rapid.Generator[identity.ID] {
	return rapid.Custom(func(t *rapid.T) identity.ID {
		return identity.ID{
			Kind:  rapid.SampledFrom([]string{"a", "b", "c"}).Draw(t, "kind"),
			Value: rapid.SampledFrom([]string{"1", "2", "3", "4", "5", "6"}).Draw(t, "value"),
		}
	})
}

func genEvent() *rapid.Generator[[]identity.ID] { return rapid.SliceOfN(genID(), 1, 4) }

var universe = func() []identity.ID {
	var out []identity.ID
	for _, k := range []string{"a", "b", "c"} {
		for _, v := range []string{"1", "2", "3", "4", "5", "6"} {
			out = append(out, identity.ID{Kind: k, Value: v})
		}
	}
	return out
}()

// partition returns the resolver's profiles over the universe, as sorted sets.
func partition(t rapid.TB, r *identity.Resolver) [][]identity.ID {
	byKey := map[uint32][]identity.ID{}
	for _, id := range universe {
		if p, ok := r.Lookup(id); ok {
			byKey[p] = append(byKey[p], id)
		}
	}
	var out [][]identity.ID
	for _, ids := range byKey {
		sortIDs(ids)
		out = append(out, ids)
	}
	slices.SortFunc(out, func(a, b []identity.ID) int { return cmpID(a[0], b[0]) })
	return out
}

func cmpID(a, b identity.ID) int {
	if a.Kind != b.Kind {
		if a.Kind < b.Kind {
			return -1
		}
		return 1
	}
	if a.Value < b.Value {
		return -1
	} else if a.Value > b.Value {
		return 1
	}
	return 0
}

// keysOf returns the profile of every identifier of the universe.
func keysOf(r *identity.Resolver) map[identity.ID]uint32 {
	out := map[identity.ID]uint32{}
	for _, id := range universe {
		if p, ok := r.Lookup(id); ok {
			out[id] = p
		}
	}
	return out
}

func mustLink(t rapid.TB, r *identity.Resolver, at time.Time, ids ...identity.ID) uint32 {
	t.Helper()
	p, err := r.Link(ctx, at, "test", ids...)
	if err != nil {
		t.Fatalf("Link(%v): %v", ids, err)
	}
	return p
}

// resolverSM is the state machine of StateMachineActions: a resolver on a FileStore
// with zero Rules, held against the reference model after every action.
type resolverSM struct {
	dir    string
	store  *identity.FileStore
	r      *identity.Resolver
	m      *model
	now    time.Time
	merges []identity.Merge
	splits []identity.Split
}

func (sm *resolverSM) open(t *rapid.T) {
	s, err := identity.OpenFileStore(filepath.Join(sm.dir, "identity.log"), &identity.FileOptions{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	r, err := identity.New(identity.Rules{}, identity.WithStore(s),
		identity.OnMerge(func(m identity.Merge) { sm.merges = append(sm.merges, m) }),
		identity.OnSplit(func(s identity.Split) { sm.splits = append(sm.splits, s) }))
	if err != nil {
		t.Fatal(err)
	}
	sm.store, sm.r = s, r
}

func (sm *resolverSM) Link(t *rapid.T) {
	ev := genEvent().Draw(t, "event")
	sm.now = sm.now.Add(time.Minute)
	sm.merges = nil
	p, err := sm.r.Link(ctx, sm.now, "web", ev...)
	if err != nil {
		t.Fatal(err)
	}
	survivor, absorbed := sm.m.link(ev)
	if p != survivor {
		t.Fatalf("Link(%v) = %d, model %d", ev, p, survivor)
	}
	var want []identity.Merge
	if len(absorbed) > 0 {
		want = []identity.Merge{{Survivor: survivor, Absorbed: absorbed, At: sm.now, Cause: "web"}}
	}
	if diff := cmp.Diff(want, sm.merges); diff != "" {
		t.Fatalf("merges reported (-want +got):\n%s", diff)
	}
}

func (sm *resolverSM) Relink(t *rapid.T) {
	// Linking an event that was already linked changes nothing (idempotence).
	if len(sm.m.events) == 0 {
		t.Skip("no events")
	}
	ev := rapid.SampledFrom(sm.m.events).Draw(t, "event")
	var ids []identity.ID
	for _, n := range ev {
		ids = append(ids, sm.m.ids[n])
	}
	before := keysOf(sm.r)
	mustLink(t, sm.r, sm.now, ids...)
	sm.m.link(ids)
	if diff := cmp.Diff(before, keysOf(sm.r)); diff != "" {
		t.Fatalf("relinking %v changed profiles (-before +after):\n%s", ids, diff)
	}
}

func (sm *resolverSM) Unmerge(t *rapid.T) {
	id := rapid.SampledFrom(universe).Draw(t, "id")
	sm.splits = nil
	s, err := sm.r.Unmerge(ctx, sm.now, id)
	from, into, ok := sm.m.unmerge(id)
	if !ok {
		if !errors.Is(err, identity.ErrNotFound) {
			t.Fatalf("Unmerge(%v) of an unknown identifier: %v", id, err)
		}
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	if s.Profile != from || !slices.Equal(s.Into, into) || s.ID != id {
		t.Fatalf("Unmerge(%v) = %+v, model from %d into %v", id, s, from, into)
	}
	if len(into) > 1 && (len(sm.splits) != 1 || !slices.Equal(sm.splits[0].Into, into)) {
		t.Fatalf("splits reported %+v, want one into %v", sm.splits, into)
	}
}

func (sm *resolverSM) Forget(t *rapid.T) {
	k := uint32(rapid.IntRange(1, 12).Draw(t, "key"))
	err := sm.r.Forget(ctx, sm.now, k)
	if _, ok := sm.m.forget(k); !ok {
		if !errors.Is(err, identity.ErrNotFound) {
			t.Fatalf("Forget(%d) of an unknown profile: %v", k, err)
		}
		return
	}
	if err != nil {
		t.Fatal(err)
	}
}

func (sm *resolverSM) Reopen(t *rapid.T) {
	if err := sm.store.Close(); err != nil {
		t.Fatal(err)
	}
	sm.open(t)
}

func (sm *resolverSM) Compact(t *rapid.T) {
	if err := sm.r.Compact(); err != nil {
		t.Fatal(err)
	}
}

func (sm *resolverSM) Check(t *rapid.T) {
	for _, id := range universe {
		got, gok := sm.r.Lookup(id)
		want, wok := sm.m.lookup(id)
		if got != want || gok != wok {
			t.Fatalf("Lookup(%v) = %d, %v; model %d, %v", id, got, gok, want, wok)
		}
	}
	for k := uint32(0); k <= uint32(len(sm.m.seed)); k++ {
		if got, want := sm.r.Current(k), sm.m.current(k); got != want {
			t.Fatalf("Current(%d) = %d, model %d", k, got, want)
		}
		got := sm.r.Identifiers(k)
		sortIDs(got)
		if diff := cmp.Diff(sm.m.members(k), got); diff != "" {
			t.Fatalf("Identifiers(%d) (-model +resolver):\n%s", k, diff)
		}
	}
	if got, want := sm.r.Stats().Profiles, sm.m.profiles(); got != want {
		t.Fatalf("Stats().Profiles = %d, model %d", got, want)
	}
}

// TestStateMachine runs random sequences of Link, re-Link, Unmerge, Forget, Compact and
// reopening of a FileStore against the reference model.
func TestStateMachine(t *testing.T) {
	base := t.TempDir()
	rapid.Check(t, func(t *rapid.T) {
		dir, err := os.MkdirTemp(base, "sm")
		if err != nil {
			t.Fatal(err)
		}
		defer os.RemoveAll(dir)
		sm := &resolverSM{dir: dir, m: newModel(), now: t0}
		sm.open(t)
		defer func() { sm.store.Close() }()
		t.Repeat(rapid.StateMachineActions(sm))
	})
}

func genEvents(min, max int) *rapid.Generator[[][]identity.ID] {
	return rapid.SliceOfN(genEvent(), min, max)
}

func build(t rapid.TB, rules identity.Rules, events [][]identity.ID, opts ...identity.Option) *identity.Resolver {
	t.Helper()
	r, err := identity.New(rules, opts...)
	if err != nil {
		t.Fatal(err)
	}
	for i, ev := range events {
		mustLink(t, r, t0.Add(time.Duration(i)*time.Minute), ev...)
	}
	return r
}

// Where no rule intervenes, the partition does not depend on the order of the events.
func TestPropOrderIndependence(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		events := genEvents(0, 30).Draw(t, "events")
		shuffled := rapid.Permutation(events).Draw(t, "shuffled")
		a := partition(t, build(t, identity.Rules{}, events))
		b := partition(t, build(t, identity.Rules{}, shuffled))
		if diff := cmp.Diff(a, b); diff != "" {
			t.Fatalf("partition depends on order (-in order +shuffled):\n%s", diff)
		}
	})
}

// Linking every event a second time changes neither profiles nor keys where no rule
// intervenes and under limits. Quarantine is different by design: once an identifier
// is hot it stops anchoring events, so events linked before may link their other
// identifiers differently if sent again; but an event sent twice in a row still changes
// nothing the second time.
func TestPropIdempotence(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		limitsOnly := smallRules()
		limitsOnly.HotLimit = 0
		rules := rapid.SampledFrom([]identity.Rules{{}, limitsOnly}).Draw(t, "rules")
		events := genEvents(0, 30).Draw(t, "events")
		r := build(t, rules, events)
		before := keysOf(r)
		for _, ev := range events {
			mustLink(t, r, t0.Add(time.Hour), ev...)
		}
		if diff := cmp.Diff(before, keysOf(r)); diff != "" {
			t.Fatalf("linking again changed profiles (-before +after):\n%s", diff)
		}
	})
	rapid.Check(t, func(t *rapid.T) {
		r, err := identity.New(smallRules())
		if err != nil {
			t.Fatal(err)
		}
		for i, ev := range genEvents(0, 30).Draw(t, "events") {
			at := t0.Add(time.Duration(i) * time.Minute)
			p := mustLink(t, r, at, ev...)
			before := snapshot(r)
			if q := mustLink(t, r, at, ev...); q != p {
				t.Fatalf("event %d %v: profile %d, then %d", i, ev, p, q)
			}
			if diff := cmp.Diff(before, snapshot(r)); diff != "" {
				t.Fatalf("event %d %v sent twice (-once +twice):\n%s", i, ev, diff)
			}
		}
	})
}

// Unmerge followed by linking again the events that carried the identifier gives back the
// same profiles under the same keys.
func TestPropUnmergeRelink(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		events := genEvents(1, 30).Draw(t, "events")
		r := build(t, identity.Rules{}, events)
		id := rapid.SampledFrom(events[0]).Draw(t, "id")
		before := keysOf(r)
		if _, err := r.Unmerge(ctx, t0.Add(time.Hour), id); err != nil {
			t.Fatal(err)
		}
		for _, ev := range events {
			if slices.Contains(ev, id) {
				mustLink(t, r, t0.Add(2*time.Hour), ev...)
			}
		}
		if diff := cmp.Diff(before, keysOf(r)); diff != "" {
			t.Fatalf("unmerge %v then relink (-before +after):\n%s", id, diff)
		}
	})
}

// smallRules has limits and quarantine tight enough for the small universe to hit them:
// kind a is unique, b at most 2 per profile, c unlimited; quarantine past 3 profiles.
func smallRules() identity.Rules {
	return identity.Rules{
		Kinds: map[string]identity.KindRule{
			"a": {Priority: 1, Limit: 1},
			"b": {Priority: 2, Limit: 2},
			"c": {Priority: 3},
		},
		HotLimit: 3,
	}
}

// In every reachable state no profile holds more identifiers of a kind than its limit,
// and no profile joins identifiers that the events never connected.
func TestPropLimitsHold(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		rules := smallRules()
		r, err := identity.New(rules)
		if err != nil {
			t.Fatal(err)
		}
		ref := newModel()
		for i, ev := range genEvents(0, 40).Draw(t, "events") {
			mustLink(t, r, t0.Add(time.Duration(i)*time.Minute), ev...)
			ref.link(ev)
			if rapid.IntRange(0, 9).Draw(t, "unmerge?") == 0 {
				id := rapid.SampledFrom(ev).Draw(t, "unmerge")
				if _, err := r.Unmerge(ctx, t0, id); err != nil {
					t.Fatal(err)
				}
				ref.unmerge(id)
			}
			for _, part := range partition(t, r) {
				count := map[string]int{}
				for _, id := range part {
					count[id.Kind]++
				}
				for kind, kr := range rules.Kinds {
					if kr.Limit > 0 && count[kind] > kr.Limit {
						t.Fatalf("profile %v holds %d of kind %s, limit %d", part, count[kind], kind, kr.Limit)
					}
				}
				p, _ := ref.lookup(part[0])
				for _, id := range part[1:] {
					if q, _ := ref.lookup(id); q != p {
						t.Fatalf("profile %v joins %v and %v, which no event connects", part, part[0], id)
					}
				}
			}
		}
	})
}

// A FileStore reopened after any sequence of mutations gives the same answers, and so
// does one rewritten by Compact.
func TestPropFileStoreReopen(t *testing.T) {
	base := t.TempDir()
	rapid.Check(t, func(t *rapid.T) {
		dir, err := os.MkdirTemp(base, "reopen")
		if err != nil {
			t.Fatal(err)
		}
		defer os.RemoveAll(dir)
		path := filepath.Join(dir, "id.log")
		s, r := openFile(t, path)
		for i, ev := range genEvents(0, 30).Draw(t, "events") {
			mustLink(t, r, t0.Add(time.Duration(i)*time.Minute), ev...)
			switch rapid.IntRange(0, 12).Draw(t, "op") {
			case 0:
				r.Unmerge(ctx, t0, rapid.SampledFrom(ev).Draw(t, "unmerge"))
			case 1:
				if p, ok := r.Lookup(ev[0]); ok {
					if err := r.Forget(ctx, t0, p); err != nil {
						t.Fatal(err)
					}
				}
			}
		}
		compact := rapid.Bool().Draw(t, "compact")
		if compact {
			if err := r.Compact(); err != nil {
				t.Fatal(err)
			}
		}
		want := snapshot(r)
		s.Close()
		s2, err := identity.OpenFileStore(path, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer s2.Close()
		r2, err := identity.New(smallRules(), identity.WithStore(s2))
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, snapshot(r2)); diff != "" {
			t.Fatalf("reopened store differs (compact=%v) (-before +after):\n%s", compact, diff)
		}
	})
}

// snapshot is everything a caller can ask a resolver about the universe.
func snapshot(r *identity.Resolver) map[string]any {
	out := map[string]any{"lookup": keysOf(r), "stats": r.Stats().Profiles}
	for k := uint32(1); k < 64; k++ {
		out[fmt.Sprint("current ", k)] = r.Current(k)
		out[fmt.Sprint("ids ", k)] = r.Identifiers(k)
	}
	return out
}

// openFile opens a FileStore at path and a resolver with smallRules on it.
func openFile(t rapid.TB, path string) (*identity.FileStore, *identity.Resolver) {
	t.Helper()
	s, err := identity.OpenFileStore(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	r, err := identity.New(smallRules(), identity.WithStore(s))
	if err != nil {
		t.Fatal(err)
	}
	return s, r
}

// TestLookupManyEqualsLookup: whatever was linked, forgotten or unmerged, LookupMany
// answers each identifier as Lookup does (0 for none), across its groups of 32, for
// known, unknown, blocked, unparseable and malformed identifiers and unknown kinds.
func TestLookupManyEqualsLookup(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		r, err := identity.New(identity.DefaultRules())
		if err != nil {
			t.Fatal(err)
		}
		pool := []identity.ID{
			{Kind: "email", Value: "Anna@Example.com"}, {Kind: "email", Value: "anna@example.com"},
			{Kind: "email", Value: "not an address"}, {Kind: "email", Value: "null"},
			{Kind: "phone", Value: "+44 20 7946 0000"}, {Kind: "phone", Value: "12"},
			{Kind: "device_id", Value: "d1"}, {Kind: "device_id", Value: "d2"}, {Kind: "user_id", Value: "u1"},
			{Kind: "user_id", Value: "u2"}, {Kind: "anonymous_id", Value: "x"}, {Kind: "", Value: "x"},
			{Kind: "unheard_of", Value: "x"}, {Kind: "device_id", Value: "\xff"},
		}
		for _, ev := range rapid.SliceOfN(rapid.SliceOfN(rapid.SampledFrom(pool), 1, 3), 0, 12).Draw(t, "events") {
			r.Link(ctx, t0, "web", ev...) // refusals and drops are part of the state
		}
		if rapid.Bool().Draw(t, "forget") {
			if p, ok := r.Lookup(pool[6]); ok {
				r.Forget(ctx, t0, p)
			}
		}
		// Long enough, mostly, to span groups, so that each group's state is seen
		// to start afresh.
		query := rapid.SliceOfN(rapid.SampledFrom(pool), rapid.SampledFrom([]int{0, 1, 33, 70}).Draw(t, "least"), 100).Draw(t, "query")
		prefix := []uint32{7}
		got := r.LookupMany(prefix, query...)
		want := []uint32{7}
		for _, id := range query {
			k, _ := r.Lookup(id)
			want = append(want, k)
		}
		if !slices.Equal(got, want) {
			t.Fatalf("LookupMany %v, Lookup one by one %v", got, want)
		}
	})
}
