package storetest

import (
	"slices"
	"strings"
	"testing"

	"github.com/clientele-go/clientele/internal/storecheck"
	"github.com/clientele-go/clientele/referral/loyalty"
)

// The suite run on the simplest store, so that the suite itself is exercised where it
// lives; loyalty's own tests run it on the file store too.
func TestMemStore(t *testing.T) {
	Run(t, Harness{Open: func(string) (loyalty.Store, error) { return &loyalty.MemStore{}, nil }})
}

// The suite must catch broken stores: each mutant breaks one rule of the contract.
func TestSuiteCatchesBrokenStores(t *testing.T) {
	fresh := func() loyalty.Store { return &loyalty.MemStore{} }
	storecheck.Catches(t, func(h storecheck.Harness[loyalty.Store]) error { return TestStore(Harness(h)) },
		append(storecheck.LogMutants(log, fresh), storecheck.RedeliveryMutant(log, fresh)))
}

// dropsAbsorbed keeps every field of a record but a merge's Absorbed, as a store that
// maps records to columns and forgot the one KindMerge added would.
type dropsAbsorbed struct{ loyalty.MemStore }

func (d *dropsAbsorbed) Append(recs ...loyalty.Record) error {
	recs = slices.Clone(recs)
	for i := range recs {
		recs[i].Absorbed = 0
	}
	return d.MemStore.Append(recs...)
}

// Sample has merges, so the suite catches a store that loses what only a merge holds.
func TestSuiteCatchesLostAbsorbed(t *testing.T) {
	err := TestStore(Harness{Open: func(string) (loyalty.Store, error) { return &dropsAbsorbed{}, nil }})
	if err == nil || !strings.HasPrefix(err.Error(), "storetest: RoundTrip: ") {
		t.Fatalf("TestStore = %v, want a failure of RoundTrip", err)
	}
}
