package scoring

import (
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"pgregory.net/rapid"
)

// logisticReference maximises the same penalised likelihood by plain gradient ascent
// with a fixed small step, from scratch: slow, but obviously right on tiny data. The
// step 1/(2n) is below 1/L for standardised features with at most three columns (the
// Hessian's largest eigenvalue is at most n(d+1)/4 + lambda), so the ascent converges;
// the caller checks that it has (the gradient is returned).
func logisticReference(x [][]float64, y []bool, lambda float64) (intercept float64, coef []float64, gradient float64) {
	n, d := len(x), len(x[0])
	mean, sd := make([]float64, d), make([]float64, d)
	for j := range d {
		for i := range n {
			mean[j] += x[i][j] / float64(n)
		}
		for i := range n {
			sd[j] += (x[i][j] - mean[j]) * (x[i][j] - mean[j]) / float64(n)
		}
		sd[j] = math.Sqrt(sd[j])
		if sd[j] <= 1e-12*math.Max(1, math.Abs(mean[j])) {
			sd[j] = 1
		}
	}
	beta := make([]float64, d+1)
	var g []float64
	for range 20000 {
		g = make([]float64, d+1)
		for i := range n {
			eta := beta[0]
			for j := range d {
				eta += beta[j+1] * (x[i][j] - mean[j]) / sd[j]
			}
			r := -1 / (1 + math.Exp(-eta))
			if y[i] {
				r++
			}
			g[0] += r
			for j := range d {
				g[j+1] += r * (x[i][j] - mean[j]) / sd[j]
			}
		}
		for j := 1; j <= d; j++ {
			g[j] -= lambda * beta[j]
		}
		for j := range beta {
			beta[j] += 0.5 / float64(n) * g[j]
		}
	}
	return beta[0], beta[1:], infNorm(g)
}

func TestLogisticMatchesReference(t *testing.T) {
	rapid.Check(t, limitChecks(checksFor(12), func(t *rapid.T) {
		n := rapid.IntRange(6, 14).Draw(t, "n")
		d := rapid.IntRange(1, 3).Draw(t, "d")
		x := make([][]float64, n)
		y := make([]bool, n)
		for i := range x {
			x[i] = make([]float64, d)
			for j := range x[i] {
				x[i][j] = float64(rapid.IntRange(-5, 5).Draw(t, "x"))
			}
			y[i] = i%2 == 0 || rapid.Bool().Draw(t, "y")
		}
		y[1] = false // both classes
		lambda := rapid.Float64Range(0.5, 5).Draw(t, "lambda")
		m, err := FitLogistic(x, y, &LogisticOptions{Lambda: lambda})
		if err != nil {
			t.Fatal(err)
		}
		b0, b, grad := logisticReference(x, y, lambda)
		if grad > 1e-9 {
			t.Fatalf("the reference did not converge: gradient %g", grad)
		}
		if math.Abs(m.Intercept-b0) > 1e-5 {
			t.Fatalf("intercept %.8f, reference %.8f", m.Intercept, b0)
		}
		for j := range b {
			if math.Abs(m.Coef[j]-b[j]) > 1e-5 {
				t.Fatalf("coef %d: %.8f, reference %.8f", j, m.Coef[j], b[j])
			}
		}
	}))
}

