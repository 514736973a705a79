package uplift

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/clientele-go/clientele/scoring"
)

// A profile of the matrix given two RFM scores or two purchase summaries (two runs
// concatenated, a join that duplicated rows) took the later one without a word, as
// if the earlier were not there; NewFeatures refuses a profile listed twice. A
// duplicate of a profile outside the matrix is ignored with it.
func TestFeaturesRefuseTwoValuesForAProfile(t *testing.T) {
	ss, rfm, _, _ := featureInputs(t)
	m := &scoring.BGNBD{R: 0.24, Alpha: 4.4, A: 0.79, B: 2.4}
	f, err := NewFeatures([]uint32{9, 3})
	if err != nil {
		t.Fatal(err)
	}
	at := slices.IndexFunc(rfm, func(s scoring.RFMScore) bool { return s.Profile == 3 })
	twice := append(slices.Clone(rfm), scoring.RFMScore{Profile: 3, Recency: 1, Frequency: 1, Monetary: 1})
	want := fmt.Sprintf("profile 3 has two RFM scores (%d and %d)", at, len(rfm))
	if err := f.RFM(twice); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), want) {
		t.Errorf("RFM with profile 3 twice: %v, want ErrInvalid saying %q", err, want)
	}
	if err := f.BTYD(m, 4, append(slices.Clone(ss), ss[0])); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "profile 3 has two purchase summaries (0 and 3)") {
		t.Errorf("BTYD with profile 3 twice: %v", err)
	}
	if len(f.Names()) != 0 {
		t.Errorf("refused columns were added: %v", f.Names())
	}
	// Profile 1 is not in the matrix: its duplicates are ignored with it.
	one := rfm[slices.IndexFunc(rfm, func(s scoring.RFMScore) bool { return s.Profile == 1 })]
	if err := f.RFM(append(slices.Clone(rfm), one)); err != nil {
		t.Errorf("RFM with a duplicate outside the matrix: %v", err)
	}
	if err := f.BTYD(m, 4, append(slices.Clone(ss), ss[1])); err != nil {
		t.Errorf("BTYD with a duplicate outside the matrix: %v", err)
	}
}
