package loyalty_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/clientele-go/clientele/referral/loyalty"
)

// WithReplayContext bounds the replay Open makes of a store: a host passes the context
// its shutdown signal ends, so that a SIGTERM during a long start stops Open. Here the
// context has ended already.
func ExampleWithReplayContext() {
	ctx, stop := context.WithCancel(context.Background())
	stop()
	l, err := loyalty.Open(&loyalty.MemStore{}, loyalty.Rules{}, loyalty.WithReplayContext(ctx))
	fmt.Println(l == nil, errors.Is(err, context.Canceled), err)
	// Output:
	// true true loyalty: open: replay stopped after 0 records: context canceled
}
