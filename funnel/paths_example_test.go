package funnel_test

import (
	"fmt"
	"slices"

	"github.com/clientele-go/clientele/funnel"
)

// sequenceNextNode: what do people do right after opening a gift page?
func ExampleNextNode_Next() {
	q := funnel.NextNode{Direction: funnel.Forward, Base: funnel.FirstMatch, Chain: []funnel.Step{{Name: "gift"}}}
	next, ok, _ := q.Next([]funnel.Event{ev(1, 0, "home"), ev(1, 1, "gift"), ev(1, 2, "basket")})
	fmt.Println(next, ok)
	_, ok, _ = q.Next([]funnel.Event{ev(2, 0, "home"), ev(2, 1, "gift")})
	fmt.Println(ok)
	// Output:
	// basket true
	// false
}

// The flows after a visit, two deep, keeping the top name at each depth: the nodes,
// drop-offs and links a Sankey chart draws.
func ExamplePaths_Run() {
	ps := funnel.Paths{From: funnel.Step{Name: "visit"}, Depth: 2, TopN: 1}
	res, err := ps.Run([]funnel.Event{
		ev(1, 0, "visit"), ev(1, 1, "search"), ev(1, 2, "cart"),
		ev(2, 0, "visit"), ev(2, 1, "search"), ev(2, 2, "search"),
		ev(3, 0, "visit"), ev(3, 1, "help"),
		ev(4, 0, "visit"),
	})
	if err != nil {
		panic(err)
	}
	fmt.Println("profiles", res.Profiles)
	for _, d := range res.Depths {
		fmt.Println("depth", d.Depth, d.Nodes, "dropped", d.DropOff)
	}
	for _, l := range res.Links {
		fmt.Printf("%d: %s -> %s %d\n", l.FromDepth, l.From, l.To, l.Profiles)
	}
	// Output:
	// profiles 4
	// depth 1 [{search 2} {(other) 1}] dropped 1
	// depth 2 [{(other) 1} {cart 1}] dropped 1
	// 0: visit -> search 2
	// 0: visit -> (other) 1
	// 1: search -> (other) 1
	// 1: search -> cart 1
}

// Between two steps: the paths from a cart to the checkout end at the checkout. The
// stream and batch forms give the same flows.
func ExamplePaths_RunBatch() {
	events := []funnel.Event{
		ev(1, 0, "cart"), ev(1, 1, "coupon"), ev(1, 2, "checkout"), ev(1, 3, "survey"),
		ev(2, 0, "cart"), ev(2, 1, "checkout"),
	}
	ps := funnel.Paths{From: funnel.Step{Name: "cart"}, To: funnel.Step{Name: "checkout"}, Depth: 3}
	var b funnel.Batch
	for _, e := range events {
		b.Append(e)
	}
	res, _ := ps.RunBatch(&b)
	again, _ := ps.RunSeq(slices.Values(events))
	for _, d := range res.Depths {
		fmt.Println("depth", d.Depth, d.Nodes, "ended", d.DropOff)
	}
	fmt.Println(len(again.Links) == len(res.Links))
	// Output:
	// depth 1 [{checkout 1} {coupon 1}] ended 0
	// depth 2 [{checkout 1}] ended 1
	// depth 3 [] ended 1
	// true
}
