package pipeline

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"pgregory.net/rapid"

	"github.com/clientele-go/clientele/identity"
)

// The resolve pipeline's functions, driven in memory: every grouping a shuffle could
// make is drawn at random, so the rapid properties below cover what Prism runs in
// the tests of resolve_test.go, thousands of times faster.

func init() {
	// Tight limits and a low hot limit make refusals and quarantines common.
	RegisterRules("tight", func() identity.Rules {
		r := identity.DefaultRules()
		r.HotLimit = 2
		for k, kr := range r.Kinds {
			if kr.Limit > 1 {
				kr.Limit = 2
			}
			r.Kinds[k] = kr
		}
		return r
	})
	RegisterKey("test", func() ([]byte, error) { return []byte("a test key, not a secret"), nil })
}

type edge = [2]string

// groupApply is one GroupByKey between a keying function and a per-key function.
func groupApply(r *rand.Rand, edges []edge, key func(u, v string, emit func(string, string)), op func(u string, next func(*string) bool, emit func(string, string))) []edge {
	groups := map[string][]string{}
	for _, e := range edges {
		key(e[0], e[1], func(k, v string) { groups[k] = append(groups[k], v) })
	}
	var out []edge
	for _, k := range shuffled(r, keysOf(groups)) {
		vs := shuffled(r, groups[k])
		i := 0
		op(k, func(v *string) bool {
			if i == len(vs) {
				return false
			}
			*v, i = vs[i], i+1
			return true
		}, func(a, b string) { out = append(out, edge{a, b}) })
	}
	return out
}

func keysOf[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func shuffled[T any](r *rand.Rand, xs []T) []T {
	xs = slices.Clone(xs)
	r.Shuffle(len(xs), func(i, j int) { xs[i], xs[j] = xs[j], xs[i] })
	return xs
}

// localComponents runs large-star/small-star rounds until the star check passes and
// returns the labels of the nodes that have a parent and the rounds it took.
func localComponents(r *rand.Rand, edges []edge, maxRounds int) (map[string]string, int, error) {
	for round := 1; round <= maxRounds; round++ {
		edges = groupApply(r, edges, bothWays, largeStar)
		edges = groupApply(r, edges, smallStarKey, smallStar)
		bad := 0
		groupApply(r, edges, starRoles, func(u string, next func(*string) bool, _ func(string, string)) {
			starViolations(u, next, func(n int) { bad += n })
		})
		if bad == 0 {
			parent := map[string]string{}
			for _, e := range edges {
				parent[e[0]] = e[1]
			}
			return parent, round, nil
		}
	}
	return nil, 0, fmt.Errorf("not converged after %d rounds", maxRounds)
}

// resolveLocal is Resolve's stages in memory, with components replayed in a random
// order by replayers that are replaced at random (as bundles would).
func resolveLocal(r *rand.Rand, rules, key string, events []identity.Event) (result, error) {
	res0, err := resolverFor(rules, key)
	if err != nil {
		return result{}, err
	}
	var edges []edge
	byNode := map[string][][]byte{}
	for _, e := range shuffled(r, events) {
		nodes := prepare(res0, e)
		if len(nodes) == 0 {
			continue
		}
		for _, n := range nodes[1:] {
			if n != nodes[0] {
				edges = append(edges, edge{n, nodes[0]})
			}
		}
		byNode[nodes[0]] = append(byNode[nodes[0]], encodeLink(e))
	}
	parent, _, err := localComponents(r, edges, DefaultRounds)
	if err != nil {
		return result{}, err
	}
	byLabel := map[string][][]byte{}
	for n, es := range byNode {
		label := n
		if p, ok := parent[n]; ok {
			label = p
		}
		byLabel[label] = append(byLabel[label], es...)
	}
	p := &replayer{rules: rules, key: key}
	var made []creation
	results := map[string]result{}
	for _, label := range shuffled(r, keysOf(byLabel)) {
		if r.IntN(3) == 0 {
			p = &replayer{rules: rules, key: key}
		}
		m, res, err := p.replay(label, shuffled(r, byLabel[label]), nil)
		if err != nil {
			return result{}, err
		}
		made = append(made, m...)
		if len(m) > 0 {
			// The result travels encoded, as in the pipeline.
			if results[label], err = decodeResult(encodeResult(res)); err != nil {
				return result{}, err
			}
		}
	}
	buckets := map[int64][]creation{}
	counts := &bucketCounts{n: map[int64]uint64{}}
	for _, c := range made {
		b := bucketOf(c.pos)
		buckets[b] = append(buckets[b], c)
		offsetsFn{}.AddInput(counts, b)
	}
	table, err := offsetsFn{}.ExtractOutput(counts)
	if err != nil {
		return result{}, err
	}
	offsets, err := decodeBucketCounts(table)
	if err != nil {
		return result{}, err
	}
	global := map[string]map[uint32]uint32{}
	for b, cs := range buckets {
		cs = shuffled(r, cs)
		for i, g := range number(cs, offsets.n[b]) {
			if global[cs[i].label] == nil {
				global[cs[i].label] = map[uint32]uint32{}
			}
			global[cs[i].label][cs[i].key] = g
		}
	}
	var all result
	for label, res := range results {
		res, err := rewrite(res, global[label])
		if err != nil {
			return result{}, err
		}
		all.assignments = append(all.assignments, res.assignments...)
		all.merges = append(all.merges, res.merges...)
		all.splits = append(all.splits, res.splits...)
		all.moves = append(all.moves, res.moves...)
	}
	return all, nil
}

// inProcess feeds events in SortLinks order to one identity.Resolver (with the HMAC
// key registered under key, if not empty) and returns what Resolve should produce.
func inProcess(t interface{ Fatal(...any) }, rules, key string, events []identity.Event) result {
	var want result
	f, _ := rulesByName.Load(rules)
	opts := []identity.Option{
		identity.OnMerge(func(m identity.Merge) { want.merges = append(want.merges, m) }),
		identity.OnSplit(func(s identity.Split) { want.splits = append(want.splits, s) }),
	}
	if key != "" {
		kf, _ := keysByName.Load(key)
		k, err := kf.(func() ([]byte, error))()
		if err != nil {
			t.Fatal(err)
		}
		opts = append(opts, identity.WithHMAC(k))
	}
	r, err := identity.New(f.(func() identity.Rules)(), opts...)
	if err != nil {
		t.Fatal(err)
	}
	sorted := slices.Clone(events)
	SortLinks(sorted)
	for _, e := range sorted {
		// Refused events change nothing.
		if e.Match != nil {
			r.LinkMatch(context.Background(), e.At, e.Source, *e.Match, e.IDs...)
		} else {
			r.Link(context.Background(), e.At, e.Source, e.IDs...)
		}
	}
	for k := uint32(1); r.Current(k) != 0; k++ {
		if c := r.Current(k); c != k {
			want.moves = append(want.moves, Move{Key: k, Current: c})
			continue
		}
		for _, id := range r.Identifiers(k) {
			want.assignments = append(want.assignments, Assignment{ID: id, Profile: k})
		}
	}
	return want
}

// sortResult orders a result's parts so that two results compare as multisets.
func sortResult(r result) result {
	slices.SortFunc(r.assignments, func(a, b Assignment) int { return strings.Compare(a.ID.String(), b.ID.String()) })
	slices.SortStableFunc(r.merges, func(a, b identity.Merge) int {
		if c := a.At.Compare(b.At); c != 0 {
			return c
		}
		if c := int(a.Survivor) - int(b.Survivor); c != 0 {
			return c
		}
		return slices.Compare(a.Absorbed, b.Absorbed)
	})
	slices.SortStableFunc(r.splits, func(a, b identity.Split) int {
		if c := a.At.Compare(b.At); c != 0 {
			return c
		}
		return int(a.Profile) - int(b.Profile)
	})
	slices.SortFunc(r.moves, func(a, b Move) int { return int(a.Key) - int(b.Key) })
	return r
}

var resultCmp = []cmp.Option{
	cmp.AllowUnexported(result{}), cmpopts.EquateEmpty(),
	cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) }),
}

