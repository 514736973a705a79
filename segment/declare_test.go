package segment_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/clientele-go/clientele/segment"
)

// An index read from a snapshot takes no options: its host declares the events it
// expects with DeclareEvents, and the declaration travels in every later snapshot.
func ExampleIndex_DeclareEvents() {
	x, _ := segment.NewIndex()
	var snap bytes.Buffer
	x.WriteTo(&snap)
	y, _ := segment.ReadSnapshot(snap.Bytes())
	q := segment.Must(`did("Order Completed", 7d)`)
	fmt.Println(y.Save("buyers", q))
	fmt.Println(y.DeclareEvents("Order Completed"))
	fmt.Println(y.Save("buyers", q))

	snap.Reset()
	y.WriteTo(&snap)
	z, err := segment.ReadSnapshot(snap.Bytes())
	fmt.Println(z.Segments(), err)
	// Output:
	// segment: query in segment "buyers" at line 1, column 5: unknown event "Order Completed"
	// <nil>
	// <nil>
	// [buyers] <nil>
}

// Events lists what an index must know before it accepts a query.
func ExampleQuery_Events() {
	q := segment.Must(`did(signup, 30d) AND NOT (count(purchase, 7d) >= 2 OR lapsed(purchase, 30d)) AND plan:pro`)
	fmt.Println(q.Events())
	// Output:
	// [purchase signup]
}

// TestDeclareEvents: a declared event is an event like a recorded one (one name, one
// event: activity recorded after the declaration is what queries see), and an empty
// name declares nothing of the call.
func TestDeclareEvents(t *testing.T) {
	x, _ := segment.NewIndex()
	if err := x.DeclareEvents("a", "", "b"); !errors.Is(err, segment.ErrInvalid) {
		t.Fatalf("DeclareEvents with an empty name: %v, want ErrInvalid", err)
	}
	if _, err := x.Eval(context.Background(), now, segment.Must("did(a)"), nil); !errors.Is(err, segment.ErrUnknownField) {
		t.Fatalf("after a refused declaration, did(a): %v, want ErrUnknownField", err)
	}
	if err := x.DeclareEvents("a", "a"); err != nil {
		t.Fatal(err)
	}
	x.Record(now, 7, "a")
	if err := x.DeclareEvents("a"); err != nil { // again, after activity: nothing changes
		t.Fatal(err)
	}
	got, err := x.Eval(context.Background(), now, segment.Must("did(a, 1d)"), nil)
	if err != nil || !slices.Equal(got.ToArray(), []uint32{7}) {
		t.Fatalf("did(a, 1d) = %v, %v; want [7]", got, err)
	}
	if got := segment.Must("did(b)").Events(); !slices.Equal(got, []string{"b"}) {
		t.Fatalf("Events = %v", got)
	}
	if got := (*segment.Query)(nil).Events(); got != nil {
		t.Fatalf("nil Query's Events = %v, want none", got)
	}
}
