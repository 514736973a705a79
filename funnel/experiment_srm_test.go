package funnel

import (
	"errors"
	"math"
	"testing"

	"github.com/RoaringBitmap/roaring/v2"
)

// TestSampleRatioGolden checks the sample ratio test against SciPy 1.10.1:
//
//	from scipy.stats import chisquare
//	n = nc + nt
//	r = chisquare([nc, nt], f_exp=[n*share, n*(1-share)])  # r.statistic, r.pvalue
//
// A 10% holdout that came out 12% (1,200 of 10,000) is a mismatch at p = 2.6e-11
// whatever the conversions say; before the check, CompareGroups compared such groups
// without a word.
func TestSampleRatioGolden(t *testing.T) {
	for _, c := range []struct {
		nc, nt  int64
		share   float64
		chi2, p float64
	}{
		{5000, 5000, 0.5, 0, 1},
		{5100, 4900, 0.5, 4, 0.04550026389635857},
		{1000, 9000, 0.1, 0, 1},
		{1200, 8800, 0.1, 44.444444444444443, 2.6167849372106072e-11},
		{2, 98, 0.01, 1.0101010101010102, 0.31487864133641691},
		{30, 70, 0.5, 16, 6.3342483666239876e-05},
		{1, 1, 0.5, 0, 1},
		{500000, 501500, 0.5, 2.2466300549176235, 0.13390573510120424},
		{9000, 1000, 0.1, 71111.111111111109, 0},
	} {
		// Every profile enters; the even ones convert.
		control, treatment := roaring.New(), roaring.New()
		control.AddRange(0, uint64(c.nc))
		treatment.AddRange(uint64(c.nc), uint64(c.nc+c.nt))
		res := &Result{Steps: []StepResult{{Converted: roaring.Or(control, treatment)}, {Converted: roaring.New()}}}
		res.Steps[1].Converted.AddRange(0, uint64(c.nc+c.nt)/2)
		ex, err := CompareGroups(res, control, treatment, &ExperimentOptions{ControlShare: c.share})
		if err != nil {
			t.Fatal(err)
		}
		sr := ex.SampleRatio
		if sr == nil || sr.Control != c.nc || sr.Treatment != c.nt || sr.Share != c.share {
			t.Fatalf("%d/%d at %v: %+v", c.nc, c.nt, c.share, sr)
		}
		if math.Abs(sr.ChiSquare-c.chi2) > 1e-9*max(1, c.chi2) || math.Abs(sr.P-c.p) > 1e-9*c.p || c.p == 0 && sr.P > 1e-300 {
			t.Errorf("%d/%d at %v: χ² %.17g p %.17g, SciPy %.17g %.17g", c.nc, c.nt, c.share, sr.ChiSquare, sr.P, c.chi2, c.p)
		}
	}
}

// TestSampleRatioOptional: without ControlShare there is no check, and a share outside
// (0, 1) is refused, naming it.
func TestSampleRatioOptional(t *testing.T) {
	res := &Result{Steps: []StepResult{{Converted: roaring.BitmapOf(1, 2, 3, 4)}, {Converted: roaring.BitmapOf(1, 3)}}}
	c, tr := roaring.BitmapOf(1, 2), roaring.BitmapOf(3, 4)
	ex, err := CompareGroups(res, c, tr, nil)
	if err != nil || ex.SampleRatio != nil {
		t.Fatalf("no share: %+v, %v", ex, err)
	}
	for _, share := range []float64{-0.1, 1, 1.5, math.NaN(), math.Inf(1)} {
		if _, err := CompareGroups(res, c, tr, &ExperimentOptions{ControlShare: share}); !errors.Is(err, ErrInvalid) {
			t.Errorf("share %v: %v", share, err)
		}
	}
}

// TestSampleRatioRetention: CompareRetention counts each table's cohort members, 3
// against 1 at an even split: χ² = 1, p = 0.31731050786291415 (chisquare([3, 1])).
func TestSampleRatioRetention(t *testing.T) {
	co := Cohorts{Start: Step{Name: "a"}, By: Day, Periods: 1}
	day := int64(86400)
	control, err := co.Run([]Event{{Profile: 1, Time: at(0), Name: "a"}, {Profile: 1, Time: at(day), Name: "a"},
		{Profile: 2, Time: at(0), Name: "a"}, {Profile: 3, Time: at(0), Name: "a"}, {Profile: 9, Time: at(3 * day), Name: "b"}})
	if err != nil {
		t.Fatal(err)
	}
	treatment, err := co.Run([]Event{{Profile: 4, Time: at(0), Name: "a"}, {Profile: 4, Time: at(day), Name: "a"}, {Profile: 8, Time: at(3 * day), Name: "b"}})
	if err != nil {
		t.Fatal(err)
	}
	ex, err := CompareRetention(control, treatment, 1, &ExperimentOptions{ControlShare: 0.5})
	if err != nil {
		t.Fatal(err)
	}
	if sr := ex.SampleRatio; sr == nil || sr.Control != 3 || sr.Treatment != 1 || sr.ChiSquare != 1 || math.Abs(sr.P-0.31731050786291415) > 1e-12 {
		t.Errorf("%+v", sr)
	}
}
