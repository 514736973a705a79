package scoring_test

import (
	"encoding/csv"
	"errors"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/clientele-go/clientele/scoring"
)

// noChurn reads testdata/nochurn: 200 customers of a small shop where nobody
// churned in a year, on whom BG/NBD's maximum is an interior point by a hair (a 0.065,
// b 1616, within 0.002 of log-likelihood of the no-dropout limit).
func noChurn(t *testing.T) []scoring.Customer {
	t.Helper()
	f, err := os.Open("testdata/nochurn/customers.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var cs []scoring.Customer
	for _, r := range recs[1:] {
		x, err1 := strconv.Atoi(r[0])
		tx, err2 := strconv.ParseFloat(r[1], 64)
		T, err3 := strconv.ParseFloat(r[2], 64)
		if err := errors.Join(err1, err2, err3); err != nil {
			t.Fatal(err)
		}
		cs = append(cs, scoring.Customer{Frequency: x, Recency: tx, T: T, Unit: 7 * 24 * time.Hour})
	}
	return cs
}

// TestDeltaRefusesPlateau: where the likelihood is nearly flat towards a limit of the
// parameter space, within what the confidence region allows, the delta method's
// normal approximation printed P(alive) "1.000 [0.000, 1.000]" for the shop's best
// customers (examples/clv on testdata/no-churn.csv), whose P(alive) no replicate of
// the bootstrap puts below 0.99. The delta method now refuses such a fit, naming the
// limit, and the bootstrap gives the interval.
func TestDeltaRefusesPlateau(t *testing.T) {
	cs := noChurn(t)
	m, err := scoring.FitBGNBD(cs, nil)
	if err != nil {
		t.Fatal(err)
	}
	if m.Fit.Boundary != nil {
		t.Fatalf("want an interior fit near the boundary, got one at it: %+v", m.Fit.Boundary)
	}
	best := cs[0]
	for _, c := range cs {
		if c.Frequency > best.Frequency {
			best = c
		}
	}
	iv, err := scoring.NewIntervals(m, nil, cs, nil)
	if err == nil {
		p, _ := iv.PAlive(best)
		t.Fatalf("delta method on a fit a hair from the no-dropout limit: no error, P(alive) %.3f [%.3f, %.3f]", p.Estimate, p.Lo, p.Hi)
	}
	if !errors.Is(err, scoring.ErrInvalid) || !strings.Contains(err.Error(), "no dropout") || !strings.Contains(err.Error(), "Bootstrap") {
		t.Errorf("want ErrInvalid naming the no-dropout limit and the bootstrap, got %v", err)
	}
	bs, err := scoring.NewIntervals(m, nil, cs, &scoring.IntervalOptions{Method: scoring.Bootstrap, Replicates: 50, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	p, err := bs.PAlive(best)
	if err != nil {
		t.Fatal(err)
	}
	if !(p.Lo > 0.99 && p.Hi <= 1 && p.Contains(p.Estimate)) {
		t.Errorf("bootstrap P(alive) of the best customer %.4f [%.4f, %.4f], want an interval above 0.99 holding the estimate", p.Estimate, p.Lo, p.Hi)
	}
}

// TestBGBBDeltaRefusesPlateau: the same for BG/BB, which shares the delta method's
// machinery: rows whose fit is next to the no-dropout limit (gamma → 0) had P(alive)
// 1.000 [0.000, 1.000] for every history.
func TestBGBBDeltaRefusesPlateau(t *testing.T) {
	var rows []scoring.Opportunities
	for x := 0; x <= 6; x++ {
		for tx := x; tx <= 6; tx++ {
			if x == 0 && tx > 0 {
				break
			}
			rows = append(rows, scoring.Opportunities{Frequency: x, Recency: tx, N: 6, Weight: float64(20 + 10*tx - 5*x)})
		}
	}
	bb, err := scoring.FitBGBB(rows, nil)
	if err != nil {
		t.Fatal(err)
	}
	iv, err := bb.Intervals(rows, nil)
	if err == nil {
		p, _ := iv.PAlive(rows[0])
		t.Fatalf("delta method on a BG/BB fit next to the no-dropout limit: no error, P(alive) %.3f [%.3f, %.3f]", p.Estimate, p.Lo, p.Hi)
	}
	if !errors.Is(err, scoring.ErrInvalid) || !strings.Contains(err.Error(), "gamma → 0") {
		t.Errorf("want ErrInvalid naming gamma → 0, got %v", err)
	}
}

// TestPlateauAcrossModels: the models sharing the delta method's machinery refuse
// alike on the shop without churn: Pareto/NBD, an interior fit next to beta → ∞
// (P(alive) of the best customer was 1.000 [0.984, 1.000], its upper end short of the
// limit's 1, which the data do not rule out), and BG/NBD with a covariate, which has
// no bootstrap and says so.
func TestPlateauAcrossModels(t *testing.T) {
	cs := noChurn(t)
	pm, err := scoring.FitParetoNBD(cs, nil)
	if err != nil {
		t.Fatal(err)
	}
	if pm.Fit.Boundary != nil {
		t.Fatalf("want an interior Pareto/NBD fit near the boundary, got one at it: %+v", pm.Fit.Boundary)
	}
	if _, err := scoring.NewIntervals(pm, nil, cs, nil); !errors.Is(err, scoring.ErrInvalid) || !strings.Contains(err.Error(), "beta → ∞") {
		t.Errorf("Pareto/NBD: want ErrInvalid naming beta → ∞, got %v", err)
	}
	z := make([][]float64, len(cs))
	for i := range z {
		z[i] = []float64{float64(i % 2)}
	}
	cm, err := scoring.FitBGNBDCovariates(cs, z, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = cm.Intervals(cs, z, nil, nil)
	if !errors.Is(err, scoring.ErrInvalid) || !strings.Contains(err.Error(), "no dropout") || !strings.Contains(err.Error(), "offer no bootstrap") {
		t.Errorf("BG/NBD with covariates: want ErrInvalid naming the no-dropout limit and no bootstrap, got %v", err)
	}
}
