package loyalty_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/clientele-go/clientele/referral/loyalty"
)

// consume applies a batch of queue messages with one bulk Apply and says what becomes
// of each: acknowledged (durable), dead-lettered (the event is at fault), or to be sent
// again later (the batch stopped for a reason outside it). It tests no sentinel of the
// package: EventError.Permanent says whose fault it is.
func consume(ctx context.Context, l *loyalty.Ledger, events []loyalty.Record) (acked, deadLettered, again []string) {
	keys := func(evs []loyalty.Record) (out []string) {
		for _, ev := range evs {
			out = append(out, ev.Key)
		}
		return out
	}
	for len(events) > 0 {
		err := l.Apply(ctx, events...)
		var ae *loyalty.AppendError
		var ee *loyalty.EventError
		switch {
		case err == nil:
			return append(acked, keys(events)...), deadLettered, nil
		case errors.As(err, &ae):
			// The store failed an append: events[:Lo] are durable; the rest go again, on
			// a Ledger opened again (this one stopped), each recorded once per key.
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
// and go on with the next (here one has no member and one spends more points than
// the member has), or stop and send the rest again later (here the consumer's
// context is done as it shuts down).
func ExampleEventError() {
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	l, _ := loyalty.Open(&loyalty.MemStore{}, loyalty.Rules{})
	earn := func(i int) loyalty.Record {
		return loyalty.Record{Kind: loyalty.KindEarn, Key: fmt.Sprint("earn:", i), At: at, Member: 7, Order: fmt.Sprint("A-", i), Amount: 2500}
	}
	batch := []loyalty.Record{earn(0), earn(1), earn(2),
		{Kind: loyalty.KindSpend, Key: "spend:1", At: at, Member: 8, Points: 100}, earn(4)}
	batch[2].Member = 0 // a malformed message

	acked, dead, again := consume(context.Background(), l, batch)
	fmt.Println("acknowledged:", acked, "dead-lettered:", dead, "send again:", again)

	shutdown, cancel := context.WithCancel(context.Background())
	cancel()
	acked, dead, again = consume(shutdown, l, []loyalty.Record{earn(5), earn(6)})
	fmt.Println("acknowledged:", acked, "dead-lettered:", dead, "send again:", again)
	// Output:
	// dead letter: loyalty: apply event 2: invalid input: earn event "earn:2": field Member: 0 is no member
	// dead letter: loyalty: apply event 0: not enough points available: spend event "spend:1": 100 points, member 8 has 0 available at 2026-03-01 12:00:00 +0000 UTC
	// acknowledged: [earn:0 earn:1 earn:4] dead-lettered: [earn:2 spend:1] send again: []
	// send again later: loyalty: apply event 0: earn event "earn:5" not recorded: context canceled
	// acknowledged: [] dead-lettered: [] send again: [earn:5 earn:6]
}