func TestLogisticRecoversCoefficients(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	const n = 20000
	x := make([][]float64, n)
	y := make([]bool, n)
	for i := range x {
		x[i] = []float64{rng.NormFloat64()*2 + 5, rng.NormFloat64(), rng.NormFloat64() * 10}
		eta := -1 + 0.8*x[i][0] - 4 - 1.5*x[i][1] + 0*x[i][2]
		y[i] = rng.Float64() < 1/(1+math.Exp(-eta))
	}
	m, err := FitLogistic(x, y, &LogisticOptions{Lambda: 1e-6, Names: []string{"visits", "days_idle", "noise"}})
	if err != nil {
		t.Fatal(err)
	}
	// On the original scale: coef/scale.
	want := []float64{0.8, -1.5, 0}
	for j, w := range want {
		if got := m.Coef[j] / m.Scale[j]; math.Abs(got-w) > 0.06 {
			t.Errorf("%s: %.3f, want %.1f", m.Names[j], got, w)
		}
	}
	p, err := m.Predict([]float64{5, 0, 0})
	if err != nil || math.Abs(p-1/(1+math.Exp(1))) > 0.03 {
		t.Errorf("Predict = %v, %v", p, err)
	}
	if _, err := m.Predict([]float64{1, 2}); !errors.Is(err, ErrInvalid) {
		t.Errorf("short row: %v", err)
	}
	if _, err := m.Predict([]float64{1, math.NaN(), 2}); !errors.Is(err, ErrInvalid) {
		t.Errorf("NaN: %v", err)
	}
	// JSON round trip.
	data, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	var back Logistic
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(m, &back); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
}

func TestLogisticSeparableNeedsPenalty(t *testing.T) {
	x := [][]float64{{1}, {2}, {3}, {4}}
	y := []bool{false, false, true, true}
	if _, err := FitLogistic(x, y, &LogisticOptions{Unpenalized: true}); !errors.Is(err, ErrNoConvergence) {
		t.Errorf("separable, unpenalised: err = %v", err)
	}
	m, err := FitLogistic(x, y, nil)
	if err != nil || !(m.Coef[0] > 0) {
		t.Errorf("separable, penalised: %+v, %v", m, err)
	}
}

func TestLogisticRejectsBadInput(t *testing.T) {
	ok := [][]float64{{1}, {2}}
	for name, err := range map[string]error{
		"lengths":  second(FitLogistic(ok, []bool{true}, nil)),
		"ragged":   second(FitLogistic([][]float64{{1}, {2, 3}}, []bool{true, false}, nil)),
		"NaN":      second(FitLogistic([][]float64{{1}, {math.NaN()}}, []bool{true, false}, nil)),
		"Inf":      second(FitLogistic([][]float64{{math.Inf(1)}, {1}}, []bool{true, false}, nil)),
		"weights":  second(FitLogistic(ok, []bool{true, false}, &LogisticOptions{Weights: []float64{1}})),
		"negative": second(FitLogistic(ok, []bool{true, false}, &LogisticOptions{Weights: []float64{1, -1}})),
		"lambda":   second(FitLogistic(ok, []bool{true, false}, &LogisticOptions{Lambda: -1})),
		"names":    second(FitLogistic(ok, []bool{true, false}, &LogisticOptions{Names: []string{"a", "b"}})),
		"constant": second(FitLogistic([][]float64{{1}, {1}, {1}}, []bool{true, false, true}, &LogisticOptions{Unpenalized: true})),
	} {
		if !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: err = %v, want ErrInvalid", name, err)
		}
	}
}

func TestLogisticJSONRejects(t *testing.T) {
	m := Logistic{Mean: []float64{1}, Scale: []float64{2}, Coef: []float64{0.5}, Lambda: 1, N: 10}
	for name, doc := range map[string]string{
		"kind":       `{"model":"BG/NBD","version":1,"mean":[1],"scale":[2],"intercept":0,"coef":[0.5],"lambda":1,"log_lik":0,"n":1,"iterations":1}`,
		"lengths":    `{"model":"logistic","version":1,"mean":[1,2],"scale":[2],"intercept":0,"coef":[0.5],"lambda":1,"log_lik":0,"n":1,"iterations":1}`,
		"zero scale": `{"model":"logistic","version":1,"mean":[1],"scale":[0],"intercept":0,"coef":[0.5],"lambda":1,"log_lik":0,"n":1,"iterations":1}`,
		"unknown":    `{"model":"logistic","version":1,"mean":[1],"scale":[2],"intercept":0,"coef":[0.5],"lambda":1,"log_lik":0,"n":1,"iterations":1,"x":1}`,
		"trailing":   `{"model":"logistic","version":1,"mean":[1],"scale":[2],"intercept":0,"coef":[0.5],"lambda":1,"log_lik":0,"n":1,"iterations":1} {}`,
		"std_err n":  `{"model":"logistic","version":1,"mean":[1],"scale":[2],"intercept":0,"coef":[0.5],"lambda":0,"log_lik":0,"n":1,"iterations":1,"std_err":[0.1]}`,
		"std_err <0": `{"model":"logistic","version":1,"mean":[1],"scale":[2],"intercept":0,"coef":[0.5],"lambda":0,"log_lik":0,"n":1,"iterations":1,"std_err":[0.1,-1]}`,
	} {
		before := m
		if err := m.UnmarshalJSON([]byte(doc)); !errors.Is(err, ErrModel) {
			t.Errorf("%s: err = %v, want ErrModel", name, err)
		}
		if !cmp.Equal(before, m, cmpopts.EquateEmpty()) {
			t.Errorf("%s: model changed on error", name)
		}
	}
}

