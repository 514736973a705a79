package main

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"gonum.org/v1/gonum/stat/distuv"
)

// orderExport writes an ordinary shop's order export, "customer,date,amount" with a
// header, string customer ids and daily dates, for n customers over two years. The
// seed also picks the shape of the shop, so that seeds cover what exports look like:
// customers acquired throughout the period or all at its start; with or without
// dropout; purchase rates and mean spends that vary across customers or are the same
// for everyone; spends with cents or all identical. It is the generator the issue's
// failures were reproduced with (and the one to reuse for such reproductions).
func orderExport(n int, seed uint64) []byte {
	rng := rand.New(rand.NewPCG(seed, 15))
	gamma := func(shape, rate float64) float64 {
		return distuv.Gamma{Alpha: shape, Beta: rate, Src: rng}.Rand()
	}
	const days = 730
	start := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	spread := rng.IntN(4) != 0    // births spread over the period
	dropout := rng.IntN(3) != 0   // customers drop out
	rateHet := rng.IntN(3) != 0   // purchase rates vary across customers
	spendHet := rng.IntN(2) != 0  // mean spends vary across customers
	sameSpend := rng.IntN(6) == 0 // every order the same amount
	idStyle := rng.IntN(3)        // c17, an email, a UUID-like hex
	type row struct {
		id   string
		day  int
		cash float64
	}
	var rows []row
	for i := range n {
		id := fmt.Sprintf("c%d", i)
		switch idStyle {
		case 1:
			id = fmt.Sprintf("customer%d@example.com", i)
		case 2:
			id = fmt.Sprintf("%08x-%04x", rng.Uint32(), i)
		}
		birth := 0.0
		if spread {
			birth = float64(rng.IntN(days))
		}
		rate := 1.0 / 40
		if rateHet {
			rate = gamma(0.8, 30)
		}
		life := math.Inf(1)
		if dropout {
			life = rng.ExpFloat64() * 200 / gamma(2, 2)
		}
		mean := 40.0
		if spendHet {
			mean = 1 / gamma(4, 160)
		}
		for t := birth; t < days && t <= birth+life; t += rng.ExpFloat64() / rate {
			cash := 40.0
			if !sameSpend {
				cash = math.Round(100*gamma(3, 3/mean)) / 100
			}
			rows = append(rows, row{id, int(t), max(cash, 0.01)})
		}
	}
	slices.SortStableFunc(rows, func(a, b row) int { return a.day - b.day })
	var b bytes.Buffer
	b.WriteString("customer,date,amount\n")
	for _, r := range rows {
		fmt.Fprintf(&b, "%s,%s,%.2f\n", r.id, start.AddDate(0, 0, r.day).Format(time.DateOnly), r.cash)
	}
	return b.Bytes()
}

// TestOrderExports runs the example on ordinary order exports of several sizes and
// shapes, by day and by week: every model must fit (at the boundary where the data
// says so) and every customer be counted. It runs 2 seeds of each size; CLV_STRESS=1
// runs 12 (a few minutes).
func TestOrderExports(t *testing.T) {
	sizes := []int{100, 300, 1000, 2000}
	seeds := 2
	if os.Getenv("CLV_STRESS") != "" {
		seeds = 12
	}
	for _, n := range sizes {
		for seed := range uint64(seeds) {
			data := orderExport(n, seed)
			for _, unit := range []time.Duration{24 * time.Hour, 7 * 24 * time.Hour} {
				var out bytes.Buffer
				t0 := time.Now()
				err := run(&out, bytes.NewReader(data), config{format: "csv", header: true, unit: unit, top: 3})
				t.Logf("%d customers, seed %d, unit %v: %v", n, seed, unit, time.Since(t0))
				if err != nil {
					t.Errorf("%d customers, seed %d, unit %v: %v", n, seed, unit, err)
					continue
				}
				if !strings.Contains(out.String(), "90% intervals (") {
					t.Errorf("%d customers, seed %d, unit %v: no intervals printed:\n%s", n, seed, unit, out.String())
				}
				if want := fmt.Sprintf("transactions of %d customers", n); !strings.Contains(out.String(), want) {
					// A customer with no order in two years is not in the export.
					if !strings.Contains(out.String(), "customers first bought") {
						t.Errorf("%d customers, seed %d: output lacks the count:\n%s", n, seed, out.String())
					}
				}
			}
		}
	}
}
