package main

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/clientele-go/clientele/internal/english"
	"github.com/clientele-go/clientele/internal/synth"
	"github.com/clientele-go/clientele/scoring"
	"github.com/clientele-go/clientele/segment"
)

// value is the scoring step's outcome.
type value struct {
	truth     synth.Params
	customers int
	bgnbd     *scoring.BGNBD
	spend     *scoring.GammaGamma
	deciles   []clvDecile
	winBack   uint64 // customers likely alive who have not bought for 60 days
	look      *scoring.Lookalike
	audience  uint64 // lookalike audience size
	seedSize  int
	// fitCharts holds what the model charts need: P(alive) on a grid of frequency and
	// recency, the tracking plot, and calibration against holdout by frequency.
	palive     [][]float64 // [frequency][recency bucket]
	paliveT    float64     // the customer age the grid assumes, in days
	track      []trackPoint
	holdout    []holdoutBin
	holdoutLen float64 // days
	// notes say which parts a small base could not support (too few repeat buyers
	// for Gamma-Gamma, too few seed members for lookalikes); the report prints them
	// in place of the part.
	notes []string
}

type trackPoint struct {
	Day              float64
	Actual, Expected float64 // cumulative repeat purchases
}

type holdoutBin struct {
	Frequency        string // repeat purchases in calibration: "0" .. "5", "6+"
	Customers        int
	Actual, Expected float64 // mean repeat purchases per customer in the holdout
}

type clvDecile struct {
	Customers int
	Mean      float64 // mean CLV over the next year
	Share     float64 // share of the base's total CLV
}

// scoreBase fits BG/NBD and Gamma-Gamma to the purchases (in days, as the generator
// draws them), values every customer over the next year, writes P(alive) and CLV into
// the segment index, and finds the profiles that look like the top CLV decile.
func scoreBase(r *resolved, seg *segments, p synth.Params) (*value, error) {
	end := p.End()
	purchases := func(yield func(scoring.Transaction) bool) {
		for _, e := range r.events {
			if e.kind == synth.Purchase && !yield(scoring.Transaction{Profile: e.profile, Time: e.at, Amount: e.amount}) {
				return
			}
		}
	}
	sums, err := scoring.Summarize(iter.Seq[scoring.Transaction](purchases), &scoring.SummaryOptions{End: end, Unit: day})
	if err != nil {
		return nil, err
	}
	cs := make([]scoring.Customer, len(sums))
	for i, s := range sums {
		cs[i] = s.Customer
	}
	v := &value{truth: p, customers: len(cs)}
	if v.bgnbd, err = scoring.FitBGNBD(cs, nil); errors.Is(err, scoring.ErrTooFew) {
		v.notes = append(v.notes, fmt.Sprintf("no BG/NBD fit, CLV or lookalikes: %v", err))
		return v, nil
	} else if err != nil {
		return nil, fmt.Errorf("BG/NBD: %w", err)
	}
	if err := v.modelCharts(r, cs, sums, p); err != nil {
		return nil, err
	}
	var repeat []scoring.Customer
	for _, c := range cs {
		if c.Frequency > 0 {
			repeat = append(repeat, c)
		}
	}
	if v.spend, err = scoring.FitGammaGamma(repeat, nil); errors.Is(err, scoring.ErrTooFew) {
		v.notes = append(v.notes, fmt.Sprintf("no CLV or lookalikes: %v", err))
		return v, nil
	} else if err != nil {
		return nil, fmt.Errorf("Gamma-Gamma: %w", err)
	}
	// One year ahead, discounted at 1% a month.
	clv, err := scoring.CLV(v.bgnbd, v.spend, cs, &scoring.CLVOptions{Horizon: 365, Period: 30, DiscountRate: 0.01})
	if err != nil {
		return nil, err
	}

	profiles := make([]uint32, len(sums))
	alive := make([]int64, len(sums))
	cents := make([]int64, len(sums))
	for i, s := range sums {
		profiles[i] = s.Profile
		alive[i] = int64(math.Round(1000 * v.bgnbd.PAlive(s.Customer)))
		cents[i] = int64(math.Round(100 * clv[i]))
	}
	if err := seg.index.SetNumbers("p_alive", profiles, alive); err != nil {
		return nil, err
	}
	if err := seg.index.SetNumbers("clv", profiles, cents); err != nil {
		return nil, err
	}
	q, err := segment.Parse("p_alive >= 700 AND lapsed(purchase, 60d)")
	if err != nil {
		return nil, err
	}
	if v.winBack, err = seg.index.Count(context.Background(), end, q, nil); err != nil {
		return nil, err
	}

	// CLV deciles, highest first; the top decile seeds the lookalike audience.
	order := make([]int, len(clv))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmpDesc(clv[a], clv[b]) })
	total := 0.0
	for _, x := range clv {
		total += x
	}
	seed := roaring.New()
	for d := range 10 {
		lo, hi := d*len(order)/10, (d+1)*len(order)/10
		sum := 0.0
		for _, i := range order[lo:hi] {
			sum += clv[i]
			if d == 0 {
				seed.Add(sums[i].Profile)
			}
		}
		v.deciles = append(v.deciles, clvDecile{Customers: hi - lo, Mean: sum / float64(max(1, hi-lo)), Share: sum / total})
	}
	v.seedSize = int(seed.GetCardinality())
	if err := v.lookalike(r, seed, end); err != nil {
		return nil, err
	}
	return v, nil
}

