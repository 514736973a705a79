package funnel_test

import (
	"fmt"

	"github.com/clientele-go/clientele/funnel"
)

// Retention answers, for one profile, "did it do the first thing, and if so did it
// also do each of the others?" (ClickHouse's retention function), ignoring order and
// time: the building block for a host that groups events by profile itself and sums
// the flags into a table.
func ExampleRetention() {
	ann := []funnel.Event{ev(1, 0, "signup"), ev(1, 60, "purchase")}
	bob := []funnel.Event{ev(2, 0, "purchase"), ev(2, 30, "share")} // never signed up
	cond := []funnel.Step{{Name: "signup"}, {Name: "purchase"}, {Name: "share"}}
	fmt.Println(funnel.Retention(ann, cond...))
	fmt.Println(funnel.Retention(bob, cond...))
	// Output:
	// [true true false]
	// [false false false]
}
