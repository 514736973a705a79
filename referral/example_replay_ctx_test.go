package referral_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/clientele-go/clientele/referral"
)

// WithReplayContext bounds the replay Open makes of a store: a host passes the context
// its shutdown signal ends, so that a SIGTERM during a long start stops Open. Here the
// context has ended already.
func ExampleWithReplayContext() {
	ctx, stop := context.WithCancel(context.Background())
	stop()
	p, err := referral.Open(&referral.MemStore{}, referral.Rules{}, referral.WithReplayContext(ctx))
	fmt.Println(p == nil, errors.Is(err, context.Canceled), err)
	// Output:
	// true true referral: open: replay stopped after 0 records: context canceled
}
