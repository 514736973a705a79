package scoring

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clientele-go/clientele/internal/benchsize"
	"gonum.org/v1/gonum/mathext"
	"pgregory.net/rapid"
)

// Benchmarks of the hot paths, each beside a naive baseline (BENCHMARKS.md records the
// figures). Run with: go test -run '^$' -bench . -benchtime 3x ./scoring/

// naiveBGNBD is the baseline BG/NBD likelihood: eq. 6 of Fader, Hardie & Lee (2005)
// evaluated customer by customer, with its gradient, on one goroutine, no grouping and
// no per-value tables. It doubles as the reference for the grouped evaluation.
func naiveBGNBD(cs []Customer) likelihood {
	eval := func(theta, grad []float64) float64 {
		r, alpha, a, b := theta[0], theta[1], theta[2], theta[3]
		var ll, gr, ga, gA, gB float64
		for _, c := range cs {
			x := float64(c.Frequency)
			l1 := lgamma(r+x) - lgamma(r) + r*math.Log(alpha) + mathext.Lbeta(a, b+x) - mathext.Lbeta(a, b)
			l3 := -(r + x) * math.Log(alpha+c.T)
			l4 := math.Inf(-1)
			if c.Frequency > 0 {
				l4 = math.Log(a) - math.Log(b+x-1) - (r+x)*math.Log(alpha+c.Recency)
			}
			ll += l1 + logAddExp(l3, l4)
			if grad != nil {
				w4 := 0.0
				if c.Frequency > 0 {
					w4 = math.Exp(l4 - logAddExp(l3, l4))
				}
				gr += mathext.Digamma(r+x) - mathext.Digamma(r) + math.Log(alpha) - (1-w4)*math.Log(alpha+c.T) - w4*math.Log(alpha+c.Recency)
				ga += r/alpha - (1-w4)*(r+x)/(alpha+c.T) - w4*(r+x)/(alpha+c.Recency)
				gA += mathext.Digamma(a+b) - mathext.Digamma(a+b+x) + w4/a
				gB += mathext.Digamma(a+b) + mathext.Digamma(b+x) - mathext.Digamma(b) - mathext.Digamma(a+b+x)
				if c.Frequency > 0 {
					gB -= w4 / (b + x - 1)
				}
			}
		}
		if grad != nil {
			grad[0], grad[1], grad[2], grad[3] = r*gr, alpha*ga, a*gA, b*gB
		}
		return ll
	}
	return likelihood{model: "BG/NBD", names: bgnbdNames, n: float64(len(cs)), rows: len(cs), eval: eval, analytic: true}
}

// TestGroupedLikelihoodMatchesNaive holds the grouped, parallel, table-driven
// likelihood and gradient against the naive one.
func TestGroupedLikelihoodMatchesNaive(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		n := rapid.IntRange(1, 300).Draw(t, "n")
		cs := make([]Customer, n)
		for i := range cs {
			T := float64(rapid.IntRange(0, 20).Draw(t, "T"))
			x := rapid.IntRange(0, 6).Draw(t, "x")
			cs[i] = Customer{T: T}
			if x > 0 && T > 0 {
				cs[i].Frequency, cs[i].Recency = x, float64(rapid.IntRange(1, int(T)).Draw(t, "t_x"))
			}
		}
		theta := []float64{rapid.Float64Range(0.05, 5).Draw(t, "r"), rapid.Float64Range(0.1, 50).Draw(t, "alpha"),
			rapid.Float64Range(0.05, 5).Draw(t, "a"), rapid.Float64Range(0.05, 10).Draw(t, "b")}
		g1, g2 := make([]float64, 4), make([]float64, 4)
		want := naiveBGNBD(cs).eval(theta, g1)
		got := newBetaGeoLikelihood(groupCustomers(cs, nil), 0, 2).eval(theta, g2)
		if math.Abs(got-want) > 1e-9*math.Max(1, math.Abs(want)) {
			t.Fatalf("log-likelihood %.12g, naive %.12g", got, want)
		}
		for i := range g1 {
			if math.Abs(g1[i]-g2[i]) > 1e-8*math.Max(1, math.Abs(g1[i])) {
				t.Fatalf("gradient %v, naive %v", g2, g1)
			}
		}
	})
}

