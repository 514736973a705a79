package scoring_test

import (
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/clientele-go/clientele/scoring"
)

// cdnow reads the published weekly CDNOW summary: 2,357 customers.
func cdnow() []scoring.Customer {
	f, err := os.Open("testdata/cdnow/cdnow_customers_summary_with_transactions.csv")
	if err != nil {
		panic(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		panic(err)
	}
	var cs []scoring.Customer
	for _, r := range recs[1:] {
		x, _ := strconv.Atoi(r[1])
		tx, _ := strconv.ParseFloat(r[2], 64)
		T, _ := strconv.ParseFloat(r[3], 64)
		m, _ := strconv.ParseFloat(r[4], 64)
		cs = append(cs, scoring.Customer{Frequency: x, Recency: tx, T: T, Monetary: m})
	}
	return cs
}

// cdnowTransactions reads the raw CDNOW transactions (customer, date, dollars).
func cdnowTransactions() []scoring.Transaction {
	f, err := os.Open("testdata/cdnow/CDNOW_sample.txt")
	if err != nil {
		panic(err)
	}
	defer f.Close()
	var txs []scoring.Transaction
	opt := scoring.ReadOptions{Comma: ' ', ProfileColumn: 1, TimeColumn: 2, AmountColumn: 4, TimeLayout: "20060102"}
	for tx, err := range scoring.ReadTransactions(f, &opt) {
		if err != nil {
			panic(err)
		}
		txs = append(txs, tx)
	}
	return txs
}

// The shortest useful program: transactions in, a fitted model, and who will buy.
func Example() {
	txs := cdnowTransactions()
	summaries, err := scoring.Summarize(slices.Values(txs), &scoring.SummaryOptions{
		End:  time.Date(1997, 9, 30, 0, 0, 0, 0, time.UTC),
		Unit: 7 * 24 * time.Hour, // Recency and T in weeks
	})
	if err != nil {
		panic(err)
	}
	cs := make([]scoring.Customer, len(summaries))
	for i, s := range summaries {
		cs[i] = s.Customer
	}
	m, err := scoring.FitBGNBD(cs, nil) // the model records the customers' unit, weeks
	if err != nil {
		panic(err)
	}
	c := summaries[0] // profile 1: 2 repeat purchases, the last in week 30 of 39
	fmt.Printf("profile %d: P(alive) %.3f, expected purchases in the next 39 weeks %.3f\n",
		c.Profile, m.PAlive(c.Customer), m.ExpectedPurchases(39, c.Customer))
	// Output:
	// profile 1: P(alive) 0.727, expected purchases in the next 39 weeks 1.226
}

func ExampleFitBGNBD() {
	m, err := scoring.FitBGNBD(cdnow(), nil)
	if err != nil {
		panic(err)
	}
	fmt.Printf("r %.3f alpha %.3f a %.3f b %.3f, log-likelihood %.1f\n", m.R, m.Alpha, m.A, m.B, m.LogLik)
	fmt.Printf("standard errors %.3f\n", m.Fit.StdErr)
	// Output:
	// r 0.243 alpha 4.414 a 0.793 b 2.426, log-likelihood -9582.4
	// standard errors [0.013 0.378 0.186 0.705]
}

// ExampleFitOptions_progress shows a long fit advancing: Progress is called after every
// iteration with the log-likelihood reached.
func ExampleFitOptions_progress() {
	var last float64
	iterations := 0
	opt := &scoring.FitOptions{Progress: func(model string, iteration int, logLik float64) {
		iterations++
		last = logLik
	}}
	m, err := scoring.FitBGNBD(cdnow(), opt)
	if err != nil {
		panic(err)
	}
	fmt.Printf("%v iterations reported; last log-likelihood %.1f, the fit's %.1f\n", iterations > 0, last, m.LogLik)
	// Output:
	// true iterations reported; last log-likelihood -9582.4, the fit's -9582.4
}

func ExampleBGNBD_ExpectedPurchases() {
	m := &scoring.BGNBD{R: 0.243, Alpha: 4.414, A: 0.793, B: 2.426}
	for _, c := range []scoring.Customer{
		{Frequency: 2, Recency: 30.43, T: 38.86}, // bought twice, recently
		{Frequency: 2, Recency: 5, T: 38.86},     // bought twice, long ago
		{T: 38.86},                               // never bought again
	} {
		fmt.Printf("x=%d t_x=%5.2f: %.3f\n", c.Frequency, c.Recency, m.ExpectedPurchases(39, c))
	}
	// Output:
	// x=2 t_x=30.43: 1.226
	// x=2 t_x= 5.00: 0.209
	// x=0 t_x= 0.00: 0.195
}

func ExampleBGNBD_PAlive() {
	m := &scoring.BGNBD{R: 0.243, Alpha: 4.414, A: 0.793, B: 2.426}
	fmt.Printf("%.4f\n", m.PAlive(scoring.Customer{Frequency: 2, Recency: 30.43, T: 38.86}))
	// Output:
	// 0.7266
}

func ExampleBGNBD_PurchaseProb() {
	m := &scoring.BGNBD{R: 0.243, Alpha: 4.414, A: 0.793, B: 2.426}
	c := scoring.Customer{Frequency: 2, Recency: 30.43, T: 38.86}
	// X is c's purchases.
	for n := range 4 {
		fmt.Printf("P(X = %d in the next 39 weeks) = %.3f\n", n, m.PurchaseProb(39, n, c))
	}
	// Output:
	// P(X = 0 in the next 39 weeks) = 0.445
	// P(X = 1 in the next 39 weeks) = 0.239
	// P(X = 2 in the next 39 weeks) = 0.144
	// P(X = 3 in the next 39 weeks) = 0.081
}

func ExampleBGNBD_PurchaseProbNew() {
	m := &scoring.BGNBD{R: 0.243, Alpha: 4.414, A: 0.793, B: 2.426}
	fmt.Printf("P(X(39) = 0) = %.3f, E[X(39)] = %.3f\n", m.PurchaseProbNew(39, 0), m.ExpectedPurchasesNew(39))
	// Output:
	// P(X(39) = 0) = 0.574, E[X(39)] = 1.197
}

func ExampleBGNBD_MarshalJSON() {
	m := &scoring.BGNBD{R: 0.243, Alpha: 4.414, A: 0.793, B: 2.426, LogLik: -9582.4, Unit: 7 * 24 * time.Hour}
	data, _ := json.Marshal(m)
	fmt.Println(string(data))
	var back scoring.BGNBD
	if err := json.Unmarshal(data, &back); err != nil {
		panic(err)
	}
	fmt.Println(back.Unit, back.R)
	// Output:
	// {"model":"BG/NBD","version":1,"unit":"168h0m0s","params":{"a":0.793,"alpha":4.414,"b":2.426,"r":0.243},"log_lik":-9582.4}
	// 168h0m0s 0.243
}

func ExampleFitParetoNBD() {
	m, err := scoring.FitParetoNBD(cdnow(), nil)
	if err != nil {
		panic(err)
	}
	fmt.Printf("r %.2f alpha %.2f s %.2f beta %.2f, log-likelihood %.1f\n", m.R, m.Alpha, m.S, m.Beta, m.LogLik)
	c := scoring.Customer{Frequency: 2, Recency: 30.43, T: 38.86}
	fmt.Printf("customer 1: P(alive) %.3f, E[X(39)] %.3f\n", m.PAlive(c), m.ExpectedPurchases(39, c))
	// Output:
	// r 0.55 alpha 10.58 s 0.61 beta 11.67, log-likelihood -9595.0
	// customer 1: P(alive) 0.869, E[X(39)] 1.455
}

func ExampleFitMBGNBD() {
	m, err := scoring.FitMBGNBD(cdnow(), nil)
	if err != nil {
		panic(err)
	}
	fmt.Printf("r %.3f alpha %.3f a %.3f b %.3f\n", m.R, m.Alpha, m.A, m.B)
	// Unlike BG/NBD, a customer who never bought again may have left.
	fmt.Printf("P(alive) of a one-time buyer: %.3f\n", m.PAlive(scoring.Customer{T: 38.86}))
	// Output:
	// r 0.525 alpha 6.183 a 0.891 b 1.614
	// P(alive) of a one-time buyer: 0.390
}

func ExampleFitBGBB() {
	// Fader, Hardie & Shang (2010): donors of 1995, six annual opportunities.
	f, err := os.Open("testdata/donations/donations.csv")
	if err != nil {
		panic(err)
	}
	defer f.Close()
	recs, _ := csv.NewReader(f).ReadAll()
	var rows []scoring.Opportunities
	for _, r := range recs[1:] {
		x, _ := strconv.Atoi(r[0])
		tx, _ := strconv.Atoi(r[1])
		n, _ := strconv.Atoi(r[2])
		w, _ := strconv.ParseFloat(r[3], 64)
		rows = append(rows, scoring.Opportunities{Frequency: x, Recency: tx, N: n, Weight: w})
	}
	m, err := scoring.FitBGBB(rows, nil)
	if err != nil {
		panic(err)
	}
	fmt.Printf("alpha %.3f beta %.3f gamma %.3f delta %.3f, log-likelihood %.1f\n", m.Alpha, m.Beta, m.Gamma, m.Delta, m.LogLik)
	loyal := scoring.Opportunities{Frequency: 6, Recency: 6, N: 6}
	fmt.Printf("a donor every year: P(alive) %.3f, expected donations 2002-2006 %.2f\n", m.PAlive(loyal), m.ExpectedPurchases(5, loyal))
	// Output:
	// alpha 1.204 beta 0.750 gamma 0.657 delta 2.783, log-likelihood -33225.6
	// a donor every year: P(alive) 0.930, expected donations 2002-2006 3.75
}

func ExampleFitGammaGamma() {
	cs := cdnow()
	m, err := scoring.FitGammaGamma(cs, nil)
	if err != nil {
		panic(err)
	}
	fmt.Printf("p %.2f q %.2f gamma %.2f, mean spend %.2f\n", m.P, m.Q, m.Gamma, m.MeanSpend())
	// Output:
	// p 6.25 q 3.74 gamma 15.45, mean spend 35.17
}

func ExampleGammaGamma_ExpectedSpend() {
	m := &scoring.GammaGamma{P: 6.25, Q: 3.74, Gamma: 15.44}
	// One repeat purchase of $100 says little; ten say a lot.
	fmt.Printf("%.2f %.2f\n", m.ExpectedSpend(scoring.Customer{Frequency: 1, Recency: 1, T: 2, Monetary: 100}),
		m.ExpectedSpend(scoring.Customer{Frequency: 10, Recency: 1, T: 2, Monetary: 100}))
	// Output:
	// 80.26 97.28
}

func ExampleSpendIndependence() {
	ind, err := scoring.SpendIndependence(cdnow())
	if err != nil {
		panic(err)
	}
	fmt.Printf("%d repeat buyers, correlation of frequency and spend %.2f\n", ind.N, ind.Pearson)
	// Output:
	// 946 repeat buyers, correlation of frequency and spend 0.11
}

func ExampleCLV() {
	cs := cdnow()
	bg, _ := scoring.FitBGNBD(cs, nil)
	gg, _ := scoring.FitGammaGamma(cs, nil)
	// A year ahead in weeks, discounted monthly at 1% a month, 30% margin.
	values, err := scoring.CLV(bg, gg, cs[:3], &scoring.CLVOptions{Horizon: 52, Period: 52.0 / 12, DiscountRate: 0.01, Margin: 0.3})
	if err != nil {
		panic(err)
	}
	fmt.Printf("%.2f\n", values)
	// Output:
	// [10.86 1.39 2.50]
}

func ExampleForecast() {
	cs := cdnow()
	bg, _ := scoring.FitBGNBD(cs, nil)
	f, err := scoring.Forecast(bg, cs, 3, 13) // three quarters
	if err != nil {
		panic(err)
	}
	for _, p := range f {
		fmt.Printf("weeks to %2.0f: %4.0f purchases, %4.0f in all\n", p.End, p.Expected, p.Cumulative)
	}
	// Output:
	// weeks to 13:  628 purchases,  628 in all
	// weeks to 26:  543 purchases, 1171 in all
	// weeks to 39:  482 purchases, 1653 in all
}

// The cumulative tracking plot for CDNOW: the base was acquired over the first 12 weeks
// of 1997, the model fitted on the 39 weeks of calibration, and its expectation is set
// beside the actual repeat purchases (distinct purchase days after the first) through
// the 39 weeks that follow.
func ExampleTracking() {
	bg, _ := scoring.FitBGNBD(cdnow(), nil)
	origin, week := time.Date(1997, 1, 1, 0, 0, 0, 0, time.UTC), 7*24*time.Hour
	days := map[uint32][]time.Time{}
	for _, tx := range cdnowTransactions() {
		days[tx.Profile] = append(days[tx.Profile], tx.Time.Truncate(24*time.Hour))
	}
	var births []float64
	for id, ds := range days { // each customer's distinct purchase days, in order
		slices.SortFunc(ds, func(a, b time.Time) int { return a.Compare(b) })
		ds = slices.CompactFunc(ds, time.Time.Equal)
		days[id] = ds
		births = append(births, float64(ds[0].Sub(origin))/float64(week))
	}
	track, err := scoring.Tracking(bg, births, 6, 13)
	if err != nil {
		panic(err)
	}
	for _, p := range track {
		actual := 0
		for _, ds := range days {
			for _, d := range ds[1:] {
				if d.Before(origin.Add(time.Duration(p.End) * week)) {
					actual++
				}
			}
		}
		fmt.Printf("week %2.0f: %4.0f repeat purchases expected, %4d made\n", p.End, p.Cumulative, actual)
	}
	// Output:
	// week 13:  723 repeat purchases expected,  828 made
	// week 26: 1736 repeat purchases expected, 1746 made
	// week 39: 2502 repeat purchases expected, 2457 made
	// week 52: 3134 repeat purchases expected, 3183 made
	// week 65: 3681 repeat purchases expected, 3844 made
	// week 78: 4166 repeat purchases expected, 4339 made
}

func ExampleCheckHoldout() {
	splits, err := scoring.SummarizeHoldout(slices.Values(cdnowTransactions()), time.Date(1997, 9, 30, 0, 0, 0, 0, time.UTC),
		&scoring.SummaryOptions{End: time.Date(1998, 6, 30, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		panic(err)
	}
	cs := make([]scoring.Customer, len(splits))
	for i, s := range splits {
		cs[i] = s.Customer
	}
	bg, _ := scoring.FitBGNBD(cs, nil)
	v, err := scoring.CheckHoldout(bg, splits, 4)
	if err != nil {
		panic(err)
	}
	fmt.Println("x   customers  actual  predicted (mean holdout purchases; the last row is 4+)")
	for _, r := range v.Rows {
		fmt.Printf("%d %11d  %6.2f  %9.2f\n", r.Frequency, r.Customers, r.Actual, r.Predicted)
	}
	fmt.Printf("total holdout purchases: actual %.0f, predicted %.0f\n", v.Actual, v.Predicted)
	// Output:
	// x   customers  actual  predicted (mean holdout purchases; the last row is 4+)
	// 0        1411    0.24       0.23
	// 1         439    0.70       0.52
	// 2         214    1.39       1.04
	// 3         100    1.56       1.52
	// 4         193    4.08       3.79
	// total holdout purchases: actual 1882, predicted 1653
}

func ExamplePredict() {
	m := &scoring.BGNBD{R: 0.243, Alpha: 4.414, A: 0.793, B: 2.426}
	ps, err := scoring.Predict(m, []scoring.Customer{{Frequency: 2, Recency: 30.43, T: 38.86}, {Frequency: 5, Recency: 2, T: 38}}, 13)
	if err != nil {
		panic(err)
	}
	for _, p := range ps {
		fmt.Printf("P(alive) %.3f, next 13 weeks %.3f\n", p.PAlive, p.ExpectedPurchases)
	}
	_, err = scoring.Predict(m, []scoring.Customer{{Frequency: 1, Recency: 40, T: 38}}, 13)
	fmt.Println(err)
	// Output:
	// P(alive) 0.727, next 13 weeks 0.457
	// P(alive) 0.000, next 13 weeks 0.001
	// scoring: customer 0: invalid input: recency 40 greater than T 38
}

func ExampleCustomer_Validate() {
	fmt.Println(scoring.Customer{Recency: 3, T: 10}.Validate())
	// Output:
	// scoring: invalid input: frequency 0 with recency 3 (recency is the age at the last repeat purchase)
}

func ExampleSummarize() {
	day := func(s string) time.Time { t, _ := time.Parse(time.DateOnly, s); return t }
	txs := []scoring.Transaction{
		{Profile: 7, Time: day("2025-01-01"), Amount: 20},
		{Profile: 7, Time: day("2025-01-01"), Amount: 5}, // same day: one purchase of 25
		{Profile: 7, Time: day("2025-01-15"), Amount: 30},
		{Profile: 7, Time: day("2025-01-29"), Amount: 50},
		{Profile: 9, Time: day("2025-01-20"), Amount: 12},
	}
	ss, err := scoring.Summarize(slices.Values(txs), &scoring.SummaryOptions{End: day("2025-02-12")})
	if err != nil {
		panic(err)
	}
	for _, s := range ss {
		fmt.Printf("profile %d: x=%d t_x=%g T=%g weeks, mean repeat spend %g, spend %g\n", s.Profile, s.Frequency, s.Recency, s.T, s.Monetary, s.Spend)
	}
	// Output:
	// profile 7: x=2 t_x=4 T=6 weeks, mean repeat spend 40, spend 105
	// profile 9: x=0 t_x=0 T=3.2857142857142856 weeks, mean repeat spend 0, spend 12
}

func ExampleSummarizeHoldout() {
	day := func(s string) time.Time { t, _ := time.Parse(time.DateOnly, s); return t }
	txs := []scoring.Transaction{
		{Profile: 1, Time: day("2025-01-01"), Amount: 10},
		{Profile: 1, Time: day("2025-01-08"), Amount: 10},
		{Profile: 1, Time: day("2025-02-05"), Amount: 15}, // holdout
		{Profile: 1, Time: day("2025-02-12"), Amount: 5},  // holdout
		{Profile: 2, Time: day("2025-02-01"), Amount: 99}, // first purchase in the holdout: left out
	}
	splits, err := scoring.SummarizeHoldout(slices.Values(txs), day("2025-01-29"), &scoring.SummaryOptions{End: day("2025-02-26")})
	if err != nil {
		panic(err)
	}
	for _, s := range splits {
		fmt.Printf("profile %d: calibration x=%d T=%g; holdout %g weeks: %d purchases, spend %g\n", s.Profile, s.Frequency, s.T, s.HoldoutLength, s.HoldoutPurchases, s.HoldoutSpend)
	}
	// Output:
	// profile 1: calibration x=1 T=4; holdout 4 weeks: 2 purchases, spend 20
}

func ExampleReadTransactions() {
	input := "customer,date,amount\n17,2025-03-01,12.50\n17,2025-03-09,8\n18,2025-03-0x,1\n"
	for tx, err := range scoring.ReadTransactions(strings.NewReader(input), &scoring.ReadOptions{Header: true}) {
		if err != nil {
			fmt.Println(err)
			break
		}
		fmt.Println(tx.Profile, tx.Time.Format(time.DateOnly), tx.Amount)
	}
	// Output:
	// 17 2025-03-01 12.5
	// 17 2025-03-09 8
	// scoring: syntax error: line 4, column 4: time "2025-03-0x" does not match layout "2006-01-02"
}

// ExampleReadRows reads an order id from a fourth column, which a Transaction does
// not carry, and names the line of each row, as the caller's own errors would.
func ExampleReadRows() {
	input := "customer,date,amount,order\nann,2025-03-01,12.50,A-1\nbob,2025-03-0x,8,B-7\nann,2025-03-09,8,\"A-2\"\nbob,2025-03-10,3\n"
	keys := &scoring.Keys{}
	for row, err := range scoring.ReadRows(strings.NewReader(input), &scoring.ReadOptions{Header: true, Keys: keys, Lenient: true}) {
		if errors.Is(err, scoring.ErrTooManyBad) {
			break // the read has stopped
		}
		if err != nil {
			fmt.Printf("line %d skipped: %v\n", row.Line, err)
			continue
		}
		if len(row.Fields) < 4 || strings.TrimSpace(row.Fields[3]) == "" {
			fmt.Printf("line %d: no order id\n", row.Line)
			continue
		}
		id, _ := keys.ID(row.Profile)
		fmt.Printf("line %d: %s, order %s, %s, %g\n", row.Line, id, strings.TrimSpace(row.Fields[3]), row.Time.Format(time.DateOnly), row.Amount)
	}
	// Output:
	// line 2: ann, order A-1, 2025-03-01, 12.5
	// line 3 skipped: scoring: syntax error: line 3, column 5: time "2025-03-0x" does not match layout "2006-01-02"
	// line 4: ann, order A-2, 2025-03-09, 8
	// line 5: no order id
}

// ExampleKeys reads an order export with string customer ids, leniently: the bad line
// is reported with its line and column and the good ones are read.
func ExampleKeys() {
	input := "customer,date,amount\nc-17,2025-03-01,12.50\nann@example.com,2025-03-02,8\nc-17,2025-03-0x,1\nc-17,2025-03-09,3\n"
	keys := &scoring.Keys{}
	for tx, err := range scoring.ReadTransactions(strings.NewReader(input), &scoring.ReadOptions{Header: true, Keys: keys, Lenient: true}) {
		if errors.Is(err, scoring.ErrTooManyBad) {
			fmt.Println("wrong layout?", err) // the read has stopped
			break
		}
		if err != nil {
			fmt.Println(err)
			continue
		}
		id, _ := keys.ID(tx.Profile)
		fmt.Println(id, tx.Profile, tx.Time.Format(time.DateOnly), tx.Amount)
	}
	// Output:
	// c-17 1 2025-03-01 12.5
	// ann@example.com 2 2025-03-02 8
	// scoring: syntax error: line 4, column 6: time "2025-03-0x" does not match layout "2006-01-02"
	// c-17 1 2025-03-09 3
}

func ExampleRFM() {
	ss := []scoring.Summary{
		{Profile: 1, Customer: scoring.Customer{Frequency: 9, Recency: 50, T: 52}, Spend: 900},
		{Profile: 2, Customer: scoring.Customer{Frequency: 1, Recency: 2, T: 50}, Spend: 40},
		{Profile: 3, Customer: scoring.Customer{T: 3}, Spend: 25},
		{Profile: 4, Customer: scoring.Customer{Frequency: 6, Recency: 10, T: 52}, Spend: 700},
		{Profile: 5, Customer: scoring.Customer{T: 50}, Spend: 15},
	}
	scores, err := scoring.RFM(ss, nil)
	if err != nil {
		panic(err)
	}
	for _, s := range scores {
		fmt.Printf("profile %d: R%d F%d M%d %s\n", s.Profile, s.Recency, s.Frequency, s.Monetary, s.Segment)
	}
	// Output:
	// profile 1: R5 F5 M5 champions
	// profile 2: R2 F3 M3 at_risk
	// profile 3: R4 F1 M2 promising
	// profile 4: R3 F4 M4 loyal
	// profile 5: R1 F1 M1 lost
}

func ExampleRFMSegments() {
	scores := []scoring.RFMScore{
		{Profile: 1, Segment: scoring.SegmentChampions},
		{Profile: 4, Segment: scoring.SegmentChampions},
		{Profile: 2, Segment: scoring.SegmentAtRisk},
	}
	sets := scoring.RFMSegments(scores, "rfm:")
	// A host tags its segment index: index.Tag(tag, set.ToArray()...).
	for _, tag := range []string{"rfm:at_risk", "rfm:champions"} {
		fmt.Println(tag, sets[tag].ToArray())
	}
	// Output:
	// rfm:at_risk [2]
	// rfm:champions [1 4]
}

func ExampleFitLogistic() {
	// Will a customer buy in the next 30 days? Features: purchases so far, days idle.
	rng := rand.New(rand.NewPCG(1, 2))
	var x [][]float64
	var y []bool
	for range 5000 {
		purchases, idle := float64(rng.IntN(10)), float64(rng.IntN(120))
		p := 1 / (1 + math.Exp(-(-1 + 0.4*purchases - 0.03*idle)))
		x = append(x, []float64{purchases, idle})
		y = append(y, rng.Float64() < p)
	}
	m, err := scoring.FitLogistic(x, y, &scoring.LogisticOptions{Names: []string{"purchases", "days_idle"}})
	if err != nil {
		panic(err)
	}
	for j, name := range m.Names {
		fmt.Printf("%s: %+.2f per unit\n", name, m.Coef[j]/m.Scale[j])
	}
	p, _ := m.Predict([]float64{8, 5})
	fmt.Printf("P(buy | 8 purchases, 5 days idle) = %.2f\n", p)
	// For inference, fit without the penalty: each slope then has a standard error
	// (its z statistic is the same on either scale).
	ml, err := scoring.FitLogistic(x, y, &scoring.LogisticOptions{Names: m.Names, Unpenalized: true})
	if err != nil {
		panic(err)
	}
	for j, name := range ml.Names {
		fmt.Printf("%s: %+.3f ± %.3f (z %+.0f)\n", name, ml.Coef[j]/ml.Scale[j], 1.96*ml.StdErr[1+j]/ml.Scale[j], ml.Coef[j]/ml.StdErr[1+j])
	}
	// Output:
	// purchases: +0.37 per unit
	// days_idle: -0.03 per unit
	// P(buy | 8 purchases, 5 days idle) = 0.87
	// purchases: +0.374 ± 0.028 (z +27)
	// days_idle: -0.029 ± 0.002 (z -25)
}

func ExampleEvaluate() {
	scores := []float64{0.9, 0.8, 0.7, 0.6, 0.55, 0.5, 0.4, 0.3, 0.2, 0.1}
	outcomes := []bool{true, true, false, true, false, false, true, false, false, false}
	ev, err := scoring.Evaluate(scores, outcomes)
	if err != nil {
		panic(err)
	}
	fmt.Printf("AUC %.3f; top decile lift %.1f, gains after 3 deciles %.2f\n", ev.AUC, ev.Deciles[0].Lift, ev.Deciles[2].Gain)
	// Output:
	// AUC 0.833; top decile lift 2.5, gains after 3 deciles 0.50
}

func ExampleFindLookalikes() {
	// A base of 2,000 profiles; the best customers spend more and visit more often.
	rng := rand.New(rand.NewPCG(7, 7))
	seed := roaring.New()
	var profiles []uint32
	var features [][]float64
	for i := range 2000 {
		p := uint32(i + 1)
		best := i%20 == 0
		shift := 0.0
		if best {
			shift = 1.5
			if i%40 == 0 {
				seed.Add(p) // the marketer knows half of them
			}
		}
		profiles = append(profiles, p)
		features = append(features, []float64{rng.NormFloat64() + shift, rng.NormFloat64() + shift})
	}
	l, err := scoring.FindLookalikes(seed, profiles, features, nil)
	if err != nil {
		panic(err)
	}
	fmt.Printf("lift of held-out seed members at 5%%: %.0fx or more\n", min(l.LiftAt5, 5))
	top := l.Top(50)
	fmt.Println(top.GetCardinality(), "profiles in the audience, none from the seed:", !top.Intersects(seed))
	// Output:
	// lift of held-out seed members at 5%: 5x or more
	// 50 profiles in the audience, none from the seed: true
}

func ExampleEngagement() {
	e, _ := scoring.NewEngagement(scoring.DefaultHalfLife) // 30 days
	t0 := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	_ = e.Add(t0, 1, 1)                   // a visit
	_ = e.Add(t0.AddDate(0, 0, 30), 1, 5) // a purchase a month later
	_ = e.Add(t0.AddDate(0, 0, 30), 2, 1)
	for p, s := range e.Scores(t0.AddDate(0, 0, 60)) {
		fmt.Printf("profile %d: %.2f\n", p, s)
	}
	// Output:
	// profile 1: 2.75
	// profile 2: 0.50
}

func ExampleMBGNBD_PurchaseProb() {
	m := &scoring.MBGNBD{R: 0.525, Alpha: 6.183, A: 0.891, B: 1.614}
	oneOff := scoring.Customer{T: 38.86}
	fmt.Printf("P(no purchase in 39 weeks): one-time buyer %.3f, new customer %.3f\n", m.PurchaseProb(39, 0, oneOff), m.PurchaseProbNew(39, 0))
	fmt.Printf("E[purchases in 39 weeks]: one-time buyer %.3f, new customer %.3f\n", m.ExpectedPurchases(39, oneOff), m.ExpectedPurchasesNew(39))
	// Output:
	// P(no purchase in 39 weeks): one-time buyer 0.891, new customer 0.582
	// E[purchases in 39 weeks]: one-time buyer 0.154, new customer 1.183
}

func ExampleParetoNBD_PurchaseProbNew() {
	m := &scoring.ParetoNBD{R: 0.55, Alpha: 10.58, S: 0.61, Beta: 11.67}
	for n := range 3 {
		fmt.Printf("P(X(52) = %d) = %.3f\n", n, m.PurchaseProbNew(52, n))
	}
	fmt.Printf("E[X(52)] = %.3f\n", m.ExpectedPurchasesNew(52))
	// Output:
	// P(X(52) = 0) = 0.576
	// P(X(52) = 1) = 0.160
	// P(X(52) = 2) = 0.081
	// E[X(52)] = 1.459
}

func ExampleBGBB_PurchaseProb() {
	m := &scoring.BGBB{Alpha: 1.204, Beta: 0.750, Gamma: 0.657, Delta: 2.783}
	lapsed := scoring.Opportunities{Frequency: 2, Recency: 2, N: 6} // gave in 1996 and 1997 only
	// X is the lapsed donor's donations.
	for k := range 3 {
		fmt.Printf("P(X = %d in the next 5 years) = %.3f\n", k, m.PurchaseProb(5, k, lapsed))
	}
	fmt.Printf("a new donor: E[donations in 6 years] = %.2f, P(none) = %.3f\n", m.ExpectedPurchasesNew(6), m.PurchaseProbNew(6, 0))
	// Output:
	// P(X = 0 in the next 5 years) = 0.946
	// P(X = 1 in the next 5 years) = 0.018
	// P(X = 2 in the next 5 years) = 0.016
	// a new donor: E[donations in 6 years] = 2.22, P(none) = 0.311
}

func ExampleLogistic_Predict() {
	m := &scoring.Logistic{Mean: []float64{3}, Scale: []float64{2}, Intercept: -1, Coef: []float64{0.8}}
	p, err := m.Predict([]float64{5})
	fmt.Printf("%.3f %v\n", p, err)
	_, err = m.Predict([]float64{5, 1})
	fmt.Println(err)
	// Output:
	// 0.450 <nil>
	// scoring: invalid input: 2 features, model has 1
}

func ExampleOpportunities_Validate() {
	fmt.Println(scoring.Opportunities{Frequency: 3, Recency: 2, N: 6, Weight: 1}.Validate())
	// Output:
	// scoring: invalid input: frequency 3 greater than recency 2 (one transaction per opportunity)
}

func ExampleEngagement_Score() {
	e, _ := scoring.NewEngagement(7 * 24 * time.Hour) // a week's half-life
	t0 := time.Date(2025, 5, 1, 0, 0, 0, 0, time.UTC)
	_ = e.Add(t0, 3, 8)
	fmt.Printf("%.1f %.1f %.1f\n", e.Score(t0, 3), e.Score(t0.AddDate(0, 0, 7), 3), e.Score(t0.AddDate(0, 0, 21), 3))
	// Output:
	// 8.0 4.0 1.0
}
