package scoring

import (
	"bufio"
	"encoding/json"
	"math"
	"os"
	"strconv"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mathext"
)

// Differential tests against SciPy: testdata/scipy/golden.csv (see its README).

type goldenRow struct {
	kind  string
	args  []float64
	value float64
}

func loadGolden(t *testing.T) []goldenRow {
	t.Helper()
	f, err := os.Open("testdata/scipy/golden.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var rows []goldenRow
	sc := bufio.NewScanner(f)
	line := 0
	for sc.Scan() {
		line++
		text := sc.Text()
		if strings.HasPrefix(text, "#") || strings.HasPrefix(text, "kind,") {
			continue
		}
		fields := strings.Split(text, ",")
		if len(fields) != 8 {
			t.Fatalf("golden.csv line %d: %d fields", line, len(fields))
		}
		row := goldenRow{kind: fields[0]}
		for _, s := range fields[1:7] {
			if s == "" {
				continue
			}
			v, err := strconv.ParseFloat(s, 64)
			if err != nil {
				t.Fatalf("golden.csv line %d: %v", line, err)
			}
			row.args = append(row.args, v)
		}
		if row.value, err = strconv.ParseFloat(fields[7], 64); err != nil {
			t.Fatalf("golden.csv line %d: %v", line, err)
		}
		rows = append(rows, row)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return rows
}

func relErr(got, want float64) float64 {
	return math.Abs(got-want) / math.Max(math.Abs(want), 1e-300)
}

var (
	goldenBG     = &BGNBD{R: 0.243, Alpha: 4.414, A: 0.793, B: 2.426}
	goldenPareto = []*ParetoNBD{{R: 0.55, Alpha: 10.58, S: 0.61, Beta: 11.67}, {R: 0.55, Alpha: 15, S: 0.61, Beta: 11.67}}
)

func TestGoldenSciPy(t *testing.T) {
	rows := loadGolden(t)
	counts := map[string]int{}
	var tracking []ForecastPeriod
	for _, row := range rows {
		counts[row.kind]++
		a := row.args
		check := func(what string, got float64, tol float64) {
			t.Helper()
			if e := relErr(got, row.value); !(e <= tol) {
				t.Errorf("%s %v: got %.15g, SciPy %.15g (relative error %.2g)", what, a, got, row.value, e)
			}
		}
		switch row.kind {
		case "hyp2f1":
			check("hyp2f1", mathext.Hypergeo(a[0], a[1], a[2], a[3]), 1e-12)
		case "pnbd_ll":
			m, c := goldenPareto[int(a[0])], Customer{Frequency: int(a[1]), Recency: a[2], T: a[3]}
			ll := paretoLogLik(m.R, m.Alpha, m.S, m.Beta, c.Frequency, c.Recency, c.T,
				paretoTerm(m.R, m.Alpha, m.S, m.Beta, c.Frequency, c.Recency), paretoTerm(m.R, m.Alpha, m.S, m.Beta, c.Frequency, c.T))
			if math.Abs(ll-row.value) > 1e-9*math.Max(1, math.Abs(row.value)) {
				t.Errorf("Pareto/NBD log-likelihood %v: got %.12f, SciPy %.12f", a, ll, row.value)
			}
		case "pnbd_exp":
			check("Pareto/NBD E[X]", goldenPareto[int(a[0])].ExpectedPurchases(a[4], Customer{Frequency: int(a[1]), Recency: a[2], T: a[3]}), 1e-9)
		case "pnbd_alive":
			check("Pareto/NBD P(alive)", goldenPareto[int(a[0])].PAlive(Customer{Frequency: int(a[1]), Recency: a[2], T: a[3]}), 1e-9)
		case "pnbd_pmf":
			check("Pareto/NBD P(X(t)=n)", goldenPareto[int(a[0])].PurchaseProbNew(a[1], int(a[2])), 1e-9)
		case "bgnbd_exp":
			check("BG/NBD E[X]", goldenBG.ExpectedPurchases(a[3], Customer{Frequency: int(a[0]), Recency: a[1], T: a[2]}), 1e-9)
		case "bgnbd_alive":
			check("BG/NBD P(alive)", goldenBG.PAlive(Customer{Frequency: int(a[0]), Recency: a[1], T: a[2]}), 1e-9)
		case "bgnbd_pmf":
			check("BG/NBD P(X(t)=n)", goldenBG.PurchaseProbNew(a[0], int(a[1])), 1e-9)
		case "mle", "se", "loglik":
			var params, se []float64
			var ll float64
			if fits := cdnowFits(t); a[0] == 0 {
				params, se, ll = []float64{fits.bg.R, fits.bg.Alpha, fits.bg.A, fits.bg.B}, fits.bg.Fit.StdErr, fits.bg.LogLik
			} else {
				params, se, ll = []float64{fits.pareto.R, fits.pareto.Alpha, fits.pareto.S, fits.pareto.Beta}, fits.pareto.Fit.StdErr, fits.pareto.LogLik
			}
			switch row.kind {
			case "mle":
				check("maximum-likelihood estimate", params[int(a[1])], 1e-6)
			case "se":
				// Two numerical Hessians with different steps: agreement to 0.1%.
				check("standard error", se[int(a[1])], 1e-3)
			case "loglik":
				check("maximised log-likelihood", ll, 1e-10)
			}
		case "track":
			if tracking == nil {
				var births []float64
				for _, c := range cdnowCustomers(t) {
					births = append(births, 38.86-c.T)
				}
				var err error
				if tracking, err = Tracking(goldenBG, births, 6, 13); err != nil {
					t.Fatal(err)
				}
			}
			p := tracking[int(a[0]/13)-1]
			if p.End != a[0] {
				t.Fatalf("tracking period ends at %v, want %v", p.End, a[0])
			}
			check("expected cumulative repeat purchases", p.Cumulative, 1e-9)
		case "penmle", "penll":
			m := penalisedCDNOW(t, a[1])
			if row.kind == "penll" {
				check("unpenalised log-likelihood at the penalised estimate", m.LogLik, 1e-9)
			} else {
				check("penalised estimate", []float64{m.R, m.Alpha, m.A, m.B}[int(a[2])], 1e-6)
			}
		default:
			t.Fatalf("unknown golden row kind %q", row.kind)
		}
	}
	for _, k := range []string{"hyp2f1", "pnbd_ll", "pnbd_exp", "pnbd_alive", "pnbd_pmf", "bgnbd_exp", "bgnbd_alive", "bgnbd_pmf", "mle", "se", "loglik", "penmle", "penll", "track"} {
		if counts[k] == 0 {
			t.Errorf("no %s rows in golden.csv", k)
		}
	}
	t.Logf("checked %v", counts)
}

// penalisedCDNOW returns BG/NBD fitted to CDNOW with FitOptions.Penalizer c, once per c.
func penalisedCDNOW(t *testing.T, c float64) *BGNBD {
	if m, ok := penalisedFits[c]; ok {
		return m
	}
	m, err := FitBGNBD(cdnowCustomers(t), &FitOptions{Penalizer: c})
	if err != nil {
		t.Fatalf("penalizer %v: %v", c, err)
	}
	if m.Fit.StdErr != nil || m.Fit.Penalizer != c {
		t.Errorf("penalizer %v: diagnostics %+v, want the penalizer and no standard errors", c, m.Fit)
	}
	data, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	var back BGNBD
	if err := json.Unmarshal(data, &back); err != nil || back.Fit.Penalizer != c {
		t.Errorf("penalizer %v: JSON round trip %s: %v, %+v", c, data, err, back.Fit)
	}
	penalisedFits[c] = m
	return m
}

var penalisedFits = map[float64]*BGNBD{}
