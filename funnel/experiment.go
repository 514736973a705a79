package funnel

import (
	"fmt"
	"math"
	"slices"

	"github.com/RoaringBitmap/roaring/v2"
	"gonum.org/v1/gonum/stat/distuv"

	"github.com/clientele-go/clientele/internal/english"
)

// Experiment compares a rate between a control group and a treatment group (an A/B
// test, or a holdout against the rest): a funnel's conversion from the first step to
// the last (CompareGroups) or a retention column (CompareRetention).
type Experiment struct {
	Control, Treatment Rate
	// Comparison is the fixed-sample difference (treatment minus control) with
	// Newcombe's interval and the two-proportion p-value: valid when the sample size
	// was fixed in advance and the test is read once.
	Comparison Comparison
	// SeqLo and SeqHi bound the difference with an always-valid confidence sequence
	// (see ExperimentOptions): it holds at every sample size simultaneously, so a team
	// may look daily and stop whenever it likes. The bounds lie in [-1, 1] and contain
	// Comparison's interval (which the plug-in variance would undercut when a group
	// converts all or none).
	SeqLo, SeqHi float64
	// SampleRatio tests the groups' sizes against the split the assignment meant
	// (ExperimentOptions.ControlShare); nil without one.
	SampleRatio *SampleRatio
}

// SampleRatio is the check for a sample ratio mismatch: groups whose sizes are not
// the split the assignment meant, because assignment, redirection or logging lost
// profiles of one group. The comparison of such groups is biased in an unknown
// direction, however small its p-value (Fabijan, Gupchup, Gupta, Omhover, Qin,
// Vermeer and Dmitriev 2019, "Diagnosing sample ratio mismatch in online controlled
// experiments", KDD; they flag P below 0.0005).
type SampleRatio struct {
	// Control and Treatment count the profiles of each group: every profile of its
	// bitmap (CompareGroups) or of its table's cohorts (CompareRetention), entered or
	// not.
	Control, Treatment int64
	// Share is the control's share the assignment meant (ExperimentOptions.ControlShare).
	Share float64
	// ChiSquare is Pearson's goodness-of-fit statistic of the two counts against Share,
	// on one degree of freedom, and P its p-value (SciPy's chisquare).
	ChiSquare, P float64
}

// ExperimentOptions sets the level and the confidence sequence's tuning.
type ExperimentOptions struct {
	// Level is the two-sided confidence level; zero means 0.95.
	Level float64
	// Planned is the total number of profiles (both groups) at which the confidence
	// sequence is tightest; it must be fixed before looking at the data. Zero means
	// 10,000.
	Planned int64
	// ControlShare is the share of the profiles the assignment meant for the control
	// group, in (0, 1): a Holdout's Share, 0.5 for an even A/B split. With it the
	// experiment checks the groups' sizes against it (Experiment.SampleRatio); zero
	// leaves the check out.
	ControlShare float64
}

