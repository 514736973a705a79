package scoring

import (
	"errors"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
)

// burstShop is 300 customers simulated from Pareto/NBD (r 0.8, alpha 10, s 1, beta
// 20, a year of weeks) in which every tenth repeat buyer's repeat purchases are moved
// to the instant of the first (recency 0), as a table that counted a first day's
// extra orders as repeat purchases would have them, and the number so moved.
func burstShop() ([]Customer, int) {
	rng := rand.New(rand.NewPCG(0, 5))
	cs := make([]Customer, 300)
	for i := range cs {
		cs[i] = simPareto(rng, 0.8, 10, 1, 20, 52, 0).Customer
	}
	bursts := 0
	for i := range cs {
		if cs[i].Frequency > 0 && rng.IntN(10) == 0 {
			cs[i].Recency = 0
			bursts++
		}
	}
	return cs, bursts
}

// TestBursts: 12 bursts among 300 customers (burstShop). Before ErrBurst, BG/NBD and
// MBG/NBD returned with no error a fit drawn to the edge of the space by them (r 0.05
// instead of the 0.2 of the base without them, alpha held at the boundary and
// labelled "alpha → ∞" while it went to 0). Now they fail with ErrBurst naming the
// first burst, and so does the covariate form; Pareto/NBD reaches a maximum inside
// the space, away from the bursts, and returns it; a burst of weight 0 is left out;
// Gamma-Gamma, which reads no recency, takes them; and the base with the bursts
// counted as first purchases, as the message advises, fits.
func TestBursts(t *testing.T) {
	cs, n := burstShop()
	if n != 12 {
		t.Fatalf("%d bursts, want the 12 the comment describes", n)
	}
	first := -1
	for i, c := range cs {
		if c.Frequency > 0 && c.Recency == 0 {
			first = i
			break
		}
	}
	want := "customer " + strconv.Itoa(first) + " has " + strconv.Itoa(cs[first].Frequency) + " repeat purchases at recency 0 (and 11 more customers like it)"
	for name, err := range map[string]error{
		"BG/NBD":                 second(FitBGNBD(cs, nil)),
		"MBG/NBD":                second(FitMBGNBD(cs, nil)),
		"BG/NBD with covariates": second(FitBGNBDCovariates(cs, nil, nil, nil)),
	} {
		if !errors.Is(err, ErrBurst) || !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: %v, want ErrBurst", name, err)
			continue
		}
		msg := err.Error()
		if !strings.Contains(msg, name+": "+want) || !strings.Contains(msg, "alpha went to") || !strings.Contains(msg, "Summarize") || strings.Count(msg, "scoring:") != 1 {
			t.Errorf("%s: message %q", name, msg)
		}
	}
	p, err := FitParetoNBD(cs, nil)
	if err != nil || p.Fit.Boundary != nil || p.Fit.StdErr == nil {
		t.Fatalf("Pareto/NBD: %v, %+v", err, p)
	}
	// Weighted: bursts of weight 0 are left out, the others count.
	w := make([]float64, len(cs))
	for i, c := range cs {
		if !(c.Frequency > 0 && c.Recency == 0) {
			w[i] = 2
		}
	}
	if _, err := FitBGNBD(cs, &FitOptions{Weights: w}); err != nil {
		t.Errorf("bursts of weight 0: %v", err)
	}
	for i, c := range cs {
		if c.Frequency > 0 && c.Recency == 0 {
			w[i] = 2
		}
	}
	if _, err := FitBGNBD(cs, &FitOptions{Weights: w}); !errors.Is(err, ErrBurst) || !strings.Contains(err.Error(), want) {
		t.Errorf("bursts of weight 2: %v", err)
	}
	spend := make([]Customer, len(cs))
	for i, c := range cs {
		spend[i] = c
		if c.Frequency > 0 {
			spend[i].Monetary = 10 + float64(i%7)
		}
	}
	if _, err := FitGammaGamma(spend, nil); err != nil {
		t.Errorf("Gamma-Gamma: %v", err)
	}
	// What the message advises: the first period's purchases counted as one.
	for i, c := range cs {
		if c.Frequency > 0 && c.Recency == 0 {
			cs[i].Frequency = 0
		}
	}
	bg, err := FitBGNBD(cs, nil)
	if err != nil {
		t.Fatal(err)
	}
	if bg.Fit.Boundary != nil || bg.R < 0.15 {
		t.Errorf("bursts counted once: r %v alpha %v, boundary %+v", bg.R, bg.Alpha, bg.Fit.Boundary)
	}
}

// TestBurstBesideALimit: one burst among 500 customers who never drop out. With one
// repeat purchase in it, Pareto/NBD ends at the no-dropout limit (beta → ∞), away
// from the burst, and stands: it was refused when every boundary fit of a base with
// bursts was. With four, the burst draws beta to 0 (dropout rates without bound: buy
// at once, then gone, which the limit now names), and Pareto/NBD is refused naming
// beta, while BG/NBD and MBG/NBD keep a maximum inside the space.
func TestBurstBesideALimit(t *testing.T) {
	base := func(x int) []Customer {
		rng := rand.New(rand.NewPCG(3, 4))
		var cs []Customer
		for range 500 {
			cs = append(cs, simPareto(rng, 0.8, 10, 1, 1e12, 52, 0).Customer)
		}
		for i, c := range cs {
			if c.Frequency > 0 {
				cs[i].Frequency, cs[i].Recency = x, 0
				break
			}
		}
		return cs
	}
	m, err := FitParetoNBD(base(1), nil)
	if err != nil {
		t.Fatal(err)
	}
	if b := m.Fit.Boundary; b == nil || !strings.Contains(b.Limit, "no dropout") {
		t.Errorf("boundary %+v, want the no-dropout limit", b)
	}
	cs := base(4)
	if _, err := FitParetoNBD(cs, nil); !errors.Is(err, ErrBurst) || !strings.Contains(err.Error(), "beta went to") {
		t.Errorf("Pareto/NBD, a burst of 4: %v", err)
	}
	for name, err := range map[string]error{"BG/NBD": second(FitBGNBD(cs, nil)), "MBG/NBD": second(FitMBGNBD(cs, nil))} {
		if err != nil {
			t.Errorf("%s, a burst of 4: %v", name, err)
		}
	}
}
