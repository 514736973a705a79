package scoring

import (
	"encoding/csv"
	"os"
	"strconv"
	"testing"
)

// loadDonations reads testdata/donations/donations.csv, the (x, t_x, n = 6) table of
// the 11,104 first-time donors of 1995 in Fader, Hardie & Shang (2010).
func loadDonations(t testing.TB) []Opportunities {
	t.Helper()
	f, err := os.Open("testdata/donations/donations.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var rows []Opportunities
	for i, rec := range recs[1:] {
		var v [4]int
		for j := range v {
			if v[j], err = strconv.Atoi(rec[j]); err != nil {
				t.Fatalf("line %d column %d: %v", i+2, j+1, err)
			}
		}
		rows = append(rows, Opportunities{Frequency: v[0], Recency: v[1], N: v[2], Weight: float64(v[3])})
	}
	return rows
}
