package main

import (
	"fmt"
	"io"
	"os"
	"slices"

	"github.com/clientele-go/clientele/internal/synth"
)

// run does the whole job: out receives the text report, status the progress lines.
func run(out, status io.Writer, cfg config) error {
	prog := &progress{w: status, steps: 2}
	params := synth.Params{People: cfg.people, Seed: cfg.seed}.Default()
	var rep page

	prog.begin("generating the customer base")
	base := summarise(params)
	prog.end()

	fmt.Fprintf(out, "clientele quickstart: %d people reached by %d promotions over %d days\n\n", params.People, params.Promotions, params.Days)
	fmt.Fprintf(out, "events              %9d\n", base.events)
	fmt.Fprintf(out, "users (signed up)   %9d  %.2f%% of people reached\n", base.users, 100*float64(base.users)/float64(params.People))
	fmt.Fprintf(out, "referred users      %9d\n", base.referred)

	var depth []bar
	for g, n := range base.generations {
		depth = append(depth, bar{Label: fmt.Sprintf("generation %d", g), Value: float64(n), Note: fmt.Sprint(n)})
	}
	rep.add("Referral tree depth", "Users by generation: generation 0 came through promotions; generation k was invited by generation k-1.", barChart("Users per referral generation", depth))

	prog.begin("writing " + cfg.out)
	if cfg.out != "" {
		f, err := os.Create(cfg.out)
		if err != nil {
			return err
		}
		if err := rep.write(f); err != nil {
			f.Close()
			return err
		}
		if err := f.Close(); err != nil {
			return err
		}
	}
	prog.end()
	return nil
}

// baseSummary are the generator's own counts, the truth the SDK's answers are held to.
type baseSummary struct {
	events, users, referred int
	generations             []int // users per referral generation
}

func summarise(p synth.Params) baseSummary {
	var s baseSummary
	gen := map[int]int{}
	for e := range synth.Generate(p) {
		s.events++
		if e.Kind != synth.Signup {
			continue
		}
		s.users++
		g := 0
		if e.Referrer >= 0 {
			s.referred++
			g = gen[e.Referrer] + 1
		}
		gen[e.Person] = g
		for len(s.generations) <= g {
			s.generations = append(s.generations, 0)
		}
		s.generations[g]++
	}
	s.generations = slices.Clip(s.generations)
	return s
}