// drawLinks draws events over a small space of identifiers, so that components,
// limits, quarantines, dropped values and ties at one instant are all common.
func drawLinks(t *rapid.T) []identity.Event {
	values := map[string][]string{
		"user_id":      {"u1", "u2", "u3", "u4", " u1"},
		"email":        {"a@x.com", "A@X.com", "b@x.com", "c.d+e@gmail.com", "cd@gmail.com", "f@x.com", "not-an-email", "null"},
		"phone":        {"+14155550100", "+1 415 555 0101", "+14155550102", "+442079460958"},
		"device_id":    {"d1", "d2", "d3", "d4", "d5", "d6", "undefined"},
		"anonymous_id": {"a1", "a2", "a3", "a4", "a5", "a6", "a7", "a8"},
		"social_id":    {"s1", "s2"},
		"":             {"bad"},
	}
	kinds := keysOf(values)
	base := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	n := rapid.IntRange(0, 40).Draw(t, "events")
	var out []identity.Event
	for i := range n {
		var ids []identity.ID
		for range rapid.IntRange(1, 4).Draw(t, fmt.Sprint("ids", i)) {
			k := rapid.SampledFrom(kinds).Draw(t, "kind")
			if k == "" && rapid.IntRange(0, 5).Draw(t, "invalid") != 0 {
				k = "anonymous_id"
			}
			ids = append(ids, identity.ID{Kind: k, Value: rapid.SampledFrom(values[k]).Draw(t, "value")})
		}
		// A few instants hours apart, some shared, some before 1970.
		at := base.Add(time.Duration(rapid.IntRange(-3, 8).Draw(t, "hour"))*time.Hour +
			time.Duration(rapid.IntRange(0, 2).Draw(t, "second"))*time.Second)
		if rapid.IntRange(0, 20).Draw(t, "old") == 0 {
			at = time.Date(1969, 12, 31, 23, 30, 0, 0, time.UTC)
		}
		e := identity.Event{At: at, Source: rapid.SampledFrom([]string{"web", "store"}).Draw(t, "source"), IDs: ids}
		// Some events are probabilistic matches, a few with weights LinkMatch refuses;
		// weights repeat, so that two matches can tie on everything else.
		switch rapid.IntRange(0, 9).Draw(t, "match") {
		case 0, 1:
			e.Match = &identity.Match{Weight: rapid.SampledFrom([]float64{-2.5, 0, 7.25, 13}).Draw(t, "weight")}
		case 2:
			if rapid.IntRange(0, 3).Draw(t, "bad weight") == 0 {
				e.Match = &identity.Match{Weight: math.NaN()}
			}
		}
		out = append(out, e)
	}
	return out
}