// CompareGroups splits a funnel's result into two groups of profiles and compares
// their conversion: among the profiles of each group that entered the funnel, those
// that reached the last step. Profiles in both groups are refused.
//
// The confidence sequence is the asymptotic one of Waudby-Smith, Arbour, Sinha, Kennedy
// and Ramdas (2023, "Time-uniform central limit theory and asymptotic confidence
// sequences", eq. 7), a normal mixture boundary (Robbins 1970; Howard, Ramdas,
// McAuliffe and Sekhon 2021): with t profiles and σ̂² = t·V̂, V̂ the variance of the
// difference (pT(1-pT)/nT + pC(1-pC)/nC),
//
//	difference ± σ̂ · sqrt(2(tρ²+1)/(t²ρ²) · log(sqrt(tρ²+1)/α)),
//
// with ρ² = (-2 log α + log(-2 log α + 1)) / Planned, which makes it tightest at the
// planned size (their eq. 8).
func CompareGroups(res *Result, control, treatment *roaring.Bitmap, opts *ExperimentOptions) (*Experiment, error) {
	o, err := opts.defaults()
	if err != nil {
		return nil, err
	}
	switch {
	case res == nil || len(res.Steps) == 0 || control == nil || treatment == nil:
		return nil, fmt.Errorf("%w: an experiment needs a result and two groups", ErrInvalid)
	case control.Intersects(treatment):
		shared := control.AndCardinality(treatment)
		return nil, fmt.Errorf("%w: %d %s in both groups", ErrInvalid, shared, english.Plural(shared, "profile is", "profiles are"))
	}
	entered, converted := res.Steps[0].Converted, res.Steps[len(res.Steps)-1].Converted
	// A Result built by hand may hold a step with a nil bitmap: no profiles (a nil
	// bitmap's methods panic).
	if entered == nil {
		entered = roaring.New()
	}
	if converted == nil {
		converted = roaring.New()
	}
	rate := func(g *roaring.Bitmap) (Rate, error) {
		return NewRate(int64(converted.AndCardinality(g)), int64(entered.AndCardinality(g)), Wilson, o.Level)
	}
	c, err := rate(control)
	if err != nil {
		return nil, err
	}
	t, err := rate(treatment)
	if err != nil {
		return nil, err
	}
	for _, g := range []struct {
		name string
		r    Rate
		b    *roaring.Bitmap
	}{{"control", c, control}, {"treatment", t, treatment}} {
		switch {
		case g.r.N > 0:
		case g.b.IsEmpty():
			return nil, fmt.Errorf("%w: the %s group is empty: no rate to compare", ErrInvalid, g.name)
		default:
			return nil, fmt.Errorf("%w: the %s group has no rate to compare: none of its profiles (%d) entered the funnel", ErrInvalid,
				g.name, g.b.GetCardinality())
		}
	}
	return compareRates(c, t, o, int64(control.GetCardinality()), int64(treatment.GetCardinality()))
}

// CompareRetention compares retention in column col (see Table.Rate: the cohorts whose
// cell is complete, pooled) between a control group's cohort table and a treatment
// group's, made by the same Cohorts over each group's events (for a holdout, the
// events of Holdout.Split's two sets), with the same fixed-sample comparison and
// confidence sequence as CompareGroups. The tables must have the same period, time
// zone (Table.Location, by name), columns, retention rule (Table.Retention: an On
// table's column 3 is who returned in the third period, an OnOrAfter one's who returned
// then or later) and steps (Table.StartName and ReturnName; steps with no Name, told
// apart only by their Match functions, cannot be checked) and no profile in common.
// Their ends of observation (Table.End) may differ: a cell whose periods had not ended
// is left out of the rate, so each table pools only what it saw in full (one AsOf for
// both keeps the two pooling the same cohorts).
func CompareRetention(control, treatment *Table, col int, opts *ExperimentOptions) (*Experiment, error) {
	o, err := opts.defaults()
	if err != nil {
		return nil, err
	}
	switch {
	case control == nil || treatment == nil:
		return nil, fmt.Errorf("%w: a retention experiment needs two tables", ErrInvalid)
	case !slices.Equal(control.Columns, treatment.Columns) || control.By != treatment.By:
		return nil, fmt.Errorf("%w: tables of different cohorts (columns %q by %v, %q by %v)", ErrInvalid,
			control.Columns, control.By, treatment.Columns, treatment.By)
	case control.Location.String() != treatment.Location.String():
		// By name, as the partials' fingerprints compare them: time.LoadLocation makes a
		// new *Location on every call, so two tables of one zone need not share a
		// pointer, and a Location's fields are unexported. nil is "UTC", as in Cohorts.
		// Days cut in New York and in UTC differ by hours, so column 1 of one is not
		// column 1 of the other.
		return nil, fmt.Errorf("%w: tables of different time zones (control %q, treatment %q): make both with the same Cohorts", ErrInvalid,
			control.Location.String(), treatment.Location.String())
	case control.Retention != treatment.Retention:
		return nil, fmt.Errorf("%w: tables of different retention rules (control %v, treatment %v): make both with the same Cohorts", ErrInvalid,
			control.Retention, treatment.Retention)
	case control.StartName != treatment.StartName || control.ReturnName != treatment.ReturnName:
		// "Returned to buy" against "returned to visit" has the same columns and
		// shows a lift the steps made, not the treatment.
		return nil, fmt.Errorf("%w: tables of different steps (control Start %q and Return %q, treatment Start %q and Return %q): make both with the same Cohorts", ErrInvalid,
			control.StartName, control.ReturnName, treatment.StartName, treatment.ReturnName)
	}
	cm, tm := members(control), members(treatment)
	if shared := cm.AndCardinality(tm); shared > 0 {
		return nil, fmt.Errorf("%w: %d %s in both groups' cohorts", ErrInvalid, shared, english.Plural(shared, "profile is", "profiles are"))
	}
	c, err := control.Rate(col, Wilson, o.Level)
	if err != nil {
		return nil, err
	}
	t, err := treatment.Rate(col, Wilson, o.Level)
	if err != nil {
		return nil, err
	}
	for _, g := range []struct {
		name string
		r    Rate
	}{{"control", c}, {"treatment", t}} {
		if g.r.N == 0 {
			label := ""
			if c := control.Columns[col]; c != fmt.Sprint(col) {
				label = " (" + c + ")"
			}
			return nil, fmt.Errorf("%w: the %s group has no rate to compare: no cohort of its table has a complete cell in column %d%s", ErrInvalid,
				g.name, col, label)
		}
	}
	return compareRates(c, t, o, int64(cm.GetCardinality()), int64(tm.GetCardinality()))
}

