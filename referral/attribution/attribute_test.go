package attribution

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"gonum.org/v1/gonum/mat"
	"pgregory.net/rapid"
)

var approx = cmpopts.EquateApprox(0, 1e-9)

func mustParse(t testing.TB, s string, conv, nulls, value float64) Path {
	t.Helper()
	p, err := ParsePath(s)
	if err != nil {
		t.Fatal(err)
	}
	p.Conversions, p.Nulls, p.Value = conv, nulls, value
	return p
}

// TestHeuristicsByHand checks each rule-based model on the three-step path A > B > C
// with one conversion worth 30, worked out by hand.
func TestHeuristicsByHand(t *testing.T) {
	abc := []Path{mustParse(t, "A > B > C", 1, 0, 30)}
	third := 1.0 / 3
	// Time decay with a half-life of one touch: weights 1/4, 1/2, 1 over a sum of 7/4,
	// so 1/7, 2/7, 4/7.
	cases := []struct {
		name  string
		model CreditRule
		want  map[string]Credit
	}{
		{"first", FirstTouch{}, map[string]Credit{"A": {1, 30}, "B": {}, "C": {}}},
		{"last", LastTouch{}, map[string]Credit{"A": {}, "B": {}, "C": {1, 30}}},
		{"linear", Linear{}, map[string]Credit{"A": {third, 10}, "B": {third, 10}, "C": {third, 10}}},
		{"position 40/20/40", PositionBased{}, map[string]Credit{"A": {0.4, 12}, "B": {0.2, 6}, "C": {0.4, 12}}},
		{"position 30/30", PositionBased{First: 0.3, Last: 0.3}, map[string]Credit{"A": {0.3, 9}, "B": {0.4, 12}, "C": {0.3, 9}}},
		{"time decay", TimeDecay{HalfLifeTouches: 1}, map[string]Credit{"A": {1.0 / 7, 30.0 / 7}, "B": {2.0 / 7, 60.0 / 7}, "C": {4.0 / 7, 120.0 / 7}}},
		{"shapley", Shapley{}, map[string]Credit{"A": {third, 10}, "B": {third, 10}, "C": {third, 10}}},
	}
	for _, c := range cases {
		got, err := Attribute(abc, c.model)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if diff := cmp.Diff(c.want, got, approx); diff != "" {
			t.Errorf("%s (-want +got):\n%s", c.name, diff)
		}
	}
}

