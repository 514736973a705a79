package main

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/clientele-go/clientele/scoring"
)

// TestCaseTwinsWarned: customer ids that differ only by letter case are two customers,
// as written, and the report says so once, with the count of such sets and the first
// one's ids: "Ann@Example.com" and "ann@example.com" were valued as two customers
// without a word. Ids differing by surrounding spaces are one customer already.
func TestCaseTwinsWarned(t *testing.T) {
	b, start := twelveCustomers()
	fmt.Fprintf(b, "C3,%s,20\n", start.AddDate(0, 0, 40).Format(time.DateOnly))
	fmt.Fprintf(b, " c3 ,%s,20\n", start.AddDate(0, 0, 50).Format(time.DateOnly))
	fmt.Fprintf(b, "C7,%s,20\n", start.AddDate(0, 0, 60).Format(time.DateOnly))
	var out bytes.Buffer
	if err := run(&out, strings.NewReader(b.String()), config{format: "csv", unit: 24 * time.Hour, top: 2}); err != nil {
		t.Fatal(err)
	}
	want := `warning: 2 sets of customer ids differ only by letter case, such as "c3" and "C3": each id is counted as a customer of its own; if they are one person, write the ids alike in the export` + "\n"
	if got := out.String(); strings.Count(got, "warning:") != 1 || !strings.Contains(got, want) || !strings.Contains(got, "of 14 customers") {
		t.Errorf("want 14 customers and the line %q once in\n%s", want, got)
	}
	b, _ = twelveCustomers()
	out.Reset()
	if err := run(&out, strings.NewReader(b.String()), config{format: "csv", unit: 24 * time.Hour, top: 2}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out.String(), "letter case") {
		t.Errorf("a warning without ids of one letter case:\n%s", out.String())
	}
}

// TestCaseLine: the sets are strings.EqualFold's, one line whatever their size, and an
// odd id is shown as the report shows ids.
func TestCaseLine(t *testing.T) {
	for _, c := range []struct {
		ids  []string
		want string
	}{
		{[]string{"a", "b"}, ""},
		{[]string{"k", "K", "\u212a"}, `1 set of customer ids differs only by letter case, such as "k" and "K"`}, // the Kelvin sign
		{[]string{"σ", "ς", "x", "X"}, `2 sets of customer ids differ only by letter case, such as "σ" and "ς"`},
		{[]string{"a\tb", "A\tB"}, `such as "a\tb" and "A\tB"`},
	} {
		keys := &scoring.Keys{}
		for _, id := range c.ids {
			if _, err := keys.Key(id); err != nil {
				t.Fatal(err)
			}
		}
		got := caseLine(keys)
		if c.want == "" && got != "" || !strings.Contains(got, c.want) {
			t.Errorf("caseLine(%q) = %q, want %q in it", c.ids, got, c.want)
		}
	}
}
