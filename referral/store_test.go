package referral_test

import (
	"path/filepath"
	"testing"

	"github.com/clientele-go/clientele/referral"
	"github.com/clientele-go/clientele/referral/storetest"
)

func TestMemStoreConformance(t *testing.T) {
	storetest.Run(t, storetest.Harness{Open: func(string) (referral.Store, error) { return &referral.MemStore{}, nil }})
}

func TestFileStoreConformance(t *testing.T) {
	open := func(dir string) (referral.Store, error) {
		return referral.OpenFileStore(filepath.Join(dir, "ledger.wal"), nil)
	}
	storetest.Run(t, storetest.Harness{Open: open, Reopen: open})
}

func TestFileStoreNoSyncConformance(t *testing.T) {
	open := func(dir string) (referral.Store, error) {
		return referral.OpenFileStore(filepath.Join(dir, "ledger.wal"), &referral.FileOptions{NoSync: true})
	}
	storetest.Run(t, storetest.Harness{Open: open, Reopen: open})
}

// The suite on a SharedStore without a database: the example's ledger in memory, so
// that the shared Program's side of the suite (ApplyFailure, AppendFailure) runs
// where PostgreSQL does not.
func TestSharedMemStoreConformance(t *testing.T) {
	storetest.Run(t, storetest.Harness{Open: func(string) (referral.Store, error) { return (&ledger{}).replica(), nil }})
}