func TestHeuristicEdgeCases(t *testing.T) {
	paths := []Path{
		mustParse(t, "seo > direct > direct", 2, 0, 0), // last non-direct: seo
		mustParse(t, "direct", 1, 0, 0),                // only direct: direct keeps it
		mustParse(t, "a > b", 1, 0, 0),                 // two touches under 40/40: half each
		mustParse(t, "a > a > b", 3, 0, 0),             // linear counts repeats
	}
	got, err := Attribute(paths, LastTouch{Direct: "direct"})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]Credit{"seo": {2, 0}, "direct": {1, 0}, "a": {}, "b": {4, 0}}
	if diff := cmp.Diff(want, got, approx); diff != "" {
		t.Errorf("last non-direct (-want +got):\n%s", diff)
	}
	got, err = Attribute(paths[2:], PositionBased{})
	if err != nil {
		t.Fatal(err)
	}
	// a > b: 0.5 each; a > a > b: 0.4 + 0.2 to a, 0.4 to b (times 3).
	want = map[string]Credit{"a": {0.5 + 1.8, 0}, "b": {0.5 + 1.2, 0}}
	if diff := cmp.Diff(want, got, approx); diff != "" {
		t.Errorf("position-based (-want +got):\n%s", diff)
	}
	got, err = Attribute(paths[3:], Linear{})
	if err != nil {
		t.Fatal(err)
	}
	want = map[string]Credit{"a": {2, 0}, "b": {1, 0}}
	if diff := cmp.Diff(want, got, approx); diff != "" {
		t.Errorf("linear with repeats (-want +got):\n%s", diff)
	}
	// Time decay in time: ages 48h, 24h and 0 with a one-day half-life give 1/7, 2/7, 4/7.
	timed := []Path{mustParse(t, "A@48h > B@24h > C@0s", 7, 0, 0)}
	got, err = Attribute(timed, TimeDecay{HalfLife: 24 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	want = map[string]Credit{"A": {1, 0}, "B": {2, 0}, "C": {4, 0}}
	if diff := cmp.Diff(want, got, approx); diff != "" {
		t.Errorf("time decay in time (-want +got):\n%s", diff)
	}
	if _, err := Attribute(paths, TimeDecay{HalfLife: time.Hour}); !errors.Is(err, ErrInvalid) {
		t.Errorf("time decay without ages: err = %v, want ErrInvalid", err)
	}
}

// TestMarkovByHand is the three-journey example of Anderl et al. worked by hand:
//
//	C1 > C2 > C3  converts once (value 10)
//	C1            ends in null once
//	C2 > C3       ends in null once
//
// Transitions: start→C1 2/3, start→C2 1/3; C1→C2 1/2, C1→null 1/2; C2→C3 1;
// C3→conversion 1/2, C3→null 1/2. P(conversion) = 2/3·1/2·1·1/2 + 1/3·1·1/2 = 1/3.
// Without C1 only start→C2→C3→conversion is left: 1/3·1/2 = 1/6, removal effect
// 1 - (1/6)/(1/3) = 1/2. Without C2 or without C3 nothing converts: removal effect 1.
// The effects sum to 5/2, so the one conversion splits 0.2 / 0.4 / 0.4 and the value
// 10 splits 2 / 4 / 4.
func TestMarkovByHand(t *testing.T) {
	paths := []Path{
		mustParse(t, "C1 > C2 > C3", 1, 0, 10),
		mustParse(t, "C1", 0, 1, 0),
		mustParse(t, "C2 > C3", 0, 1, 0),
	}
	re, err := Markov{}.RemovalEffects(paths)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]Credit{"C1": {0.5, 0.5}, "C2": {1, 1}, "C3": {1, 1}}, re, approx); diff != "" {
		t.Errorf("removal effects (-want +got):\n%s", diff)
	}
	got, err := Attribute(paths, Markov{Order: 1})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]Credit{"C1": {0.2, 2}, "C2": {0.4, 4}, "C3": {0.4, 4}}, got, approx); diff != "" {
		t.Errorf("credits (-want +got):\n%s", diff)
	}
}

type goldenCase struct {
	Order          int                   `json:"order"`
	States         int                   `json:"states"`
	Paths          []goldenPath          `json:"paths"`
	RemovalEffects map[string][2]float64 `json:"removal_effects"`
	Credits        map[string][2]float64 `json:"credits"`
}

type goldenPath struct {
	Touches     []string `json:"touches"`
	Conversions float64  `json:"conversions"`
	Nulls       float64  `json:"nulls"`
	Value       float64  `json:"value"`
}

// TestMarkovGolden compares removal effects and credits with testdata/markov_golden.json,
// computed by numpy with the dense fundamental matrix (see testdata/README.md).
func TestMarkovGolden(t *testing.T) {
	raw, err := os.ReadFile("testdata/markov_golden.json")
	if err != nil {
		t.Fatal(err)
	}
	var g struct{ Cases []goldenCase }
	if err := json.Unmarshal(raw, &g); err != nil {
		t.Fatal(err)
	}
	if len(g.Cases) < 20 {
		t.Fatalf("%d golden cases, want at least 20", len(g.Cases))
	}
	tol := cmpopts.EquateApprox(1e-9, 1e-9)
	for i, c := range g.Cases {
		paths := make([]Path, len(c.Paths))
		for k, p := range c.Paths {
			paths[k] = Path{Touches: p.Touches, Conversions: p.Conversions, Nulls: p.Nulls, Value: p.Value}
		}
		m := Markov{Order: c.Order}
		re, err := m.RemovalEffects(paths)
		if err != nil {
			t.Fatalf("case %d: %v", i, err)
		}
		cr, err := Attribute(paths, m)
		if err != nil {
			t.Fatalf("case %d: %v", i, err)
		}
		wantRE, wantCr := map[string]Credit{}, map[string]Credit{}
		for ch, v := range c.RemovalEffects {
			wantRE[ch] = Credit{v[0], v[1]}
		}
		for ch, v := range c.Credits {
			wantCr[ch] = Credit{v[0], v[1]}
		}
		if diff := cmp.Diff(wantRE, re, tol); diff != "" {
			t.Errorf("case %d (order %d, %d states): removal effects (-numpy +go):\n%s", i, c.Order, c.States, diff)
		}
		if diff := cmp.Diff(wantCr, cr, tol); diff != "" {
			t.Errorf("case %d (order %d): credits (-numpy +go):\n%s", i, c.Order, diff)
		}
	}
}

