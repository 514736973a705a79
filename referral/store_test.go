package referral_test

import (
	"path/filepath"
	"testing"

	"github.com/clientele-go/clientele/referral"
	"github.com/clientele-go/clientele/referral/storetest"
)

func TestMemoryStoreConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) (referral.Store, func() referral.Store) {
		return &referral.MemoryStore{}, nil
	})
}

func TestFileStoreConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) (referral.Store, func() referral.Store) {
		path := filepath.Join(t.TempDir(), "ledger.wal")
		s, err := referral.OpenFile(path)
		if err != nil {
			t.Fatal(err)
		}
		cur := s
		t.Cleanup(func() { cur.Close() })
		return s, func() referral.Store {
			if err := cur.Close(); err != nil {
				t.Fatal(err)
			}
			next, err := referral.OpenFile(path)
			if err != nil {
				t.Fatal(err)
			}
			cur = next
			return next
		}
	})
}
