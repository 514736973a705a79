package attribution

import (
	"fmt"
	"math"
	"math/bits"
	"math/rand/v2"
	"slices"
)

// Shapley shares conversions by the Shapley value (Shapley 1953) of a cooperative game
// whose players are the channels. Game chooses the worth v(S) of a coalition S of
// channels, from the journeys whose set of channels is a subset of S (what the coalition
// would have brought about on its own), following Zhao, Mahboobi & Bagheri (2018),
// "Shapley value methods for attribution modeling in online advertising", §3:
//
//   - SubsetConversions (the default): v(S) = their conversions (or value). This game is
//     a sum of unanimity games, one per distinct channel set T worth the conversions
//     R(T) of the journeys touched by exactly T; the Shapley value is additive and splits
//     a unanimity game equally among its members, so φ_j = Σ_{T ∋ j} R(T)/|T| (Zhao et
//     al.'s simplified Shapley value), exact for any number of channels in linear time.
//   - SubsetRate: v(S) = their conversion rate, conversions/(conversions + nulls) (for
//     value, value per journey), 0 when there are none. It credits channels that lift
//     the rate and debits those that only add journeys that do not convert, so a credit
//     can be negative. It has no closed form: the values are exact, by Shapley's formula
//     over all 2^n coalitions, up to MaxExactShapley channels, and beyond that estimated
//     from Samples random orderings of the channels (Castro, Gómez & Tejada 2009), with
//     standard errors reported by [Shapley.Values].
//
// [Attribute] scales the values so that credits add up to the total conversions and
// value (for SubsetConversions they already do). Order and repetition within a journey
// do not matter: a channel that touched a journey twice is one member of its set.
//
// For SubsetRate the scaling multiplies each value by the number of journeys (the
// values add up to the overall rate, total/journeys), so a credit is what a channel's
// lift or drag on the rate is worth over every journey. Where the overall rate is far
// below the rate of some channel's own journeys, credits exceed the total and others
// are as negative: with one conversion each on paths a, b and c, 1,000 nulls on c and
// one null on a>b>c, a and b are credited 335 conversions each and c -667, of 3. That
// is the game's answer, not an error; read [Shapley.Values] for the rates themselves.
// Where the overall rate is so small that the values' rounding error (bounded by
// 4·n·2^n·2^-52 times the highest rate of a path missing a channel, or the overall
// rate if higher, 2^n becoming Samples beyond
// MaxExactShapley channels) is as large as their sum, Attribute refuses the game with
// [ErrInvalid] instead of returning that error amplified: 3 conversions among 1e308
// nulls had credited a channel with -9e15 conversions, another with +1.8e16.
type Shapley struct {
	Game    ShapleyGame
	Samples int    // orderings sampled beyond MaxExactShapley channels [2000], at most MaxShapleySamples
	Seed    uint64 // seed of the sampler, so that estimates are reproducible
}

// ShapleyGame is the characteristic function of a [Shapley] model.
type ShapleyGame uint8

const (
	SubsetConversions ShapleyGame = iota // conversions of the journeys inside the coalition
	SubsetRate                           // conversion rate of the journeys inside the coalition
)

// MaxExactShapley is the most channels for which SubsetRate enumerates every
// coalition (2^15 coalitions); beyond it the values are sampled.
const MaxExactShapley = 15

const defaultShapleySamples = 2000

// MaxShapleySamples bounds Shapley.Samples: the work grows with samples × channels ×
// journeys, and beyond 100,000 orderings the standard error (which falls as 1/√samples)
// is already a few thousandths of the default's. More is refused with ErrInvalid.
const MaxShapleySamples = 100_000

// ShapleyValue is a channel's Shapley value in the game of conversions and in the game
// of value, each with the standard error of its estimate (0 when computed exactly).
type ShapleyValue struct {
	Conversions, Value     float64
	ConversionsSE, ValueSE float64
}

func (s Shapley) validate() error {
	if s.Game > SubsetRate || s.Samples < 0 || s.Samples > MaxShapleySamples {
		return fmt.Errorf("%w: shapley game %d, samples %d (at most %d)", ErrInvalid, s.Game, s.Samples, MaxShapleySamples)
	}
	return nil
}

// Values returns each channel's Shapley values, unscaled, with their standard errors.
// Paths are checked as [Attribute] checks them.
func (s Shapley) Values(paths []Path) (map[string]ShapleyValue, error) {
	return s.valuesUpTo(paths, MaxExactShapley)
}

