package storetest_test

import (
	"fmt"

	"github.com/clientele-go/clientele/referral"
	"github.com/clientele-go/clientele/referral/storetest"
)

// A host checks its own store against the contract; here the in-memory one, which
// is not durable, so Reopen is nil and the durability checks are skipped.
func Example() {
	err := storetest.TestStore(storetest.Harness{
		Open: func(string) (referral.Store, error) { return &referral.MemStore{}, nil },
	})
	fmt.Println(err)
	// Output:
	// <nil>
}
