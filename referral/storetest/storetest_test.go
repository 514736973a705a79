package storetest

import (
	"testing"

	"github.com/clientele-go/clientele/internal/storecheck"
	"github.com/clientele-go/clientele/referral"
)

// The suite run on the simplest store, so that the suite itself is exercised where it
// lives; referral's own tests run it on the file store too.
func TestMemStore(t *testing.T) {
	Run(t, Harness{Open: func(string) (referral.Store, error) { return &referral.MemStore{}, nil }})
}

// The suite must catch broken stores: each mutant breaks one rule of the contract.
func TestSuiteCatchesBrokenStores(t *testing.T) {
	fresh := func() referral.Store { return &referral.MemStore{} }
	storecheck.Catches(t, func(h storecheck.Harness[referral.Store]) error { return TestStore(Harness(h)) },
		append(storecheck.LogMutants(log, fresh), storecheck.RedeliveryMutant(log, fresh)))
}
