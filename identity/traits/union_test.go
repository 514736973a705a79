package traits

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"pgregory.net/rapid"

	"github.com/clientele-go/clientele/identity"
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
			if got := s.find(o.key); got != i {
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

// TestUnionCanonicalValues: Union takes canonically equivalent spellings ("José" with
// é composed, as Windows types it, and as e and a combining accent, as macOS may) and
// spellings that differ only by surrounding white space (" gold " from a padded export
// column) for one value, listed in the spelling first observed, with that observation's
// lineage; a profile split again shows each part its own first spelling. Case still
// tells values apart: "Gold" may be another tag than "gold". They were kept as distinct
// values, so a profile merged from two channels listed "José" twice.
func TestUnionCanonicalValues(t *testing.T) {
	b, err := NewBook(Policy{Default: Union})
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	a := identity.ID{Kind: "email", Value: "a@x.io"}
	d := identity.ID{Kind: "device_id", Value: "d1"}
	for _, o := range []Observation{
		{ID: a, Value: "Jos\u00e9", Source: "crm", At: at.Add(1 * time.Hour)},
		{ID: d, Value: "Jose\u0301", Source: "web", At: at.Add(2 * time.Hour)},
		{ID: d, Value: " gold ", Source: "store", At: at},
		{ID: a, Value: "gold", Source: "crm", At: at.Add(3 * time.Hour)},
		{ID: a, Value: "Gold", Source: "crm", At: at.Add(4 * time.Hour)},
		{ID: a, Value: "gold\t", Source: "web", At: at.Add(5 * time.Hour)},      // a later sighting, same identifier
		{ID: a, Value: "Jose\u0301 ", Source: "web", At: at.Add(6 * time.Hour)}, // and of "José"
	} {
		o.Trait = "tag"
		if err := b.Observe(o); err != nil {
			t.Fatal(err)
		}
	}
	lin := func(id identity.ID, source string, hours int) Lineage {
		return Lineage{ID: id, Source: source, At: at.Add(time.Duration(hours) * time.Hour)}
	}
	for _, c := range []struct {
		members held
		want    Value
	}{
		{held{a, d}, Value{Values: []string{" gold ", "Jos\u00e9", "Gold"}, Lineage: []Lineage{lin(d, "store", 0), lin(a, "crm", 1), lin(a, "crm", 4)}}},
		{held{a}, Value{Values: []string{"Jos\u00e9", "gold", "Gold"}, Lineage: []Lineage{lin(a, "crm", 1), lin(a, "crm", 3), lin(a, "crm", 4)}}},
		{held{d}, Value{Values: []string{" gold ", "Jose\u0301"}, Lineage: []Lineage{lin(d, "store", 0), lin(d, "web", 2)}}},
	} {
		if diff := cmp.Diff(c.want, b.Traits(c.members, 1)["tag"]); diff != "" {
			t.Errorf("members %v (-want +got):\n%s", c.members, diff)
		}
	}
}

// TestUnionSpellingsProperty: on values drawn from precomposed letters, bare letters,
// combining marks (in either order, so that NFC must reorder them), singletons that NFC
// replaces (the Ångström and ohm signs), white space of several kinds (NBSP, the
// ideographic space, a tab, a line break) and invisible characters (zero-width spaces
// and joiners, a byte order mark, a soft hyphen, bidirectional marks), and observed
// with several identifiers in any order of time, Traits of any subset of the
// identifiers (a profile, before or after an Unmerge) equals a reference: the
// observations of the subset by time (then arrival), each value kept at its first
// observation unless one already kept has the same key (refKey: the value without its
// invisible characters, its white space collapsed, then put in NFC). The Book puts it
// in NFC first, so the reference also holds the orders to agree. With white space
// inside a value or invisible characters it failed: "Jane  Doe" and "Jane\u00a0Doe"
// were two values.
func TestUnionSpellingsProperty(t *testing.T) {
	alphabet := []rune{'e', 'a', 'o', 'n', 'A', '\u00e9', '\u00ea', '\u1ec7', '\u00f1', '\u00c5', '\u212b', '\u2126', '\u03a9',
		'\u0301', '\u0302', '\u0323', '\u0303', '\u030a', ' ', '\t', '\n', '\u00a0', '\u2000', '\u2002', '\u3000',
		'\u200b', '\u200c', '\u200d', '\u2060', '\ufeff', '\u00ad', '\u200e', '\u200f'}
	ids := []identity.ID{{Kind: "email", Value: "a@x.io"}, {Kind: "device_id", Value: "d1"}, {Kind: "user_id", Value: "u1"}}
	at := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	rapid.Check(t, func(t *rapid.T) {
		b, err := NewBook(Policy{Default: Union})
		if err != nil {
			t.Fatal(err)
		}
		type seen struct {
			Observation
			seq int
		}
		var all []seen
		genValue := rapid.Custom(func(t *rapid.T) string {
			return string(rapid.SliceOfN(rapid.SampledFrom(alphabet), 1, 8).Draw(t, "runes"))
		})
		n := rapid.IntRange(1, 6*indexFrom).Draw(t, "observations")
		for seq := range n {
			o := Observation{ID: rapid.SampledFrom(ids).Draw(t, "id"), Trait: "t", Value: genValue.Draw(t, "value"),
				Source: "web", At: at.Add(time.Duration(rapid.IntRange(0, 20).Draw(t, "second")) * time.Second)}
			if err := b.Observe(o); err != nil {
				t.Fatal(err)
			}
			if refKey(o.Value) != "" { // a value that shows nothing is no observation
				all = append(all, seen{o, seq})
			}
		}
		members := held(rapid.SliceOfNDistinct(rapid.SampledFrom(ids), 1, len(ids), func(id identity.ID) identity.ID { return id }).Draw(t, "members"))
		var mine []seen
		for _, o := range all {
			if slices.Contains(members, o.ID) {
				mine = append(mine, o)
			}
		}
		slices.SortStableFunc(mine, func(x, y seen) int { return x.At.Compare(y.At) }) // stable: arrival breaks ties
		var want Value
		keys := map[string]bool{}
		for _, o := range mine {
			if k := refKey(o.Value); !keys[k] {
				keys[k] = true
				want.Values = append(want.Values, o.Value)
				want.Lineage = append(want.Lineage, Lineage{ID: o.ID, Source: o.Source, At: o.At})
			}
		}
		got, ok := b.Traits(members, 1)["t"]
		if ok != (len(mine) > 0) {
			t.Fatalf("trait present %v with %d observations of the members", ok, len(mine))
		}
		if diff := cmp.Diff(want, got); ok && diff != "" {
			t.Fatalf("members %v (-reference +book):\n%s", members, diff)
		}
	})
}

// TestUnionLookAlikes: one person's name as five channels send it (a doubled space, a
// no-break space from a word processor, a zero-width space and a byte order mark from
// a copy and an export, a zero-width joiner between Latin letters) and a Japanese name
// with the ideographic space of an input method are one value each after a merge,
// listed as first spelt with the first observation's lineage. They were six and two
// values: the key only trimmed. A Persian name with its zero-width non-joiner and one
// without it show differently, and stay two.
func TestUnionLookAlikes(t *testing.T) {
	b, err := NewBook(Policy{Default: Union})
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	ids := []identity.ID{{Kind: "email", Value: "a@x.io"}, {Kind: "device_id", Value: "d1"}, {Kind: "user_id", Value: "u1"}}
	for i, v := range []string{"Jane Doe", "Jane  Doe", "Jane\u00a0Doe", "\ufeffJane Doe", "Jane \u200bDoe", "Ja\u200dne Doe",
		"\u5c71\u7530\u3000\u592a\u90ce", "\u5c71\u7530 \u592a\u90ce", "\u5c71\u7530\u3000 \u592a\u90ce\u200b",
		"\u0645\u06cc\u200c\u0646\u0627", "\u0645\u06cc\u0646\u0627"} {
		if err := b.Observe(Observation{ID: ids[i%3], Trait: "name", Value: v, Source: "web", At: at.Add(time.Duration(i) * time.Hour)}); err != nil {
			t.Fatal(err)
		}
	}
	lin := func(i int) Lineage {
		return Lineage{ID: ids[i%3], Source: "web", At: at.Add(time.Duration(i) * time.Hour)}
	}
	want := Value{Values: []string{"Jane Doe", "\u5c71\u7530\u3000\u592a\u90ce", "\u0645\u06cc\u200c\u0646\u0627", "\u0645\u06cc\u0646\u0627"},
		Lineage: []Lineage{lin(0), lin(6), lin(9), lin(10)}}
	if diff := cmp.Diff(want, b.Traits(held(ids), 1)["name"]); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// The usual value, ASCII with single spaces, costs the key no allocation.
func TestUnionKeyASCIIDoesNotAllocate(t *testing.T) {
	for _, v := range []string{"gold", "Jane Doe", " padded ", "page/12"} {
		if n := testing.AllocsPerRun(100, func() { _ = unionKey(v) }); n != 0 {
			t.Errorf("unionKey(%q): %v allocations", v, n)
		}
	}
}
