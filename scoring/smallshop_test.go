package scoring

import (
	"errors"
	"math"
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
// Some shops' repeat buyers made all their repeat purchases at the instant of the
// first (recency 0, a burst), towards which the likelihood has no bound: a fit of
// such a shop ends away from the bursts (alpha, and Pareto/NBD's beta, not far below
// the data's time scale) or fails with ErrBurst; every fit that stands predicts finite
// values. Before
// ErrBurst the draws with bursts found a Pareto/NBD fit failing with ErrNoConvergence
// within 100 checks (with 6 seeds of 6), and BG/NBD and MBG/NBD returned parameters
// held wherever the edge of the space stopped them.
func TestSmallShopsNeverFailToConverge(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		n := rapid.IntRange(10, 50).Draw(t, "customers")
		bursty := rapid.Bool().Draw(t, "bursty")
		bursts := false
		cs := make([]Customer, n)
		for i := range cs {
			T := rapid.Float64Range(1, 52).Draw(t, "T")
			f := rapid.SampledFrom([]int{0, 0, 0, 1, 1, 2, 3, 5, 9}).Draw(t, "frequency") // most buy once, as in a young shop
			r := 0.0
			if f > 0 && bursty && rapid.Bool().Draw(t, "burst") {
				bursts = true // every repeat purchase at the instant of the first
			} else if f > 0 {
				r = rapid.Float64Range(1.0/7, T).Draw(t, "recency") // at least a day after the first
			}
			cs[i] = Customer{Frequency: f, Recency: r, T: T}
		}
		var purchases, exposure float64
		for _, c := range cs {
			purchases, exposure = purchases+float64(c.Frequency), exposure+c.T
		}
		scale := exposure / purchases // the data's time scale, where alpha starts
		for _, fit := range []struct {
			name string
			run  func() (Model, float64, error)
		}{
			{"BG/NBD", func() (Model, float64, error) {
				m, err := FitBGNBD(cs, nil)
				if err != nil {
					return nil, 0, err
				}
				return m, m.Alpha, nil
			}},
			{"MBG/NBD", func() (Model, float64, error) {
				m, err := FitMBGNBD(cs, nil)
				if err != nil {
					return nil, 0, err
				}
				return m, m.Alpha, nil
			}},
			{"Pareto/NBD", func() (Model, float64, error) {
				m, err := FitParetoNBD(cs, nil)
				if err != nil {
					return nil, 0, err
				}
				return m, math.Min(m.Alpha, m.Beta), nil
			}},
		} {
			m, alpha, err := fit.run()
			switch {
			case err != nil && !errors.Is(err, ErrTooFew) && !(bursts && errors.Is(err, ErrBurst)):
				t.Fatalf("%s on %d customers: %v", fit.name, n, err)
			case err == nil && bursts && alpha < math.Exp(-boundLog/2)*scale:
				t.Fatalf("%s on %d customers, some with bursts, drawn towards them: alpha (or beta) %v, time scale %v", fit.name, n, alpha, scale)
			case err == nil:
				for _, c := range cs[:3] {
					if p, e := m.PAlive(c), m.ExpectedPurchases(52, c); !(p >= 0 && p <= 1) || !(e >= 0) || math.IsInf(e, 0) {
						t.Fatalf("%s on %d customers: P(alive) %v, E[X(52)] %v of %+v", fit.name, n, p, e, c)
					}
				}
			}
		}
	})
}

// TestBurstShopRefused: shops whose only repeat purchases came at the instant of the
// first, the case RELIABILITY.md left failing. On the first (18 customers who never
// came back, two whose one repeat purchase was on their first day) BG/NBD failed to
// converge ("parameters running off to the boundary in turn"), while MBG/NBD and
// Pareto/NBD returned a positive log-likelihood at parameters held at the edge of the
// space, under limits that said "alpha → ∞" of an alpha of 0.001 and "no dropout" of
// a dropout rate of a million a week. On the second, found by
// TestSmallShopsNeverFailToConverge, Pareto/NBD failed to converge. Nothing in them
// shows how anyone buys after the first instant, and each model now refuses them with
// ErrBurst, naming the first such customer.
func TestBurstShopRefused(t *testing.T) {
	var first []Customer
	for i := range 18 {
		first = append(first, Customer{T: 1 + float64(i%4)/4})
	}
	first = append(first, Customer{Frequency: 1, T: 1}, Customer{Frequency: 1, T: 1})
	found := []Customer{{Frequency: 1, T: 1}, {Frequency: 1, T: 1}, {T: 1}, {Frequency: 5, T: 1}, {T: 1}, {T: 1}, {T: 2}, {T: 1}, {T: 1.2109375}, {T: 1.46484375}}
	for _, shop := range []struct {
		cs   []Customer
		want string
	}{
		{first, "all 2 customers with repeat purchases (customer 18 first) made them at recency 0"},
		{found, "all 3 customers with repeat purchases (customer 0 first) made them at recency 0"},
	} {
		for name, fit := range map[string]func([]Customer) error{
			"BG/NBD":     func(cs []Customer) error { _, err := FitBGNBD(cs, nil); return err },
			"MBG/NBD":    func(cs []Customer) error { _, err := FitMBGNBD(cs, nil); return err },
			"Pareto/NBD": func(cs []Customer) error { _, err := FitParetoNBD(cs, nil); return err },
		} {
			if err := fit(shop.cs); !errors.Is(err, ErrBurst) || !strings.Contains(err.Error(), name+": "+shop.want) {
				t.Errorf("%s: %v", name, err)
			}
		}
	}
}