// denseReference is the obviously right first-order Markov model: build the whole
// transition matrix with a row for start, invert I - Q with gonum and read absorption
// probabilities, removing a channel by deleting its row and column.
func denseReference(t *rapid.T, paths []Path) map[string]float64 {
	idx := channelIndex(paths)
	n := len(idx)
	w := mat.NewDense(n+1, n+1, nil) // row/col n is start
	conv, null := make([]float64, n), make([]float64, n)
	for _, p := range paths {
		wt := p.Conversions + p.Nulls
		if wt == 0 {
			continue
		}
		prev := n
		for _, c := range p.Touches {
			k := idx[c]
			if k != prev {
				w.Set(prev, k, w.At(prev, k)+wt)
			}
			prev = k
		}
		conv[prev] += p.Conversions
		null[prev] += p.Nulls
	}
	pconv := func(skip int) float64 {
		keep := []int{}
		for k := 0; k < n; k++ {
			if k != skip {
				keep = append(keep, k)
			}
		}
		m := len(keep)
		if m == 0 {
			return 0
		}
		a := mat.NewDense(m, m, nil)
		r := mat.NewVecDense(m, nil)
		for i, s := range keep {
			tot := conv[s] + null[s]
			for k := 0; k < n; k++ {
				tot += w.At(s, k)
			}
			a.Set(i, i, 1)
			if tot == 0 {
				continue
			}
			for j, u := range keep {
				a.Set(i, j, a.At(i, j)-w.At(s, u)/tot)
			}
			r.SetVec(i, conv[s]/tot)
		}
		var inv mat.Dense
		if err := inv.Inverse(a); err != nil {
			t.Fatalf("reference inverse: %v", err)
		}
		var u mat.VecDense
		u.MulVec(&inv, r)
		st := 0.0
		for k := 0; k < n; k++ {
			st += w.At(n, k)
		}
		total := 0.0
		for i, s := range keep {
			total += w.At(n, s) / st * u.AtVec(i)
		}
		return total
	}
	base := pconv(-1)
	out := map[string]float64{}
	for c, k := range idx {
		out[c] = 0
		if base > 0 {
			out[c] = 1 - pconv(k)/base
		}
	}
	return out
}

var channelNames = []string{"search", "email", "social", "direct", "display", "affiliate", "tv"}

func genPaths(t *rapid.T, minConv float64) []Path {
	n := rapid.IntRange(1, 12).Draw(t, "paths")
	paths := make([]Path, n)
	for i := range paths {
		paths[i].Touches = rapid.SliceOfN(rapid.SampledFrom(channelNames), 1, 6).Draw(t, "touches")
		paths[i].Conversions = float64(rapid.IntRange(0, 5).Draw(t, "conv"))
		paths[i].Nulls = float64(rapid.IntRange(0, 5).Draw(t, "nulls"))
		if paths[i].Conversions > 0 {
			paths[i].Value = float64(rapid.IntRange(0, 500).Draw(t, "value"))
		}
	}
	if minConv > 0 {
		paths[0].Conversions = max(paths[0].Conversions, minConv)
	}
	return paths
}