// modelCharts computes what the model charts show: P(alive) over frequency and
// recency for a customer of median age; the cumulative tracking plot (Fader, Hardie &
// Lee 2005) of actual against expected repeat purchases, week by week; and a fit on all
// but the last 90 days, whose predictions for those 90 days are set beside what each
// frequency group then bought. A part the data cannot support is left out with a note.
func (v *value) modelCharts(r *resolved, cs []scoring.Customer, sums []scoring.Summary, p synth.Params) error {
	m := v.bgnbd
	ts := make([]float64, len(cs))
	for i, c := range cs {
		ts[i] = c.T
	}
	slices.Sort(ts)
	if len(ts) > 0 {
		v.paliveT = math.Round(ts[len(ts)/2])
	}
	for f := range 11 {
		row := make([]float64, 7)
		for k := range row {
			rec := v.paliveT * float64(k) / 6
			row[k] = math.NaN()
			if f > 0 || k == 0 {
				row[k] = m.PAlive(scoring.Customer{Frequency: f, Recency: rec, T: v.paliveT})
			}
		}
		v.palive = append(v.palive, row)
	}

	// Tracking: each customer's first purchase is a birth, in days from the start.
	start, end := p.Start, p.End()
	first := map[uint32]time.Time{}
	var repeatDays []float64
	seenDay := map[[2]int64]bool{}
	for _, e := range r.events {
		if e.kind != synth.Purchase {
			continue
		}
		d := int64(e.at.Sub(start) / day)
		if seenDay[[2]int64{int64(e.profile), d}] {
			continue // Summarize counts purchase days, so the actuals do too
		}
		seenDay[[2]int64{int64(e.profile), d}] = true
		if f, ok := first[e.profile]; !ok || e.at.Before(f) {
			if ok {
				repeatDays = append(repeatDays, f.Sub(start).Hours()/24)
			}
			first[e.profile] = e.at
		} else {
			repeatDays = append(repeatDays, e.at.Sub(start).Hours()/24)
		}
	}
	births := make([]float64, 0, len(first))
	for _, f := range first {
		births = append(births, math.Floor(f.Sub(start).Hours()/24))
	}
	weeks := int(end.Sub(start)/day) / 7
	if len(births) > 0 && weeks > 0 {
		tr, err := scoring.Tracking(m, births, weeks, 7)
		if err != nil {
			return fmt.Errorf("tracking plot: %w", err)
		}
		slices.Sort(repeatDays)
		j := 0
		for k, pt := range tr {
			for j < len(repeatDays) && repeatDays[j] < pt.End {
				j++
			}
			v.track = append(v.track, trackPoint{Day: float64(7 * (k + 1)), Actual: float64(j), Expected: pt.Cumulative})
		}
	}

	// Calibration and holdout: fit on purchases before the last 90 days.
	v.holdoutLen = 90
	calEnd := end.Add(-90 * day)
	before := func(yield func(scoring.Transaction) bool) {
		for _, e := range r.events {
			if e.kind == synth.Purchase && e.at.Before(calEnd) && !yield(scoring.Transaction{Profile: e.profile, Time: e.at, Amount: e.amount}) {
				return
			}
		}
	}
	cal, err := scoring.Summarize(iter.Seq[scoring.Transaction](before), &scoring.SummaryOptions{End: calEnd, Unit: day})
	if err != nil {
		return err
	}
	calCs := make([]scoring.Customer, len(cal))
	for i, c := range cal {
		calCs[i] = c.Customer
	}
	cm, err := scoring.FitBGNBD(calCs, nil)
	if err != nil {
		v.notes = append(v.notes, fmt.Sprintf("no calibration/holdout check: the fit on all but the last 90 days failed: %v", err))
		return nil
	}
	later := map[uint32]map[int64]bool{}
	for _, e := range r.events {
		if e.kind == synth.Purchase && !e.at.Before(calEnd) && e.at.Before(end) {
			if later[e.profile] == nil {
				later[e.profile] = map[int64]bool{}
			}
			later[e.profile][int64(e.at.Sub(start)/day)] = true
		}
	}
	bins := make([]holdoutBin, 7)
	for f := range bins {
		bins[f].Frequency = strconv.Itoa(f)
	}
	bins[6].Frequency = "6+"
	for _, c := range cal {
		b := &bins[min(6, c.Customer.Frequency)]
		b.Customers++
		b.Actual += float64(len(later[c.Profile]))
		b.Expected += cm.ExpectedPurchases(v.holdoutLen, c.Customer)
	}
	for _, b := range bins {
		if b.Customers > 0 {
			b.Actual /= float64(b.Customers)
			b.Expected /= float64(b.Customers)
			v.holdout = append(v.holdout, b)
		}
	}
	return nil
}

