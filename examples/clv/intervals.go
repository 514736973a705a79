package main

import (
	"fmt"
	"math"
	"time"

	"github.com/clientele-go/clientele"
	"github.com/clientele-go/clientele/scoring"
)

// intervals returns 90% intervals for the whole-period models' predictions, and how
// they were made: by the delta method (with any parameter held at the boundary taken
// as known), or, where that fails because the likelihood is flat in some direction
// or nearly flat towards a limit of the model (a shop where nobody seems to churn),
// by a parametric bootstrap of 50 replicates (rough endpoints, but few enough refits
// to take seconds) that reports its progress on cfg.status.
func intervals(bg *scoring.BGNBD, gg *scoring.GammaGamma, cs []scoring.Customer, cfg config) (*scoring.Intervals, string, error) {
	iv, err := scoring.NewIntervals(bg, gg, cs, nil)
	if err == nil {
		if bg.Fit.Boundary != nil || gg.Fit.Boundary != nil {
			return iv, "delta method, the parameters at the boundary taken as known", nil
		}
		return iv, "delta method", nil
	}
	status(cfg, "  delta-method intervals: %v; bootstrapping instead\n", err)
	iv, err = scoring.NewIntervals(bg, gg, cs, &scoring.IntervalOptions{
		Method:     scoring.Bootstrap,
		Replicates: 50,
		Seed:       1,
		Progress:   bootstrapProgress(cfg),
	})
	if err != nil {
		return nil, "", err
	}
	return iv, fmt.Sprintf("parametric bootstrap, %d replicates", iv.Replicates), nil
}

// bootstrapProgress reports the bootstrap's replicates on cfg.status once it has run
// for a second, then at most once a second.
func bootstrapProgress(cfg config) func(done, total int) {
	if cfg.status == nil {
		return nil
	}
	var clock clientele.Clock = clientele.SystemClock{}
	start := clock.Now()
	last := start
	return func(done, total int) {
		if now := clock.Now(); now.Sub(start) >= time.Second && now.Sub(last) >= time.Second {
			last = now
			status(cfg, "  bootstrap intervals: %d of %d refits, %.0f s\n", done, total, now.Sub(start).Seconds())
		}
	}
}

// span formats an interval compactly: "1.234 [1.100, 1.400]". An upper end without
// bound, where the bootstrap's replicates value a customer at +Inf (Gamma-Gamma's q at
// most 1 in more of them than the level leaves out), is "∞".
func span(v scoring.Interval, format string) string {
	hi := fmt.Sprintf(format, v.Hi)
	if math.IsInf(v.Hi, 1) {
		hi = "∞"
	}
	return fmt.Sprintf(format+" ["+format+", %s]", v.Estimate, v.Lo, hi)
}
