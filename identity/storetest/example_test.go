package storetest_test

import (
	"fmt"

	"github.com/clientele-go/clientele/identity"
	"github.com/clientele-go/clientele/identity/storetest"
)

// A host checks its own store against the contract; here the in-memory one, which
// is not durable, so Reopen is nil and the durability checks are skipped.
func Example() {
	err := storetest.TestStore(storetest.Harness{
		Open: func(string) (identity.Store, error) { return &identity.MemStore{}, nil },
	})
	fmt.Println(err)
	// Output:
	// <nil>
}
