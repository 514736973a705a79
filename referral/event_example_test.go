package referral_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/clientele-go/clientele/referral"
)

// consume applies a batch of queue messages with one bulk Apply and says what becomes
// of each: acknowledged (durable), dead-lettered (the event is at fault), or to be sent
// again later (the batch stopped for a reason outside it). It tests no sentinel of the
// package: EventError.Permanent says whose fault it is.
func consume(ctx context.Context, prog *referral.Program, events []referral.Record) (acked, deadLettered, again []string) {
	keys := func(evs []referral.Record) (out []string) {
		for _, ev := range evs {
			out = append(out, ev.Key)
		}
		return out
	}
	for len(events) > 0 {
		err := prog.Apply(ctx, events...)
		var ae *referral.AppendError
		var ee *referral.EventError
		switch {
		case err == nil:
			return append(acked, keys(events)...), deadLettered, nil
		case errors.As(err, &ae):
			// The store failed an append: events[:Lo] are durable; the rest go again, on
			// a Program opened again (this one stopped), each recorded once per key.
			return append(acked, keys(events[:ae.Lo])...), deadLettered, keys(events[ae.Lo:])
		case errors.As(err, &ee) && ee.Permanent:
			// The event is malformed or refused: sending it again would fail again.
			fmt.Println("dead letter:", err)
			acked = append(acked, keys(events[:ee.Index])...)
			deadLettered = append(deadLettered, events[ee.Index].Key)
			events = events[ee.Index+1:]
		case errors.As(err, &ee):
			// A done context, a shared store that could not be led: not the event's fault.
			fmt.Println("send again later:", err)
			return append(acked, keys(events[:ee.Index])...), deadLettered, keys(events[ee.Index:])
		default: // a caller's mistake (a nil context), before any event: nothing recorded
			return acked, deadLettered, keys(events)
		}
	}
	return acked, deadLettered, nil
}

// A queue consumer applies each batch of messages in bulk. When Apply stops at an
// event, EventError.Permanent tells the consumer what to do: dead-letter the event
// and go on with the next (here one is malformed and one refunds an order the ledger
// has never seen), or stop and send the rest again later (here the consumer's
// context is done as it shuts down).
func ExampleEventError() {
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	prog, _ := referral.Open(&referral.MemStore{}, referral.Rules{ReferrerReward: 500})
	invite := func(i int) referral.Record {
		return referral.Record{Kind: referral.KindInvite, Key: fmt.Sprint("invite:", i), At: at, Profile: 1,
			Signals: referral.Signals{Email: fmt.Sprintf("friend%d@example.com", i)}}
	}
	batch := []referral.Record{invite(0), invite(1), invite(2),
		{Kind: referral.KindRefund, Key: "refund:1", At: at, Order: "A-1"}, invite(4)}
	batch[2].At = time.Time{} // a malformed message

	acked, dead, again := consume(context.Background(), prog, batch)
	fmt.Println("acknowledged:", acked, "dead-lettered:", dead, "send again:", again)

	shutdown, cancel := context.WithCancel(context.Background())
	cancel()
	acked, dead, again = consume(shutdown, prog, []referral.Record{invite(5), invite(6)})
	fmt.Println("acknowledged:", acked, "dead-lettered:", dead, "send again:", again)
	// Output:
	// dead letter: referral: apply event 2: invalid input: invite event "invite:2": field At: missing time
	// dead letter: referral: apply event 0: refund event "refund:1": not found: order "A-1"
	// acknowledged: [invite:0 invite:1 invite:4] dead-lettered: [invite:2 refund:1] send again: []
	// send again later: referral: apply event 0: invite event "invite:5" not recorded: context canceled
	// acknowledged: [] dead-lettered: [] send again: [invite:5 invite:6]
}