// valuesUpTo is Values enumerating every coalition of at most exact channels (the
// tests force sampling with 0).
func (s Shapley) valuesUpTo(paths []Path, exact int) (map[string]ShapleyValue, error) {
	if err := s.validate(); err != nil {
		return nil, err
	}
	j, err := intern(paths)
	if err != nil {
		return nil, err
	}
	vals := s.values(j, exact)
	out := make(map[string]ShapleyValue, len(vals))
	for c, name := range j.names {
		out[name] = vals[c]
	}
	return out, nil
}

func (s Shapley) credit(j *journeys) ([]Credit, error) {
	vals := s.values(j, MaxExactShapley)
	w := make([]Credit, len(vals))
	for c, v := range vals {
		w[c] = Credit{v.Conversions, v.Value}
	}
	if s.Game == SubsetRate {
		if err := s.scalable(j, w); err != nil {
			return nil, err
		}
	}
	return j.shareOut(w), nil
}

// scalable refuses SubsetRate values whose sum is lost in their rounding. The values
// add up to v(N), the overall rate, and shareOut multiplies each by total/v(N): when
// v(N) is no larger than the rounding error of the values, the credits are that error
// amplified, signs included (3 conversions among 1e308 nulls credited a channel with
// -9e15 conversions). The error is bounded by the size of the worths: the worth of a
// coalition short of every channel is at most the highest rate of the paths that miss
// a channel, the grand coalition's is the sum itself, and the values are sums of 2^n
// (exact) or one per sample (sampled) differences of worths, for each of the n
// channels. (With one channel, or paths that all touch every channel, the error is
// relative to the sum, and the credits are never refused.)
func (s Shapley) scalable(j *journeys, w []Credit) error {
	n := len(w)
	var topC, topV float64 // the highest conversion rate and value per journey of a path missing a channel
	var set []int32
	for i := range j.paths {
		p := &j.paths[i]
		if t := p.Conversions + p.Nulls; t > 0 {
			if set = j.channelSet(i, set); len(set) < n {
				topC, topV = max(topC, p.Conversions/t), max(topV, p.Value/t)
			}
		}
	}
	terms := float64(s.Samples)
	if n <= MaxExactShapley {
		terms = float64(int(1) << n)
	} else if terms == 0 {
		terms = defaultShapleySamples
	}
	var sumC, sumV float64
	for _, x := range w {
		sumC += x.Conversions
		sumV += x.Value
	}
	topC, topV = max(topC, math.Abs(sumC)), max(topV, math.Abs(sumV))
	const eps = 0x1p-52
	for _, g := range [2]struct {
		what          string
		total, sum, b float64
	}{
		{"conversions", j.conv, sumC, roundingBound * float64(n) * terms * eps * topC},
		{"value", j.value, sumV, roundingBound * float64(n) * terms * eps * topV},
	} {
		if g.total > 0 && !(g.sum > g.b) {
			return fmt.Errorf("%w: shapley SubsetRate: the %s values add up to %.3g, the overall rate, within their rounding error (%.2g): "+
				"scaled to the total %s (%.6g), the credits would be that error; use Shapley.Values, or the SubsetConversions game",
				ErrInvalid, g.what, g.sum, g.b, g.what, g.total)
		}
	}
	return nil
}

// roundingBound is the margin on the a priori rounding error of a SubsetRate value,
// n·terms·ε times the highest worth, that scalable takes as the error's bound.
const roundingBound = 4

func (s Shapley) values(j *journeys, exact int) []ShapleyValue {
	if s.Game == SubsetConversions {
		return simplifiedShapley(j)
	}
	g := newRateGame(j)
	if len(j.names) <= exact {
		return g.exact()
	}
	n := s.Samples
	if n == 0 {
		n = defaultShapleySamples
	}
	return g.sampled(n, s.Seed)
}

// simplifiedShapley is Zhao et al.'s closed form for SubsetConversions.
func simplifiedShapley(j *journeys) []ShapleyValue {
	out := make([]ShapleyValue, len(j.names))
	var set []int32
	for i := range j.paths {
		p := &j.paths[i]
		if p.Conversions == 0 {
			continue
		}
		set = j.channelSet(i, set)
		share := 1 / float64(len(set))
		for _, c := range set {
			out[c].Conversions += p.Conversions * share
			out[c].Value += p.Value * share
		}
	}
	return out
}

// rateGame holds the journeys grouped by their distinct channel set.
type rateGame struct {
	n     int
	sets  [][]int32 // distinct channel sets
	conv  []float64 // per set: conversions, journeys (conversions + nulls), value
	total []float64
	value []float64
}

