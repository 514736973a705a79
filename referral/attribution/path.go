package attribution

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/clientele-go/clientele"
)

// Path is one distinct customer journey: the channels that touched a person, oldest
// first, and how many journeys along exactly these touches ended in a conversion
// (Conversions, worth Value in total) and how many ended without one (Nulls). Counts are
// float64 so that weighted or sampled data can be attributed; they must be finite and
// non-negative.
//
// Ages is optional: when set it holds, for each touch, how long before the end of the
// journey (the conversion, or the moment a null journey was observed) the touch
// happened, so len(Ages) == len(Touches). Only [TimeDecay] with a HalfLife in time reads
// it; the field comes last so that keyed literals such as
// Path{Touches: t, Conversions: 1} keep compiling.
type Path struct {
	Touches                   []string
	Conversions, Nulls, Value float64
	Ages                      []time.Duration
}

// Credit is what a model gives a channel: a share of the conversions and of their value.
type Credit struct {
	Conversions, Value float64
}

// Separator is the token between touches in a path string, as in ChannelAttribution.
const Separator = ">"

// ParsePath parses a journey written as channels separated by ">", for example
// "search > email > direct". Space around a channel name is ignored. A channel may carry
// its age before the end of the journey after an "@", as a duration that
// [clientele.ParseDuration] reads:
// "search@72h > email@3h > direct@0s"; either every touch has an age or none does. The
// returned Path has no counts; the caller sets them. Errors wrap [ErrSyntax] and give the
// byte column (1-based) where the problem is.
func ParsePath(s string) (Path, error) {
	var p Path
	if !utf8.ValidString(s) {
		return Path{}, fmt.Errorf("%w: parse path %q: invalid UTF-8", ErrSyntax, s)
	}
	col := 0 // byte offset of the current field
	withAges := false
	for i, field := range strings.Split(s, Separator) {
		if i > 0 {
			col += len(Separator)
		}
		start := col
		col += len(field)
		name, age, hasAge := strings.Cut(field, "@")
		lead := len(name) - len(strings.TrimLeftFunc(name, unicode.IsSpace))
		name = strings.TrimSpace(name)
		if name == "" {
			what := "empty channel name"
			if strings.TrimSpace(s) == "" {
				what = "empty path"
			}
			return Path{}, fmt.Errorf("%w: parse path %q at column %d: %s", ErrSyntax, s, start+lead+1, what)
		}
		if j := strings.IndexFunc(name, unicode.IsControl); j >= 0 {
			return Path{}, fmt.Errorf("%w: parse path %q at column %d: control character in channel name", ErrSyntax, s, start+lead+j+1)
		}
		if i == 0 {
			withAges = hasAge
		}
		if hasAge != withAges {
			return Path{}, fmt.Errorf("%w: parse path %q at column %d: every touch or none must have an @age", ErrSyntax, s, start+lead+1)
		}
		p.Touches = append(p.Touches, name)
		if !hasAge {
			continue
		}
		ageCol := start + strings.Index(field, "@") + 2
		d, err := clientele.ParseDuration(strings.TrimSpace(age))
		if err != nil {
			return Path{}, fmt.Errorf("%w: parse path %q at column %d: age %q is not a duration such as 3d, 36h or 90m", ErrSyntax, s, ageCol, strings.TrimSpace(age))
		}
		p.Ages = append(p.Ages, d)
	}
	return p, nil
}

// String writes the path's touches in the form ParsePath reads, with ages when the path
// has them. Counts are not part of the string.
func (p Path) String() string {
	var b strings.Builder
	for i, t := range p.Touches {
		if i > 0 {
			b.WriteString(" " + Separator + " ")
		}
		b.WriteString(t)
		if p.Ages != nil && i < len(p.Ages) {
			b.WriteString("@" + clientele.FormatDuration(p.Ages[i]))
		}
	}
	return b.String()
}

// ReadPaths reads paths in ChannelAttribution's text layout: one journey a line,
// fields separated by ";" in the order path;conversions[;value[;nulls]]. A first line
// that names the fields (path;total_conversions;...) is skipped, as are blank lines and
// lines starting with "#". Errors wrap [ErrSyntax] or [ErrInvalid] and give the line and
// column; on error no paths are returned.
func ReadPaths(r io.Reader) ([]Path, error) {
	cr := csv.NewReader(r)
	cr.Comma = ';'
	cr.Comment = '#'
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	var out []Path
	first := true
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return nil, fmt.Errorf("%w: read paths at line %d, column %d: %v", ErrSyntax, pe.Line, pe.Column, pe.Err)
			}
			return nil, errorf("read paths: %w", err)
		}
		line, _ := cr.FieldPos(0)
		if first {
			first = false
			if strings.EqualFold(strings.TrimSpace(rec[0]), "path") {
				continue
			}
		}
		if len(rec) < 2 || len(rec) > 4 {
			return nil, fmt.Errorf("%w: read paths at line %d: %d fields, want path;conversions[;value[;nulls]]", ErrSyntax, line, len(rec))
		}
		p, err := ParsePath(rec[0])
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", line, err)
		}
		nums := []*float64{&p.Conversions, &p.Value, &p.Nulls}
		names := []string{"conversions", "value", "nulls"}
		for i, f := range rec[1:] {
			_, col := cr.FieldPos(i + 1)
			v, err := strconv.ParseFloat(strings.TrimSpace(f), 64)
			if err != nil {
				return nil, fmt.Errorf("%w: read paths at line %d, column %d: %s %q is not a number", ErrSyntax, line, col, names[i], f)
			}
			*nums[i] = v
		}
		if err := p.check(); err != nil {
			return nil, errorf("read paths at line %d: %w", line, err)
		}
		out = append(out, p)
	}
}

// check reports what is wrong with one path, without its index.
func (p *Path) check() error {
	if len(p.Touches) == 0 {
		return fmt.Errorf("no touches: %w", ErrInvalid)
	}
	for i, t := range p.Touches {
		if t == "" {
			return fmt.Errorf("touch %d: empty channel name: %w", i, ErrInvalid)
		}
	}
	for _, c := range [...]struct {
		name string
		v    float64
	}{{"conversions", p.Conversions}, {"nulls", p.Nulls}, {"value", p.Value}} {
		if c.v < 0 || math.IsNaN(c.v) || math.IsInf(c.v, 0) {
			return fmt.Errorf("%s %v: must be finite and non-negative: %w", c.name, c.v, ErrInvalid)
		}
	}
	if p.Value > 0 && p.Conversions == 0 {
		return fmt.Errorf("value %v without conversions: %w", p.Value, ErrInvalid)
	}
	if p.Ages != nil {
		if len(p.Ages) != len(p.Touches) {
			return fmt.Errorf("%d ages for %d touches: %w", len(p.Ages), len(p.Touches), ErrInvalid)
		}
		for i, a := range p.Ages {
			if a < 0 {
				return fmt.Errorf("touch %d: negative age %v: %w", i, a, ErrInvalid)
			}
		}
	}
	return nil
}
