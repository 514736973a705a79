package loyalty_test

import (
	"path/filepath"
	"testing"

	"github.com/clientele-go/clientele/referral/loyalty"
	"github.com/clientele-go/clientele/referral/loyalty/storetest"
)

func TestMemStoreConformance(t *testing.T) {
	storetest.Run(t, storetest.Harness{Open: func(string) (loyalty.Store, error) { return &loyalty.MemStore{}, nil }})
}

func TestFileStoreConformance(t *testing.T) {
	open := func(dir string) (loyalty.Store, error) {
		return loyalty.OpenFileStore(filepath.Join(dir, "ledger.wal"), nil)
	}
	storetest.Run(t, storetest.Harness{Open: open, Reopen: open})
}

func TestFileStoreNoSyncConformance(t *testing.T) {
	open := func(dir string) (loyalty.Store, error) {
		return loyalty.OpenFileStore(filepath.Join(dir, "ledger.wal"), &loyalty.FileOptions{NoSync: true})
	}
	storetest.Run(t, storetest.Harness{Open: open, Reopen: open})
}

// The suite on a SharedStore without a database: the example's log in memory, so that
// the shared Ledger's side of the suite (ApplyFailure, AppendFailure) runs where
// PostgreSQL does not.
func TestSharedMemStoreConformance(t *testing.T) {
	storetest.Run(t, storetest.Harness{Open: func(string) (loyalty.Store, error) { return (&sharedLog{}).replica(), nil }})
}