// members is the union of a table's cohorts.
func members(t *Table) *roaring.Bitmap {
	all := roaring.New()
	for _, c := range t.Cohorts {
		if c.Profiles != nil {
			all.Or(c.Profiles)
		}
	}
	return all
}

func (opts *ExperimentOptions) defaults() (ExperimentOptions, error) {
	var o ExperimentOptions
	if opts != nil {
		o = *opts
	}
	if o.Level == 0 {
		o.Level = 0.95
	}
	if o.Planned == 0 {
		o.Planned = 10_000
	}
	switch {
	case !(o.Level > 0 && o.Level < 1):
		return o, fmt.Errorf("%w: experiment level %v outside (0, 1)", ErrInvalid, o.Level)
	case o.Planned < 0:
		return o, fmt.Errorf("%w: experiment planned size %d is negative", ErrInvalid, o.Planned)
	case o.ControlShare != 0 && !(o.ControlShare > 0 && o.ControlShare < 1):
		return o, fmt.Errorf("%w: experiment control share %v outside (0, 1)", ErrInvalid, o.ControlShare)
	}
	return o, nil
}

// compareRates compares two groups' rates, fixed-sample and always-valid, and checks
// the groups' sizes, nc and nt profiles, against o.ControlShare.
func compareRates(c, t Rate, o ExperimentOptions, nc, nt int64) (*Experiment, error) {
	cmp, err := Compare(c, t, o.Level)
	if err != nil {
		return nil, err
	}
	ex := &Experiment{Control: c, Treatment: t, Comparison: cmp}
	lo, hi := confidenceSequence(c, t, 1-o.Level, o.Planned)
	// A bound valid at every sample size is valid at this one, so it cannot be
	// narrower than the fixed-sample interval; the plug-in variance makes it so when a
	// group converts all or none (zero variance: a point, certainty from one profile)
	// or nearly so. And a difference of two proportions lies in [-1, 1], where the
	// boundary of a small sample would otherwise reach far beyond.
	ex.SeqLo = max(-1, min(lo, cmp.Lo))
	ex.SeqHi = min(1, max(hi, cmp.Hi))
	if o.ControlShare != 0 {
		ex.SampleRatio = sampleRatio(nc, nt, o.ControlShare)
	}
	return ex, nil
}