// TestLogisticStdErrChallenger: the O-ring data of the 23 shuttle launches before
// Challenger (Dalal, Fowlkes & Hoadley 1989, table 1: launch temperature in °F, and
// whether any field joint showed thermal distress). The unpenalised fit is the
// textbook one: intercept 15.0429 (SE 7.3786), temperature -0.2322 (SE 0.1082), as
// R's glm prints it.
func TestLogisticStdErrChallenger(t *testing.T) {
	temp := []float64{66, 70, 69, 68, 67, 72, 73, 70, 57, 63, 70, 78, 67, 53, 67, 75, 70, 81, 76, 79, 75, 76, 58}
	fail := []int{0, 1, 0, 0, 0, 0, 0, 0, 1, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, 0, 1}
	x, y := make([][]float64, len(temp)), make([]bool, len(temp))
	for i := range temp {
		x[i], y[i] = []float64{temp[i]}, fail[i] == 1
	}
	m, err := FitLogistic(x, y, &LogisticOptions{Unpenalized: true})
	if err != nil {
		t.Fatal(err)
	}
	slope, slopeSE := m.Coef[0]/m.Scale[0], m.StdErr[1]/m.Scale[0]
	intercept := m.Intercept - slope*m.Mean[0]
	for _, c := range []struct {
		name      string
		got, want float64
	}{{"intercept", intercept, 15.0429}, {"slope", slope, -0.2322}, {"slope SE", slopeSE, 0.1082}} {
		if math.Abs(c.got-c.want) > 5e-5*math.Max(1, math.Abs(c.want)) {
			t.Errorf("%s = %.5f, want %.4f", c.name, c.got, c.want)
		}
	}
	// The fitted Intercept is the log-odds at the mean temperature, whose error follows
	// from the published fit's covariance (computed with NumPy from the same data, its
	// standard errors equal to R's): -1.10755, SE 0.57962.
	if math.Abs(m.Intercept+1.10755) > 5e-5 || math.Abs(m.StdErr[0]-0.57962) > 5e-5 {
		t.Errorf("standardised intercept %.5f (SE %.5f), want -1.10755 (SE 0.57962)", m.Intercept, m.StdErr[0])
	}
	data, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	var back Logistic
	if err := json.Unmarshal(data, &back); err != nil || !cmp.Equal(m, &back) {
		t.Errorf("JSON round trip with standard errors: %v, %+v", err, back)
	}
	pen, err := FitLogistic(x, y, nil)
	if err != nil {
		t.Fatal(err)
	}
	if pen.StdErr != nil {
		t.Errorf("penalised fit has standard errors %v, want none", pen.StdErr)
	}
}

