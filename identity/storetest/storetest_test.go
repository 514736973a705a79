package storetest

import (
	"path/filepath"
	"testing"

	"github.com/clientele-go/clientele/identity"
	"github.com/clientele-go/clientele/internal/storecheck"
)

func TestMemStore(t *testing.T) {
	Run(t, Harness{Open: func(string) (identity.Store, error) { return &identity.MemStore{}, nil }})
}

func TestFileStore(t *testing.T) {
	Run(t, Harness{Open: openFile, Reopen: openFile})
}

func openFile(dir string) (identity.Store, error) {
	return identity.OpenFileStore(filepath.Join(dir, "identity.log"), nil)
}

// The suite must catch broken stores: each mutant breaks one rule of the contract.
func TestSuiteCatchesBrokenStores(t *testing.T) {
	storecheck.Catches(t, func(h storecheck.Harness[identity.Store]) error { return TestStore(Harness(h)) },
		storecheck.LogMutants(log, func() identity.Store { return &identity.MemStore{} }))
}
