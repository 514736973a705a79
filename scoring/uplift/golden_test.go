package uplift

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/clientele-go/clientele/internal/synth"
)

var update = flag.Bool("update", false, "rewrite testdata/*.csv (then run testdata/golden.py)")

// goldenSets are the campaigns of the golden test, written to testdata by -update:
// model scores on simulator data rounded to two decimals (many ties), unrounded
// (no ties, unequal arms), and a small campaign of integer scores where most rows buy
// (the other branch of sklift's perfect uplift curve).
func goldenSets(t *testing.T) map[string]func() ([]float64, []bool, []bool) {
	return map[string]func() ([]float64, []bool, []bool){
		"ties": func() ([]float64, []bool, []bool) {
			s, tr, y := modelScores(t, 2000, 0.5)
			for i := range s {
				s[i] = math.Round(s[i]*100) / 100
			}
			return s, tr, y
		},
		"distinct": func() ([]float64, []bool, []bool) { return modelScores(t, 600, 0.7) },
		"small": func() ([]float64, []bool, []bool) {
			rng := rand.New(rand.NewPCG(5, 6))
			n := 41
			s, tr, y := make([]float64, n), make([]bool, n), make([]bool, n)
			for i := range s {
				s[i] = float64(rng.IntN(5) - 1)
				tr[i] = rng.Float64() < 0.35
				y[i] = rng.Float64() < 0.55+0.1*s[i]
			}
			return s, tr, y
		},
	}
}

// modelScores fits a two-model learner on one simulated campaign and scores another.
func modelScores(t *testing.T, n int, share float64) ([]float64, []bool, []bool) {
	train := synth.SimulateCampaign(synth.CampaignParams{People: 20_000, Seed: 11})
	m, err := Fit(train.X, train.Treated, train.Converted, nil)
	if err != nil {
		t.Fatal(err)
	}
	test := synth.SimulateCampaign(synth.CampaignParams{People: n, Seed: 12, Treated: share})
	s, err := m.Uplift(test.X)
	if err != nil {
		t.Fatal(err)
	}
	return s, test.Treated, test.Converted
}

// goldenBin and goldenSet hold golden.json; a null (NumPy's NaN: an arm missing) is a
// nil pointer.
type goldenBin struct {
	Rows, Treated, Control      int
	Predicted, Observed, StdErr *float64
}

type goldenSet struct {
	UpliftX, UpliftY, QiniX, QiniY []float64
	QiniAUC, UpliftAUC             float64
	UpliftAtK                      map[string]*float64
	Bins                           []goldenBin
}

// TestGolden compares the curves and figures with testdata/golden.json, computed by
// testdata/golden.py from sklift's definitions in NumPy on the same campaigns.
func TestGolden(t *testing.T) {
	if *update {
		for name, gen := range goldenSets(t) {
			writeCampaign(t, filepath.Join("testdata", name+".csv"), gen)
		}
		t.Skip("wrote the campaigns; now run testdata/golden.py")
	}
	var all map[string]goldenSet
	data, err := os.ReadFile(filepath.Join("testdata", "golden.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &all); err != nil {
		t.Fatal(err)
	}
	for name := range goldenSets(t) {
		s, tr, y := readCampaign(t, filepath.Join("testdata", name+".csv"))
		want, ok := all[name]
		if !ok {
			t.Fatalf("golden.json has no set %q; run testdata/golden.py", name)
		}
		up, err := UpliftCurve(s, tr, y)
		if err != nil {
			t.Fatal(err)
		}
		qini, err := QiniCurve(s, tr, y)
		if err != nil {
			t.Fatal(err)
		}
		closeAll(t, name+" uplift curve x", up.X, want.UpliftX)
		closeAll(t, name+" uplift curve y", up.Y, want.UpliftY)
		closeAll(t, name+" qini curve x", qini.X, want.QiniX)
		closeAll(t, name+" qini curve y", qini.Y, want.QiniY)
		for ks, wantK := range want.UpliftAtK {
			k, _ := strconv.ParseFloat(ks, 64)
			ev, err := Evaluate(context.Background(), s, tr, y, &EvalOptions{K: k, Replicates: 2})
			if err != nil {
				t.Fatal(err)
			}
			closeAll(t, name+" qini coefficient", []float64{ev.QiniCoefficient.Estimate}, []float64{want.QiniAUC})
			closeAll(t, name+" auuc", []float64{ev.AUUC.Estimate}, []float64{want.UpliftAUC})
			closeAll(t, name+" uplift@"+ks, []float64{ev.UpliftAtK.Estimate}, []float64{nan(wantK)})
			if len(ev.Deciles) != len(want.Bins) {
				t.Fatalf("%s: %d bins, want %d", name, len(ev.Deciles), len(want.Bins))
			}
			for b, w := range want.Bins {
				g := ev.Deciles[b]
				if g.Rows != w.Rows || g.Treated != w.Treated || g.Control != w.Control {
					t.Errorf("%s bin %d: %+v, want %+v", name, b, g, w)
				}
				closeAll(t, fmt.Sprintf("%s bin %d", name, b), []float64{g.Predicted, g.Observed, g.StdErr}, []float64{nan(w.Predicted), nan(w.Observed), nan(w.StdErr)})
			}
		}
	}
}

func nan(v *float64) float64 {
	if v == nil {
		return math.NaN()
	}
	return *v
}

// closeAll compares to 1e-9 relative (absolute below 1), NaN equal to NaN.
func closeAll(t *testing.T, what string, got, want []float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: %d values, want %d", what, len(got), len(want))
		return
	}
	for i := range got {
		if math.IsNaN(want[i]) || math.IsNaN(got[i]) {
			if math.IsNaN(want[i]) != math.IsNaN(got[i]) {
				t.Errorf("%s[%d] = %v, want %v", what, i, got[i], want[i])
			}
			continue
		}
		if !(math.Abs(got[i]-want[i]) <= 1e-9*math.Max(1, math.Abs(want[i]))) {
			t.Errorf("%s[%d] = %.17g, want %.17g", what, i, got[i], want[i])
			return
		}
	}
}

func writeCampaign(t *testing.T, path string, gen func() ([]float64, []bool, []bool)) {
	s, tr, y := gen()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := csv.NewWriter(f)
	w.Write([]string{"score", "treated", "converted"})
	b := map[bool]string{false: "0", true: "1"}
	for i := range s {
		w.Write([]string{strconv.FormatFloat(s[i], 'g', -1, 64), b[tr[i]], b[y[i]]})
	}
	w.Flush()
	if err := w.Error(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

func readCampaign(t *testing.T, path string) ([]float64, []bool, []bool) {
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var s []float64
	var tr, y []bool
	for _, r := range recs[1:] {
		v, err := strconv.ParseFloat(r[0], 64)
		if err != nil {
			t.Fatal(err)
		}
		s, tr, y = append(s, v), append(tr, r[1] == "1"), append(y, r[2] == "1")
	}
	return s, tr, y
}
