package synth_test

import (
	"fmt"

	"github.com/clientele-go/clientele/internal/synth"
)

func ExampleGenerate() {
	counts := map[synth.Kind]int{}
	for e := range synth.Generate(synth.Params{People: 2000, Seed: 42}) {
		counts[e.Kind]++
	}
	for k := synth.Touch; k <= synth.Invite; k++ {
		fmt.Printf("%s %d\n", k, counts[k])
	}
	// Output:
	// touch 3987
	// visit 1095
	// signup 38
	// purchase 51
	// refund 1
	// invite 23
}
