package attribution

import (
	"errors"
	"math"
	"strings"
	"testing"

	"pgregory.net/rapid"
)

// everyRule is one of each credit rule, with the parameters that reach each solver.
var everyRule = []CreditRule{
	FirstTouch{}, LastTouch{}, Linear{}, PositionBased{First: 0.4, Last: 0.4},
	TimeDecay{HalfLifeTouches: 1}, Markov{Order: 1}, Markov{Order: 2}, Shapley{},
	Shapley{Game: SubsetRate},
}

// computations are the package's entry points that take paths as Go values.
func computations() map[string]func([]Path) error {
	out := map[string]func([]Path) error{
		"Markov.RemovalEffects": func(ps []Path) error { _, err := Markov{Order: 1}.RemovalEffects(ps); return err },
		"Shapley.Values":        func(ps []Path) error { _, err := Shapley{Game: SubsetRate}.Values(ps); return err },
	}
	for _, r := range everyRule {
		out["Attribute "+fmtRule(r)] = func(ps []Path) error {
			_, err := Attribute(ps, r)
			return err
		}
	}
	return out
}

func fmtRule(r CreditRule) string {
	switch r := r.(type) {
	case Markov:
		return "Markov" + string(rune('0'+r.Order))
	case Shapley:
		return "Shapley" + string(rune('0'+r.Game))
	case FirstTouch:
		return "FirstTouch"
	case LastTouch:
		return "LastTouch"
	case Linear:
		return "Linear"
	case PositionBased:
		return "PositionBased"
	case TimeDecay:
		return "TimeDecay"
	}
	return "?"
}

// TestAbsurdFigures: a figure no journey data holds (a count over MaxCount, a value over
// scoring.MaxAmount, a conversion worth more than that, totals past the same bounds) is
// refused by every computation with ErrInvalid naming the path. Before, 1e300 was
// credited as such; 1e308 conversions on a path that loops (a > b > a) were credited as
// zero to every channel by Markov (its edge counts overflowed); a value of 1e15 on
// 5e-324 conversions made Shapley.Values ±Inf; and totals past 2^53 lost conversions.
func TestAbsurdFigures(t *testing.T) {
	other := Path{Touches: []string{"c"}, Conversions: 1, Nulls: 5, Value: 3}
	for _, c := range []struct {
		name  string
		paths []Path
		want  string
	}{
		{"value 1e300", []Path{{Touches: []string{"a", "b"}, Conversions: 3, Nulls: 1, Value: 1e300}, other},
			"path 0: value 1e+300 is over 1e+15 (scoring.MaxAmount)"},
		{"conversions 1e300", []Path{other, {Touches: []string{"a", "b"}, Conversions: 1e300, Value: 10}},
			"path 1: conversions 1e+300 is over MaxCount, 1e+12"},
		{"nulls 1.7e308", []Path{other, {Touches: []string{"a"}, Nulls: 1.7e308}},
			"path 1: nulls 1.7e+308 is over MaxCount, 1e+12"},
		{"a loop of 1e308 conversions", []Path{{Touches: []string{"a", "b", "a", "b", "a"}, Conversions: 1e308, Value: 1}, other},
			"path 0: conversions 1e+308 is over MaxCount"},
		{"a conversion worth 2e338", []Path{{Touches: []string{"a", "b"}, Conversions: 5e-324, Value: 1e15}, other},
			"path 0: value 1e+15 for 5e-324 conversions is over 1e+15 (scoring.MaxAmount) a conversion"},
		{"conversions 2^53 + 1", []Path{{Touches: []string{"a"}, Conversions: 1 << 53}, {Touches: []string{"b"}, Conversions: 1}},
			"path 0: conversions 9.007199254740992e+15 is over MaxCount"},
		{"total conversions", []Path{{Touches: []string{"a"}, Conversions: 6e11}, {Touches: []string{"b"}, Conversions: 6e11}},
			"path 1: takes the paths' total conversions past MaxCount, 1e+12"},
		{"total nulls", []Path{other, {Touches: []string{"a"}, Nulls: 6e11}, {Touches: []string{"b"}, Nulls: 6e11}},
			"path 2: takes the paths' total nulls past MaxCount, 1e+12"},
		{"total value", []Path{other, {Touches: []string{"a"}, Conversions: 1, Value: 6e14}, {Touches: []string{"b"}, Conversions: 1, Value: 6e14}},
			"path 2: takes the paths' total value past 1e+15 (scoring.MaxAmount)"},
		// Refused before too; kept so that every kind of figure is covered here.
		{"NaN", []Path{other, {Touches: []string{"a"}, Conversions: math.NaN()}}, "path 1: conversions NaN"},
		{"+Inf", []Path{{Touches: []string{"a"}, Conversions: 1, Value: math.Inf(1)}}, "path 0: value +Inf"},
		{"negative", []Path{{Touches: []string{"a"}, Nulls: -1}}, "path 0: nulls -1"},
	} {
		for name, f := range computations() {
			err := f(c.paths)
			if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), c.want) {
				t.Errorf("%s: %s = %v, want ErrInvalid with %q", c.name, name, err, c.want)
			}
		}
	}
}

