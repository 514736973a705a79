package attribution

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"iter"
	"math"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/clientele-go/clientele"
	"github.com/clientele-go/clientele/internal/amount"
	"github.com/clientele-go/clientele/internal/bom"
	"github.com/clientele-go/clientele/internal/english"
	"github.com/clientele-go/clientele/internal/longline"
)

// Path is one distinct customer journey: the channels that touched a person, oldest
// first, and how many journeys along exactly these touches ended in a conversion
// (Conversions, worth Value in total) and how many ended without one (Nulls). Counts are
// float64 so that weighted or sampled data can be attributed; they must be finite and
// non-negative, the counts at most [MaxCount] and the value at most scoring.MaxAmount
// (1e15), and at most that for each conversion.
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
	p, col, msg := parsePath(s)
	switch {
	case msg == "":
		return p, nil
	case col == 0:
		return Path{}, fmt.Errorf("%w: parse path %q: %s", ErrSyntax, s, msg)
	}
	return Path{}, fmt.Errorf("%w: parse path %q at column %d: %s", ErrSyntax, s, col, msg)
}

// parsePath is ParsePath without the error's wrapping: what is wrong, and the 1-based
// byte column in s where it is (0 when the problem is s as a whole), so that ReadPaths
// can place it on its line. msg is empty when s parses.
func parsePath(s string) (p Path, col int, msg string) {
	if !utf8.ValidString(s) {
		return Path{}, 0, "invalid UTF-8"
	}
	off := 0 // byte offset of the current field
	withAges := false
	for i, field := range strings.Split(s, Separator) {
		if i > 0 {
			off += len(Separator)
		}
		start := off
		off += len(field)
		name, age, hasAge := strings.Cut(field, "@")
		lead := len(name) - len(strings.TrimLeftFunc(name, unicode.IsSpace))
		name = strings.TrimSpace(name)
		if name == "" {
			what := "empty channel name"
			if strings.TrimSpace(s) == "" {
				what = "empty path"
			}
			return Path{}, start + lead + 1, what
		}
		if j := strings.IndexFunc(name, unicode.IsControl); j >= 0 {
			return Path{}, start + lead + j + 1, "control character in channel name"
		}
		if i == 0 {
			withAges = hasAge
		}
		if hasAge != withAges {
			return Path{}, start + lead + 1, "every touch or none must have an @age"
		}
		p.Touches = append(p.Touches, name)
		if !hasAge {
			continue
		}
		ageCol := start + strings.Index(field, "@") + 2
		d, err := clientele.ParseDuration(strings.TrimSpace(age))
		if err != nil {
			return Path{}, ageCol, fmt.Sprintf("age %q is not a duration such as 3d, 36h or 90m", strings.TrimSpace(age))
		}
		p.Ages = append(p.Ages, d)
	}
	return p, 0, ""
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

// ReadOptions tune ReadPaths. The zero value (or nil) reads strictly.
type ReadOptions struct {
	// Lenient skips bad lines instead of stopping at the first: each is still yielded
	// as an error (line and column), up to MaxBadLines of them, and the good lines are
	// yielded as usual. Past MaxBadLines the reader stops with an error that says so,
	// as a file that bad is probably not in this layout. It is scoring.ReadOptions'
	// Lenient, with the same cap.
	Lenient bool
}

// MaxBadLines is the most bad lines a Lenient ReadPaths reports before it stops.
const MaxBadLines = 100

// ReadPaths reads paths in ChannelAttribution's text layout: one journey a line, fields
// separated by ";" in the order path;conversions[;value[;nulls]]. A first line that
// names the fields (path;total_conversions;...) is skipped, as are blank lines, lines
// starting with "#" and a UTF-8 byte order mark (at the start of the file, or of a
// row, before its first field, quoted or not, or a "#": files each with one, joined
// with cat). The numbers are
// decimal, with a point or with a decimal comma that cannot be a thousands separator
// ("12,50", as scoring.ReadTransactions reads amounts), a sign and an exponent;
// "1,299.00" and Go's literal forms ("1_000", "0x1p4") are refused. It yields the paths
// in file order. A bad line yields an error wrapping [ErrSyntax] (it does not parse) or
// [ErrInvalid] (it parses to a path that cannot be used) that names the line and the
// byte column (1-based) where the problem is; the reader then stops, or with
// opts.Lenient goes on to the next line (up to MaxBadLines bad lines). An unreadable
// stream always stops it. A figure past its bound ([Path]: a count over [MaxCount], a
// value over scoring.MaxAmount) is [ErrInvalid] at its column, as is a row that takes
// the total conversions, nulls or value of the paths yielded before it past the same
// bound (a skipped row adds nothing): the paths ReadPaths yields, [Attribute] takes.
func ReadPaths(r io.Reader, opts *ReadOptions) iter.Seq2[Path, error] {
	lenient := opts != nil && opts.Lenient
	return func(yield func(Path, error) bool) {
		// Excel's "CSV UTF-8" starts with a byte order mark, and files joined with cat
		// have one at the start of a later line too, where a quoted path or a comment
		// after it was refused as a bare quote or read as a path: bom.Rows moves it
		// past the quote or the '#', and bom.Field drops it from the path.
		// A file without newlines was read whole by encoding/csv, which keeps a record
		// entire, before it was refused: its lines are bounded as
		// scoring.ReadTransactions bounds them.
		cr := csv.NewReader(bom.Rows(longline.New(r, longline.Max, ErrSyntax), ';', '#'))
		cr.Comma = ';'
		cr.Comment = '#'
		cr.FieldsPerRecord = -1
		cr.ReuseRecord = true
		first, bad := true, 0
		var sum totals // of the paths yielded, which Attribute takes all together
		for {
			rec, err := cr.Read()
			if err == io.EOF {
				return
			}
			line := 0
			var p Path
			if err != nil {
				var pe *csv.ParseError
				if !errors.As(err, &pe) {
					if !errors.Is(err, ErrSyntax) { // longline's error names its line
						err = errorf("read paths: %w", err)
					}
					yield(Path{}, err)
					return
				}
				line = pe.Line
				err = fmt.Errorf("%w: line %d, column %d: %v", ErrSyntax, pe.Line, pe.Column, pe.Err)
			} else {
				line, _ = cr.FieldPos(0)
				// Files each starting with a byte order mark, joined with cat.
				rec[0], _ = bom.Field(rec[0])
				header := first && strings.EqualFold(strings.TrimSpace(rec[0]), "path")
				first = false
				if header {
					continue
				}
				if p, err = readPath(cr, rec, &sum); err == nil {
					if !yield(p, nil) {
						return
					}
					continue
				}
			}
			first = false
			if bad++; bad > MaxBadLines {
				yield(Path{}, fmt.Errorf("%w: line %d: more than %d bad lines, stopping (not path;conversions[;value[;nulls]]?)", ErrSyntax, line, MaxBadLines))
				return
			}
			if !yield(Path{}, err) || !lenient {
				return
			}
		}
	}
}

// readPath turns one row of ReadPaths into a path, or an error that names the row's
// line and the column of the problem. Columns of a quoted field count from its opening
// quote, as csv.Reader.FieldPos does. It adds the path to sum, the totals of the rows
// read before, refusing the row that takes one past its bound there, at its line, rather
// than yield it for Attribute to refuse as "path 1"; on an error sum is left as it was.
func readPath(cr *csv.Reader, rec []string, sum *totals) (Path, error) {
	at := func(field, offset int, sentinel error, msg string) error {
		line, col := cr.FieldPos(field)
		return fmt.Errorf("%w: line %d, column %d: %s", sentinel, line, col+offset, msg)
	}
	if len(rec) < 2 || len(rec) > 4 {
		field, offset := 4, 0 // the first field too many
		if len(rec) < 2 {
			field, offset = 0, len(rec[0]) // the end of the line
		}
		return Path{}, at(field, offset, ErrSyntax, fmt.Sprintf("%s, want path;conversions[;value[;nulls]]", english.Count(len(rec), "field")))
	}
	p, col, msg := parsePath(rec[0])
	if msg != "" {
		return Path{}, at(0, max(col-1, 0), ErrSyntax, fmt.Sprintf("path %q: %s", rec[0], msg))
	}
	nums := []*float64{&p.Conversions, &p.Value, &p.Nulls}
	for i, f := range rec[1:] {
		// The SDK's one rule for figures read from text (internal/amount), with the sign
		// and exponent strconv.ParseFloat took here before, so that a negative count is
		// refused as negative: a ';' file's value written 12,50 reads as 12.5, as
		// scoring.ReadTransactions and the Beam road read it; "1_000" and "0x1p4" do not.
		v, err := amount.Parse(f, &amount.Signed)
		if err != nil {
			return Path{}, at(i+1, 0, ErrSyntax, fmt.Sprintf("%s %q is not a number%s", fieldNames[i+1], f, amount.Hint(f)))
		}
		*nums[i] = v
	}
	if field, msg := p.problem(); msg != "" {
		return Path{}, at(field, 0, ErrInvalid, msg)
	}
	if field, what := sum.add(&p); what != "" {
		v := [...]float64{1: p.Conversions, 2: p.Value, 3: p.Nulls}[field]
		return Path{}, at(field, 0, ErrInvalid, fmt.Sprintf("%s %v takes the file's %s", fieldNames[field], v, what))
	}
	return p, nil
}

// fieldNames are the fields of a ReadPaths row, in order.
var fieldNames = [...]string{"path", "conversions", "value", "nulls"}

// problem says what is wrong with one path (empty if nothing) and in which field of a
// ReadPaths row it lies (an index of fieldNames).
func (p *Path) problem() (field int, msg string) {
	if len(p.Touches) == 0 {
		return 0, "no touches"
	}
	for i, t := range p.Touches {
		if t == "" {
			return 0, fmt.Sprintf("touch %d: empty channel name", i)
		}
	}
	for _, c := range [...]struct {
		field int
		v     float64
	}{{1, p.Conversions}, {3, p.Nulls}, {2, p.Value}} {
		if c.v < 0 || math.IsNaN(c.v) || math.IsInf(c.v, 0) {
			return c.field, fmt.Sprintf("%s %v: must be finite and non-negative", fieldNames[c.field], c.v)
		}
	}
	if p.Value > 0 && p.Conversions == 0 {
		return 2, fmt.Sprintf("value %v without conversions", p.Value)
	}
	if field, msg := p.bound(); msg != "" {
		return field, msg
	}
	if p.Ages != nil {
		if len(p.Ages) != len(p.Touches) {
			return 0, fmt.Sprintf("%s for %s", english.Count(len(p.Ages), "age"), fmt.Sprintf("%d %s", len(p.Touches), english.Plural(len(p.Touches), "touch", "touches")))
		}
		for i, a := range p.Ages {
			if a < 0 {
				return 0, fmt.Sprintf("touch %d: negative age %v", i, a)
			}
		}
	}
	return 0, ""
}