// sampleRatio tests nc and nt profiles against a control share: Pearson's
// Σ (observed - expected)² / expected over the two groups, on one degree of freedom.
func sampleRatio(nc, nt int64, share float64) *SampleRatio {
	n := float64(nc + nt)
	ec, et := n*share, n*(1-share)
	dc, dt := float64(nc)-ec, float64(nt)-et
	chi2 := dc*dc/ec + dt*dt/et
	return &SampleRatio{Control: nc, Treatment: nt, Share: share, ChiSquare: chi2, P: distuv.ChiSquared{K: 1}.Survival(chi2)}
}

// confidenceSequence returns the asymptotic confidence sequence's bounds (see
// CompareGroups) for the difference t - c, at miscoverage alpha.
func confidenceSequence(c, t Rate, alpha float64, planned int64) (lo, hi float64) {
	pc, pt := float64(c.K)/float64(c.N), float64(t.K)/float64(t.N)
	n := float64(c.N + t.N)
	v := pc*(1-pc)/float64(c.N) + pt*(1-pt)/float64(t.N)
	sigma := math.Sqrt(n * v)
	la := -2 * math.Log(alpha)
	rho2 := (la + math.Log(la+1)) / float64(planned)
	w := sigma * math.Sqrt(2*(n*rho2+1)/(n*n*rho2)*math.Log(math.Sqrt(n*rho2+1)/alpha))
	d := pt - pc
	return d - w, d + w
}

// SampleSize returns the profiles each group needs for a two-sided test at level alpha
// to detect, with the given power, a conversion rate moving from base to base·(1+lift)
// (a relative lift): Fleiss, Levin and Paik (2003, eq. 4.14, without the continuity
// correction),
//
//	n = (z(1-α/2)·sqrt(2·p̄(1-p̄)) + z(power)·sqrt(p1(1-p1) + p2(1-p2)))² / (p2-p1)²,
//
// p̄ the mean of p1 and p2, rounded up. A lift too small for the size to fit in an int64
// is ErrInvalid. A power so low that a group of one reaches it (below about alpha/2,
// where the bracket above turns negative) needs 1 profile.
func SampleSize(base, lift, alpha, power float64) (int64, error) {
	p1, p2 := base, base*(1+lift)
	switch {
	case !(base > 0 && base < 1) || !(p2 > 0 && p2 < 1) || lift == 0 || math.IsNaN(lift):
		return 0, fmt.Errorf("%w: sample size for base %v and lift %v (both rates must lie in (0, 1) and differ)", ErrInvalid, base, lift)
	case !(alpha > 0 && alpha < 1) || !(power > 0 && power < 1):
		return 0, fmt.Errorf("%w: sample size for alpha %v and power %v (both in (0, 1))", ErrInvalid, alpha, power)
	}
	za := distuv.UnitNormal.Quantile(1 - alpha/2)
	zb := distuv.UnitNormal.Quantile(power)
	pbar := (p1 + p2) / 2
	num := za*math.Sqrt(2*pbar*(1-pbar)) + zb*math.Sqrt(p1*(1-p1)+p2*(1-p2))
	if num <= 0 {
		// The power at a size of n is about Φ((|p2-p1|·sqrt(n) - za·sqrt(2p̄(1-p̄))) /
		// sqrt(p1(1-p1) + p2(1-p2))), which rises from a floor below alpha/2: a power
		// under the floor is reached by any size. Squaring the negative bracket gave
		// sizes that grew as the power asked for fell (power 0.001: 2,400).
		return 1, nil
	}
	n := math.Ceil(num*num/((p2-p1)*(p2-p1)) - 1e-9)
	if !(n < math.MaxInt64) {
		// A lift so small that no int64 counts the profiles: converting would wrap to a
		// negative size.
		return 0, fmt.Errorf("%w: sample size for base %v and lift %v is %.3g profiles per group, more than an int64 holds", ErrInvalid, base, lift, n)
	}
	return int64(n), nil
}