// The pipeline's stages, under any grouping and order a shuffle could give, equal
// identity.Resolver fed the events in SortLinks order: the same assignments under
// the same keys, the same moves, merges and splits.
func TestResolveStagesEqualResolver(t *testing.T) {
	for _, c := range []struct{ rules, key string }{{"none", ""}, {"default", ""}, {"tight", ""}, {"tight", "test"}} {
		t.Run(c.rules+"/"+c.key, func(t *testing.T) {
			rapid.Check(t, func(t *rapid.T) {
				events := drawLinks(t)
				r := rand.New(rand.NewPCG(rapid.Uint64().Draw(t, "seed"), 1))
				got, err := resolveLocal(r, c.rules, c.key, events)
				if err != nil {
					t.Fatal(err)
				}
				want := inProcess(t, c.rules, c.key, events)
				if d := cmp.Diff(sortResult(want), sortResult(got), resultCmp...); d != "" {
					t.Fatalf("pipeline stages differ from the resolver (-want +got):\n%s", d)
				}
			})
		})
	}
}

// Large-star/small-star labels random graphs exactly as a union-find does, within
// the rounds Kiveris et al.'s bound allows (here far fewer than DefaultRounds).
func TestComponentsEqualUnionFind(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		n := rapid.IntRange(1, 60).Draw(t, "nodes")
		name := func(i int) string { return fmt.Sprintf("n%03d", i) }
		var edges []edge
		uf := make([]int, n)
		for i := range uf {
			uf[i] = i
		}
		var find func(int) int
		find = func(i int) int {
			if uf[i] != i {
				uf[i] = find(uf[i])
			}
			return uf[i]
		}
		for range rapid.IntRange(0, 2*n).Draw(t, "edges") {
			a, b := rapid.IntRange(0, n-1).Draw(t, "a"), rapid.IntRange(0, n-1).Draw(t, "b")
			edges = append(edges, edge{name(a), name(b)})
			uf[find(a)] = find(b)
		}
		r := rand.New(rand.NewPCG(rapid.Uint64().Draw(t, "seed"), 2))
		parent, rounds, err := localComponents(r, edges, DefaultRounds)
		if err != nil {
			t.Fatal(err)
		}
		label := func(i int) string {
			if p, ok := parent[name(i)]; ok {
				return p
			}
			return name(i)
		}
		for i := range n {
			for j := range n {
				if (find(i) == find(j)) != (label(i) == label(j)) {
					t.Fatalf("after %d rounds: %s and %s: union-find %v, labels %s, %s", rounds, name(i), name(j), find(i) == find(j), label(i), label(j))
				}
			}
			// A label is its component's smallest node.
			for j := range n {
				if find(i) == find(j) && name(j) < label(i) {
					t.Fatalf("label %s of %s is not the smallest node (%s)", label(i), name(i), name(j))
				}
			}
		}
	})
}

// A path whose labels increase along it is large-star/small-star's slow case: the
// rounds grow with the logarithm of its length, and too few rounds are detected.
func TestComponentsRoundsOnAPath(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 3))
	for _, n := range []int{2, 16, 256, 4096} {
		var edges []edge
		for i := 1; i < n; i++ {
			edges = append(edges, edge{fmt.Sprintf("n%05d", i-1), fmt.Sprintf("n%05d", i)})
		}
		parent, rounds, err := localComponents(r, edges, DefaultRounds)
		if err != nil {
			t.Fatal(n, err)
		}
		if len(parent) != n-1 || parent[fmt.Sprintf("n%05d", n-1)] != "n00000" {
			t.Fatalf("path of %d: %d nodes labelled", n, len(parent))
		}
		t.Logf("path of %d nodes: %d rounds", n, rounds)
		if n > 2 {
			if _, _, err := localComponents(r, edges, 1); err == nil {
				t.Fatalf("path of %d: one round reported final", n)
			}
		}
	}
}
