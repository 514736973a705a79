package clientele_test

import (
	"context"
	"fmt"
	"time"

	"github.com/clientele-go/clientele"
	"github.com/clientele-go/clientele/funnel"
	"github.com/clientele-go/clientele/identity"
	"github.com/clientele-go/clientele/segment"
)

func ExampleFixedClock() {
	var clock clientele.Clock = clientele.FixedClock(time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC))
	fmt.Println(clock.Now().Format(time.DateOnly))
	// Output: 2026-11-23
}

func ExampleSystemClock() {
	var clock clientele.Clock = clientele.SystemClock{}
	fmt.Println(clock.Now().After(time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)))
	// Output: true
}

// The road from stranger to customer, three packages together: identity turns a visitor's anonymous id and later e-mail into
// one profile, segment finds the users (two or more visits in 30 days), and funnel
// measures how many visitors bought.
func Example() {
	ctx, day := context.Background(), 24*time.Hour
	start := time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)
	res, _ := identity.New(identity.DefaultRules())
	x, _ := segment.NewIndex()
	var events []funnel.Event
	for _, e := range []struct {
		after time.Duration
		name  string
		ids   []identity.ID
	}{
		{0, "visit", []identity.ID{{Kind: "anonymous_id", Value: "a1"}}},
		{0, "visit", []identity.ID{{Kind: "anonymous_id", Value: "b7"}}},
		{3 * day, "visit", []identity.ID{{Kind: "anonymous_id", Value: "a1"}, {Kind: "email", Value: "Ann@Example.com"}}},
		{5 * day, "purchase", []identity.ID{{Kind: "email", Value: "ann@example.com"}}},
	} {
		p, _ := res.Link(ctx, start.Add(e.after), "web", e.ids...)
		x.Record(start.Add(e.after), p, e.name)
		events = append(events, funnel.Event{Profile: p, Time: start.Add(e.after), Name: e.name})
	}
	users, _ := x.Eval(ctx, start.Add(6*day), segment.Must("count(visit, 30d) >= 2"), nil)
	road, _ := funnel.Spec{Steps: []funnel.Step{{Name: "visit"}, {Name: "purchase"}}, Window: 30 * day}.Run(events)
	fmt.Println("users:", users.ToArray())
	fmt.Printf("visitors who bought: %d of %d\n", road.Steps[1].Unique, road.Steps[0].Unique)
	// Output:
	// users: [1]
	// visitors who bought: 1 of 2
}