// simulatedBase is a BG/NBD base of n customers (r 0.25, alpha 4 weeks, a 0.8, b 2.5)
// with ages spread over a year, recorded to the day in weeks as Summarize would.
func simulatedBase(n int) []Customer {
	rng := rand.New(rand.NewPCG(1, 2))
	cs := make([]Customer, n)
	for i := range cs {
		T := float64(rng.IntN(365)) / 7
		c := simBetaGeo(rng, 0.25, 4, 0.8, 2.5, false, T, 0).Customer
		c.Recency = math.Floor(c.Recency*7) / 7
		if c.Frequency > 0 && c.Recency == 0 {
			c.Recency = 1.0 / 7
		}
		cs[i] = c
	}
	return cs
}

// million is the benchmarks' base: a million customers, 20,000 under -short (CI's
// benchmark smoke).
var million = sync.OnceValue(func() []Customer { return simulatedBase(benchsize.Of(1_000_000, 20_000)) })

// hundredK is the first 100,000 customers of million, 2,000 under -short.
func hundredK() []Customer { return million()[:benchsize.Of(100_000, 2_000)] }

func benchFit(b *testing.B, cs []Customer) {
	benchFitOf(b, cs, FitBGNBD, func(m *BGNBD) Diagnostics { return m.Fit })
}

// benchFitOf times fit on cs, reporting CPU time, allocations and the fit's iterations
// and pilot rows.
func benchFitOf[M any](b *testing.B, cs []Customer, fit func([]Customer, *FitOptions) (M, error), diag func(M) Diagnostics) {
	b.ReportAllocs()
	defer reportCPU(b)()
	var m M
	for b.Loop() {
		var err error
		if m, err = fit(cs, nil); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(diag(m).Iterations), "iterations")
	b.ReportMetric(float64(diag(m).PilotRows), "pilot-rows")
}

// reportCPU starts counting the process's CPU time; the function it returns reports
// it per iteration as cpu-ms/op (on both cores together).
func reportCPU(b *testing.B) func() {
	start := cpuTime()
	return func() {
		b.ReportMetric(float64(cpuTime()-start)/float64(b.N)/1e6, "cpu-ms/op")
	}
}

func benchNaiveFit(b *testing.B, cs []Customer) {
	b.ReportAllocs()
	o := (*FitOptions)(nil).withDefaults()
	for b.Loop() {
		if err := validateAll(cs); err != nil {
			b.Fatal(err)
		}
		if _, _, _, err := maximise(naiveBGNBD(cs), betaGeoStarts(groupCustomers(cs[:min(len(cs), 1000)], nil)), o); err != nil {
			b.Fatal(err)
		}
	}
}

