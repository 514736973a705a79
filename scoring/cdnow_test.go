package scoring

import (
	"encoding/csv"
	"os"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"
)

// cdnowRow is one row of testdata/cdnow/cdnow_customers_summary_with_transactions.csv.
type cdnowRow struct {
	ID int
	Customer
}

// loadCDNOW reads the published weekly CDNOW summary (2,357 customers).
// A nil t panics on error (for loaders called outside a test).
func loadCDNOW(t testing.TB) []cdnowRow {
	fail := func(args ...any) {
		if t == nil {
			panic(args)
		}
		t.Helper()
		t.Fatal(args...)
	}
	f, err := os.Open("testdata/cdnow/cdnow_customers_summary_with_transactions.csv")
	if err != nil {
		fail(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		fail(err)
	}
	var rows []cdnowRow
	for i, rec := range recs[1:] {
		num := func(j int) float64 {
			v, err := strconv.ParseFloat(rec[j], 64)
			if err != nil {
				fail("line", i+2, "column", j+1, err)
			}
			return v
		}
		rows = append(rows, cdnowRow{ID: int(num(0)), Customer: Customer{Frequency: int(num(1)), Recency: num(2), T: num(3), Monetary: num(4)}})
	}
	return rows
}

func cdnowCustomers(t testing.TB) []Customer {
	rows := loadCDNOW(t)
	cs := make([]Customer, len(rows))
	for i, r := range rows {
		cs[i] = r.Customer
	}
	return cs
}

// cdnowModels are the CDNOW fits that several tests read, fitted once per test binary:
// the Pareto/NBD fit costs a second, ten under the race detector.
type cdnowModels struct {
	bg     *BGNBD
	mbg    *MBGNBD
	pareto *ParetoNBD
	gg     *GammaGamma
}

var cdnowFitsOnce = sync.OnceValues(func() (*cdnowModels, error) {
	cs := slices.Clone(cdnowCustomers(nil))
	for i := range cs {
		cs[i].Unit = 7 * 24 * time.Hour // the models record the unit they were fitted in
	}
	var m cdnowModels
	var err error
	if m.bg, err = FitBGNBD(cs, nil); err != nil {
		return nil, err
	}
	if m.mbg, err = FitMBGNBD(cs, nil); err != nil {
		return nil, err
	}
	if m.pareto, err = FitParetoNBD(cs, nil); err != nil {
		return nil, err
	}
	if m.gg, err = FitGammaGamma(cs, nil); err != nil {
		return nil, err
	}
	return &m, nil
})

func cdnowFits(t testing.TB) *cdnowModels {
	t.Helper()
	m, err := cdnowFitsOnce()
	if err != nil {
		t.Fatal(err)
	}
	return m
}