func allModels() []CreditRule {
	return []CreditRule{FirstTouch{}, LastTouch{}, LastTouch{Direct: "direct"}, Linear{}, PositionBased{},
		PositionBased{First: 0.1, Last: 0.7}, TimeDecay{HalfLifeTouches: 2}, Markov{}, Markov{Order: 2},
		Markov{Order: 3}, Markov{Order: 4}, Shapley{}, Shapley{Game: SubsetRate}}
}

func TestPropertyCreditsSumToTotals(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		paths := genPaths(t, 1)
		var conv, value float64
		for _, p := range paths {
			conv += p.Conversions
			value += p.Value
		}
		for _, m := range allModels() {
			got, err := Attribute(paths, m)
			if err != nil {
				t.Fatalf("%#v: %v", m, err)
			}
			var c, v float64
			for _, cr := range got {
				c += cr.Conversions
				v += cr.Value
				if rate := (m == Shapley{Game: SubsetRate}); !rate && (cr.Conversions < -1e-12 || cr.Value < -1e-12) {
					t.Fatalf("%#v: negative credit %v", m, cr)
				}
			}
			if math.Abs(c-conv) > 1e-9*max(1, conv) || math.Abs(v-value) > 1e-9*max(1, value) {
				t.Fatalf("%#v: credits sum to %v conversions, %v value; want %v, %v", m, c, v, conv, value)
			}
		}
	})
}

func TestPropertyRelabelling(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		paths := genPaths(t, 1)
		perm := rapid.Permutation(channelNames).Draw(t, "perm")
		rename := map[string]string{}
		for i, c := range channelNames {
			rename[c] = "x-" + perm[i]
		}
		renamed := make([]Path, len(paths))
		for i, p := range paths {
			renamed[i] = p
			renamed[i].Touches = nil
			for _, c := range p.Touches {
				renamed[i].Touches = append(renamed[i].Touches, rename[c])
			}
		}
		for _, m := range allModels() {
			mr := m
			if lt, ok := m.(LastTouch); ok && lt.Direct != "" {
				mr = LastTouch{Direct: rename[lt.Direct]}
			}
			a, err := Attribute(paths, m)
			if err != nil {
				t.Fatal(err)
			}
			b, err := Attribute(renamed, mr)
			if err != nil {
				t.Fatal(err)
			}
			want := map[string]Credit{}
			for c, cr := range a {
				want[rename[c]] = cr
			}
			if diff := cmp.Diff(want, b, approx); diff != "" {
				t.Fatalf("%#v: relabelled credits differ (-want +got):\n%s", m, diff)
			}
		}
	})
}

// TestPropertyNonConvertingChannelGetsZero: a channel on no converting journey earns
// nothing. For the rule-based models and Shapley that holds wherever the channel sits.
// The Markov model generalises across journeys (a ghost touch followed by a converting
// channel has a path to conversion in the chain even if no observed journey took it), so
// there the property holds for a channel from which conversion is unreachable: one that
// only ever ends non-converting journeys.
func TestPropertyNonConvertingChannelGetsZero(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		paths := genPaths(t, 1)
		extra := rapid.IntRange(1, 3).Draw(t, "ghosts")
		var anywhere, atEnd []Path
		for range extra {
			touches := rapid.SliceOfN(rapid.SampledFrom(channelNames), 0, 3).Draw(t, "prefix")
			at := rapid.IntRange(0, len(touches)).Draw(t, "at")
			n := float64(rapid.IntRange(0, 4).Draw(t, "n"))
			anywhere = append(anywhere, Path{Touches: slices.Insert(slices.Clone(touches), at, "ghost"), Nulls: n})
			atEnd = append(atEnd, Path{Touches: append(slices.Clone(touches), "ghost"), Nulls: n})
		}
		for _, m := range allModels() {
			paths := append(slices.Clone(paths), anywhere...)
			if _, ok := m.(Markov); ok {
				paths = append(slices.Clone(paths[:len(paths)-len(anywhere)]), atEnd...)
			}
			got, err := Attribute(paths, m)
			if err != nil {
				t.Fatal(err)
			}
			g, ok := got["ghost"]
			if m == (Shapley{Game: SubsetRate}) {
				// The rate game debits a channel that only adds journeys that do not
				// convert: its credit is never positive.
				if !ok || g.Conversions > 1e-12 || g.Value > 1e-12 {
					t.Fatalf("%#v: ghost channel got %v (present %v), want at most zero", m, g, ok)
				}
				continue
			}
			if !ok || math.Abs(g.Conversions) > 1e-12 || math.Abs(g.Value) > 1e-12 {
				t.Fatalf("%#v: ghost channel got %v (present %v), want zero", m, g, ok)
			}
		}
	})
}

