package pipeline

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/runners/prism"
	"github.com/google/go-cmp/cmp"

	"github.com/clientele-go/clientele/identity"
)

func init() {
	register.Function1x1(encodeAssignment)
	register.Function1x1(encodeMerge)
	register.Function1x1(encodeSplit)
	register.Function1x1(encodeMove)
	register.Function1x1(encodeLink)
	register.Function1x1(weightedLink)
	register.Function1x1(encodeCount)
}

// genLinks makes identity events shaped like internal/synth's customer base: people
// browse anonymously on a device or two, some log in (user id, e-mail, often spelled
// differently), some buy in the store with their phone; households share a tablet,
// the till sometimes types the shop's own number, and trackers sometimes send
// "null"; a probabilistic matcher joins some store phones to web accounts (events
// with a Match). Times are whole minutes, so some events share an instant.
func genLinks(seed uint64, people int) []identity.Event {
	r := rand.New(rand.NewPCG(seed, seed^0x51ed2701))
	start := time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)
	at := func() time.Time { return start.Add(time.Duration(r.IntN(60*24*60)) * time.Minute) }
	id := func(kind, value string) identity.ID { return identity.ID{Kind: kind, Value: value} }
	var out []identity.Event
	for p := range people {
		devices := []string{fmt.Sprintf("dev-%d", p)}
		if r.IntN(3) == 0 {
			devices = append(devices, fmt.Sprintf("dev-%d-b", p))
		}
		if p > 0 && r.IntN(10) == 0 {
			devices = append(devices, fmt.Sprintf("dev-%d", r.IntN(p))) // a household's tablet
		}
		email := fmt.Sprintf("person.%d@example.org", p)
		phone := fmt.Sprintf("+1415%07d", p)
		user := fmt.Sprintf("u%d", p)
		for v := range 1 + r.IntN(5) {
			anon := fmt.Sprintf("anon-%d-%d", p, v)
			if r.IntN(50) == 0 {
				anon = "null"
			}
			dev := devices[r.IntN(len(devices))]
			out = append(out, identity.Event{At: at(), Source: "web", IDs: []identity.ID{id("anonymous_id", anon), id("device_id", dev)}})
			if r.IntN(2) == 0 {
				e := email
				if r.IntN(3) == 0 {
					e = " " + strings.ToUpper(email)
				}
				out = append(out, identity.Event{At: at(), Source: "web", IDs: []identity.ID{
					id("user_id", user), id("email", e), id("anonymous_id", anon), id("device_id", dev)}})
			}
		}
		if r.IntN(3) == 0 {
			ph := phone
			if r.IntN(20) == 0 {
				ph = "+14155550000" // the shop's own number
			}
			ids := []identity.ID{id("phone", ph)}
			if r.IntN(2) == 0 {
				ids = append(ids, id("email", email))
			}
			out = append(out, identity.Event{At: at(), Source: "store", IDs: ids})
			if r.IntN(4) == 0 {
				out = append(out, identity.Event{At: at(), Source: "matcher", IDs: []identity.ID{id("phone", ph), id("user_id", user)},
					Match: &identity.Match{Weight: float64(8 + r.IntN(12))}})
			}
		}
	}
	r.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}

func collectResolution(s beam.Scope, key string, res Resolution) {
	collect(s, key+"/assignments", beam.ParDo(s, encodeAssignment, res.Assignments))
	collect(s, key+"/merges", beam.ParDo(s, encodeMerge, res.Merges))
	collect(s, key+"/splits", beam.ParDo(s, encodeSplit, res.Splits))
	collect(s, key+"/moves", beam.ParDo(s, encodeMove, res.Moves))
}

func gotResolution(t *testing.T, key string) result {
	t.Helper()
	var r result
	for _, b := range got(t, key+"/assignments") {
		a, err := decodeAssignment(b)
		if err != nil {
			t.Fatal(err)
		}
		r.assignments = append(r.assignments, a)
	}
	for _, b := range got(t, key+"/merges") {
		m, err := decodeMerge(b)
		if err != nil {
			t.Fatal(err)
		}
		r.merges = append(r.merges, m)
	}
	for _, b := range got(t, key+"/splits") {
		s, err := decodeSplit(b)
		if err != nil {
			t.Fatal(err)
		}
		r.splits = append(r.splits, s)
	}
	for _, b := range got(t, key+"/moves") {
		m, err := decodeMove(b)
		if err != nil {
			t.Fatal(err)
		}
		r.moves = append(r.moves, m)
	}
	return r
}