// benchFDHessianFit is the fit as it was before the analytic Hessian: the grouped
// analytic gradient, the Hessian by forward differences of it while iterating and
// central differences at the maximum, from the same start.
func benchFDHessianFit(b *testing.B, cs []Customer) {
	b.ReportAllocs()
	defer reportCPU(b)()
	o := (*FitOptions)(nil).withDefaults()
	for b.Loop() {
		g, err := groupForFit("BG/NBD", cs, nil)
		if err != nil {
			b.Fatal(err)
		}
		lk, starts := betaGeoGrouped("BG/NBD", g, 0, o.Workers)
		lk.hess = nil
		if _, _, _, err := maximise(lk, starts, o); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkFitBGNBDCDNOWFDHessian(b *testing.B) { benchFDHessianFit(b, cdnowCustomers(b)) }
func BenchmarkFitBGNBD1MFDHessian(b *testing.B)    { benchFDHessianFit(b, million()) }

// Grouped rows handed over directly, with FitOptions.Weights: the fit without the
// grouping of a million customers (what issue #17's worker gets from its combiner).
func BenchmarkFitBGNBDWeights1M(b *testing.B) {
	g := groupCustomers(million(), nil)
	rows := make([]Customer, g.rows())
	for j := range rows {
		x := g.xs[g.xi[j]]
		rows[j] = Customer{Frequency: x, Recency: g.txs[g.txi[j]], T: g.ts[g.ti[j]]}
	}
	o := &FitOptions{Weights: g.w}
	b.ReportAllocs()
	defer reportCPU(b)()
	for b.Loop() {
		if _, err := FitBGNBD(rows, o); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(rows)), "rows")
}

func BenchmarkFitBGNBDCDNOW(b *testing.B)      { benchFit(b, cdnowCustomers(b)) }
func BenchmarkFitBGNBDCDNOWNaive(b *testing.B) { benchNaiveFit(b, cdnowCustomers(b)) }
func BenchmarkFitBGNBD1M(b *testing.B)         { benchFit(b, million()) }
func BenchmarkFitBGNBD100k(b *testing.B)       { benchFit(b, hundredK()) }
func BenchmarkFitBGNBD1MNaive(b *testing.B)    { benchNaiveFit(b, million()) }

// One evaluation of the likelihood and its gradient on a million customers.
func BenchmarkBGNBDLikelihood1M(b *testing.B) {
	l := newBetaGeoLikelihood(groupCustomers(million(), nil), 0, 0)
	l.workers = (*FitOptions)(nil).withDefaults().Workers
	theta, g := []float64{0.25, 4, 0.8, 2.5}, make([]float64, 4)
	for b.Loop() {
		l.eval(theta, g)
	}
	b.ReportMetric(float64(l.g.rows()), "groups")
}

func BenchmarkBGNBDLikelihood1MNaive(b *testing.B) {
	lk := naiveBGNBD(million())
	theta, g := []float64{0.25, 4, 0.8, 2.5}, make([]float64, 4)
	for b.Loop() {
		lk.eval(theta, g)
	}
}

// Grouping itself, the price of the grouped likelihood.
func BenchmarkGroupCustomers1M(b *testing.B) {
	cs := million()
	for b.Loop() {
		groupCustomers(cs, nil)
	}
}

// Pareto/NBD: one likelihood evaluation on CDNOW, 2F1 terms once per distinct
// (x, t_x) and (x, T), against one 2F1 pair per customer.
func BenchmarkParetoLikelihoodCDNOW(b *testing.B) {
	l := newParetoLikelihood(groupCustomers(cdnowCustomers(b), nil), 2)
	theta := []float64{0.55, 10.58, 0.61, 11.67}
	for b.Loop() {
		l.eval(theta, nil)
	}
}

// The whole Pareto/NBD fit (quadrature likelihood with its analytic gradient and
// Hessian) on CDNOW and on 100,000 simulated customers.
func BenchmarkFitParetoNBDCDNOW(b *testing.B) {
	cs := cdnowCustomers(b)
	benchFitOf(b, cs, FitParetoNBD, func(m *ParetoNBD) Diagnostics { return m.Fit })
}

func BenchmarkFitParetoNBD100k(b *testing.B) {
	cs := hundredK()
	benchFitOf(b, cs, FitParetoNBD, func(m *ParetoNBD) Diagnostics { return m.Fit })
}

// The Pareto/NBD fit as it was: the 2F1 form of the note (paretoLikelihood), its
// gradient by central differences and its Hessian by finite differences of the
// likelihood.
func benchParetoNaiveFit(b *testing.B, cs []Customer) {
	defer reportCPU(b)()
	o := (*FitOptions)(nil).withDefaults()
	for b.Loop() {
		g, err := groupForFit("Pareto/NBD", cs, nil)
		if err != nil {
			b.Fatal(err)
		}
		lk, starts := paretoGrouped(g, o.Workers)
		lk.eval, lk.analytic, lk.hess = newParetoLikelihood(g, o.Workers).eval, false, nil
		if _, _, _, err := maximise(lk, starts, o); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkFitParetoNBDCDNOWNaive(b *testing.B) { benchParetoNaiveFit(b, cdnowCustomers(b)) }
func BenchmarkFitParetoNBD100kNaive(b *testing.B)  { benchParetoNaiveFit(b, hundredK()) }

// One evaluation of the quadrature likelihood with its gradient and Hessian on CDNOW,
// beside the 2F1 form's value alone (ParetoLikelihoodCDNOW).
func BenchmarkParetoQuadLikelihoodCDNOW(b *testing.B) {
	l := newParetoQuadLikelihood(groupCustomers(cdnowCustomers(b), nil), 2)
	theta, g, h := []float64{0.55, 10.58, 0.61, 11.67}, make([]float64, 4), make([]float64, 16)
	for b.Loop() {
		l.evalHess(theta, g, h)
	}
}

func BenchmarkParetoLikelihoodCDNOWNaive(b *testing.B) {
	cs := cdnowCustomers(b)
	r, alpha, s, beta := 0.55, 10.58, 0.61, 11.67
	for b.Loop() {
		var ll float64
		for _, c := range cs {
			ll += paretoLogLik(r, alpha, s, beta, c.Frequency, c.Recency, c.T,
				paretoTerm(r, alpha, s, beta, c.Frequency, c.Recency), paretoTerm(r, alpha, s, beta, c.Frequency, c.T))
		}
		_ = ll
	}
}

// Scoring a base: Predict splits the customers across goroutines; the baseline calls
// the model per customer on one.
func BenchmarkPredict100k(b *testing.B) {
	cs := hundredK()
	m := &BGNBD{R: 0.25, Alpha: 4, A: 0.8, B: 2.5}
	for b.Loop() {
		if _, err := Predict(m, cs, 13); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkPredict100kNaive(b *testing.B) {
	cs := hundredK()
	m := &BGNBD{R: 0.25, Alpha: 4, A: 0.8, B: 2.5}
	out := make([]Prediction, len(cs))
	for b.Loop() {
		for i, c := range cs {
			out[i] = Prediction{PAlive: m.PAlive(c), ExpectedPurchases: m.ExpectedPurchases(13, c)}
		}
	}
}

// BenchmarkTracking1M: the tracking plot of a million customers acquired over a year
// (births recorded to the day), 104 weekly periods.
func BenchmarkTracking1M(b *testing.B) {
	births := trackingBirths()
	m := &BGNBD{R: 0.25, Alpha: 4, A: 0.8, B: 2.5}
	for b.Loop() {
		if _, err := Tracking(m, births, 104, 1); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkTracking1MNaive evaluates E[X(t - birth)] for every customer and period.
func BenchmarkTracking1MNaive(b *testing.B) {
	births := trackingBirths()
	m := &BGNBD{R: 0.25, Alpha: 4, A: 0.8, B: 2.5}
	out := make([]float64, 104)
	for b.Loop() {
		for k := range out {
			end := float64(k + 1)
			out[k] = 0
			for _, bt := range births {
				if bt < end {
					out[k] += m.ExpectedPurchasesNew(end - bt)
				}
			}
		}
	}
}

func trackingBirths() []float64 {
	// The naive baseline costs 104 model evaluations a customer (minutes at full size):
	// under -short, 2,000 customers.
	cs := million()[:benchsize.Of(1_000_000, 2_000)]
	births := make([]float64, 0, len(cs))
	for _, c := range cs {
		births = append(births, 52-c.T)
	}
	return births
}

// Logistic regression on 200,000 rows of 8 features: parallel Newton steps against one
// worker.
func logisticData() ([][]float64, []bool) { return logisticRows(benchsize.Of(200_000, 4_000)) }

// logisticRows is n rows of logisticData's model.
func logisticRows(n int) ([][]float64, []bool) {
	rng := rand.New(rand.NewPCG(9, 9))
	x := make([][]float64, n)
	y := make([]bool, len(x))
	for i := range x {
		x[i] = make([]float64, 8)
		eta := -1.0
		for j := range x[i] {
			x[i][j] = rng.NormFloat64()
			eta += 0.3 * float64(j%3-1) * x[i][j]
		}
		y[i] = rng.Float64() < 1/(1+math.Exp(-eta))
	}
	return x, y
}

func BenchmarkFitLogistic200k(b *testing.B) {
	x, y := logisticData()
	for b.Loop() {
		if _, err := FitLogistic(x, y, nil); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkFitLogistic200kOneWorker(b *testing.B) {
	x, y := logisticData()
	for b.Loop() {
		if _, err := FitLogistic(x, y, &LogisticOptions{Workers: 1}); err != nil {
			b.Fatal(err)
		}
	}
}

// RFM by sorting against the pairwise definition, on 2,000 summaries.
func rfmBenchData() []Summary {
	rng := rand.New(rand.NewPCG(4, 4))
	ss := make([]Summary, 2000)
	for i := range ss {
		T := float64(rng.IntN(52))
		ss[i] = Summary{Profile: uint32(i + 1), Customer: Customer{T: T}, Spend: float64(rng.IntN(500))}
		if x := rng.IntN(5); x > 0 && T > 0 {
			ss[i].Frequency, ss[i].Recency = x, T*rng.Float64()
		}
	}
	return ss
}

func BenchmarkRFM2k(b *testing.B) {
	ss := rfmBenchData()
	for b.Loop() {
		if _, err := RFM(ss, nil); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRFM2kNaive(b *testing.B) {
	ss := rfmBenchData()
	for b.Loop() {
		rfmReference(ss, 5)
	}
}

// Summarising CDNOW's 6,919 transactions.
func BenchmarkSummarizeCDNOW(b *testing.B) {
	txs := cdnowTransactions(b)
	for b.Loop() {
		if _, err := Summarize(slices.Values(txs), &SummaryOptions{End: cdnowCalibrationEnd}); err != nil {
			b.Fatal(err)
		}
	}
}

// Reading CDNOW's 6,919 transactions (runs of spaces), and an export of 50,000 rows
// with string customer ids and a quoted field (encoding/csv, Keys): the reader's cost
// per row, to hold a change of it to its time and its allocations per row. Each is
// beside its naive baseline, naiveRead on the same bytes.
func BenchmarkReadTransactionsCDNOW(b *testing.B) {
	data := cdnowBytes(b)
	benchRead(b, data, func() ReadOptions { return cdnowReadOptions })
}

func BenchmarkReadTransactionsCDNOWNaive(b *testing.B) {
	data := cdnowBytes(b)
	benchNaiveRead(b, data, cdnowReadOptions)
}

func BenchmarkReadTransactionsCSV50k(b *testing.B) {
	benchRead(b, csv50k(), func() ReadOptions { return ReadOptions{Header: true, Keys: &Keys{}} })
}

func BenchmarkReadTransactionsCSV50kNaive(b *testing.B) {
	benchNaiveRead(b, csv50k(), ReadOptions{Header: true, Keys: &Keys{}})
}

func cdnowBytes(t testing.TB) []byte {
	t.Helper()
	data, err := os.ReadFile("testdata/cdnow/CDNOW_sample.txt")
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// csv50k is BenchmarkReadTransactionsCSV50k's input: an export of 50,000 rows of 3,000
// customers with email ids and a quoted note holding the separator.
func csv50k() []byte {
	var buf bytes.Buffer
	buf.WriteString("customer,date,amount,note\n")
	for i := range 50_000 {
		fmt.Fprintf(&buf, "c%d@example.com,2025-%02d-%02d,%d.%02d,\"note, %d\"\n", i%3000, 1+i%12, 1+i%28, i%500, i%100, i)
	}
	return buf.Bytes()
}

// readCPU reports the process's CPU time per row read as cpu-ns/row, once the loop
// of the benchmark that called it is done: on this shared machine the wall time
// (ns/row) counts the waits for a core, the CPU time far less so.
func readCPU(b *testing.B, rows *int) func() {
	start := cpuTime()
	return func() {
		b.ReportMetric(float64(cpuTime()-start)/float64(b.N**rows), "cpu-ns/row")
	}
}

func benchRead(b *testing.B, data []byte, opts func() ReadOptions) {
	rows := 0
	defer readCPU(b, &rows)()
	for b.Loop() {
		opt := opts()
		rows = 0
		for _, err := range ReadTransactions(bytes.NewReader(data), &opt) {
			if err != nil {
				b.Fatal(err)
			}
			rows++
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*rows), "ns/row")
	b.SetBytes(int64(len(data)))
}

func benchNaiveRead(b *testing.B, data []byte, opt ReadOptions) {
	rows := 0
	defer readCPU(b, &rows)()
	for b.Loop() {
		rows = 0
		if err := naiveRead(data, opt, func(Transaction) { rows++ }); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*rows), "ns/row")
	b.SetBytes(int64(len(data)))
}

// naiveRead is the reader's baseline: what a caller would write in its place with the
// standard library. Rows are split by encoding/csv's Reader, or by strings.Fields on
// each line for a space separator (the CDNOW sample's runs of spaces, which
// encoding/csv reads as empty fields); the date is read by time.ParseInLocation, the
// amount by strconv.ParseFloat, and a customer id is a decimal key by strconv.ParseUint
// or, with opt.Keys set, the next key of a plain map in order of first appearance. It
// reads only opt's separator, header, columns, layout and location, and has none of
// the reader's checks (line numbers, amounts' forms and bounds, split rows, Lenient,
// a byte order mark): it fails at the first error and is meant for well-formed files.
func naiveRead(data []byte, opt ReadOptions, yield func(Transaction)) error {
	comma, layout, loc := opt.Comma, opt.TimeLayout, opt.Location
	if comma == 0 {
		comma = ','
	}
	if layout == "" {
		layout = time.DateOnly
	}
	if loc == nil {
		loc = time.UTC
	}
	pc, tc, ac := opt.ProfileColumn, opt.TimeColumn, opt.AmountColumn
	if pc == 0 && tc == 0 && ac == 0 {
		pc, tc, ac = 0, 1, 2
	}
	keys := map[string]uint32{}
	row := func(fields []string) error {
		t, err := time.ParseInLocation(layout, strings.TrimSpace(fields[tc]), loc)
		if err != nil {
			return err
		}
		a, err := strconv.ParseFloat(strings.TrimSpace(fields[ac]), 64)
		if err != nil {
			return err
		}
		id := strings.TrimSpace(fields[pc])
		var p uint32
		if opt.Keys != nil {
			var ok bool
			if p, ok = keys[id]; !ok {
				p = uint32(len(keys) + 1)
				keys[id] = p
			}
		} else {
			k, err := strconv.ParseUint(id, 10, 32)
			if err != nil {
				return err
			}
			p = uint32(k)
		}
		yield(Transaction{Profile: p, Time: t, Amount: a})
		return nil
	}
	header := opt.Header
	if comma == ' ' {
		sc := bufio.NewScanner(bytes.NewReader(data))
		for sc.Scan() {
			fields := strings.Fields(sc.Text())
			if len(fields) == 0 {
				continue
			}
			if header {
				header = false
				continue
			}
			if err := row(fields); err != nil {
				return err
			}
		}
		return sc.Err()
	}
	cr := csv.NewReader(bytes.NewReader(data))
	cr.Comma = comma
	for {
		fields, err := cr.Read()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if header {
			header = false
			continue
		}
		if err := row(fields); err != nil {
			return err
		}
	}
}

// TestNaiveReadAgrees holds the reader's baseline to the reader on the benchmarks'
// inputs: the same transactions (profile keys, instants and amounts to the bit) in the
// same order, so that the two benchmarks time the same work and a change to either
// input or to the reader cannot leave the baseline reading something else.
func TestNaiveReadAgrees(t *testing.T) {
	for _, c := range []struct {
		name string
		data []byte
		opt  func() ReadOptions
		rows int
	}{
		{"CDNOW", cdnowBytes(t), func() ReadOptions { return cdnowReadOptions }, 6919},
		{"CSV50k", csv50k(), func() ReadOptions { return ReadOptions{Header: true, Keys: &Keys{}} }, 50_000},
	} {
		opt := c.opt()
		var want []Transaction
		for tx, err := range ReadTransactions(bytes.NewReader(c.data), &opt) {
			if err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
			want = append(want, tx)
		}
		var got []Transaction
		if err := naiveRead(c.data, c.opt(), func(tx Transaction) { got = append(got, tx) }); err != nil {
			t.Fatalf("%s: naive: %v", c.name, err)
		}
		if len(want) != c.rows || len(got) != len(want) {
			t.Fatalf("%s: %d transactions read, %d by the baseline; want %d", c.name, len(want), len(got), c.rows)
		}
		for i := range want {
			w, g := want[i], got[i]
			if g.Profile != w.Profile || !g.Time.Equal(w.Time) || math.Float64bits(g.Amount) != math.Float64bits(w.Amount) {
				t.Fatalf("%s: transaction %d: baseline %+v, reader %+v", c.name, i, g, w)
			}
		}
	}
}
