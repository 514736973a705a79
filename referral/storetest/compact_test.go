package storetest

import (
	"iter"
	"runtime"
	"slices"
	"sync"
	"testing"

	"github.com/clientele-go/clientele/internal/storecheck"
	"github.com/clientele-go/clientele/referral"
)

// The erasure checks must catch a broken Compact: each mutant is a MemStore, correct in
// everything else, whose Compact breaks one promise.
func TestSuiteCatchesBrokenCompact(t *testing.T) {
	mutant := func(name, check string, compact func(c *compacting, rewrite func(referral.Record) referral.Record) error) storecheck.Mutant[referral.Store] {
		return storecheck.Mutant[referral.Store]{Name: name, Check: check, Harness: storecheck.Harness[referral.Store]{
			Open: func(string) (referral.Store, error) {
				return &compacting{m: &referral.MemStore{}, compact: compact}, nil
			},
		}}
	}
	storecheck.Catches(t, func(h storecheck.Harness[referral.Store]) error { return TestStore(Harness(h)) }, []storecheck.Mutant[referral.Store]{
		mutant("leaves the signals", "Forget", func(c *compacting, _ func(referral.Record) referral.Record) error {
			return c.current().Compact(func(r referral.Record) referral.Record { return r })
		}),
		mutant("drops the last record", "Forget", func(c *compacting, rewrite func(referral.Record) referral.Record) error {
			return c.replace(func(recs []referral.Record) []referral.Record {
				for i := range recs {
					recs[i] = rewrite(recs[i])
				}
				return recs[:max(len(recs)-1, 0)]
			}, false)
		}),
		mutant("loses the records appended while it runs", "CompactConcurrent", func(c *compacting, rewrite func(referral.Record) referral.Record) error {
			return c.replace(func(recs []referral.Record) []referral.Record {
				for i := range recs {
					recs[i] = rewrite(recs[i])
				}
				return recs
			}, true)
		}),
	})
}

// compacting is a MemStore whose Compact is replaced.
type compacting struct {
	mu      sync.Mutex
	m       *referral.MemStore
	compact func(c *compacting, rewrite func(referral.Record) referral.Record) error
}

func (c *compacting) current() *referral.MemStore {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.m
}

func (c *compacting) Append(recs ...referral.Record) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.m.Append(recs...)
}

func (c *compacting) Records() iter.Seq2[referral.Record, error] { return c.current().Records() }

func (c *compacting) Compact(rewrite func(referral.Record) referral.Record) error {
	return c.compact(c, rewrite)
}

// replace reads every record, changes them with change and replaces the store by a new
// one holding what change returned; unlocked, it does not hold appends back meanwhile.
func (c *compacting) replace(change func([]referral.Record) []referral.Record, unlocked bool) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	var recs []referral.Record
	for r, err := range c.m.Records() {
		if err != nil {
			return err
		}
		recs = append(recs, r)
	}
	if unlocked {
		c.mu.Unlock()
		runtime.Gosched()
	}
	recs = change(slices.Clip(recs))
	if unlocked {
		c.mu.Lock()
	}
	m := &referral.MemStore{}
	if err := m.Append(recs...); err != nil {
		return err
	}
	c.m = m
	return nil
}
