package funnel

import (
	"errors"
	"iter"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"pgregory.net/rapid"
)

// flow builds one group's events from pages at seconds 1, 2, ..., with an optional ref
// property per event.
func flow(pages []string, refs ...string) []Event {
	evs := make([]Event, len(pages))
	for i, p := range pages {
		evs[i] = Event{Profile: 1, Time: at(int64(i + 1)), Name: p}
		if i < len(refs) {
			evs[i].Props = map[string]string{"ref": refs[i]}
		}
	}
	return evs
}

func page(name string) Step { return Step{Name: name} }

func ref(v string) Step {
	return Step{Name: "ref=" + v, Match: func(e Event) bool { return e.Props["ref"] == v }}
}

// The examples of ClickHouse's documentation of sequenceNextNode
// (docs/en/sql-reference/aggregate-functions/parametric-functions.md), transcribed: each
// query over each id's rows, with the answer the documentation gives ("" for NULL).
func TestNextNodeClickHouseDocs(t *testing.T) {
	ids := map[int][]Event{
		1: flow([]string{"Home", "Gift", "Exit"}),
		2: flow([]string{"Home", "Home", "Gift", "Basket"}),
		3: flow([]string{"Gift", "Home", "Gift", "Basket"}),
	}
	basecond := flow([]string{"A", "A", "B", "B"}, "ref4", "ref3", "ref2", "ref1")
	cases := []struct {
		name string
		q    NextNode
		evs  map[int][]Event
		want map[int]string
	}{
		{"intro A->B", NextNode{Forward, Head, page("A"), []Step{page("A"), page("B")}},
			map[int][]Event{1: flow([]string{"A", "B", "C", "E", "F"})}, map[int]string{1: "C"}},
		{"forward head", NextNode{Forward, Head, page("Home"), []Step{page("Home"), page("Gift")}}, ids,
			map[int]string{1: "Exit", 2: "", 3: ""}},
		{"backward tail", NextNode{Backward, Tail, page("Basket"), []Step{page("Basket"), page("Gift")}}, ids,
			map[int]string{1: "", 2: "Home", 3: "Home"}},
		{"forward first_match", NextNode{Forward, FirstMatch, page("Gift"), []Step{page("Gift")}}, ids,
			map[int]string{1: "Exit", 2: "Basket", 3: "Home"}},
		{"forward first_match chain", NextNode{Forward, FirstMatch, page("Gift"), []Step{page("Gift"), page("Home")}}, ids,
			map[int]string{1: "", 2: "", 3: "Gift"}},
		{"backward last_match", NextNode{Backward, LastMatch, page("Gift"), []Step{page("Gift")}}, ids,
			map[int]string{1: "Home", 2: "Home", 3: "Home"}},
		{"backward last_match chain", NextNode{Backward, LastMatch, page("Gift"), []Step{page("Gift"), page("Home")}}, ids,
			map[int]string{1: "", 2: "Home", 3: "Gift"}},
		{"base_condition head", NextNode{Forward, Head, ref("ref1"), []Step{page("A")}}, map[int][]Event{1: basecond}, map[int]string{1: ""}},
		{"base_condition tail", NextNode{Backward, Tail, ref("ref4"), []Step{page("B")}}, map[int][]Event{1: basecond}, map[int]string{1: ""}},
		{"base_condition first_match", NextNode{Forward, FirstMatch, ref("ref3"), []Step{page("A")}}, map[int][]Event{1: basecond}, map[int]string{1: "B"}},
		{"base_condition last_match", NextNode{Backward, LastMatch, ref("ref2"), []Step{page("B")}}, map[int][]Event{1: basecond}, map[int]string{1: "A"}},
	}
	for _, c := range cases {
		for id, evs := range c.evs {
			got, ok, err := c.q.Next(evs)
			if err != nil {
				t.Fatalf("%s id %d: %v", c.name, id, err)
			}
			if !ok {
				got = ""
			}
			if got != c.want[id] {
				t.Errorf("%s id %d: %q, ClickHouse's documentation %q", c.name, id, got, c.want[id])
			}
		}
	}
}

func TestPathsInvalid(t *testing.T) {
	for _, ps := range []Paths{{Depth: 1}, {From: page("a")}, {From: page("a"), Depth: MaxPathDepth + 1}, {From: page("a"), Depth: 1, Direction: Backward, To: page("b")}, {From: page("a"), Depth: 1, TopN: -1}} {
		if _, err := ps.Run(nil); !errors.Is(err, ErrInvalid) {
			t.Errorf("%+v: %v", ps, err)
		}
	}
	for _, q := range []NextNode{{Direction: Forward, Base: Tail, Chain: []Step{page("a")}}, {Direction: Backward, Base: Head, Chain: []Step{page("a")}}, {}} {
		if _, _, err := q.Next(nil); !errors.Is(err, ErrInvalid) {
			t.Errorf("%+v: %v", q, err)
		}
	}
	unsorted := []Event{{Profile: 1, Time: at(0), Name: "a"}, {Profile: 2, Time: at(0), Name: "a"}, {Profile: 1, Time: at(1), Name: "b"}}
	if _, err := (Paths{From: page("a"), Depth: 2}).RunSeq(slices.Values(unsorted)); !errors.Is(err, ErrUnsorted) {
		t.Error(err)
	}
}