func TestPropertyMarkovMatchesDenseInverse(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		paths := genPaths(t, 1)
		want := denseReference(t, paths)
		re, err := Markov{}.RemovalEffects(paths)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]float64{}
		for c, r := range re {
			got[c] = r.Conversions
		}
		if diff := cmp.Diff(want, got, cmpopts.EquateApprox(1e-9, 1e-9)); diff != "" {
			t.Fatalf("removal effects (-dense +solver):\n%s", diff)
		}
	})
}

// shapleyByEnumeration is Shapley's formula itself: for every channel j and every
// coalition S without j, weight |S|!(n-|S|-1)!/n! times v(S ∪ {j}) - v(S), with v(S) the
// conversions of journeys whose channel set is inside S (or, with rate, their
// conversions over their journeys).
func shapleyByEnumeration(paths []Path, rate bool) map[string]float64 {
	idx := channelIndex(paths)
	n := len(idx)
	v := make([]float64, 1<<n)
	for s := range v {
		var conv, total float64
		for _, p := range paths {
			inside := true
			for _, c := range p.Touches {
				if s&(1<<idx[c]) == 0 {
					inside = false
				}
			}
			if inside {
				conv += p.Conversions
				total += p.Conversions + p.Nulls
			}
		}
		v[s] = conv
		if rate {
			v[s] = 0
			if total > 0 {
				v[s] = conv / total
			}
		}
	}
	fact := func(k int) float64 { return math.Gamma(float64(k) + 1) }
	out := map[string]float64{}
	for c, j := range idx {
		phi := 0.0
		for s := range v {
			if s&(1<<j) != 0 {
				continue
			}
			k := popcount(s)
			phi += fact(k) * fact(n-k-1) / fact(n) * (v[s|1<<j] - v[s])
		}
		out[c] = phi
	}
	return out
}

// channelIndex numbers the channels of the paths in order of appearance.
func channelIndex(paths []Path) map[string]int {
	idx := map[string]int{}
	for _, p := range paths {
		for _, c := range p.Touches {
			if _, ok := idx[c]; !ok {
				idx[c] = len(idx)
			}
		}
	}
	return idx
}

func popcount(x int) int {
	n := 0
	for ; x != 0; x &= x - 1 {
		n++
	}
	return n
}

func TestPropertyShapleyMatchesEnumeration(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		paths := genPaths(t, 0)
		for _, m := range []Shapley{{}, {Game: SubsetRate}} {
			want := shapleyByEnumeration(paths, m.Game == SubsetRate)
			vals, err := m.Values(paths)
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]float64{}
			for c, x := range vals {
				got[c] = x.Conversions
				if x.ConversionsSE != 0 {
					t.Fatalf("exact values with a standard error %v", x.ConversionsSE)
				}
			}
			if diff := cmp.Diff(want, got, approx); diff != "" {
				t.Fatalf("game %d (-enumeration +package):\n%s", m.Game, diff)
			}
		}
	})
}

