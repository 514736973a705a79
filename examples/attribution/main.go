// Command attribution reads customer journeys and prints the credit every attribution
// model gives every channel, side by side, so that the rule-based models can be held
// against the data-driven ones.
//
//	go run ./examples/attribution                      # journeys of the generated base
//	go run ./examples/attribution -in paths.csv        # your own: path,conversions,nulls,value
//	go run ./examples/attribution -in - < paths.csv    # from standard input
//	go run ./examples/attribution -in paths.csv -lenient  # skip bad rows, listing each
//	go run ./examples/attribution -in ga.csv -direct '(direct)'  # the direct channel's name
//
// A path is written "search > email > direct", oldest touch first.
package main

import (
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"time"

	"github.com/clientele-go/clientele"
	"github.com/clientele-go/clientele/internal/english"
)

func main() {
	in := flag.String("in", "", `CSV of journeys (path,conversions,nulls,value), gzip-compressed too (paths.csv.gz); "-" for standard input; empty: generate them`)
	people := flag.Int("people", 100_000, "people in the generated base (without -in)")
	lenient := flag.Bool("lenient", false, "skip bad rows of -in, listing each on standard error (up to 100), instead of stopping at the first")
	direct := flag.String("direct", "direct", `the channel of visits typed in or bookmarked, which last-nd (last non-direct touch) passes over, as the paths spell it ("(direct)" in a Google Analytics export)`)
	flag.Parse()
	if *in == "" && *people < 1 {
		fmt.Fprintf(os.Stderr, "attribution: -people %d: need at least 1 person\n", *people)
		os.Exit(2)
	}
	if *in == "" {
		// Generating the base takes about a second per 100,000 people: say so.
		fmt.Fprintf(os.Stderr, "generating the journeys of %s (%s) ...\n", peopleCount(*people), estimate(*people))
	}
	if err := run(os.Stdout, *in, *people, *lenient, *direct); err != nil {
		fmt.Fprintln(os.Stderr, "attribution:", err)
		os.Exit(1)
	}
}

// estimate is how long generating people takes, at about a second per 100,000, in
// the units a reader waits in: -people 99999999999 said "about 1000000s" (twelve
// days) and started.
func estimate(people int) string {
	secs := max(1, people/100_000)
	if secs > 100*365*24*3600 {
		return "over a century"
	}
	d := time.Duration(secs) * time.Second
	switch {
	case d >= 24*time.Hour:
		d = d.Round(time.Hour)
	case d >= time.Hour:
		d = d.Round(time.Minute)
	}
	return "about " + clientele.FormatDuration(d)
}

func run(out io.Writer, in string, people int, lenient bool, direct string) error {
	var (
		paths   []pathRow
		source  string
		skipped int
		err     error
	)
	switch in {
	case "":
		paths, source = generated(people), "journeys of a generated base of "+peopleCount(people)
	case "-":
		paths, skipped, err = readCSV(os.Stdin, lenient, os.Stderr)
		source = "standard input"
	default:
		var f *os.File
		if f, err = os.Open(in); err != nil {
			return err
		}
		defer f.Close()
		paths, skipped, err = readCSV(f, lenient, os.Stderr)
		source = in
	}
	if err != nil {
		return fmt.Errorf("%s: %w", source, err)
	}
	t, err := attribute(paths, direct)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "%s: %s, %s worth %.2f, %s without one\n\n",
		source, count(float64(t.journeys), "distinct journey"), count(t.conversions, "conversion"), t.value, count(t.nulls, "journey"))
	if skipped > 0 {
		// They were listed on standard error alone: a report kept in a file read as
		// the whole of the input.
		fmt.Fprintf(out, "%s skipped (-lenient; each is listed on standard error): the figures below leave %s out\n\n",
			english.Count(skipped, "bad row"), english.Plural(skipped, "it", "them"))
	}
	if t.conversions == 0 {
		// Every model would print a table of zeros: say why instead.
		fmt.Fprintln(out, "Nothing to credit: no journey converted.")
		return nil
	}
	t.print(out)
	return nil
}

// count writes "1 journey", "3 journeys" or "2.50 journeys": counts may be weights
// (ChannelAttribution's files carry fractional conversions), and rounding one to a
// whole number would disagree with the credits below it, which sum to it.
func count(n float64, noun string) string {
	if n == math.Trunc(n) {
		return fmt.Sprintf("%.0f %s%s", n, noun, plural(n))
	}
	return fmt.Sprintf("%.2f %ss", n, noun)
}

// peopleCount writes "1 person", "100000 people".
func peopleCount(n int) string {
	return fmt.Sprintf("%d %s", n, english.Plural(n, "person", "people"))
}

func plural(n float64) string {
	if n == 1 {
		return ""
	}
	return "s"
}
