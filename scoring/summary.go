package scoring

import (
	"fmt"
	"iter"
	"maps"
	"slices"
	"time"
)

// Transaction is one purchase of a profile: when and for how much.
type Transaction struct {
	Profile uint32 // dense profile key; 0 means "no profile" and is rejected
	Time    time.Time
	Amount  float64 // non-negative
}

// SummaryOptions say how transactions become Customers. The zero value of a field
// takes the default in brackets, except End, which is required.
type SummaryOptions struct {
	// End is the end of the observation period. Transactions in End's period are
	// included; later ones are ignored.
	End time.Time
	// Unit is the time unit of Recency and T [one week, 7×24h], recorded in each
	// Customer: the one place the unit is chosen.
	Unit time.Duration
	// Period is the granularity at which purchases are counted [one day]: purchases
	// in the same period count as one purchase whose amount is their sum, as the
	// lifetimes package does, so that a basket split into several orders is not a
	// burst of repeat purchases. A multiple of 24h counts calendar days in Location;
	// any other period must be a whole number of seconds and counts from the Unix
	// epoch.
	Period time.Duration
	// Location is the time zone of calendar days [UTC].
	Location *time.Location
}

// withDefaults returns the options with the defaults filled in (nil: all defaults), or
// ErrInvalid.
func (o *SummaryOptions) withDefaults() (SummaryOptions, error) {
	var d SummaryOptions
	if o != nil {
		d = *o
	}
	if d.Unit == 0 {
		d.Unit = 7 * 24 * time.Hour
	}
	if d.Period == 0 {
		d.Period = 24 * time.Hour
	}
	if d.Location == nil {
		d.Location = time.UTC
	}
	switch {
	case d.End.IsZero():
		return d, fmt.Errorf("%w: SummaryOptions.End is required", ErrInvalid)
	case d.Unit < 0:
		return d, fmt.Errorf("%w: unit %v is negative", ErrInvalid, d.Unit)
	case d.Period < 0 || d.Period%time.Second != 0:
		return d, fmt.Errorf("%w: period %v must be a positive whole number of seconds", ErrInvalid, d.Period)
	}
	return d, nil
}

const day = 24 * time.Hour

// period returns the index of the period holding t.
func (o SummaryOptions) period(t time.Time) int64 {
	if o.Period%day == 0 {
		// The civil date in Location, counted in days since 1970-01-01: midnight UTC
		// of that date is an exact multiple of 86,400 Unix seconds.
		y, m, d := t.In(o.Location).Date()
		days := time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400
		return floorDiv(days, int64(o.Period/day))
	}
	return floorDiv(t.Unix(), int64(o.Period/time.Second))
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

// length converts a number of periods to units.
func (o SummaryOptions) length(periods int64) float64 {
	return float64(periods) * (float64(o.Period) / float64(o.Unit))
}

// Summary is one profile's Customer over an observation period, with what the
// buy-till-you-die models leave out.
type Summary struct {
	Profile  uint32
	Customer           // repeat purchases, recency, age, mean repeat spend
	First    time.Time // start of the first purchase's period
	Spend    float64   // total spend in the period, first purchase included
}

// summarise turns one profile's collapsed purchases up to period end into a Summary.
func (o SummaryOptions) summarise(id uint32, ps []purchase, end int64) Summary {
	first := ps[0]
	s := Summary{Profile: id, Spend: first.amount}
	s.Unit = o.Unit
	s.T = o.length(end - first.period)
	var repeat float64
	for _, p := range ps[1:] {
		repeat += p.amount
		s.Spend += p.amount
	}
	if x := len(ps) - 1; x > 0 {
		s.Frequency = x
		s.Recency = o.length(ps[x].period - first.period)
		s.Monetary = repeat / float64(x)
	}
	s.First = o.start(first.period)
	return s
}

// start returns the first instant of period p.
func (o SummaryOptions) start(p int64) time.Time {
	if o.Period%day == 0 {
		d := time.Unix(p*int64(o.Period/day)*86400, 0).UTC()
		return time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, o.Location)
	}
	return time.Unix(p*int64(o.Period/time.Second), 0).In(o.Location)
}