// TestLogisticStdErrCoverage: over 400 samples simulated from known coefficients, the
// 95% Wald intervals from StdErr cover the true slopes and intercept (the log-odds at
// the sample's mean) about 95% of the time, and the errors match the spread of the
// estimates: the errors are honest, not merely computed.
func TestLogisticStdErrCoverage(t *testing.T) {
	const runs, n = 400, 400
	truth := []float64{-1, 0.8, -0.5} // intercept, then slopes on two standard-normal features
	rng := rand.New(rand.NewPCG(7, 11))
	covered := make([]int, len(truth))
	var est [3][]float64
	var se [3]float64
	for range runs {
		x, y := make([][]float64, n), make([]bool, n)
		for i := range x {
			x[i] = []float64{rng.NormFloat64(), rng.NormFloat64()}
			eta := truth[0] + truth[1]*x[i][0] + truth[2]*x[i][1]
			y[i] = rng.Float64() < 1/(1+math.Exp(-eta))
		}
		m, err := FitLogistic(x, y, &LogisticOptions{Unpenalized: true})
		if err != nil {
			t.Fatal(err)
		}
		// The slopes go back to the raw scale by dividing by Scale; the intercept is
		// the log-odds at this sample's mean, whose true value the truth gives.
		raw := []float64{m.Intercept, m.Coef[0] / m.Scale[0], m.Coef[1] / m.Scale[1]}
		rawSE := []float64{m.StdErr[0], m.StdErr[1] / m.Scale[0], m.StdErr[2] / m.Scale[1]}
		want := []float64{truth[0] + truth[1]*m.Mean[0] + truth[2]*m.Mean[1], truth[1], truth[2]}
		for k := range truth {
			if math.Abs(raw[k]-want[k]) <= 1.96*rawSE[k] {
				covered[k]++
			}
			est[k] = append(est[k], raw[k]-want[k])
			se[k] += rawSE[k] / runs
		}
	}
	for k := range truth {
		if c := float64(covered[k]) / runs; c < 0.92 || c > 0.98 {
			t.Errorf("coefficient %d: 95%% intervals cover the truth %.1f%% of the time", k, 100*c)
		}
		if sd := stddev(est[k]); math.Abs(se[k]/sd-1) > 0.12 {
			t.Errorf("coefficient %d: mean standard error %.4f, spread of the estimates %.4f", k, se[k], sd)
		}
	}
}

func stddev(v []float64) float64 {
	var mean, ss float64
	for _, x := range v {
		mean += x / float64(len(v))
	}
	for _, x := range v {
		ss += (x - mean) * (x - mean)
	}
	return math.Sqrt(ss / float64(len(v)-1))
}

// TestLogisticLargeFeature: a feature of finite values near 1e200 once squared to
// +Inf in the standardisation: its Scale was +Inf, its coefficient 0 (every row
// scored alike, without an error), and the model failed to encode. Its
// standardisation now matches the same feature divided by 1e200, and a feature whose
// spread a float64 cannot hold is refused.
func TestLogisticLargeFeature(t *testing.T) {
	small := [][]float64{{1}, {-1}, {1}, {0}, {2}, {-2}}
	y := []bool{true, false, false, true, true, false}
	large := make([][]float64, len(small))
	for i, r := range small {
		large[i] = []float64{r[0] * 1e200}
	}
	ms, err := FitLogistic(small, y, nil)
	if err != nil {
		t.Fatal(err)
	}
	ml, err := FitLogistic(large, y, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := ml.Scale[0]/1e200, ms.Scale[0]; math.Abs(got-want) > 1e-12*want {
		t.Errorf("scale of the feature times 1e200 is %g·1e200, want %g·1e200", got, want)
	}
	if math.Abs(ml.Coef[0]-ms.Coef[0]) > 1e-9 || ml.Coef[0] == 0 {
		t.Errorf("coefficient %g, want %g as for the feature divided by 1e200", ml.Coef[0], ms.Coef[0])
	}
	if _, err := json.Marshal(ml); err != nil {
		t.Errorf("encoding the model: %v", err)
	}
	huge := [][]float64{{1.7e308}, {1.7e308}, {1.7e308}, {-1.7e308}}
	if _, err := FitLogistic(huge, []bool{true, false, true, false}, nil); !errors.Is(err, ErrInvalid) {
		t.Errorf("feature spanning 3.4e308: %v, want ErrInvalid", err)
	}
}
