package storetest

import (
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
