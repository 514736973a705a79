package uplift

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/clientele-go/clientele/scoring"
)

var featureDay = time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)

func featureInputs(t *testing.T) ([]scoring.Summary, []scoring.RFMScore, *scoring.Engagement, *roaring.Bitmap) {
	t.Helper()
	ss := []scoring.Summary{
		{Profile: 3, Customer: scoring.Customer{Frequency: 2, Recency: 5, T: 8, Monetary: 30}},
		{Profile: 1, Customer: scoring.Customer{Frequency: 0, Recency: 0, T: 4}},
		{Profile: 9, Customer: scoring.Customer{Frequency: 5, Recency: 7, T: 7, Monetary: 12}},
	}
	rfm, err := scoring.RFM(ss, nil)
	if err != nil {
		t.Fatal(err)
	}
	e, err := scoring.NewEngagement(scoring.DefaultHalfLife)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Add(featureDay, 9, 2); err != nil {
		t.Fatal(err)
	}
	return ss, rfm, e, roaring.BitmapOf(1, 9, 40)
}

// The columns come in the order added, with fixed names, whatever the order of the
// inputs; each row is its profile's, in the order given to NewFeatures.
func TestFeaturesColumnsStable(t *testing.T) {
	ss, rfm, e, seg := featureInputs(t)
	m := &scoring.BGNBD{R: 0.24, Alpha: 4.4, A: 0.79, B: 2.4}
	build := func(ss []scoring.Summary, rfm []scoring.RFMScore) *Features {
		f, err := NewFeatures([]uint32{9, 3, 1})
		if err != nil {
			t.Fatal(err)
		}
		for _, err := range []error{f.Segment("vip", seg), f.RFM(rfm), f.Engagement(e, featureDay), f.BTYD(m, 4, ss)} {
			if err != nil {
				t.Fatal(err)
			}
		}
		return f
	}
	a := build(ss, rfm)
	want := []string{"segment:vip", "rfm_recency", "rfm_frequency", "rfm_monetary", "engagement", "p_alive", "expected_purchases"}
	if !slices.Equal(a.Names(), want) {
		t.Fatalf("names %v, want %v", a.Names(), want)
	}
	rs, rr := slices.Clone(ss), slices.Clone(rfm)
	slices.Reverse(rs)
	slices.Reverse(rr)
	b := build(rs, rr)
	x, y := a.Matrix(), b.Matrix()
	for i, p := range []uint32{9, 3, 1} {
		if !slices.Equal(x[i], y[i]) {
			t.Errorf("profile %d: %v and %v from reordered inputs", p, x[i], y[i])
		}
		k := slices.IndexFunc(ss, func(s scoring.Summary) bool { return s.Profile == p })
		r := slices.IndexFunc(rfm, func(s scoring.RFMScore) bool { return s.Profile == p })
		seg := 0.0
		if p != 3 {
			seg = 1
		}
		row := []float64{seg, float64(rfm[r].Recency), float64(rfm[r].Frequency), float64(rfm[r].Monetary),
			e.Score(featureDay, p), m.PAlive(ss[k].Customer), m.ExpectedPurchases(4, ss[k].Customer)}
		if !slices.Equal(x[i], row) {
			t.Errorf("profile %d: row %v, want %v", p, x[i], row)
		}
	}
	if x[2][4] != 0 {
		t.Errorf("engagement of a profile never seen %v, want 0", x[2][4])
	}
}

// A profile without an RFM score or a summary is ErrNotFound, and a failed call adds
// nothing.
func TestFeaturesMissing(t *testing.T) {
	ss, rfm, e, _ := featureInputs(t)
	f, err := NewFeatures([]uint32{1, 3, 9, 77})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Engagement(e, featureDay); err != nil {
		t.Fatal(err)
	}
	m := &scoring.BGNBD{R: 0.24, Alpha: 4.4, A: 0.79, B: 2.4}
	for name, err := range map[string]error{"rfm": f.RFM(rfm), "btyd": f.BTYD(m, 4, ss)} {
		if !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "profile 77") || strings.Count(err.Error(), "uplift:") != 1 {
			t.Errorf("%s: %v, want ErrNotFound naming profile 77", name, err)
		}
	}
	for name, err := range map[string]error{
		"duplicate column": f.Engagement(e, featureDay),
		"horizon":          f.BTYD(m, 0, ss),
		"bad history":      f.BTYD(m, 4, []scoring.Summary{{Profile: 1, Customer: scoring.Customer{Recency: 5, T: 2}}}),
		"unnamed segment":  f.Segment("", roaring.New()),
	} {
		if !errors.Is(err, ErrInvalid) || strings.Count(err.Error(), "uplift:") != 1 {
			t.Errorf("%s: %v, want ErrInvalid", name, err)
		}
	}
	if got := f.Names(); !slices.Equal(got, []string{"engagement"}) {
		t.Errorf("after failed calls the columns are %v", got)
	}
	if x := f.Matrix(); len(x) != 4 || len(x[0]) != 1 {
		t.Errorf("matrix %v", x)
	}
	if _, err := NewFeatures([]uint32{4, 5, 4}); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "rows 0 and 2") {
		t.Errorf("duplicate profile: %v", err)
	}
}