// Summarize turns a stream of transactions into one Summary per profile that bought
// by the end of the observation period, sorted by profile: the Customer inputs of the
// models, in the conventions of the lifetimes package's
// summary_data_from_transaction_data. It fails on the first bad transaction (profile 0,
// a zero time, a negative, NaN or infinite amount, or one over MaxAmount), naming its
// position in the stream. The bound keeps every sum finite: finite amounts of 1.7e308
// added up to a Spend and a Monetary of +Inf, which a fit refused later as "customer
// 1980", naming no transaction. Rows are folded into their profile's periods as they
// stream in, so memory grows with the distinct profile-periods (customer-days by
// default), not with the rows; each period's amount is the sum of its rows in the
// order they came, whatever order the periods come in.
func Summarize(txs iter.Seq[Transaction], opts *SummaryOptions) ([]Summary, error) {
	return summarize(txs, opts, collect)
}

// collector is collect, or the naive collect of the tests' reference.
type collector func(txs iter.Seq[Transaction], o SummaryOptions, last int64) (map[uint32][]purchase, error)

// summarize is Summarize over the transactions grouped by collect.
func summarize(txs iter.Seq[Transaction], opts *SummaryOptions, collect collector) ([]Summary, error) {
	o, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	end := o.period(o.End)
	byProfile, err := collect(txs, o, end)
	if err != nil {
		return nil, err
	}
	out := make([]Summary, 0, len(byProfile))
	for _, id := range slices.Sorted(maps.Keys(byProfile)) {
		out = append(out, o.summarise(id, byProfile[id], end))
	}
	return out, nil
}

// Holdout is one profile's calibration-period Summary with what it did in the holdout
// period that follows, the data for checking a model's predictions (CheckHoldout).
type Holdout struct {
	Summary                  // calibration period
	HoldoutPurchases int     // purchases in the holdout period (periods, collapsed as above)
	HoldoutSpend     float64 // total spend in the holdout period
	HoldoutLength    float64 // length of the holdout period in Unit
}

// SummarizeHoldout summarises the calibration period (up to and including
// calibrationEnd's period) and counts each profile's purchases and spend in the holdout
// period after it, up to opt.End, as lifetimes' calibration_and_holdout_data does.
// Profiles whose first purchase falls in the holdout period are left out: they were not
// customers when the model was fitted. It fails where Summarize fails, and holds what
// Summarize holds: the profile-periods, not the rows.
func SummarizeHoldout(txs iter.Seq[Transaction], calibrationEnd time.Time, opts *SummaryOptions) ([]Holdout, error) {
	return summarizeHoldout(txs, calibrationEnd, opts, collect)
}

// summarizeHoldout is SummarizeHoldout over the transactions grouped by collect.
func summarizeHoldout(txs iter.Seq[Transaction], calibrationEnd time.Time, opts *SummaryOptions, collect collector) ([]Holdout, error) {
	o, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	cal, end := o.period(calibrationEnd), o.period(o.End)
	if cal > end {
		return nil, fmt.Errorf("%w: calibration end %v after observation end %v", ErrInvalid, calibrationEnd, o.End)
	}
	byProfile, err := collect(txs, o, end)
	if err != nil {
		return nil, err
	}
	var out []Holdout
	for _, id := range slices.Sorted(maps.Keys(byProfile)) {
		ps := byProfile[id]
		k, _ := slices.BinarySearchFunc(ps, cal+1, byPeriod)
		if k == 0 {
			continue // first purchase in the holdout period
		}
		s := Holdout{Summary: o.summarise(id, ps[:k], cal), HoldoutPurchases: len(ps) - k, HoldoutLength: o.length(end - cal)}
		for _, p := range ps[k:] {
			s.HoldoutSpend += p.amount
		}
		out = append(out, s)
	}
	return out, nil
}