// TestShapleySamplingAgreesWithExact forces the permutation sampler on games small
// enough to solve exactly, and checks each estimate against the exact value within
// five standard errors.
func TestShapleySamplingAgreesWithExact(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		paths := genPaths(t, 1)
		m := Shapley{Game: SubsetRate, Samples: 3000, Seed: 9}
		exact, err := m.Values(paths)
		if err != nil {
			t.Fatal(err)
		}
		sampled, err := m.valuesUpTo(paths, 0)
		if err != nil {
			t.Fatal(err)
		}
		for c, e := range exact {
			s := sampled[c]
			if math.Abs(s.Conversions-e.Conversions) > 5*s.ConversionsSE+1e-9 || math.Abs(s.Value-e.Value) > 5*s.ValueSE+1e-9 {
				t.Fatalf("%s: sampled %+v, exact %+v", c, s, e)
			}
		}
	})
}

func TestAttributeBadInput(t *testing.T) {
	good := Path{Touches: []string{"a"}, Conversions: 1}
	cases := []struct {
		name  string
		paths []Path
		model CreditRule
		want  error
		where string
	}{
		{"empty path", []Path{good, {}}, Linear{}, ErrInvalid, "path 1"},
		{"empty name", []Path{{Touches: []string{"a", ""}, Conversions: 1}}, Linear{}, ErrInvalid, "touch 1"},
		{"negative conversions", []Path{{Touches: []string{"a"}, Conversions: -1}}, Linear{}, ErrInvalid, "conversions"},
		{"negative nulls", []Path{{Touches: []string{"a"}, Nulls: -2}}, Markov{}, ErrInvalid, "nulls"},
		{"NaN value", []Path{{Touches: []string{"a"}, Conversions: 1, Value: math.NaN()}}, Linear{}, ErrInvalid, "value"},
		{"value without conversions", []Path{{Touches: []string{"a"}, Value: 3}}, Linear{}, ErrInvalid, "value"},
		{"ages mismatch", []Path{{Touches: []string{"a", "b"}, Conversions: 1, Ages: []time.Duration{1}}}, Linear{}, ErrInvalid, "1 age for 2 touches"},
		{"markov order 5", []Path{good}, Markov{Order: 5}, ErrInvalid, "order"},
		{"position shares", []Path{good}, PositionBased{First: 0.8, Last: 0.5}, ErrInvalid, "First"},
		{"time decay both", []Path{good}, TimeDecay{HalfLife: time.Hour, HalfLifeTouches: 1}, ErrInvalid, "exactly one"},
		{"nil model", []Path{good}, nil, ErrInvalid, "nil"},
	}
	for _, c := range cases {
		before := fmt.Sprint(c.paths)
		_, err := Attribute(c.paths, c.model)
		if !errors.Is(err, c.want) || !strings.Contains(err.Error(), c.where) {
			t.Errorf("%s: err = %v, want %v mentioning %q", c.name, err, c.want, c.where)
		}
		if after := fmt.Sprint(c.paths); after != before {
			t.Errorf("%s: paths modified: %s -> %s", c.name, before, after)
		}
	}
	got, err := Attribute(nil, Markov{})
	if err != nil || len(got) != 0 {
		t.Errorf("no paths: %v, %v; want empty and no error", got, err)
	}
}

// TestIterativeSolverAgreesWithLU forces the Gauss-Seidel path on a chain whose
// strongly connected core is large (third order over 9 channels), and compares it with
// LU factorisation of the same components.
func TestIterativeSolverAgreesWithLU(t *testing.T) {
	rng := rand.NewChaCha8([32]byte{5})
	var paths []Path
	buf := make([]byte, 8)
	for range 600 {
		rng.Read(buf)
		n := 1 + int(buf[0]%7)
		var touches []string
		for k := range n {
			touches = append(touches, fmt.Sprint("ch", buf[1+k%7]%9))
		}
		paths = append(paths, Path{Touches: touches, Conversions: float64(buf[7] % 2), Nulls: float64(1 + buf[6]%3), Value: float64(buf[7]%2) * 10})
	}
	j, err := intern(paths)
	if err != nil {
		t.Fatal(err)
	}
	solve := func(dense int) []Credit {
		re, err := Markov{Order: 3}.removalEffectsDense(j, dense)
		if err != nil {
			t.Fatal(err)
		}
		return re
	}
	ch, err := buildChain(j, 3)
	if err != nil {
		t.Fatal(err)
	}
	s, err := newSolver(ch)
	if err != nil {
		t.Fatal(err)
	}
	biggest := 0
	for _, c := range s.comps {
		biggest = max(biggest, len(c))
	}
	if biggest < 50 {
		t.Fatalf("largest strongly connected component has %d states; the test needs a large one", biggest)
	}
	lu, gs := solve(1<<30), solve(1)
	if diff := cmp.Diff(lu, gs, cmpopts.EquateApprox(0, 1e-12)); diff != "" {
		t.Errorf("removal effects (-LU +Gauss-Seidel), largest component %d states:\n%s", biggest, diff)
	}
}

