package uplift

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/clientele-go/clientele/scoring"
)

// Features builds the feature matrix of a list of profiles from the SDK's own
// outputs, one named group of columns at a time: RFM scores, BTYD predictions,
// engagement, segment memberships. Row i of Matrix is profiles[i]; the columns come
// in the order they were added, named by Names, so that a model fitted on one
// campaign's matrix scores another built by the same calls.
//
// Every profile must have a value in every column, and one: RFM and BTYD, which
// describe buyers, return ErrNotFound naming a profile without a summary (give
// never-buyers a Customer of zeros, or leave them out) and ErrInvalid naming one with
// two; engagement is 0 for a profile never seen, as scoring.Engagement.Score defines
// it; a segment column is 1 for members and 0 for everyone else. A call that fails
// adds nothing. A nil *Features has no names and no rows, and refuses columns with
// ErrInvalid.
type Features struct {
	profiles []uint32
	row      map[uint32]int
	names    []string
	cols     [][]float64
}

// NewFeatures starts the feature matrix of profiles, which must be distinct.
func NewFeatures(profiles []uint32) (*Features, error) {
	f := &Features{profiles: slices.Clone(profiles), row: make(map[uint32]int, len(profiles))}
	for i, p := range profiles {
		if j, dup := f.row[p]; dup {
			return nil, fmt.Errorf("%w: profile %d is listed twice (rows %d and %d)", ErrInvalid, p, j, i)
		}
		f.row[p] = i
	}
	return f, nil
}

// Names returns the column names, in column order.
func (f *Features) Names() []string {
	if f == nil {
		return nil
	}
	return slices.Clone(f.names)
}

// Matrix returns one row per profile, in the order given to NewFeatures, each with
// one value per column; rows share one backing array.
func (f *Features) Matrix() [][]float64 {
	if f == nil {
		return nil
	}
	d := len(f.cols)
	flat := make([]float64, len(f.profiles)*d)
	x := make([][]float64, len(f.profiles))
	for i := range x {
		x[i] = flat[i*d : (i+1)*d : (i+1)*d]
		for j, c := range f.cols {
			x[i][j] = c[i]
		}
	}
	return x
}

// add appends columns after checking that their names are new and their values
// finite.
func (f *Features) add(names []string, cols [][]float64) error {
	for k, name := range names {
		if slices.Contains(f.names, name) || slices.Contains(names[:k], name) {
			return fmt.Errorf("%w: feature %q is already a column", ErrInvalid, name)
		}
		for i, v := range cols[k] {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return fmt.Errorf("%w: feature %q of profile %d is %v", ErrInvalid, name, f.profiles[i], v)
			}
		}
	}
	f.names = append(f.names, names...)
	f.cols = append(f.cols, cols...)
	return nil
}

// columns returns k columns of the profiles' length.
func (f *Features) columns(k int) [][]float64 {
	cols := make([][]float64, k)
	for j := range cols {
		cols[j] = make([]float64, len(f.profiles))
	}
	return cols
}

// RFM adds the columns rfm_recency, rfm_frequency and rfm_monetary: each profile's
// scores from scoring.RFM (1 to Bins, higher is better). Scores of profiles not in
// the matrix are ignored; a profile of the matrix without a score is ErrNotFound, and
// one with two scores ErrInvalid.
func (f *Features) RFM(scores []scoring.RFMScore) error {
	if f == nil {
		return fmt.Errorf("%w: nil Features; make them with NewFeatures", ErrInvalid)
	}
	cols := f.columns(3)
	seen := make([]bool, len(f.profiles))
	from := make([]int, len(f.profiles))
	for k, s := range scores {
		i, ok := f.row[s.Profile]
		if !ok {
			continue
		}
		if seen[i] {
			return fmt.Errorf("%w: profile %d has two RFM scores (%d and %d)", ErrInvalid, s.Profile, from[i], k)
		}
		seen[i], from[i] = true, k
		cols[0][i], cols[1][i], cols[2][i] = float64(s.Recency), float64(s.Frequency), float64(s.Monetary)
	}
	if i := slices.Index(seen, false); i >= 0 {
		return fmt.Errorf("%w: profile %d has no RFM score", ErrNotFound, f.profiles[i])
	}
	return f.add([]string{"rfm_recency", "rfm_frequency", "rfm_monetary"}, cols)
}

