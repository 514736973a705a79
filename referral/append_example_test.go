package referral_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/clientele-go/clientele/referral"
)

// down is a store whose appends fail while the database is down.
type down struct {
	referral.MemStore
	down bool
}

func (d *down) Append(recs ...referral.Record) error {
	if d.down {
		return errors.New("connection reset")
	}
	return d.MemStore.Append(recs...)
}

// When the store fails an append of a bulk Apply, the error says which events that
// append held: events[:Lo] are durable, events[Lo:Hi] may or may not be, and none
// after is recorded. A queue consumer acknowledges the first Lo messages and sends
// the rest again, on a Program opened again (the failed append stopped this one);
// their keys make a second copy harmless.
func ExampleAppendError() {
	ctx, at := context.Background(), time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	store := &down{}
	prog, _ := referral.Open(store, referral.Rules{ReferrerReward: 500})
	events := make([]referral.Record, 5)
	for i := range events {
		events[i] = referral.Record{Kind: referral.KindInvite, Key: fmt.Sprint("invite:", i), At: at, Profile: 1,
			Signals: referral.Signals{Email: fmt.Sprintf("friend%d@example.com", i)}}
	}
	prog.Apply(ctx, events[:2]...) // acknowledged: durable
	store.down = true
	err := prog.Apply(ctx, events...)
	var ae *referral.AppendError
	if errors.As(err, &ae) {
		fmt.Printf("resend events[%d:], the failed append held [%d, %d)\n", ae.Lo, ae.Lo, ae.Hi)
	}
	fmt.Println(err)

	store.down = false
	prog, _ = referral.Open(store, referral.Rules{ReferrerReward: 500})
	fmt.Println(prog.Apply(ctx, events[ae.Lo:]...))
	// Output:
	// resend events[2:], the failed append held [2, 5)
	// referral: the append of events [2, 5) failed, events [0, 2) are durable: ledger append failed, programme stopped: connection reset
	// <nil>
}