// The flows equal a reference model that lists each profile's path (the events after
// its first From event, or before its last, up to Depth, ending after a To event) and
// counts them; the first depth equals sequenceNextNode per profile; the three input
// forms agree.
func TestPathsReference(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		ps := Paths{
			From:      page(rapid.SampledFrom([]string{"a", "b"}).Draw(t, "from")),
			Direction: Direction(rapid.IntRange(0, 1).Draw(t, "dir")),
			Depth:     rapid.IntRange(1, 4).Draw(t, "depth"),
		}
		if ps.Direction == Forward && rapid.Bool().Draw(t, "to?") {
			ps.To = page(rapid.SampledFrom([]string{"b", "c"}).Draw(t, "to"))
		}
		var events []Event
		for range rapid.IntRange(0, 40).Draw(t, "events") {
			events = append(events, Event{
				Profile: uint32(rapid.IntRange(1, 6).Draw(t, "profile")),
				Time:    at(int64(rapid.IntRange(0, 30).Draw(t, "time"))),
				Name:    rapid.SampledFrom([]string{"a", "b", "c", "d"}).Draw(t, "name"),
			})
		}
		byProf := map[uint32][]Event{}
		for _, e := range events {
			byProf[e.Profile] = append(byProf[e.Profile], e)
		}
		wantNodes := make([]map[string]int64, ps.Depth)
		for d := range wantNodes {
			wantNodes[d] = map[string]int64{}
		}
		wantDrop := make([]int64, ps.Depth)
		wantLinks := map[PathLink]int64{}
		var anchored int64
		for _, group := range byProf {
			evs := slices.Clone(group)
			slices.SortStableFunc(evs, func(a, b Event) int { return a.Time.Compare(b.Time) })
			if ps.Direction == Backward {
				slices.Reverse(evs) // a stable sort reversed: ties latest input first, as the walk sees them
			}
			k := slices.IndexFunc(evs, func(e Event) bool { return e.Name == ps.From.Name })
			if k < 0 {
				continue
			}
			anchored++
			var path []string
			for j := k + 1; j < len(evs) && len(path) < ps.Depth; j++ {
				path = append(path, evs[j].Name)
				if ps.To.Name != "" && evs[j].Name == ps.To.Name {
					break
				}
			}
			prev := evs[k].Name
			for d, name := range path {
				wantNodes[d][name]++
				wantLinks[PathLink{FromDepth: d, From: prev, To: name}]++
				prev = name
			}
			if len(path) < ps.Depth {
				wantDrop[len(path)]++
			}
			// Depth 1 is sequenceNextNode from the first (forward) or last (backward) match.
			base := FirstMatch
			if ps.Direction == Backward {
				base = LastMatch
			}
			next, ok, err := NextNode{Direction: ps.Direction, Base: base, Chain: []Step{ps.From}}.Next(group)
			if err != nil {
				t.Fatal(err)
			}
			if ok != (len(path) > 0) || ok && next != path[0] {
				t.Fatalf("sequenceNextNode %q %v, path %v", next, ok, path)
			}
		}
		res, err := ps.Run(events)
		if err != nil {
			t.Fatal(err)
		}
		if res.Profiles != anchored {
			t.Fatalf("%d anchored, reference %d", res.Profiles, anchored)
		}
		for d, pd := range res.Depths {
			got := map[string]int64{}
			for _, n := range pd.Nodes {
				got[n.Name] = n.Profiles
			}
			if diff := cmp.Diff(wantNodes[d], got); diff != "" || pd.DropOff != wantDrop[d] {
				t.Fatalf("depth %d: drop-off %d (reference %d), nodes (-reference +got):\n%s", d+1, pd.DropOff, wantDrop[d], diff)
			}
		}
		gotLinks := map[PathLink]int64{}
		for _, l := range res.Links {
			n := l.Profiles
			l.Profiles = 0
			gotLinks[l] = n
		}
		if diff := cmp.Diff(wantLinks, gotLinks); diff != "" {
			t.Fatalf("links (-reference +got):\n%s", diff)
		}
		sameForms(t, events, res, func(e iter.Seq[Event]) (*PathResult, error) { return ps.RunSeq(e) },
			func(b *Batch) (*PathResult, error) { return ps.RunBatch(b) })
	})
}
