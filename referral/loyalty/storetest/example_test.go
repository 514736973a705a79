package storetest_test

import (
	"fmt"

	"github.com/clientele-go/clientele/referral/loyalty"
	"github.com/clientele-go/clientele/referral/loyalty/storetest"
)

// A host checks its own store (here the in-memory one) against the contract.
func ExampleTestStore() {
	err := storetest.TestStore(storetest.Harness{
		Open: func(string) (loyalty.Store, error) { return &loyalty.MemStore{}, nil },
	})
	fmt.Println(err)
	// Output:
	// <nil>
}

func ExampleSample() {
	for _, r := range storetest.Sample(3) {
		fmt.Println(r.Kind, r.Key, r.Member)
	}
	// Output:
	// earn key-0 1
	// spend key-1 2
	// refund key-2 3
}