func cmpDesc(a, b float64) int {
	switch {
	case a > b:
		return -1
	case a < b:
		return 1
	}
	return 0
}

// lookalike ranks every profile that visited by how much its behaviour resembles the
// seed's: visits, active days, channels, how recently and how long it has been around,
// and a recency-weighted engagement score. Purchases are left out on purpose: the
// audience is for prospects, who have none.
func (v *value) lookalike(r *resolved, seed *roaring.Bitmap, end time.Time) error {
	type acc struct {
		visits, touches float64
		days            map[int64]bool
		channels        map[string]bool
		first, last     time.Time
	}
	eng, err := scoring.NewEngagement(scoring.DefaultHalfLife)
	if err != nil {
		return err
	}
	by := map[uint32]*acc{}
	for _, e := range r.events {
		a := by[e.profile]
		if a == nil {
			a = &acc{days: map[int64]bool{}, channels: map[string]bool{}, first: e.at}
			by[e.profile] = a
		}
		switch e.kind {
		case synth.Touch:
			a.touches++
		case synth.Visit:
			a.visits++
			a.days[e.at.Unix()/86400] = true
			a.channels[e.channel] = true
			a.last = e.at
			if err := eng.Add(e.at, e.profile, 1); err != nil {
				return err
			}
		}
	}
	var profiles []uint32
	var features [][]float64
	for p, a := range by {
		if a.visits == 0 {
			continue
		}
		profiles = append(profiles, p)
		features = append(features, []float64{
			math.Log1p(a.visits), float64(len(a.days)), float64(len(a.channels)), a.touches,
			end.Sub(a.last).Hours() / 24, end.Sub(a.first).Hours() / 24, eng.Score(end, p),
		})
	}
	// Map order is random; sort so that the audience is the same on every run.
	idx := make([]int, len(profiles))
	for i := range idx {
		idx[i] = i
	}
	slices.SortFunc(idx, func(a, b int) int { return int(profiles[a]) - int(profiles[b]) })
	sp, sf := make([]uint32, len(idx)), make([][]float64, len(idx))
	for i, j := range idx {
		sp[i], sf[i] = profiles[j], features[j]
	}
	if v.look, err = scoring.FindLookalikes(seed, sp, sf, nil); errors.Is(err, scoring.ErrTooFew) {
		v.notes = append(v.notes, fmt.Sprintf("no lookalikes: %v", err))
		return nil
	} else if err != nil {
		return fmt.Errorf("lookalike: %w", err)
	}
	v.audience = v.look.Top(v.seedSize).GetCardinality()
	return nil
}