func newRateGame(j *journeys) *rateGame {
	g := &rateGame{n: len(j.names)}
	index := map[string]int{}
	var set []int32
	key := make([]byte, 0, 64)
	for i := range j.paths {
		p := &j.paths[i]
		if p.Conversions+p.Nulls == 0 {
			continue
		}
		set = j.channelSet(i, set)
		slices.Sort(set)
		key = key[:0]
		for _, c := range set {
			key = append(key, byte(c), byte(c>>8), byte(c>>16), byte(c>>24))
		}
		k, ok := index[string(key)]
		if !ok {
			k = len(g.sets)
			index[string(key)] = k
			g.sets = append(g.sets, append([]int32(nil), set...))
			g.conv, g.total, g.value = append(g.conv, 0), append(g.total, 0), append(g.value, 0)
		}
		g.conv[k] += p.Conversions
		g.total[k] += p.Conversions + p.Nulls
		g.value[k] += p.Value
	}
	return g
}

// worth is v(S) for both games from the sums over the journeys inside S.
func worth(conv, total, value float64) (float64, float64) {
	if total == 0 {
		return 0, 0
	}
	return conv / total, value / total
}

// exact evaluates Shapley's formula, φ_j = Σ_{S ∌ j} |S|!(n-|S|-1)!/n! (v(S∪{j}) - v(S)),
// over every coalition. The sums over the journeys inside each coalition come from a
// subset-sum (zeta) transform of the per-set sums, in O(n 2^n).
func (g *rateGame) exact() []ShapleyValue {
	n := g.n
	size := 1 << n
	conv, total, value := make([]float64, size), make([]float64, size), make([]float64, size)
	for k, set := range g.sets {
		m := 0
		for _, c := range set {
			m |= 1 << c
		}
		conv[m] += g.conv[k]
		total[m] += g.total[k]
		value[m] += g.value[k]
	}
	for b := range n {
		for m := range size {
			if m&(1<<b) != 0 {
				conv[m] += conv[m^1<<b]
				total[m] += total[m^1<<b]
				value[m] += value[m^1<<b]
			}
		}
	}
	vc, vv := make([]float64, size), make([]float64, size)
	for m := range size {
		vc[m], vv[m] = worth(conv[m], total[m], value[m])
	}
	// weight[k] = k!(n-k-1)!/n!, through lgamma to stay finite.
	weight := make([]float64, n)
	for k := range n {
		lk, _ := math.Lgamma(float64(k + 1))
		lr, _ := math.Lgamma(float64(n - k))
		ln, _ := math.Lgamma(float64(n + 1))
		weight[k] = math.Exp(lk + lr - ln)
	}
	out := make([]ShapleyValue, n)
	for m := range size {
		w := weight[min(bits.OnesCount(uint(m)), n-1)]
		for c := range n {
			if m&(1<<c) == 0 {
				out[c].Conversions += w * (vc[m|1<<c] - vc[m])
				out[c].Value += w * (vv[m|1<<c] - vv[m])
			}
		}
	}
	return out
}

// sampled estimates the values as the mean marginal contribution of each channel over
// random orderings (Castro, Gómez & Tejada 2009), with the standard error of each mean.
// Adding the channels of an ordering one by one, a journey set joins the coalition when
// its last missing channel does.
func (g *rateGame) sampled(samples int, seed uint64) []ShapleyValue {
	n := g.n
	setsOf := make([][]int, n)
	for k, set := range g.sets {
		for _, c := range set {
			setsOf[c] = append(setsOf[c], k)
		}
	}
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	missing := make([]int, len(g.sets))
	// Welford's running mean and sum of squares per channel and game.
	var mean, m2 [2][]float64
	for x := range 2 {
		mean[x], m2[x] = make([]float64, n), make([]float64, n)
	}
	for s := 1; s <= samples; s++ {
		rng.Shuffle(n, func(a, b int) { order[a], order[b] = order[b], order[a] })
		for k, set := range g.sets {
			missing[k] = len(set)
		}
		var conv, total, value float64
		prevC, prevV := 0.0, 0.0
		for _, c := range order {
			for _, k := range setsOf[c] {
				if missing[k]--; missing[k] == 0 {
					conv += g.conv[k]
					total += g.total[k]
					value += g.value[k]
				}
			}
			vc, vv := worth(conv, total, value)
			for x, d := range [2]float64{vc - prevC, vv - prevV} {
				delta := d - mean[x][c]
				mean[x][c] += delta / float64(s)
				m2[x][c] += delta * (d - mean[x][c])
			}
			prevC, prevV = vc, vv
		}
	}
	out := make([]ShapleyValue, n)
	for c := range out {
		out[c] = ShapleyValue{Conversions: mean[0][c], Value: mean[1][c]}
		if samples > 1 {
			out[c].ConversionsSE = math.Sqrt(m2[0][c] / float64(samples-1) / float64(samples))
			out[c].ValueSE = math.Sqrt(m2[1][c] / float64(samples-1) / float64(samples))
		}
	}
	return out
}