// TestFiguresAtTheBounds: figures at the bounds are credited, finitely, and integer
// counts add up exactly.
func TestFiguresAtTheBounds(t *testing.T) {
	paths := []Path{
		{Touches: []string{"a", "b", "a"}, Conversions: MaxCount - 1, Nulls: MaxCount - 3, Value: 1e15 - 1},
		{Touches: []string{"b", "c"}, Conversions: 1, Nulls: 3, Value: 1},
	}
	for _, r := range everyRule {
		cr, err := Attribute(paths, r)
		if err != nil {
			t.Errorf("%s: %v", fmtRule(r), err)
			continue
		}
		var conv, value float64
		for ch, c := range cr {
			if math.IsInf(c.Conversions, 0) || math.IsNaN(c.Conversions) || math.IsInf(c.Value, 0) || math.IsNaN(c.Value) {
				t.Errorf("%s: channel %s credited %+v", fmtRule(r), ch, c)
			}
			conv += c.Conversions
			value += c.Value
		}
		if math.Abs(conv-MaxCount) > 1e-9*MaxCount || math.Abs(value-1e15) > 1e-9*1e15 {
			t.Errorf("%s: credits add up to %v conversions, %v value; want %v, %v", fmtRule(r), conv, value, float64(MaxCount), 1e15)
		}
	}
	// One conversion worth the most a conversion may be worth.
	if _, err := Attribute([]Path{{Touches: []string{"a"}, Conversions: 0.5, Value: 5e14}}, Shapley{Game: SubsetRate}); err != nil {
		t.Errorf("half a conversion worth 5e14: %v", err)
	}
}

// TestAbsurdFiguresProperty: whatever figures a caller passes, from subnormal to the
// largest float64, every computation either refuses them with ErrInvalid or returns
// finite credits; and but for Shapley's SubsetRate game, whose credits are scaled
// values of either sign, the credits add up to the totals. It found Markov crediting
// nothing of 1e308 conversions on a looping path, and ±Inf Shapley values.
func TestAbsurdFiguresProperty(t *testing.T) {
	figure := rapid.SampledFrom([]float64{0, 5e-324, 1e-300, 1e-6, 0.5, 1, 3, 1e6, 1e11, 6e11, MaxCount, 1e14, 1e15, 1e16, 1 << 53, 1e300, math.MaxFloat64})
	rapid.Check(t, func(t *rapid.T) {
		n := rapid.IntRange(1, 5).Draw(t, "paths")
		paths := make([]Path, n)
		for i := range paths {
			paths[i] = Path{
				Touches:     rapid.SliceOfN(rapid.SampledFrom([]string{"a", "b", "c"}), 1, 5).Draw(t, "touches"),
				Conversions: figure.Draw(t, "conversions"),
				Nulls:       figure.Draw(t, "nulls"),
			}
			if paths[i].Conversions > 0 {
				paths[i].Value = figure.Draw(t, "value")
			}
		}
		rule := rapid.SampledFrom(everyRule).Draw(t, "rule")
		cr, err := Attribute(paths, rule)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error %v does not wrap ErrInvalid", err)
			}
			return
		}
		var conv, value, totalConv, totalValue float64
		for _, p := range paths {
			totalConv += p.Conversions
			totalValue += p.Value
		}
		for ch, c := range cr {
			if math.IsInf(c.Conversions, 0) || math.IsNaN(c.Conversions) || math.IsInf(c.Value, 0) || math.IsNaN(c.Value) {
				t.Fatalf("channel %s credited %+v", ch, c)
			}
			conv += c.Conversions
			value += c.Value
		}
		if _, rate := rule.(Shapley); rate && rule.(Shapley).Game == SubsetRate {
			return
		}
		// To rounding: a subnormal count (5e-324 conversions on a path of two
		// touches) is lost in the division of its credit, an absolute error no
		// journey data can notice.
		if math.Abs(conv-totalConv) > 1e-9*totalConv+1e-290 || math.Abs(value-totalValue) > 1e-9*totalValue+1e-290 {
			t.Fatalf("credits add up to %v conversions, %v value; the paths to %v, %v", conv, value, totalConv, totalValue)
		}
		if sv, err := (Shapley{Game: SubsetRate}).Values(paths); err == nil {
			for ch, v := range sv {
				if math.IsInf(v.Conversions, 0) || math.IsNaN(v.Conversions) || math.IsInf(v.Value, 0) || math.IsNaN(v.Value) {
					t.Fatalf("Shapley value of %s: %+v", ch, v)
				}
			}
		}
	})
}

