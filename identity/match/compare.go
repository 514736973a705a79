package match

import (
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/clientele-go/clientele/internal/textdist"
)

// LevelKind says how a comparison level tests two values.
type LevelKind uint8

// The kinds of comparison level.
const (
	// Exact: the normalised values are equal.
	Exact LevelKind = iota + 1
	// JaroWinkler: the Jaro-Winkler similarity (Winkler 1990) is at least Threshold.
	JaroWinkler
	// DamerauLevenshtein: at most Threshold insertions, deletions, substitutions and
	// adjacent transpositions apart (the optimal string alignment distance).
	DamerauLevenshtein
	// DateWithin: both values are YYYY-MM-DD dates at most Threshold days apart.
	DateWithin
)

// Level is one degree of agreement of a Comparison.
type Level struct {
	Kind      LevelKind
	Threshold float64
}

// String is the level's label in a waterfall: "exact", "jaro-winkler>=0.9",
// "damerau-levenshtein<=1", "within 365d".
func (v Level) String() string {
	t := strconv.FormatFloat(v.Threshold, 'g', -1, 64)
	switch v.Kind {
	case Exact:
		return "exact"
	case JaroWinkler:
		return "jaro-winkler>=" + t
	case DamerauLevenshtein:
		return "damerau-levenshtein<=" + t
	case DateWithin:
		return "within " + t + "d"
	}
	return "level(" + strconv.Itoa(int(v.Kind)) + ")"
}

// Comparison compares one field of two records and puts the pair in one of its levels:
// the first of Levels that holds (so Levels run from most to least similar), else the
// implicit "else" level (index len(Levels)), or the null level when either value is
// missing. Each level has its own m and u probability in a Model; the null level has
// none and weighs 0, because a missing value is no evidence either way.
type Comparison struct {
	// Name labels the comparison in a waterfall; empty means Field.
	Name  string
	Field string
	// Levels, at most 8, most similar first.
	Levels []Level
	// TermFrequency adjusts an exact agreement for how common the value is (Winkler's
	// frequency-based matching, as Splink does it): the u probability of agreeing on
	// value x is taken as x's share of the non-empty values of the field, so agreeing
	// on "Smith" or on a default phone number shared by thousands of records weighs
	// less than agreeing on a rare value. Levels[0] must then be Exact.
	TermFrequency bool
}

const maxLevels = 8

// null is the comparison-vector entry of a pair with a value missing.
const null = -1

func (c Comparison) label() string {
	if c.Name != "" {
		return c.Name
	}
	return c.Field
}

func (c Comparison) check() error {
	if _, ok := fieldValue(&Record{}, c.Field); !ok {
		return fmt.Errorf("%w: comparison %q: unknown field %q", ErrInvalid, c.label(), c.Field)
	}
	if len(c.Levels) == 0 || len(c.Levels) > maxLevels {
		return fmt.Errorf("%w: comparison %q: %d levels, want 1 to %d", ErrInvalid, c.label(), len(c.Levels), maxLevels)
	}
	for i, v := range c.Levels {
		bad := math.IsNaN(v.Threshold) || math.IsInf(v.Threshold, 0)
		switch v.Kind {
		case Exact:
		case JaroWinkler:
			bad = bad || v.Threshold < 0 || v.Threshold > 1
		case DamerauLevenshtein, DateWithin:
			bad = bad || v.Threshold < 0 || v.Threshold > 1e6
		default:
			return fmt.Errorf("%w: comparison %q level %d: unknown kind %d", ErrInvalid, c.label(), i, v.Kind)
		}
		if bad {
			return fmt.Errorf("%w: comparison %q level %d: threshold %v out of range for %s", ErrInvalid, c.label(), i, v.Threshold, v)
		}
	}
	if c.TermFrequency && c.Levels[0].Kind != Exact {
		return fmt.Errorf("%w: comparison %q: term-frequency adjustment needs an exact first level", ErrInvalid, c.label())
	}
	return nil
}

// column is one comparison's field over every record, normalised once.
type column struct {
	Comparison
	vals  []string
	runes [][]rune  // for fuzzy levels
	days  []int32   // for date levels
	tf    []float64 // term frequency of each record's value, for TermFrequency
}

func (c *column) needs(k LevelKind) bool {
	for _, v := range c.Levels {
		if v.Kind == k {
			return true
		}
	}
	return false
}

func buildColumn(c Comparison, vals []string) (*column, error) {
	col := &column{Comparison: c, vals: vals}
	if col.needs(JaroWinkler) || col.needs(DamerauLevenshtein) {
		col.runes = make([][]rune, len(vals))
		for i, v := range vals {
			col.runes[i] = []rune(v)
		}
	}
	if col.needs(DateWithin) {
		col.days = make([]int32, len(vals))
		for i, v := range vals {
			if v == "" {
				continue
			}
			t, err := time.Parse(time.DateOnly, v)
			if err != nil {
				return nil, fmt.Errorf("%w: record %d: comparison %q: %q is not a YYYY-MM-DD date", ErrInvalid, i, c.label(), v)
			}
			col.days[i] = int32(t.Unix() / 86400)
		}
	}
	if c.TermFrequency {
		counts := map[string]int{}
		nonNull := 0
		for _, v := range vals {
			if v != "" {
				counts[v]++
				nonNull++
			}
		}
		col.tf = make([]float64, len(vals))
		for i, v := range vals {
			if v != "" {
				col.tf[i] = float64(counts[v]) / float64(nonNull)
			}
		}
	}
	return col, nil
}

// level returns the level of records a and b, or null.
func (c *column) level(a, b int32) int8 {
	x, y := c.vals[a], c.vals[b]
	if x == "" || y == "" {
		return null
	}
	for i, v := range c.Levels {
		ok := false
		switch v.Kind {
		case Exact:
			ok = x == y
		case JaroWinkler:
			ok = x == y || jaroWinkler(c.runes[a], c.runes[b]) >= v.Threshold
		case DamerauLevenshtein:
			ok = x == y || float64(textdist.OSA(c.runes[a], c.runes[b])) <= v.Threshold
		case DateWithin:
			d := int64(c.days[a]) - int64(c.days[b])
			ok = float64(max(d, -d)) <= v.Threshold
		}
		if ok {
			return int8(i)
		}
	}
	return int8(len(c.Levels))
}
