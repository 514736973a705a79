package clientele_test

import (
	"fmt"
	"time"

	"github.com/clientele-go/clientele"
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
