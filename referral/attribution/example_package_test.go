package attribution_test

import (
	"fmt"
	"maps"
	"slices"

	"github.com/clientele-go/clientele/referral/attribution"
)

// Three journeys: two converting paths and one that did not convert. A first-order
// Markov chain credits each channel with the conversions lost without it.
func Example() {
	paths := []attribution.Path{
		{Touches: []string{"search", "email"}, Conversions: 3, Value: 90},
		{Touches: []string{"email"}, Conversions: 1, Value: 30},
		{Touches: []string{"social"}, Nulls: 10},
	}
	credits, err := attribution.Attribute(paths, attribution.Markov{Order: 1})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, ch := range slices.Sorted(maps.Keys(credits)) {
		fmt.Printf("%s %.2f conversions, value %.0f\n", ch, credits[ch].Conversions, credits[ch].Value)
	}
	// Output:
	// email 2.29 conversions, value 69
	// search 1.71 conversions, value 51
	// social 0.00 conversions, value 0
}
