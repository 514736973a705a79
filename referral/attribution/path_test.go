package attribution

import (
	"errors"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestParsePath(t *testing.T) {
	p, err := ParsePath("  search >email>  social media ")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"search", "email", "social media"}, p.Touches); diff != "" {
		t.Errorf("touches (-want +got):\n%s", diff)
	}
	if p.Ages != nil {
		t.Errorf("ages = %v, want nil", p.Ages)
	}
	p, err = ParsePath("a@72h > b @ 90m > c@0s")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]time.Duration{72 * time.Hour, 90 * time.Minute, 0}, p.Ages); diff != "" {
		t.Errorf("ages (-want +got):\n%s", diff)
	}
	if got := p.String(); got != "a@3d > b@1h30m > c@0s" {
		t.Errorf("String() = %q", got)
	}
	back, err := ParsePath(p.String())
	if err != nil || !cmp.Equal(back, p) {
		t.Errorf("round trip: %v, %v", back, err)
	}
}

func TestParsePathErrors(t *testing.T) {
	cases := []struct{ in, where string }{
		{"", "column 1: empty path"},
		{"   ", "column 4: empty path"},
		{"a > > b", "column 5: empty channel name"},
		{"a >", "column 4: empty channel name"},
		{"a@1h > b", "column 8: every touch or none"},
		{"a > b@1h", "column 5: every touch or none"},
		{"a@soon", "column 3: age \"soon\""},
		{"a@-1h", "column 3: age \"-1h\""},
		{"a > b\x01c", "column 6: control character"},
		{"a > \xff", "invalid UTF-8"},
	}
	for _, c := range cases {
		_, err := ParsePath(c.in)
		if !errors.Is(err, ErrSyntax) || !strings.Contains(err.Error(), c.where) {
			t.Errorf("ParsePath(%q) = %v, want ErrSyntax at %q", c.in, err, c.where)
		}
	}
}

