package storetest_test

import (
	"testing"

	"github.com/clientele-go/clientele/referral"
	"github.com/clientele-go/clientele/referral/storetest"
)

// The suite run on the simplest store, so that the suite itself is exercised where it
// lives; referral's own tests run it on the file store too.
func TestRunOnMemoryStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) (referral.Store, func() referral.Store) {
		return &referral.MemoryStore{}, nil
	})
}
