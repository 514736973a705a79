package referral_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/clientele-go/clientele/referral"
)

// When a bulk Apply stops at an event, the error says which: events[:Index] are
// durable and event Index and those after it are not recorded. A queue consumer
// acknowledges the first Index messages, dead-letters the bad one when the error is
// the event's own (here it is invalid: it has no time), and goes on with the rest. A
// done context or a store's error would instead have it send events[Index:] again
// later, and an AppendError events[Lo:] (see ExampleAppendError).
func ExampleEventError() {
	ctx, at := context.Background(), time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	prog, _ := referral.Open(&referral.MemStore{}, referral.Rules{ReferrerReward: 500})
	events := make([]referral.Record, 5)
	for i := range events {
		events[i] = referral.Record{Kind: referral.KindInvite, Key: fmt.Sprint("invite:", i), At: at, Profile: 1,
			Signals: referral.Signals{Email: fmt.Sprintf("friend%d@example.com", i)}}
	}
	events[2].At = time.Time{} // a malformed message on the queue

	var acked, deadLettered []string
	for len(events) > 0 {
		err := prog.Apply(ctx, events...)
		var ee *referral.EventError
		var ae *referral.AppendError
		switch {
		case err == nil:
			for _, ev := range events {
				acked = append(acked, ev.Key)
			}
			events = nil
		case errors.As(err, &ee) && !errors.As(err, &ae) && errors.Is(err, referral.ErrInvalid):
			fmt.Println(err)
			for _, ev := range events[:ee.Index] {
				acked = append(acked, ev.Key)
			}
			deadLettered = append(deadLettered, events[ee.Index].Key)
			events = events[ee.Index+1:]
		default: // a done context, a store's error or a failed append: send again later
			fmt.Println("retry later:", err)
			return
		}
	}
	fmt.Println("acknowledged:", acked)
	fmt.Println("dead-lettered:", deadLettered)
	// Output:
	// referral: apply event 2: invalid input: invite event "invite:2": field At: missing time
	// acknowledged: [invite:0 invite:1 invite:3 invite:4]
	// dead-lettered: [invite:2]
}