func TestReadPaths(t *testing.T) {
	in := `path;total_conversions;total_conversion_value;total_null
# a comment
eta > iota;1;10.5;3
alpha;0;0;4

beta > beta;2
`
	got, errs := readAll(strings.NewReader(in), nil)
	if errs != nil {
		t.Fatal(errs)
	}
	want := []Path{
		{Touches: []string{"eta", "iota"}, Conversions: 1, Value: 10.5, Nulls: 3},
		{Touches: []string{"alpha"}, Nulls: 4},
		{Touches: []string{"beta", "beta"}, Conversions: 2},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	bad := []struct {
		in, where string
		want      error
	}{
		{"a;1\nb > ;1\n", "line 2, column 5: path \"b > \": empty channel name", ErrSyntax},
		{"a;1\n  b > c@1d;1\n", "line 2, column 7: path \"  b > c@1d\": every touch or none", ErrSyntax},
		{"a;x\n", "line 1, column 3: conversions \"x\" is not a number", ErrSyntax},
		{"a;1;2;-1\n", "line 1, column 7: nulls -1: must be finite", ErrInvalid},
		{"a\n", "line 1, column 2: 1 field, want", ErrSyntax},
		{"a;1;2;3;4\n", "line 1, column 9: 5 fields", ErrSyntax},
		{"a;0;5\n", "line 1, column 5: value 5 without conversions", ErrInvalid},
		{"a;\"1\n", "line 1, column 6: extraneous or missing", ErrSyntax},
	}
	for _, c := range bad {
		ps, errs := readAll(strings.NewReader(c.in), nil)
		if len(errs) != 1 || !strings.Contains(errs[0].Error(), c.where) || !errors.Is(errs[0], c.want) {
			t.Errorf("ReadPaths(%q) = %v, %v; want one error wrapping %v at %q", c.in, ps, errs, c.want, c.where)
			continue
		}
		if msg := errs[0].Error(); !strings.HasPrefix(msg, "attribution: ") || strings.Count(msg, "attribution:") != 1 {
			t.Errorf("ReadPaths(%q): %q does not open with the package prefix once", c.in, msg)
		}
	}
}

// TestReadPathsNumbers: the numbers follow the SDK's one rule for figures read from
// text (internal/amount), as scoring.ReadTransactions and the Beam road read them. A
// value written 12,50, natural in a ';' file, was refused as "not a number", and
// "1_000" and "0x1p4", which no export writes, were read as 1000 and 16.
func TestReadPathsNumbers(t *testing.T) {
	got, errs := readAll(strings.NewReader("a > b;2;12,50;3\nc;1e1;+2.5;0\n"), nil)
	want := []Path{
		{Touches: []string{"a", "b"}, Conversions: 2, Value: 12.5, Nulls: 3},
		{Touches: []string{"c"}, Conversions: 10, Value: 2.5},
	}
	if diff := cmp.Diff(want, got); errs != nil || diff != "" {
		t.Errorf("%v, (-want +got):\n%s", errs, diff)
	}
	for _, c := range []struct{ in, want string }{
		{"a;1_000\n", `line 1, column 3: conversions "1_000" is not a number`},
		{"a;1;0x1p4\n", `line 1, column 5: value "0x1p4" is not a number`},
		{"a;1;1.299,00\n", `line 1, column 5: value "1.299,00" is not a number: a comma is read as a decimal comma only`},
		{"a;1;-2\n", "line 1, column 5: value -2: must be finite and non-negative"},
	} {
		if _, errs := readAll(strings.NewReader(c.in), nil); len(errs) != 1 || !strings.Contains(errs[0].Error(), c.want) {
			t.Errorf("ReadPaths(%q): %v, want an error with %q", c.in, errs, c.want)
		}
	}
}

// TestReadPathsByteOrderMark: a file saved as Excel's "CSV UTF-8" starts with a byte
// order mark, which is neither part of the header's "path" (the header would be read
// as a path and fail) nor of the first channel's name (a channel of its own).
func TestReadPathsByteOrderMark(t *testing.T) {
	for _, in := range []string{
		"\ufeffpath;total_conversions;total_conversion_value;total_null\nsearch > email;1;10;3\n",
		"\ufeffsearch > email;1;10;3\n",
	} {
		got, errs := readAll(strings.NewReader(in), nil)
		want := []Path{{Touches: []string{"search", "email"}, Conversions: 1, Value: 10, Nulls: 3}}
		if diff := cmp.Diff(want, got); errs != nil || diff != "" {
			t.Errorf("ReadPaths(%q): %v, (-want +got):\n%s", in, errs, diff)
		}
	}
	// Files each with a mark, joined with cat: the second file's first channel was a
	// channel of its own ("\ufeffsearch"), and its header was read as a path.
	in := "\ufeffsearch > email;1;10;3\n" + "\ufeffpath;total_conversions\n" + "\ufeffsearch;2\n"
	got, errs := readAll(strings.NewReader(in), &ReadOptions{Lenient: true})
	want := []Path{{Touches: []string{"search", "email"}, Conversions: 1, Value: 10, Nulls: 3}, {Touches: []string{"search"}, Conversions: 2}}
	if diff := cmp.Diff(want, got); len(errs) != 1 || diff != "" {
		t.Errorf("joined files: %v (want the repeated header's error alone), (-want +got):\n%s", errs, diff)
	}
	// A mark before a later line's quoted path was "bare \" in non-quoted-field", and
	// before a comment it made the comment a path.
	in = "search;1;10;3\n" + "\ufeff# the second export\n" + "\ufeff\"search > email\";2\n"
	got, errs = readAll(strings.NewReader(in), nil)
	want = []Path{{Touches: []string{"search"}, Conversions: 1, Value: 10, Nulls: 3}, {Touches: []string{"search", "email"}, Conversions: 2}}
	if diff := cmp.Diff(want, got); errs != nil || diff != "" {
		t.Errorf("joined files, a comment and a quoted path: %v, (-want +got):\n%s", errs, diff)
	}
}

// readAll collects what ReadPaths yields.
func readAll(r io.Reader, opts *ReadOptions) ([]Path, []error) {
	var ps []Path
	var errs []error
	for p, err := range ReadPaths(r, opts) {
		if err != nil {
			errs = append(errs, err)
			continue
		}
		ps = append(ps, p)
	}
	return ps, errs
}

// TestReadPathsReportsEveryBadLine: a strict read stops at the first bad line; a
// lenient one yields every good path and one error per bad line, with its line, up to
// MaxBadLines, and then stops with an error that says so (issue #21: readers reported
// only the first bad row).
func TestReadPathsReportsEveryBadLine(t *testing.T) {
	in := "path;conversions\na;1\nb > ;1\nc;x\nd;2\ne;-1\nf;3\n"
	ps, errs := readAll(strings.NewReader(in), nil)
	if len(ps) != 1 || len(errs) != 1 || !strings.Contains(errs[0].Error(), "line 3,") {
		t.Fatalf("strict: %v, %v; want path a and the error of line 3", ps, errs)
	}
	ps, errs = readAll(strings.NewReader(in), &ReadOptions{Lenient: true})
	var names []string
	for _, p := range ps {
		names = append(names, p.Touches[0])
	}
	if !slices.Equal(names, []string{"a", "d", "f"}) || len(errs) != 3 {
		t.Fatalf("lenient: paths %v, errors %v; want a, d, f and three errors", names, errs)
	}
	for i, line := range []string{"line 3, column 5:", "line 4, column 3:", "line 6, column 3:"} {
		if !strings.Contains(errs[i].Error(), line) {
			t.Errorf("error %d = %v, want it at %s", i, errs[i], line)
		}
	}
	// Past the cap the reader stops, having yielded MaxBadLines line errors.
	var b strings.Builder
	for range MaxBadLines + 5 {
		b.WriteString("x;y\nok;1\n")
	}
	ps, errs = readAll(strings.NewReader(b.String()), &ReadOptions{Lenient: true})
	if len(errs) != MaxBadLines+1 || len(ps) != MaxBadLines || !strings.Contains(errs[MaxBadLines].Error(), "more than 100 bad lines") {
		t.Fatalf("past the cap: %d paths, %d errors, last %v", len(ps), len(errs), errs[len(errs)-1])
	}
	// A consumer that stops early stops the reader.
	n := 0
	for range ReadPaths(strings.NewReader(in), &ReadOptions{Lenient: true}) {
		if n++; n == 2 {
			break
		}
	}
}

// FuzzParsePath: the parser never panics, every accepted path is valid, and its String
// form parses back to the same path.
func FuzzParsePath(f *testing.F) {
	for _, s := range []string{"a > b > c", "search@72h > email@0s", "", ">", "a@", "a@1h > b", " x ", "é > ü@1ns", "a\x00b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParsePath(s)
		if err != nil {
			if !errors.Is(err, ErrSyntax) {
				t.Fatalf("error %v does not wrap ErrSyntax", err)
			}
			return
		}
		p.Conversions = 1
		if _, msg := p.problem(); msg != "" {
			t.Fatalf("accepted path fails check: %s", msg)
		}
		back, err := ParsePath(p.String())
		if err != nil {
			t.Fatalf("String() %q does not parse: %v", p.String(), err)
		}
		back.Conversions = 1
		if !cmp.Equal(back, p) {
			t.Fatalf("round trip %q -> %q", s, p.String())
		}
	})
}

