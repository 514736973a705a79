// Command quickstart walks the whole road from stranger to advocate on a generated
// customer base: it resolves identities, builds segments, measures the lifecycle funnel,
// predicts what customers are worth and who brought whom, prints a short report and
// writes report.html, one self-contained page of charts.
//
//	go run ./examples/quickstart [-people 100000] [-seed 1] [-out report.html]
//
// Memory grows with -people, about 2.7 GB a million: a run estimated at over 1 GB says
// so before it starts, and one estimated at over the memory available (on Linux) or
// over 20,000,000 people is refused.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/clientele-go/clientele"
)

func main() {
	var cfg config
	flag.IntVar(&cfg.people, "people", 100_000, "people reached by promotions")
	flag.Uint64Var(&cfg.seed, "seed", 1, "seed of the generated base")
	flag.StringVar(&cfg.out, "out", "report.html", "where to write the HTML report (empty: none)")
	flag.Parse()
	if cfg.people < 1 {
		fmt.Fprintf(os.Stderr, "quickstart: -people %d: need at least 1 person\n", cfg.people)
		os.Exit(2)
	}
	if err := run(os.Stdout, os.Stderr, cfg); err != nil {
		fmt.Fprintln(os.Stderr, "quickstart:", err)
		os.Exit(1)
	}
}

type config struct {
	people int
	seed   uint64
	out    string
}

// wallClock times the steps for the progress lines; the analysis itself never reads
// the clock: "now" is the end of the generated period.
var wallClock clientele.Clock = clientele.SystemClock{}

// progress prints each long step and how long it took, so a person watching knows what
// the program is doing.
type progress struct {
	w      io.Writer
	step   int
	steps  int
	people int
	start  time.Time
	name   string
	open   bool // a line is begun and not ended
}

func (p *progress) begin(name string) {
	p.step++
	p.name = name
	p.start = wallClock.Now()
	est := ""
	if p.step <= len(estimate) {
		if secs := estimate[p.step-1] * float64(p.people) / 1000; secs >= 1 {
			est = fmt.Sprintf(" (about %.0fs at this size)", secs)
		}
	}
	fmt.Fprintf(p.w, "[%d/%d] %s%s ...", p.step, p.steps, name, est)
	p.open = true
}

func (p *progress) end() {
	fmt.Fprintf(p.w, " %.1fs\n", wallClock.Now().Sub(p.start).Seconds())
	p.open = false
}

// abandon closes a line a failed step left open, so that the error printed after it
// starts a line of its own rather than trailing "... ".
func (p *progress) abandon() {
	if p.open {
		fmt.Fprintf(p.w, " failed after %.1fs\n", wallClock.Now().Sub(p.start).Seconds())
		p.open = false
	}
}