// TestLongJourneys: a journey of thousands of touches (a bot, or a join gone wrong) is
// attributed by every model, in reasonable time.
func TestLongJourneys(t *testing.T) {
	var touches []string
	for i := range 5000 {
		touches = append(touches, channelNames[i%len(channelNames)])
	}
	paths := []Path{{Touches: touches, Conversions: 2, Value: 10}, {Touches: touches[:3], Nulls: 4}}
	for _, m := range allModels() {
		got, err := Attribute(paths, m)
		if err != nil {
			t.Fatalf("%#v: %v", m, err)
		}
		var sum float64
		for _, c := range got {
			sum += c.Conversions
		}
		if math.Abs(sum-2) > 1e-9 {
			t.Errorf("%#v: credits sum to %v", m, sum)
		}
	}
}

// TestAttributeHugeTotals: counts that are each finite but add up past MaxFloat64 are
// refused with ErrInvalid naming the path (now as each is past its bound, MaxCount or
// scoring.MaxAmount); at the bounds, the credits are finite and add up to the totals.
// The sums were +Inf and every rule returned +Inf or NaN credits (Markov 0 conversions
// of an infinite total) with no error, and Shapley's and Markov's value credits were
// NaN for a finite total of 1.6e308, the total multiplied by a value-sized weight before
// dividing (no longer reachable: values are at most 1e15).
func TestAttributeHugeTotals(t *testing.T) {
	rules := []CreditRule{FirstTouch{}, LastTouch{}, Linear{}, PositionBased{}, TimeDecay{HalfLifeTouches: 1},
		Markov{}, Markov{Order: 2}, Shapley{}, Shapley{Game: SubsetRate}}
	over := [][]Path{
		{{Touches: []string{"a", "b"}, Conversions: 1, Value: 1e308}, {Touches: []string{"b"}, Conversions: 1, Value: 1e308}},
		{{Touches: []string{"a", "b"}, Conversions: 1e308}, {Touches: []string{"b"}, Conversions: 1e308}},
		{{Touches: []string{"a", "b"}, Conversions: 1e308, Nulls: 1e308}},
	}
	for i, paths := range over {
		for _, r := range rules {
			_, err := Attribute(paths, r)
			if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "path ") || !strings.HasPrefix(err.Error(), "attribution: ") {
				t.Errorf("paths %d, %T: err = %v, want ErrInvalid naming the path", i, r, err)
			}
		}
	}
	big := []Path{
		{Touches: []string{"a", "b"}, Conversions: 1, Value: 0.4e15},
		{Touches: []string{"b", "c"}, Conversions: 2, Value: 0.6e15},
		{Touches: []string{"c"}, Nulls: 4},
	}
	for _, r := range rules {
		got, err := Attribute(big, r)
		if err != nil {
			t.Errorf("%T: %v", r, err)
			continue
		}
		var conv, value float64
		for ch, c := range got {
			if math.IsNaN(c.Conversions) || math.IsInf(c.Conversions, 0) || math.IsNaN(c.Value) || math.IsInf(c.Value, 0) {
				t.Errorf("%T: %s earns %+v", r, ch, c)
			}
			conv += c.Conversions
			value += c.Value
		}
		if math.Abs(conv-3) > 1e-9 || math.Abs(value-1e15) > 1e-1 {
			t.Errorf("%T: credits add up to %v conversions and %v value, want 3 and 1e15", r, conv, value)
		}
	}
}