// TestReadPathsAbsurdFigures: ReadPaths refuses a figure no journey data holds at its
// line and column, with ErrInvalid, as it refuses a negative one; and a row that takes
// the file's totals past the bounds, so that every path it yields, Attribute takes.
// Before, 1e300 was read, and rows each within the bounds were yielded only for
// Attribute to refuse them as "path 1".
func TestReadPathsAbsurdFigures(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"a > b;3;1e300\n", "line 1, column 9: value 1e+300 is over 1e+15 (scoring.MaxAmount)"},
		{"path;conversions\na;1e13\n", "line 2, column 3: conversions 1e+13 is over MaxCount, 1e+12"},
		{"a;1;2;1e13\n", "line 1, column 7: nulls 1e+13 is over MaxCount, 1e+12"},
		{"a;1e-300;1\n", "line 1, column 10: value 1 for 1e-300 conversions is over 1e+15 (scoring.MaxAmount) a conversion"},
		{"a;6e11\nb;6e11\n", "line 2, column 3: conversions 6e+11 takes the file's total conversions past MaxCount, 1e+12"},
		{"a;1;0;6e11\nb;1;0;6e11\n", "line 2, column 7: nulls 6e+11 takes the file's total nulls past MaxCount, 1e+12"},
		{"a;1;6e14\n# x\nb;1;6e14\n", "line 3, column 5: value 6e+14 takes the file's total value past 1e+15 (scoring.MaxAmount)"},
	} {
		ps, errs := readAll(strings.NewReader(c.in), nil)
		if len(errs) != 1 || !errors.Is(errs[0], ErrInvalid) || !strings.Contains(errs[0].Error(), c.want) {
			t.Errorf("%q: errors %v, want ErrInvalid with %q", c.in, errs, c.want)
			continue
		}
		if _, err := Attribute(ps, Markov{Order: 1}); len(ps) > 0 && err != nil {
			t.Errorf("%q: the paths read before the error are refused: %v", c.in, err)
		}
	}
	// Lenient, the row past a total is skipped and does not count towards it.
	ps, errs := readAll(strings.NewReader("a;6e11\nb;6e11\nc;4e11\n"), &ReadOptions{Lenient: true})
	if len(ps) != 2 || len(errs) != 1 || ps[1].Touches[0] != "c" {
		t.Errorf("lenient: paths %v, errors %v; want a and c, and line 2 refused", ps, errs)
	}
	// At the bounds, the figures are read.
	ps, errs = readAll(strings.NewReader("a;1e12;1e15;1e12\n"), nil)
	if len(ps) != 1 || len(errs) != 0 {
		t.Errorf("figures at the bounds: paths %v, errors %v", ps, errs)
	}
}
