package pipeline

import (
	"bytes"
	"maps"
	"math/rand/v2"
	"slices"
	"testing"

	"pgregory.net/rapid"

	"github.com/clientele-go/clientele/funnel"
)

// Profiles' two steps, under any bundling, batch sizes and shuffle order: every
// profile comes out in exactly one element, whole, its events in the canonical order,
// and an element holds the profiles of one range, in increasing order.
func TestProfilesAnyBundling(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		r := rand.New(rand.NewPCG(rapid.Uint64().Draw(t, "seed"), 4))
		events := genEvents(rapid.Uint64().Draw(t, "data"), rapid.IntRange(0, 60).Draw(t, "profiles"))
		// Spread the profiles over several ranges.
		spread := uint32(rapid.SampledFrom([]int{1, 37, 300}).Draw(t, "spread"))
		for i := range events {
			events[i].Profile *= spread
		}
		events = shuffled(r, events)
		input := slices.Clone(events)
		batches := map[uint32][][]byte{}
		for len(events) > 0 {
			n := 1 + r.IntN(len(events))
			f := &batchFn{batch: 1 + r.IntN(2000), all: 1 + r.IntN(6000)}
			emit := func(k uint32, b []byte) { batches[k] = append(batches[k], slices.Clone(b)) }
			f.StartBundle(emit)
			for _, e := range events[:n] {
				f.ProcessElement(e, emit)
			}
			f.FinishBundle(emit)
			events = events[n:]
		}
		var elements [][]byte
		g := &gatherFn{}
		for _, k := range shuffled(r, slices.Sorted(maps.Keys(batches))) {
			bs := shuffled(r, batches[k])
			i := 0
			err := g.ProcessElement(k, func(b *[]byte) bool {
				if i == len(bs) {
					return false
				}
				*b, i = bs[i], i+1
				return true
			}, func(b []byte) { elements = append(elements, b) })
			if err != nil {
				t.Fatal(err)
			}
		}
		got := map[uint32][]funnel.Event{}
		for _, el := range elements {
			var last uint32
			first := true
			for es, err := range ProfileEvents(el) {
				if err != nil {
					t.Fatal(err)
				}
				p := es[0].Profile
				if _, dup := got[p]; dup {
					t.Fatalf("profile %d in two elements or twice in one", p)
				}
				if !first && (p <= last || p>>profileRangeBits != last>>profileRangeBits) {
					t.Fatalf("profile %d after %d in one element", p, last)
				}
				for _, e := range es {
					if e.Profile != p {
						t.Fatalf("profile %d's events hold one of %d", p, e.Profile)
					}
				}
				got[p], last, first = es, p, false
			}
		}
		// The reference: the input sorted as SortCanonical documents, cut by profile.
		all := input
		SortCanonical(all)
		for len(all) > 0 {
			n := 1
			for n < len(all) && all[n].Profile == all[0].Profile {
				n++
			}
			if !sameEvents(all[:n], got[all[0].Profile]) {
				t.Fatalf("profile %d: events %v, want %v", all[0].Profile, got[all[0].Profile], all[:n])
			}
			delete(got, all[0].Profile)
			all = all[n:]
		}
		if len(got) != 0 {
			t.Fatalf("%d profiles that were not in the input", len(got))
		}
	})
}

func sameEvents(a, b []funnel.Event) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !bytes.Equal(appendEvent(nil, a[i]), appendEvent(nil, b[i])) {
			return false
		}
	}
	return true
}