// unlinkable are events that link nothing: an empty e-mail address, a blocked value,
// one the e-mail normaliser cannot read, an empty kind (all refused or dropped before
// the graph), a time outside the years the
// resolver takes beside a good identifier (refused only when replayed), and one of
// them twice, each time counted.
func unlinkable() []identity.Event {
	at := time.Date(2026, 1, 6, 0, 0, 0, 0, time.UTC)
	id := func(kind, value string) identity.ID { return identity.ID{Kind: kind, Value: value} }
	empty := identity.Event{At: at, Source: "web", IDs: []identity.ID{id("email", "")}}
	return []identity.Event{
		empty, empty,
		{At: at, Source: "web", IDs: []identity.ID{id("email", "null"), id("anonymous_id", "")}},
		{At: at, Source: "web", IDs: []identity.ID{id("email", "no-at-sign")}},
		{At: at, Source: "web", IDs: []identity.ID{id("", "x"), id("user_id", "u1")}},
		{At: time.Date(1500, 1, 1, 0, 0, 0, 0, time.UTC), Source: "web", IDs: []identity.ID{id("user_id", "u2")}},
	}
}

// Resolve on Prism equals identity.Resolver fed the same events in SortLinks order,
// with the default rules (limits, priority, block lists, quarantine of the shop's
// number), with them under an HMAC key, and without rules (plain connected
// components); matched links' merges carry their weights. Its Unlinked are the events
// the resolver refuses or links nothing of, each as often as it came: they were
// skipped without a trace, so that a file of empty e-mail addresses resolved to
// nothing and said nothing.
func TestResolveEqualsResolver(t *testing.T) {
	events := append(genLinks(1, 3000), unlinkable()...)
	p, s := beam.NewPipelineWithRoot()
	links := stall(s, beam.CreateList(s, events))
	cases := []struct{ rules, key string }{{"default", ""}, {"default", "test"}, {"none", ""}}
	for _, c := range cases {
		res, err := Resolve(s, c.rules, links, &ResolveOptions{Rounds: 6, HMAC: c.key})
		if err != nil {
			t.Fatal(err)
		}
		collectResolution(s, "resolve/"+c.rules+"/"+c.key, res)
		collect(s, "resolve/"+c.rules+"/"+c.key+"/unlinked", beam.ParDo(s, encodeLink, res.Unlinked))
	}
	run(t, p)
	for _, c := range cases {
		name := c.rules + "/" + c.key
		want := inProcess(t, c.rules, c.key, events)
		gotR := gotResolution(t, "resolve/"+name)
		matched := 0
		for _, m := range want.merges {
			if m.Match != nil {
				matched++
			}
		}
		if len(want.assignments) == 0 || matched == 0 || c.rules == "default" && len(want.splits) == 0 {
			t.Fatalf("%s: the data exercise too little: %d assignments, %d merges (%d matched), %d splits", name, len(want.assignments), len(want.merges), matched, len(want.splits))
		}
		if d := cmp.Diff(sortResult(want), sortResult(gotR), resultCmp...); d != "" {
			t.Fatalf("%s: Resolve differs from the resolver (-want +got):\n%s", name, d)
		}
		var gotU []string
		for _, b := range got(t, "resolve/"+name+"/unlinked") {
			gotU = append(gotU, string(b))
		}
		wantU := unlinkedInProcess(t, c.rules, events)
		slices.Sort(gotU)
		slices.Sort(wantU)
		if c.rules == "default" && len(wantU) < len(unlinkable()) || !slices.Equal(gotU, wantU) {
			t.Fatalf("%s: %d unlinked events, the resolver refused or linked nothing of %d (at least %d made to)", name, len(gotU), len(wantU), len(unlinkable()))
		}
		t.Logf("%s: %d identifiers, %d merges (%d matched), %d splits, %d moved keys, %d unlinked events", name, len(want.assignments), len(want.merges), matched, len(want.splits), len(want.moves), len(gotU))
	}
}

// unlinkedInProcess returns the encodings of the events that identity.Resolver, fed
// them in SortLinks order, refuses or links nothing of (Link's key 0).
func unlinkedInProcess(t *testing.T, rules string, events []identity.Event) []string {
	f, _ := rulesByName.Load(rules)
	r, err := identity.New(f.(func() identity.Rules)())
	if err != nil {
		t.Fatal(err)
	}
	sorted := slices.Clone(events)
	SortLinks(sorted)
	var out []string
	for _, e := range sorted {
		var k uint32
		if e.Match != nil {
			k, err = r.LinkMatch(context.Background(), e.At, e.Source, *e.Match, e.IDs...)
		} else {
			k, err = r.Link(context.Background(), e.At, e.Source, e.IDs...)
		}
		if err != nil && !errors.Is(err, identity.ErrInvalid) {
			t.Fatal(err)
		}
		if err != nil || k == 0 {
			out = append(out, string(encodeLink(e)))
		}
	}
	return out
}