func (v *value) report(w *reportWriter) {
	w.section(secValue)
	m, t, g := v.bgnbd, v.truth, v.spend
	w.line("%s %s; the road counts only purchases that followed its steps)", thousands(v.customers),
		english.Plural(v.customers, "customer (a profile with a purchase", "customers (profiles with a purchase"))
	if m == nil {
		for _, n := range v.notes {
			w.line("%s", n)
		}
		return
	}
	w.line("Does each fit recover the parameters the generator used? (fitted ± standard error [truth: within 2 SE?])")
	recovered(w, "BG/NBD, days", []string{"r", "alpha", "a", "b"}, []float64{m.R, m.Alpha, m.A, m.B}, m.Fit.StdErr, []float64{t.R, t.Alpha, t.A, t.B})
	if m.Fit.Boundary != nil {
		w.line("  BG/NBD at the boundary of its parameters: %s", m.Fit.Boundary.Limit)
	}
	// The notes say what a small base could not support; they close the section, after
	// whatever it could report, so that "no lookalikes" does not sit between two fits.
	defer func() {
		for _, n := range v.notes {
			w.line("%s", n)
		}
	}()
	if g == nil {
		return
	}
	recovered(w, "Gamma-Gamma", []string{"p", "q", "gamma"}, []float64{g.P, g.Q, g.Gamma}, g.Fit.StdErr, []float64{t.P, t.Q, t.Gamma})
	if g.Fit.Boundary != nil {
		w.line("  Gamma-Gamma at the boundary of its parameters: %s", g.Fit.Boundary.Limit)
	}
	w.line("Customer lifetime value over the next year (discounted 1%% a month), customers ranked into ten equal deciles:")
	w.line("  %-8s %9s %16s %14s", "decile", "customers", "mean CLV each", "% of all CLV")
	for d, x := range v.deciles {
		w.line("  %-8d %9s %16.2f %13.1f%%", d+1, thousands(x.Customers), x.Mean, 100*x.Share)
	}
	w.line("Win back: %s customers are probably still alive (P(alive) >= 0.7) but bought nothing in the last 60 days", thousands(v.winBack))
	if v.look == nil {
		return
	}
	l := v.look
	n := len(l.Profiles) + l.HeldOut
	w.line("Lookalikes: the %s visitors most like the top decile's %s customers (without looking at purchases).", thousands(v.audience), thousands(v.seedSize))
	w.line("  Checked on %s seed customers held out of training, ranked among %s profiles; lift = share of them found in", thousands(l.HeldOut), thousands(n))
	w.line("  the top k%% / k%%: 1 is chance, and the ceiling is what finding every one of them as early as possible gives.")
	w.line("  %-8s %7s %9s %18s", "top k%", "lift", "ceiling", "held-out found")
	for _, k := range []struct {
		share float64
		lift  float64
	}{{0.01, l.LiftAt1}, {0.05, l.LiftAt5}, {0.10, l.LiftAt10}} {
		w.line("  %-8s %7.1f %9.1f %17.0f%%", fmt.Sprintf("%.0f%%", 100*k.share), k.lift, liftCeiling(k.share, l.HeldOut, n), 100*k.lift*k.share)
	}
}

// liftCeiling is the highest lift possible in the top share of n ranked profiles when
// held of them are the positives: every top slot a positive, up to all of them.
func liftCeiling(share float64, held, n int) float64 {
	if held == 0 || n == 0 {
		return 0
	}
	top := max(1, int(math.Ceil(share*float64(n))))
	return float64(min(held, top)) / float64(held) * float64(n) / float64(top)
}

// recovered prints a model's fitted parameters beside the generator's, and whether each
// lies within two standard errors of the truth. A parameter held at its bound has a
// standard error of 0 (scoring.Diagnostics.StdErr), which is no error bar: it is
// printed without one, not as "±0" and a "NO" that reads as a failed recovery. A "yes"
// whose standard error exceeds the estimate says so.
func recovered(w *reportWriter, model string, names []string, fit, se, truth []float64) {
	line := fmt.Sprintf("  %-13s", model)
	for i, n := range names {
		switch {
		case i >= len(se):
			line += fmt.Sprintf("  %s %.3g [%.3g: no SE]", n, fit[i], truth[i])
		case se[i] == 0:
			line += fmt.Sprintf("  %s %.3g [%.3g: at its bound, no SE]", n, fit[i], truth[i])
		default:
			verdict := "yes"
			switch {
			case math.Abs(fit[i]-truth[i]) > 2*se[i]:
				verdict = "NO"
			case se[i] > math.Abs(fit[i]):
				// Two standard errors wider than the estimate reach from 0 to three
				// times it: such a "yes" says the fit did not pin the parameter
				// down (a small base, or one running off to its boundary), not
				// that it recovered the truth.
				verdict = "yes, but SE > estimate"
			}
			line += fmt.Sprintf("  %s %.3g±%.2g [%.3g: %s]", n, fit[i], se[i], truth[i], verdict)
		}
	}
	w.line("%s", line)
}