// BTYD adds the columns p_alive and expected_purchases: a fitted buy-till-you-die
// model's P(alive) of each profile's history and the purchases it expects in the
// next horizon (in the summaries' time unit). Summaries of profiles not in the matrix
// are ignored; a profile of the matrix without a summary is ErrNotFound, and two
// summaries of one profile, an invalid history (scoring.Customer.Validate), summaries
// of two time units or of another unit than the model's, or a horizon that is not
// positive is ErrInvalid.
func (f *Features) BTYD(m scoring.Model, horizon float64, summaries []scoring.Summary) error {
	if f == nil {
		return fmt.Errorf("%w: nil Features; make them with NewFeatures", ErrInvalid)
	}
	if m == nil {
		return fmt.Errorf("%w: BTYD without a model", ErrInvalid)
	}
	if !(horizon > 0) || math.IsInf(horizon, 0) {
		return fmt.Errorf("%w: BTYD horizon %v, want a positive time", ErrInvalid, horizon)
	}
	cs := make([]scoring.Customer, len(f.profiles))
	seen := make([]bool, len(f.profiles))
	from := make([]int, len(f.profiles))
	for k, s := range summaries {
		i, ok := f.row[s.Profile]
		if !ok {
			continue
		}
		if seen[i] {
			return fmt.Errorf("%w: profile %d has two purchase summaries (%d and %d)", ErrInvalid, s.Profile, from[i], k)
		}
		if err := s.Customer.Validate(); err != nil {
			return fmt.Errorf("%w: summary of profile %d: %s", ErrInvalid, s.Profile, strings.TrimPrefix(err.Error(), scoring.ErrInvalid.Error()+": "))
		}
		seen[i], from[i] = true, k
		cs[i] = s.Customer
	}
	if i := slices.Index(seen, false); i >= 0 {
		return fmt.Errorf("%w: profile %d has no purchase summary", ErrNotFound, f.profiles[i])
	}
	// scoring.Predict checks what the Model methods cannot: that the summaries share
	// one time unit, the model's (a model fitted in weeks reads ages in days as
	// weeks). Its rows are the matrix's.
	preds, err := scoring.Predict(m, cs, horizon)
	if err != nil {
		// Every history was checked above, so this is a unit: say it in uplift's words
		// (rows are the matrix's, in NewFeatures' order).
		msg := strings.Replace(strings.TrimPrefix(err.Error(), "scoring: "), "invalid input: ", "", 1)
		return fmt.Errorf("%w: BTYD: %s", ErrInvalid, msg)
	}
	cols := f.columns(2)
	for i, p := range preds {
		cols[0][i], cols[1][i] = p.PAlive, p.ExpectedPurchases
	}
	return f.add([]string{"p_alive", "expected_purchases"}, cols)
}

// Engagement adds the column engagement: each profile's recency-weighted activity at
// now (scoring.Engagement.Score, 0 for a profile never seen). A nil e is ErrInvalid.
func (f *Features) Engagement(e *scoring.Engagement, now time.Time) error {
	if f == nil {
		return fmt.Errorf("%w: nil Features; make them with NewFeatures", ErrInvalid)
	}
	if e == nil {
		return fmt.Errorf("%w: nil engagement table (scoring.NewEngagement makes one)", ErrInvalid)
	}
	cols := f.columns(1)
	for i, p := range f.profiles {
		cols[0][i] = e.Score(now, p)
	}
	return f.add([]string{"engagement"}, cols)
}

// Segment adds the column "segment:" + name: 1 for the profiles in members (a
// segment's bitmap, as segment.Index evaluates it), 0 for the others. A nil members is
// ErrInvalid, as a nil model is for BTYD: a nil is more often a segment never
// evaluated than an empty one.
func (f *Features) Segment(name string, members *roaring.Bitmap) error {
	if f == nil {
		return fmt.Errorf("%w: nil Features; make them with NewFeatures", ErrInvalid)
	}
	if name == "" {
		return fmt.Errorf("%w: segment feature without a name", ErrInvalid)
	}
	if members == nil {
		return fmt.Errorf("%w: segment %q: nil members (an empty segment is roaring.New())", ErrInvalid, name)
	}
	cols := f.columns(1)
	for i, p := range f.profiles {
		if members.Contains(p) {
			cols[0][i] = 1
		}
	}
	return f.add([]string{"segment:" + name}, cols)
}
