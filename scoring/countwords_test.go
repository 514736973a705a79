package scoring_test

import (
	"strings"
	"testing"

	"github.com/clientele-go/clientele/scoring"
)

// TestRowCountsReadAsEnglish holds the fits' messages about mismatched row counts to the
// rule internal/english states: "1 rows" reads as unchecked. A newcomer's first try
// with one weight for twelve customers read "FitOptions.Weights has 1 entries for 12
// rows".
func TestRowCountsReadAsEnglish(t *testing.T) {
	cs := make([]scoring.Customer, 12)
	for i := range cs {
		cs[i] = scoring.Customer{Frequency: i % 3, T: 20}
		if cs[i].Frequency > 0 {
			cs[i].Recency = 10
		}
	}
	one := []scoring.Customer{cs[1]}
	for _, c := range []struct {
		name string
		err  func() error
		want string
	}{
		{"one weight", func() error {
			_, err := scoring.FitBGNBD(cs, &scoring.FitOptions{Weights: []float64{1}})
			return err
		}, "FitOptions.Weights holds 1 weight for 12 rows"},
		{"one row", func() error {
			_, err := scoring.FitParetoNBD(one, &scoring.FitOptions{Weights: []float64{1, 2}})
			return err
		}, "FitOptions.Weights holds 2 weights for 1 row"},
		{"one covariate row", func() error {
			_, err := scoring.FitBGNBDCovariates(cs, [][]float64{{1}}, nil, nil)
			return err
		}, "1 row of purchase covariates for 12 customers"},
	} {
		err := c.err()
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want %q", c.name, err, c.want)
		}
	}
}
