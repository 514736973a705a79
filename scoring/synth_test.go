package scoring

import (
	"iter"
	"math"
	"testing"
	"time"

	"github.com/clientele-go/clientele/internal/synth"
)

// synthPurchases turns the generator's purchase events into transactions. The
// generator's Person is ground truth that a host would get from identity resolution;
// here it stands in for the resolved profile key, since this test is about scoring.
func synthPurchases(p synth.Params) iter.Seq[Transaction] {
	return func(yield func(Transaction) bool) {
		for e := range synth.Generate(p) {
			if e.Kind != synth.Purchase {
				continue
			}
			if !yield(Transaction{Profile: uint32(e.Person + 1), Time: e.Time, Amount: e.Amount}) {
				return
			}
		}
	}
}

// TestSynthEndToEnd: the generator draws repeat purchases from BG/NBD per day (r 0.2,
// alpha 30 days, a 0.8, b 2.5) and spend from Gamma-Gamma (p 6.25, q 3.74, gamma
// 15.44); summarising its purchases and fitting must recover them.
func TestSynthEndToEnd(t *testing.T) {
	people := 400_000
	if raceEnabled {
		people = 150_000
	}
	p := synth.Params{People: people, Seed: 11}.Default()
	ss, err := Summarize(synthPurchases(p), &SummaryOptions{End: p.End().Add(-time.Nanosecond), Unit: 24 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	cs := make([]Customer, len(ss))
	for i, s := range ss {
		cs[i] = s.Customer
	}
	bg, err := FitBGNBD(cs, nil) // in days, the unit Summarize recorded
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d customers: BG/NBD r %.3f alpha %.2f a %.3f b %.3f (se %.3f)", len(cs), bg.R, bg.Alpha, bg.A, bg.B, bg.Fit.StdErr)
	truth := []float64{p.R, p.Alpha, p.A, p.B}
	for i, got := range []float64{bg.R, bg.Alpha, bg.A, bg.B} {
		if z := math.Abs(math.Log(got/truth[i])) / (bg.Fit.StdErr[i] / got); z > recoveryZ {
			t.Errorf("BG/NBD %s = %.4f ± %.4f, generator used %.4f (%.1f standard errors)", bgnbdNames[i], got, bg.Fit.StdErr[i], truth[i], z)
		}
	}
	gg, err := FitGammaGamma(cs, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("Gamma-Gamma p %.3f q %.3f gamma %.3f (se %.3f)", gg.P, gg.Q, gg.Gamma, gg.Fit.StdErr)
	// The generator rounds amounts to cents and collapses same-day purchases into one;
	// both are small next to the spread of spend.
	for i, got := range []float64{gg.P, gg.Q, gg.Gamma} {
		truth := []float64{p.P, p.Q, p.Gamma}[i]
		if z := math.Abs(math.Log(got/truth)) / (gg.Fit.StdErr[i] / got); z > recoveryZ {
			t.Errorf("Gamma-Gamma %s = %.4f ± %.4f, generator used %.4f (%.1f standard errors)", gammaGammaNames[i], got, gg.Fit.StdErr[i], truth, z)
		}
	}
}
