package scoring

import (
	"math"
	"math/rand/v2"
	"sync"

	"gonum.org/v1/gonum/stat/distuv"
)

type randSource = *rand.Rand

// bootstrap fills in the bootstrap's replicates (see NewIntervals).
func (iv *Intervals) bootstrap(spend *GammaGamma, cs []Customer, o IntervalOptions) (*Intervals, error) {
	var fo FitOptions
	if o.Fit != nil {
		fo = *o.Fit
	}
	// Replicates refit concurrently; IntervalOptions.Progress reports them instead.
	fo.Workers, fo.Progress = 1, nil
	k := len(iv.fam.names)
	theta := make([]float64, len(iv.u))
	for i, v := range iv.u {
		theta[i] = math.Exp(v)
	}
	draws, failed, first := replicate(o, func(rng *rand.Rand) ([]float64, error) {
		sim := make([]Customer, len(cs))
		for i, c := range cs {
			x, tx := iv.fam.simulate(theta[:k], c.T, rng)
			sim[i] = Customer{Frequency: x, Recency: tx, T: c.T}
			if spend != nil && x > 0 {
				sim[i].Monetary = drawMeanSpend(rng, theta[k], theta[k+1], theta[k+2], x)
			}
		}
		return refit(iv.fam, spend != nil, sim, &fo)
	})
	iv.draws, iv.Failed = draws, failed
	iv.Replicates = len(iv.draws)
	if iv.Failed*2 > o.Replicates {
		return nil, errorf("bootstrap: %d of %d refits failed, the first with: %w", iv.Failed, o.Replicates, first)
	}
	return iv, nil
}

// replicate runs o.Replicates bootstrap replicates on o.Workers goroutines, replicate
// b drawing from its own generator seeded with (o.Seed, b) so that results do not
// depend on scheduling, and reports each finished replicate to o.Progress. It returns
// the log-parameters of the replicates that refitted, in replicate order, the number
// that failed and the first failure in replicate order.
func replicate(o IntervalOptions, one func(rng *rand.Rand) ([]float64, error)) (draws [][]float64, failed int, first error) {
	all := make([][]float64, o.Replicates)
	errs := make([]error, o.Replicates)
	var (
		mu   sync.Mutex
		done int
		wg   sync.WaitGroup
	)
	next := make(chan int)
	for range min(o.Workers, o.Replicates) {
		wg.Go(func() {
			for b := range next {
				all[b], errs[b] = one(rand.New(rand.NewPCG(o.Seed, uint64(b))))
				if o.Progress != nil {
					mu.Lock()
					done++
					o.Progress(done, o.Replicates)
					mu.Unlock()
				}
			}
		})
	}
	for b := range o.Replicates {
		next <- b
	}
	close(next)
	wg.Wait()
	for b, u := range all {
		if errs[b] != nil {
			failed++
			if first == nil {
				first = errs[b]
			}
			continue
		}
		draws = append(draws, u)
	}
	return draws, failed, first
}

// refit fits the family (and Gamma-Gamma) to simulated customers and returns the
// log-parameters.
func refit(fam family, spend bool, cs []Customer, o *FitOptions) ([]float64, error) {
	th, err := fam.fit(cs, o)
	if err != nil {
		return nil, err
	}
	if spend {
		g, err := FitGammaGamma(cs, o)
		if err != nil {
			return nil, err
		}
		th = append(th, g.P, g.Q, g.Gamma)
	}
	for i, v := range th {
		th[i] = math.Log(v)
	}
	return th, nil
}

// drawBetaGeo draws the repeat purchases by age T of a BG/NBD (or, with mbg,
// MBG/NBD) customer from the model's story (Fader, Hardie & Lee 2005, section 3;
// Batislam et al. 2007): λ ~ Gamma(r, α), p ~ Beta(a, b); purchases at exponential
// gaps of rate λ; after each repeat purchase (and for MBG/NBD also at the first
// purchase, age 0) the customer drops out with probability p. It returns the
// frequency and recency.
func drawBetaGeo(rng randSource, r, alpha, a, b float64, mbg bool, T float64) (int, float64) {
	lambda := distuv.Gamma{Alpha: r, Beta: alpha, Src: rng}.Rand()
	p := distuv.Beta{Alpha: a, Beta: b, Src: rng}.Rand()
	if mbg && rng.Float64() < p {
		return 0, 0
	}
	var x int
	var tx float64
	for t := rng.ExpFloat64() / lambda; t <= T; t += rng.ExpFloat64() / lambda {
		x, tx = x+1, t
		if rng.Float64() < p {
			break
		}
	}
	return x, tx
}

// drawPareto draws the repeat purchases by age T of a Pareto/NBD customer
// (Schmittlein, Morrison & Colombo 1987): λ ~ Gamma(r, α), μ ~ Gamma(s, β), a lifetime
// τ ~ Exp(μ), and purchases at rate λ while alive.
func drawPareto(rng randSource, r, alpha, s, beta float64, T float64) (int, float64) {
	lambda := distuv.Gamma{Alpha: r, Beta: alpha, Src: rng}.Rand()
	mu := distuv.Gamma{Alpha: s, Beta: beta, Src: rng}.Rand()
	end := math.Min(rng.ExpFloat64()/mu, T)
	var x int
	var tx float64
	for t := rng.ExpFloat64() / lambda; t <= end; t += rng.ExpFloat64() / lambda {
		x, tx = x+1, t
	}
	return x, tx
}

// drawMeanSpend draws the mean of x repeat transactions under Gamma-Gamma (Fader,
// Hardie & Lee 2005, "RFM and CLV"): ν ~ Gamma(q, γ) for the customer, each
// transaction Gamma(p, ν), so their mean is Gamma(p·x, ν·x).
func drawMeanSpend(rng randSource, p, q, gamma float64, x int) float64 {
	nu := distuv.Gamma{Alpha: q, Beta: gamma, Src: rng}.Rand()
	xf := float64(x)
	return distuv.Gamma{Alpha: p * xf, Beta: nu * xf, Src: rng}.Rand()
}
