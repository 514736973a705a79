package storecheck

import (
	"iter"
	"strings"
	"sync"
	"testing"
	"time"
)

// Mutant is a deliberately broken store and the check of a suite that must fail on it.
// A suite's own tests run it on mutants to show that its checks can fail.
type Mutant[S any] struct {
	Name    string // what is broken
	Check   string // the first check that fails on it
	Harness Harness[S]
}

// Catches runs suite (a storetest package's TestStore) on every mutant and fails t
// unless the suite fails, first at the mutant's check.
func Catches[S any](t *testing.T, suite func(Harness[S]) error, mutants []Mutant[S]) {
	t.Helper()
	for _, m := range mutants {
		t.Run(m.Name, func(t *testing.T) {
			err := suite(m.Harness)
			if err == nil || !strings.HasPrefix(err.Error(), "storetest: "+m.Check+": ") {
				t.Fatalf("TestStore = %v, want a failure of %s", err, m.Check)
			}
		})
	}
}

// LogMutants returns a broken log store for each of Checks, each made from fresh, which
// returns a new, correct store that is not durable (a MemStore).
func LogMutants[S LogStore[R], R any](l Log[R], fresh func() S) []Mutant[S] {
	open := func(b *broken[R]) Harness[S] {
		return Harness[S]{Open: func(string) (S, error) { return any(b.init(fresh())).(S), nil }}
	}
	ms := []Mutant[S]{
		{"yields a record it was never given", "Empty", open(&broken[R]{records: func(b *broken[R]) iter.Seq2[R, error] {
			return func(yield func(R, error) bool) {
				if yield(l.Keyed("phantom"), nil) {
					b.LogStore.Records()(yield)
				}
			}
		}})},
		{"loses the last record", "RoundTrip", open(&broken[R]{records: func(b *broken[R]) iter.Seq2[R, error] {
			return func(yield func(R, error) bool) {
				recs, err := l.All(b.LogStore)
				if len(recs) > 1 {
					recs = recs[:len(recs)-1]
				}
				for _, r := range recs {
					if !yield(r, nil) {
						return
					}
				}
				if err != nil {
					yield(*new(R), err)
				}
			}
		}})},
		{"yields the last batch first", "Order", open(&broken[R]{
			append: func(b *broken[R], recs ...R) error {
				b.mu.Lock()
				defer b.mu.Unlock()
				batch := fresh()
				b.batches = append(b.batches, batch)
				return batch.Append(recs...)
			},
			records: func(b *broken[R]) iter.Seq2[R, error] {
				return func(yield func(R, error) bool) {
					b.mu.Lock()
					batches := b.batches
					b.mu.Unlock()
					for i := len(batches) - 1; i >= 0; i-- {
						for r, err := range batches[i].Records() {
							if !yield(r, err) {
								return
							}
						}
					}
				}
			},
		})},
		{"keeps the caller's records", "NoAliasing", open(&broken[R]{
			append: func(b *broken[R], recs ...R) error {
				b.mu.Lock()
				defer b.mu.Unlock()
				b.kept = append(b.kept, recs...)
				return nil
			},
			records: func(b *broken[R]) iter.Seq2[R, error] {
				return func(yield func(R, error) bool) {
					b.mu.Lock()
					kept := b.kept
					b.mu.Unlock()
					for _, r := range kept {
						if !yield(r, nil) {
							return
						}
					}
				}
			},
		})},
		// Staying inside the batch between records lets another writer append: a
		// Gosched there let a scheduler run the writers one after another once, and
		// the suite then passed this broken store.
		{"splits batches", "Concurrent", open(&broken[R]{append: func(b *broken[R], recs ...R) error {
			for i, r := range recs {
				if err := b.LogStore.Append(r); err != nil {
					return err
				}
				if i+1 < len(recs) {
					time.Sleep(50 * time.Microsecond)
				}
			}
			return nil
		}})},
		{"goes on after its caller stops", "EarlyStop", open(&broken[R]{records: func(b *broken[R]) iter.Seq2[R, error] {
			return func(yield func(R, error) bool) {
				for r, err := range b.LogStore.Records() {
					yield(r, err)
				}
			}
		}})},
	}
	forget := func(string) (S, error) { return fresh(), nil }
	return append(ms, Mutant[S]{"forgets on reopen", "Reopen", Harness[S]{Open: forget, Reopen: forget}})
}

// RedeliveryMutant returns a broken log store for Redelivered: it alters a record
// delivered again (with Scribble) instead of keeping it as it was given.
func RedeliveryMutant[S LogStore[R], R any](l Log[R], fresh func() S) Mutant[S] {
	b := &broken[R]{append: func(b *broken[R], recs ...R) error {
		b.mu.Lock()
		defer b.mu.Unlock()
		if b.seen == nil {
			b.seen = map[string]bool{}
		}
		recs = append([]R(nil), recs...)
		for i := range recs {
			if k := l.Key(recs[i]); b.seen[k] {
				l.Scribble(&recs[i])
			} else {
				b.seen[k] = true
			}
		}
		return b.LogStore.Append(recs...)
	}}
	return Mutant[S]{"alters a record delivered again", "DeliveredTwice", Harness[S]{
		Open: func(string) (S, error) { return any(b.init(fresh())).(S), nil },
	}}
}

// broken is a log store over a correct one with its methods replaced.
type broken[R any] struct {
	LogStore[R]
	append  func(b *broken[R], recs ...R) error
	records func(b *broken[R]) iter.Seq2[R, error]

	mu      sync.Mutex
	batches []LogStore[R]
	kept    []R
	seen    map[string]bool
}

// init returns a new broken store like b over inner, so that each check starts empty.
func (b *broken[R]) init(inner LogStore[R]) *broken[R] {
	return &broken[R]{LogStore: inner, append: b.append, records: b.records}
}

func (b *broken[R]) Append(recs ...R) error {
	if b.append != nil {
		return b.append(b, recs...)
	}
	return b.LogStore.Append(recs...)
}

func (b *broken[R]) Records() iter.Seq2[R, error] {
	if b.records != nil {
		return b.records(b)
	}
	return b.LogStore.Records()
}