// weightedLink is a matched link of the weight w, made in the step that feeds Resolve
// (fused with it), as a parser makes its events: no coder carries a weight that is
// not finite, so CreateList could not give one.
func weightedLink(w float64) identity.Event {
	return identity.Event{At: time.Date(2026, 1, 6, 0, 0, 0, 0, time.UTC), Source: "store", Match: &identity.Match{Weight: w},
		IDs: []identity.ID{{Kind: "phone", Value: "+44 20 7946 0000"}, {Kind: "email", Value: fmt.Sprintf("w%v@example.com", w)}}}
}

func encodeCount(n int64) []byte { return []byte(fmt.Sprint(n)) }

// Links whose match weight is NaN or ±Inf, which LinkMatch refuses and the links'
// coder cannot carry, are counted in NonFinite, one 1 each, and are neither linked
// nor in Unlinked: they were dropped without a count, so that a matcher that wrote
// NaN for every weight resolved nothing and said nothing.
func TestResolveCountsNonFiniteWeights(t *testing.T) {
	p, s := beam.NewPipelineWithRoot()
	weights := beam.CreateList(s, []float64{math.NaN(), math.Inf(1), 7.5, math.Inf(-1), math.NaN(), -2})
	res, err := Resolve(s, "default", beam.ParDo(s, weightedLink, weights), nil)
	if err != nil {
		t.Fatal(err)
	}
	collectResolution(s, "nonfinite", res)
	collect(s, "nonfinite/unlinked", beam.ParDo(s, encodeLink, res.Unlinked))
	collect(s, "nonfinite/count", beam.ParDo(s, encodeCount, res.NonFinite))
	run(t, p)
	var ones []string
	for _, b := range got(t, "nonfinite/count") {
		ones = append(ones, string(b))
	}
	if !slices.Equal(ones, []string{"1", "1", "1", "1"}) {
		t.Fatalf("NonFinite = %q, want a 1 for each of the 4 links whose weight is NaN or ±Inf", ones)
	}
	if u := got(t, "nonfinite/unlinked"); len(u) != 0 {
		t.Fatalf("%d unlinked events, want none: the finite weights link", len(u))
	}
	r := gotResolution(t, "nonfinite")
	if len(r.assignments) != 3 || r.assignments[0].Profile != r.assignments[1].Profile || r.assignments[1].Profile != r.assignments[2].Profile {
		t.Fatalf("the two finite links gave %+v, want their 3 identifiers in one profile", r.assignments)
	}
}

// Too few rounds for the graph fail the pipeline, naming the option to raise.
func TestResolveTooFewRounds(t *testing.T) {
	var events []identity.Event
	at := time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)
	for i := 1; i < 64; i++ {
		events = append(events, identity.Event{At: at, Source: "web", IDs: []identity.ID{
			{Kind: "anonymous_id", Value: fmt.Sprintf("a%02d", i-1)}, {Kind: "anonymous_id", Value: fmt.Sprintf("a%02d", i)}}})
	}
	p, s := beam.NewPipelineWithRoot()
	res, err := Resolve(s, "none", beam.CreateList(s, events), &ResolveOptions{Rounds: 1})
	if err != nil {
		t.Fatal(err)
	}
	collectResolution(s, "rounds", res)
	_, err = prism.Execute(context.Background(), p)
	if err == nil || !strings.Contains(err.Error(), "ResolveOptions.Rounds") {
		t.Fatalf("one round over a path of 64: %v, want a failure naming ResolveOptions.Rounds", err)
	}
}

func TestResolveRefusesBadOptions(t *testing.T) {
	_, s := beam.NewPipelineWithRoot()
	links := beam.CreateList(s, []identity.Event{})
	if _, err := Resolve(s, "no such rules", links, nil); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "RegisterRules") {
		t.Fatalf("unregistered rules: %v", err)
	}
	if _, err := Resolve(s, "default", links, &ResolveOptions{Rounds: 65}); !errors.Is(err, ErrInvalid) {
		t.Fatal("65 rounds accepted")
	}
	if _, err := Resolve(s, "default", links, &ResolveOptions{HMAC: "no such key"}); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "RegisterKey") {
		t.Fatalf("unregistered key: %v", err)
	}
}