// TestFeaturesNilInputs: a nil engagement table, segment bitmap or model, as a
// caller passes before it has built one, panicked on a nil pointer; each is now
// ErrInvalid naming what is missing, and adds no column.
func TestFeaturesNilInputs(t *testing.T) {
	ss, _, _, _ := featureInputs(t)
	f, err := NewFeatures([]uint32{1, 3})
	if err != nil {
		t.Fatal(err)
	}
	for name, call := range map[string]func() error{
		"engagement": func() error { return f.Engagement(nil, featureDay) },
		"segment":    func() error { return f.Segment("newsletter", nil) },
		"btyd":       func() error { return f.BTYD(nil, 4, ss) },
	} {
		err := func() (err error) {
			defer func() {
				if r := recover(); r != nil {
					err = fmt.Errorf("panic: %v", r)
				}
			}()
			return call()
		}()
		if !errors.Is(err, ErrInvalid) {
			t.Errorf("%s of nil: %v, want ErrInvalid", name, err)
		}
	}
	if got := f.Names(); len(got) != 0 {
		t.Errorf("after failed calls the columns are %v", got)
	}
}

// TestFeaturesBTYDUnits: BTYD called the model's methods directly, so a model fitted
// in weeks scored summaries in days as weeks without a word (scoring.Predict refuses
// that since 58e18b4), and a bad history read "uplift: invalid input: summary of
// profile 1: scoring: invalid input: ...". Both are uplift's ErrInvalid in one voice,
// and add no column.
func TestFeaturesBTYDUnits(t *testing.T) {
	week, day := 7*24*time.Hour, 24*time.Hour
	m := &scoring.BGNBD{R: 0.24, Alpha: 4.4, A: 0.79, B: 2.4, Unit: week}
	f, err := NewFeatures([]uint32{1, 2})
	if err != nil {
		t.Fatal(err)
	}
	sum := func(p uint32, unit time.Duration) scoring.Summary {
		return scoring.Summary{Profile: p, Customer: scoring.Customer{Frequency: 2, Recency: 10, T: 20, Unit: unit}}
	}
	for _, c := range []struct {
		name string
		ss   []scoring.Summary
		want string
	}{
		{"days for a weekly model", []scoring.Summary{sum(1, day), sum(2, day)}, "uplift: invalid input: BTYD: customers: unit 24h0m0s, the model was fitted in 168h0m0s"},
		{"two units", []scoring.Summary{sum(1, week), sum(2, day)}, "uplift: invalid input: BTYD: row 1 has unit 24h0m0s, row 0 has 168h0m0s"},
		{"bad history", []scoring.Summary{{Profile: 1, Customer: scoring.Customer{Recency: 5, T: 2}}, sum(2, week)}, "uplift: invalid input: summary of profile 1: recency 5 greater than T 2"},
	} {
		err := f.BTYD(m, 4, c.ss)
		if !errors.Is(err, ErrInvalid) || !strings.HasPrefix(err.Error(), c.want) || strings.Contains(err.Error(), "scoring:") {
			t.Errorf("%s: %v, want ErrInvalid saying %q", c.name, err, c.want)
		}
	}
	if got := f.Names(); len(got) != 0 {
		t.Errorf("after refusals the columns are %v", got)
	}
	if err := f.BTYD(m, 4, []scoring.Summary{sum(1, week), sum(2, week)}); err != nil {
		t.Fatal(err)
	}
	want, _ := scoring.Predict(m, []scoring.Customer{sum(1, week).Customer}, 4)
	if x := f.Matrix(); x[0][0] != want[0].PAlive || x[0][1] != want[0].ExpectedPurchases {
		t.Errorf("row 0 is %v, want %+v", x[0], want[0])
	}
}
