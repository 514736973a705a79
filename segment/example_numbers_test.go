package segment_test

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/clientele-go/clientele/segment"
)

// A nightly job loads a model's scores for every profile in one call (a score scaled to
// an integer, as numeric fields hold integers); a profile listed twice keeps its last
// value. ClearNumber takes a value away, so the profile no longer matches any
// comparison on the field, and NOT catches it.
func ExampleIndex_SetNumbers() {
	x, _ := segment.NewIndex()
	err := x.SetNumbers("score.churn", []uint32{1, 2, 3, 2}, []int64{120, 870, 640, 910})
	fmt.Println(err)
	x.ClearNumber("score.churn", 3) // profile 3 asked not to be profiled
	for _, expr := range []string{"score.churn > 500", "NOT score.churn > 500"} {
		r, _ := x.Eval(context.Background(), now, segment.Must(expr), nil)
		fmt.Println(expr, "→", r)
	}
	fmt.Println(x.SetNumbers("score.churn", []uint32{4, 5}, []int64{1}))
	// Output:
	// <nil>
	// score.churn > 500 → {2}
	// NOT score.churn > 500 → {1,3}
	// segment: invalid input: SetNumbers "score.churn": 2 profiles but 1 value
}

// A Query is a text value in JSON, YAML or flags: it is written in its canonical form
// and parsed when read, so a bad definition in a configuration file fails as it loads.
func ExampleQuery_UnmarshalText() {
	var config struct {
		Segments map[string]*segment.Query `json:"segments"`
	}
	err := json.Unmarshal([]byte(`{"segments": {"lapsed": "did(purchase) and not did(purchase, 12w)"}}`), &config)
	fmt.Println(config.Segments["lapsed"], err)
	out, _ := json.Marshal(config)
	fmt.Println(string(out))

	err = json.Unmarshal([]byte(`{"segments": {"broken": "did(purchase"}}`), &config)
	fmt.Println(err)
	// Output:
	// did(purchase) AND NOT did(purchase, 84d) <nil>
	// {"segments":{"lapsed":"did(purchase) AND NOT did(purchase, 84d)"}}
	// segment: parse at line 1, column 13: expected ")", found end of input
}
