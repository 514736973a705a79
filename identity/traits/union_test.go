package traits

import (
	"fmt"
	"testing"
	"time"

	"github.com/clientele-go/clientele/identity"
	"pgregory.net/rapid"
)

// TestUnionIndexProperty: a Union slot, with or without its index, finds every value it
// holds at its position and no other value, and Traits lists each distinct value with
// its earliest sighting, in the order first seen, as a plain reference model does; the
// index is built once a slot holds more than indexFrom values. (Observe used to scan
// and insert into a sorted list, quadratic in the values of one identifier: 40,000
// took 3.3 s. The slot's index is what makes a call constant time; this test holds its
// contents, not a timing, which a shared machine cannot give.)
func TestUnionIndexProperty(t *testing.T) {
	at := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	id := identity.ID{Kind: "email", Value: "a@x.io"}
	rapid.Check(t, func(t *rapid.T) {
		b, err := NewBook(Policy{Default: Union})
		if err != nil {
			t.Fatal(err)
		}
		distinct := rapid.IntRange(1, 3*indexFrom).Draw(t, "distinct")
		type first struct {
			at  int
			seq int
		}
		want := map[string]first{}
		n := rapid.IntRange(0, 6*indexFrom).Draw(t, "observations")
		for seq := range n {
			v := fmt.Sprintf("page/%d", rapid.IntRange(0, distinct-1).Draw(t, "value"))
			sec := rapid.IntRange(0, 50).Draw(t, "second") // backfills come earlier
			if err := b.Observe(Observation{ID: id, Trait: "seen", Value: v, Source: "web", At: at.Add(time.Duration(sec) * time.Second)}); err != nil {
				t.Fatal(err)
			}
			if f, ok := want[v]; !ok || sec < f.at {
				want[v] = first{sec, seq}
			}
		}
		s := b.slots[id]["seen"]
		if n == 0 {
			if s != nil {
				t.Fatalf("a slot with no observation")
			}
			return
		}
		if len(s.union) != len(want) {
			t.Fatalf("%d values held, want %d", len(s.union), len(want))
		}
		if (s.index != nil) != (len(s.union) > indexFrom) {
			t.Fatalf("index %v with %d values (from %d)", s.index != nil, len(s.union), indexFrom)
		}
		if s.index != nil && len(s.index) != len(s.union) {
			t.Fatalf("index of %d values, slot of %d", len(s.index), len(s.union))
		}
		for i, o := range s.union {
			if got := s.find(o.value); got != i {
				t.Fatalf("find(%q) = %d, at %d", o.value, got, i)
			}
			if w := want[o.value]; o.at != at.Add(time.Duration(w.at)*time.Second).UnixNano() {
				t.Fatalf("%q kept at %v, first seen at second %d", o.value, time.Unix(0, o.at).UTC(), w.at)
			}
		}
		if got := s.find("page/absent"); got != -1 {
			t.Fatalf("find of an absent value = %d", got)
		}
		got := b.Traits(held{id}, 1)["seen"]
		if len(got.Values) != len(want) {
			t.Fatalf("Traits lists %d values, want %d", len(got.Values), len(want))
		}
		for i := 1; i < len(got.Values); i++ {
			p, q := want[got.Values[i-1]], want[got.Values[i]]
			if p.at > q.at || (p.at == q.at && p.seq > q.seq) {
				t.Fatalf("Traits: %q (second %d) before %q (second %d)", got.Values[i-1], p.at, got.Values[i], q.at)
			}
		}
	})
}
