package scoring

import (
	"errors"
	"math"
	"strings"
	"testing"
)

// BaseCLV sums the value once per distinct history, with the group's mean spend:
// the same, to rounding, as the sum of every customer's CLV.
func TestBaseCLVGroupedEqualsSum(t *testing.T) {
	cs := cdnowCustomers(t)
	m, err := FitBGNBD(cs, nil)
	if err != nil {
		t.Fatal(err)
	}
	g, err := FitGammaGamma(cs, nil)
	if err != nil {
		t.Fatal(err)
	}
	iv, err := NewIntervals(m, g, cs, nil)
	if err != nil {
		t.Fatal(err)
	}
	opt := &CLVOptions{Horizon: 52, Period: 4, DiscountRate: 0.01}
	got, err := iv.BaseCLV(cs, opt)
	if err != nil {
		t.Fatal(err)
	}
	each, err := CLV(m, g, cs, opt)
	if err != nil {
		t.Fatal(err)
	}
	var want float64
	for _, v := range each {
		want += v
	}
	if math.Abs(got.Estimate-want) > 1e-9*want {
		t.Fatalf("BaseCLV %v, sum of CLV %v", got.Estimate, want)
	}
}

// An empty customer id is a syntax error naming the line, with the package prefix
// once.
func TestReadEmptyIDPrefixOnce(t *testing.T) {
	var keys Keys
	var err error
	for _, e := range ReadTransactions(strings.NewReader(" ,2024-01-02,3\n"), &ReadOptions{Keys: &keys}) {
		if e != nil {
			err = e
		}
	}
	if !errors.Is(err, ErrSyntax) || strings.Count(err.Error(), "scoring:") != 1 || !strings.Contains(err.Error(), "empty customer id") {
		t.Fatalf("got %v", err)
	}
}

// An empty time or amount (an export's unpaid order has no payment date) is said to be
// empty, not to miss the layout or to be no number.
func TestReadEmptyTimeAndAmount(t *testing.T) {
	for in, want := range map[string]string{
		"c1,,3\n":            "line 1, column 4: empty time",
		"c1, ,3\n":           "line 1, column 4: empty time",
		"c1,2024-01-02,\n":   "line 1, column 15: empty amount",
		"c1,2024-01-02,  \n": "line 1, column 15: empty amount",
	} {
		var keys Keys
		var err error
		for _, e := range ReadTransactions(strings.NewReader(in), &ReadOptions{Keys: &keys}) {
			if e != nil {
				err = e
			}
		}
		if !errors.Is(err, ErrSyntax) || !strings.HasSuffix(err.Error(), want) {
			t.Errorf("%q: got %v, want …%s", in, err, want)
		}
	}
}