func FuzzReadPaths(f *testing.F) {
	f.Add("path;total_conversions\na > b;1\n")
	f.Add("a;1;2;3\n#x\nb@1h > c@0s;0;0;1")
	f.Add("a;\"1\n")
	// Figures past their bounds, on a row and over the rows, and at them.
	f.Add("a > b;3;1e300\n")
	f.Add("a;6e11\nb;6e11\nc;4e11;0;1e12\n")
	f.Add("a;1;6e14\nb;1;6e14\n")
	f.Add("a;1e-300;1\nb;1e400\nc;-1;0;NaN\n")
	f.Add("a;1e12;1e15;1e12\n")
	f.Fuzz(func(t *testing.T, s string) {
		// A lenient read yields the strict read's paths and more, and each error
		// names a line and column.
		strict, serrs := readAll(strings.NewReader(s), nil)
		ps, errs := readAll(strings.NewReader(s), &ReadOptions{Lenient: true})
		if len(serrs) > 1 || len(errs) > MaxBadLines+1 || len(ps) < len(strict) || !cmp.Equal(ps[:len(strict)], strict, cmpopts.EquateEmpty()) {
			t.Fatalf("strict %v (%v), lenient %v (%v)", strict, serrs, ps, errs)
		}
		for _, err := range errs {
			if !errors.Is(err, ErrSyntax) && !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "line ") {
				t.Fatalf("error %v: no sentinel or no line", err)
			}
		}
		if len(errs) > 0 && len(errs) <= MaxBadLines && !strings.Contains(errs[0].Error(), "column ") {
			t.Fatalf("error %v names no column", errs[0])
		}
		if _, err := Attribute(ps, Markov{Order: 2}); err != nil {
			t.Fatalf("accepted paths do not attribute: %v", err)
		}
	})
}
