package scoring

import (
	"errors"
	"strings"
	"testing"

	"pgregory.net/rapid"
)

// smallShop is 18 customers of a shop's first half-year, 8 of whom bought twice (a
// generated export, summarised by weeks). Fitted, every model runs off to a limit in
// which all its parameters but alpha are held: r, alpha → ∞ together (one purchase
// rate for everyone) and no dropout. MBG/NBD held alpha at its own reference once r
// was held, which fixed the purchase rate at an arbitrary value; a and b then ran
// off to make up for it, and the fit failed with "parameters running off to the
// boundary in turn".
var smallShop = []Customer{
	{Frequency: 1, Recency: 15.142857142857142, T: 21},
	{Frequency: 1, Recency: 4, T: 24.285714285714285},
	{Frequency: 1, Recency: 11.428571428571427, T: 14.857142857142856},
	{Frequency: 0, Recency: 0, T: 6.428571428571428},
	{Frequency: 1, Recency: 22.857142857142854, T: 24.285714285714285},
	{Frequency: 0, Recency: 0, T: 20.142857142857142},
	{Frequency: 0, Recency: 0, T: 18.857142857142858},
	{Frequency: 0, Recency: 0, T: 19.428571428571427},
	{Frequency: 1, Recency: 18.142857142857142, T: 24.142857142857142},
	{Frequency: 0, Recency: 0, T: 18.57142857142857},
	{Frequency: 0, Recency: 0, T: 16.857142857142858},
	{Frequency: 0, Recency: 0, T: 3.2857142857142856},
	{Frequency: 0, Recency: 0, T: 6},
	{Frequency: 0, Recency: 0, T: 23.71428571428571},
	{Frequency: 1, Recency: 17.71428571428571, T: 23.857142857142854},
	{Frequency: 0, Recency: 0, T: 3.142857142857143},
	{Frequency: 1, Recency: 20.142857142857142, T: 22.857142857142854},
	{Frequency: 1, Recency: 8.285714285714285, T: 11.428571428571427},
}

func TestSmallShopFitsAtTheLimit(t *testing.T) {
	m, err := FitMBGNBD(smallShop, nil)
	if err != nil {
		t.Fatalf("MBG/NBD: %v", err)
	}
	b := m.Fit.Boundary
	if b == nil || !strings.Contains(b.Limit, "Poisson") || !strings.Contains(b.Limit, "no dropout") {
		t.Fatalf("MBG/NBD at %+v, want the limit of Poisson purchasing without dropout", b)
	}
	// In that limit a customer buys at the rate r/alpha whatever their history: the
	// 8 repeat purchases over the customers' 303 weeks.
	var weeks float64
	for _, c := range smallShop {
		weeks += c.T
	}
	if rate, want := m.R/m.Alpha, 8/weeks; rate < want*0.9 || rate > want*1.1 {
		t.Errorf("purchase rate r/alpha = %.4f a week, want about %.4f", rate, want)
	}
	if _, err := FitBGNBD(smallShop, nil); err != nil {
		t.Errorf("BG/NBD: %v", err)
	}
	if _, err := FitParetoNBD(smallShop, nil); err != nil {
		t.Errorf("Pareto/NBD: %v", err)
	}
}

// TestSmallShopsNeverFailToConverge: a shop of 10 to 50 customers (weeks of history,
// most buying once) whose repeat purchases come at least a day after the first is
// ordinary data; its fits end at an interior maximum or at a named
// limit, never with ErrNoConvergence (ErrTooFew when nobody bought twice). Before the
// scale followed its held shape, 5 of 300 such shops failed (MBG/NBD 1, Pareto/NBD 4).
func TestSmallShopsNeverFailToConverge(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		n := rapid.IntRange(10, 50).Draw(t, "customers")
		cs := make([]Customer, n)
		for i := range cs {
			T := rapid.Float64Range(1, 52).Draw(t, "T")
			f := rapid.SampledFrom([]int{0, 0, 0, 1, 1, 2, 3, 5, 9}).Draw(t, "frequency") // most buy once, as in a young shop
			r := 0.0
			if f > 0 {
				// At least a day after the first purchase: a shop whose every repeat
				// purchase came at the instant of the first has its maximum at a limit
				// (a burst, then dropout) the fit does not name, and still fails (see
				// RELIABILITY.md).
				r = rapid.Float64Range(1.0/7, T).Draw(t, "recency")
			}
			cs[i] = Customer{Frequency: f, Recency: r, T: T}
		}
		for _, fit := range []struct {
			name string
			run  func() error
		}{
			{"BG/NBD", func() error { _, err := FitBGNBD(cs, nil); return err }},
			{"MBG/NBD", func() error { _, err := FitMBGNBD(cs, nil); return err }},
			{"Pareto/NBD", func() error { _, err := FitParetoNBD(cs, nil); return err }},
		} {
			if err := fit.run(); err != nil && !errors.Is(err, ErrTooFew) {
				t.Fatalf("%s on %d customers: %v", fit.name, n, err)
			}
		}
	})
}
