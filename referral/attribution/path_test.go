package attribution

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
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
	got, err := ReadPaths(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	want := []Path{
		{Touches: []string{"eta", "iota"}, Conversions: 1, Value: 10.5, Nulls: 3},
		{Touches: []string{"alpha"}, Nulls: 4},
		{Touches: []string{"beta", "beta"}, Conversions: 2},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	bad := []struct{ in, where string }{
		{"a;1\nb > ;1\n", "line 2"},
		{"a;x\n", "line 1, column 3: conversions \"x\""},
		{"a;1;2;-1\n", "line 1: nulls -1"},
		{"a\n", "line 1: 1 fields"},
		{"a;0;5\n", "value 5 without conversions"},
		{"a;\"1\n", "line 1"},
	}
	for _, c := range bad {
		ps, err := ReadPaths(strings.NewReader(c.in))
		if err == nil || ps != nil || !strings.Contains(err.Error(), c.where) {
			t.Errorf("ReadPaths(%q) = %v, %v; want error at %q and no paths", c.in, ps, err, c.where)
		}
		if !errors.Is(err, ErrSyntax) && !errors.Is(err, ErrInvalid) {
			t.Errorf("ReadPaths(%q): %v wraps neither ErrSyntax nor ErrInvalid", c.in, err)
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
		if err := p.check(); err != nil {
			t.Fatalf("accepted path fails check: %v", err)
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
	f.Fuzz(func(t *testing.T, s string) {
		ps, err := ReadPaths(strings.NewReader(s))
		if err != nil {
			if ps != nil {
				t.Fatal("paths returned with an error")
			}
			return
		}
		if _, err := Attribute(ps, Markov{Order: 2}); err != nil {
			t.Fatalf("accepted paths do not attribute: %v", err)
		}
	})
}
