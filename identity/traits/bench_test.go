package traits

import (
	"fmt"
	"testing"
	"time"

	"github.com/clientele-go/clientele/identity"
)

// staticMembers is a profile of fixed identifiers, so the benchmark measures the Book.
type staticMembers []identity.ID

func (s staticMembers) Identifiers(uint32) []identity.ID { return s }

// A profile of 10 identifiers with 1,000 observations each of four traits:
// BenchmarkTraits folds the identifiers' kept winners; BenchmarkTraitsNaive derives the
// traits from every observation, as a store of raw observations would.
func benchBook(b *testing.B) (*Book, staticMembers, []refObs) {
	book, _ := NewBook(testPolicy)
	var ids staticMembers
	var all []refObs
	base := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 10 {
		ids = append(ids, identity.ID{Kind: "email", Value: fmt.Sprintf("p%d@x.io", i)})
	}
	for j := range 10000 {
		o := Observation{ID: ids[j%10], Trait: []string{"name", "email", "tier", "consent"}[j%4],
			Value: fmt.Sprint("v", j%7), Source: []string{"crm", "store", "web"}[j%3], At: base.Add(time.Duration(j*7919%10007) * time.Minute)}
		if err := book.Observe(o); err != nil {
			b.Fatal(err)
		}
		all = append(all, refObs{o, j})
	}
	return book, ids, all
}

func BenchmarkTraits(b *testing.B) {
	book, ids, _ := benchBook(b)
	for b.Loop() {
		book.Traits(ids, 1)
	}
}

func BenchmarkTraitsNaive(b *testing.B) {
	_, _, all := benchBook(b)
	for b.Loop() {
		byTrait := map[string][]refObs{}
		for _, o := range all {
			byTrait[o.Trait] = append(byTrait[o.Trait], o)
		}
		for _, os := range byTrait {
			best := os[0]
			for _, o := range os {
				if o.At.After(best.At) {
					best = o
				}
			}
			_ = best
		}
	}
}
