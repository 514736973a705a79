package identity_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/clientele-go/clientele/identity"
)

// WithReplayContext bounds the replay New makes of a store. A host passes the context
// its shutdown signal ends (signal.NotifyContext(ctx, syscall.SIGTERM)), so that a
// SIGTERM during a long start stops New instead of waiting for the whole log; here the
// signal is the call of stop.
func ExampleWithReplayContext() {
	store := &identity.MemStore{}
	r, _ := identity.New(identity.DefaultRules(), identity.WithStore(store))
	r.Link(context.Background(), time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC), "web", identity.ID{Kind: "email", Value: "ann@example.com"})

	ctx, stop := context.WithCancel(context.Background())
	r, err := identity.New(identity.DefaultRules(), identity.WithStore(store), identity.WithReplayContext(ctx))
	fmt.Println(r.Position(), err)

	stop()
	r, err = identity.New(identity.DefaultRules(), identity.WithStore(store), identity.WithReplayContext(ctx))
	fmt.Println(r == nil, errors.Is(err, context.Canceled), err)
	// Output:
	// 2 <nil>
	// true true identity: replay stopped after 0 records: context canceled
}
