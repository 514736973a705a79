package referral

import (
	"context"
	"errors"
	"testing"
)

// TestDoneContextRecordsNothing: an event whose context is done is refused with the
// context's error before anything is decided or appended, in Apply as in the methods,
// and a nil context is ErrInvalid.
func TestDoneContextRecordsNothing(t *testing.T) {
	p, st := openMem(t, Rules{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := p.IssueCode(ctx, day(0), "code-1", 1, Signals{}, nil); !errors.Is(err, context.Canceled) {
		t.Errorf("IssueCode with a cancelled context: %v, want context.Canceled", err)
	}
	if err := p.Order(ctx, day(1), "order-1", 1, "O1", 100); !errors.Is(err, context.Canceled) {
		t.Errorf("Order with a cancelled context: %v, want context.Canceled", err)
	}
	if err := p.Apply(ctx, Record{Kind: KindOrder, Key: "order-2", At: day(1), Profile: 1, Order: "O2", Amount: 5}); !errors.Is(err, context.Canceled) {
		t.Errorf("Apply with a cancelled context: %v, want context.Canceled", err)
	}
	//lint:ignore SA1012 the nil context is the input under test
	if err := p.Order(nil, day(1), "order-3", 1, "O3", 100); !errors.Is(err, ErrInvalid) {
		t.Errorf("Order with a nil context: %v, want ErrInvalid", err)
	}
	n := 0
	for _, err := range st.Records() {
		must(t, err)
		n++
	}
	if n != 0 || len(p.Entries(1)) != 0 {
		t.Errorf("%d records stored, %d entries: want none", n, len(p.Entries(1)))
	}
}
