package funnel_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/clientele-go/clientele/funnel"
)

// TestParseMode: every set of the six modes reads back from its String, with "|" or
// "," between names and spaces around them; unknown names are ErrInvalid naming them.
func TestParseMode(t *testing.T) {
	for m := funnel.Mode(0); m < 1<<6; m++ {
		for _, text := range []string{m.String(), strings.ReplaceAll(m.String(), "|", " , ")} {
			got, err := funnel.ParseMode(text)
			if err != nil || got != m {
				t.Errorf("ParseMode(%q) = %v, %v; want %v", text, got, err, m)
			}
		}
	}
	if m, err := funnel.ParseMode(""); err != nil || m != 0 {
		t.Errorf(`ParseMode("") = %v, %v; want the default`, m, err)
	}
	for _, bad := range []string{"strict", "strict_order|once", "STRICT_ORDER", "0x40"} {
		if _, err := funnel.ParseMode(bad); !errors.Is(err, funnel.ErrInvalid) || !strings.Contains(err.Error(), "mode") {
			t.Errorf("ParseMode(%q) = %v, want ErrInvalid naming the mode", bad, err)
		}
	}
}

// A host takes the matching mode from a query string or a configuration file in
// ClickHouse's names: here, one event may serve as one step only, so that a single page
// view is not both steps of page → page.
func ExampleParseMode() {
	m, err := funnel.ParseMode("strict_once")
	if err != nil {
		fmt.Println(err)
		return
	}
	at := time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)
	events := []funnel.Event{{Profile: 1, Time: at, Name: "page"}}
	for _, mode := range []funnel.Mode{0, m} {
		res, err := funnel.Spec{Steps: []funnel.Step{{Name: "page"}, {Name: "page"}}, Mode: mode}.Run(events)
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("%s: %d of %d profiles reached step 2\n", mode, res.Steps[1].Unique, res.Steps[0].Unique)
	}
	_, err = funnel.ParseMode("strict")
	fmt.Println(err)
	// Output:
	// default: 1 of 1 profiles reached step 2
	// strict_once: 0 of 1 profiles reached step 2
	// funnel: invalid input: mode "strict": want strict_deduplication, strict_order, strict_increase, strict_once, allow_reentry, any_order, joined by | or ,
}
