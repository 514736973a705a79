package attribution_test

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/clientele-go/clientele/referral/attribution"
)

func ExampleAttribute() {
	var paths []attribution.Path
	for _, j := range []struct {
		path        string
		conv, nulls float64
		value       float64
	}{
		{"search > email > direct", 1, 0, 120},
		{"search", 0, 1, 0},
		{"email > direct", 0, 1, 0},
	} {
		p, err := attribution.ParsePath(j.path)
		if err != nil {
			fmt.Println(err)
			return
		}
		p.Conversions, p.Nulls, p.Value = j.conv, j.nulls, j.value
		paths = append(paths, p)
	}
	for _, m := range []attribution.CreditRule{attribution.LastTouch{}, attribution.Linear{}, attribution.PositionBased{}, attribution.Markov{Order: 1}} {
		credits, err := attribution.Attribute(paths, m)
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("%-24T", m)
		for _, ch := range slices.Sorted(maps.Keys(credits)) {
			fmt.Printf(" %s %.2f (%.0f)", ch, credits[ch].Conversions, credits[ch].Value)
		}
		fmt.Println()
	}
	// Output:
	// attribution.LastTouch    direct 1.00 (120) email 0.00 (0) search 0.00 (0)
	// attribution.Linear       direct 0.33 (40) email 0.33 (40) search 0.33 (40)
	// attribution.PositionBased direct 0.40 (48) email 0.20 (24) search 0.40 (48)
	// attribution.Markov       direct 0.40 (48) email 0.40 (48) search 0.20 (24)
}

func ExampleReadPaths() {
	// ChannelAttribution's layout: path;total_conversions;total_conversion_value;total_null
	in := `path;total_conversions;total_conversion_value;total_null
search > email;3;150;7
email;0;0;12
search > social > email;1;40;2
`
	var paths []attribution.Path
	for p, err := range attribution.ReadPaths(strings.NewReader(in), nil) {
		if err != nil {
			fmt.Println(err)
			return
		}
		paths = append(paths, p)
	}
	// Every journey ends in email, so removing it loses everything; without search only
	// the 12 of 25 journeys that start in email are left: 1 - 12/25 = 0.52.
	re, _ := attribution.Markov{Order: 1}.RemovalEffects(paths)
	for _, ch := range slices.Sorted(maps.Keys(re)) {
		fmt.Printf("%-6s removal effect %.3f\n", ch, re[ch].Conversions)
	}

	// Lenient reads the good lines and reports every bad one, with its line and column.
	bad := "search > ;1\nemail;2\nsocial;x\n"
	for p, err := range attribution.ReadPaths(strings.NewReader(bad), &attribution.ReadOptions{Lenient: true}) {
		if err != nil {
			fmt.Println(err)
			continue
		}
		fmt.Println(p, p.Conversions)
	}
	// Output:
	// email  removal effect 1.000
	// search removal effect 0.520
	// social removal effect 0.120
	// attribution: syntax error: line 1, column 10: path "search > ": empty channel name
	// email 2
	// attribution: syntax error: line 3, column 8: conversions "x" is not a number
}

func ExampleShapley_Values() {
	paths := []attribution.Path{
		{Touches: []string{"search", "email"}, Conversions: 30, Nulls: 70},
		{Touches: []string{"search"}, Conversions: 10, Nulls: 90},
		{Touches: []string{"display"}, Conversions: 1, Nulls: 199},
	}
	// The rate game: what each channel adds to the conversion rate of the journeys a
	// coalition would have had on its own. Display lowers it: with search alone the
	// rate is 10/100, with search and display 11/300. The values sum to the overall
	// rate, 41/400.
	vals, err := attribution.Shapley{Game: attribution.SubsetRate}.Values(paths)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, ch := range slices.Sorted(maps.Keys(vals)) {
		fmt.Printf("%-7s %+.4f (standard error %v)\n", ch, vals[ch].Conversions, vals[ch].ConversionsSE)
	}
	// Output:
	// display -0.0406 (standard error 0)
	// email   +0.0386 (standard error 0)
	// search  +0.1044 (standard error 0)
}

// ParsePath reads a journey as people write it, with each touch's age before the end
// when time-decay attribution needs it; the counts are the caller's to set. Path's
// String writes the journey back in the same form, without the counts. A mistake is reported with the
// column where it is.
func ExampleParsePath() {
	p, err := attribution.ParsePath("search@3d > email@36h > direct@0s")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(p.Touches, p.Ages)
	fmt.Println(p)
	for _, bad := range []string{"search > > direct", "search@3d > email"} {
		_, err := attribution.ParsePath(bad)
		fmt.Println(err)
	}
	// Output:
	// [search email direct] [72h0m0s 36h0m0s 0s]
	// search@3d > email@1d12h > direct@0s
	// attribution: syntax error: parse path "search > > direct" at column 10: empty channel name
	// attribution: syntax error: parse path "search@3d > email" at column 13: every touch or none must have an @age
}
