package scoring

import (
	"encoding/csv"
	"os"
	"strconv"
	"testing"
)

// cdnowRow is one row of testdata/cdnow/cdnow_customers_summary_with_transactions.csv.
type cdnowRow struct {
	ID int
	Customer
}

// loadCDNOW reads the published weekly CDNOW summary (2,357 customers).
func loadCDNOW(t testing.TB) []cdnowRow {
	t.Helper()
	f, err := os.Open("testdata/cdnow/cdnow_customers_summary_with_transactions.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var rows []cdnowRow
	for i, rec := range recs[1:] {
		num := func(j int) float64 {
			v, err := strconv.ParseFloat(rec[j], 64)
			if err != nil {
				t.Fatalf("line %d column %d: %v", i+2, j+1, err)
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
