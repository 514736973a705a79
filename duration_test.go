package clientele_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/clientele-go/clientele"
)

func TestParseDuration(t *testing.T) {
	day := 24 * time.Hour
	for _, tc := range []struct {
		in   string
		want time.Duration
	}{
		{"7d", 7 * day}, {"36h", 36 * time.Hour}, {"90m", 90 * time.Minute}, {"2w", 14 * day},
		{"45s", 45 * time.Second}, {"0d", 0}, {"1d12h", 36 * time.Hour}, {"1w1d1h1m1s", 8*day + time.Hour + time.Minute + time.Second},
		{"007d", 7 * day}, {"9223372036s", 9223372036 * time.Second},
	} {
		got, err := clientele.ParseDuration(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
	for _, tc := range []struct{ in, says string }{
		{"", "empty"}, {"7", "has no unit"}, {"d", "column 1"}, {"7x", `unknown unit 'x'`},
		{"-7d", "column 1"}, {"1.5h", "column 2"}, {"7d ", "column 3"}, {" 7d", "column 1"},
		// The bound in the syntax itself, not Go's "2562047h47m16.854775807s".
		{"7D", "column 2"}, {"1ms", "column 3"}, {"15251w", "longer than 15250w1d23h47m16s, about 292 years"},
		{"99999999999999999999d", "too large"}, {"9223372036s1s", "longer than"},
	} {
		_, err := clientele.ParseDuration(tc.in)
		if !errors.Is(err, clientele.ErrInvalid) || !strings.Contains(err.Error(), tc.says) {
			t.Errorf("ParseDuration(%q) = %v; want ErrInvalid saying %q", tc.in, err, tc.says)
		}
		if err != nil && strings.Count(err.Error(), "clientele:") != 1 {
			t.Errorf("ParseDuration(%q): %q repeats the package prefix", tc.in, err)
		}
	}
}

func TestFormatDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0: "0s", -time.Hour: "0s", 36 * time.Hour: "1d12h", 14 * 24 * time.Hour: "2w",
		90 * time.Minute: "1h30m", 61*time.Second + time.Millisecond: "1m1s",
	} {
		if got := clientele.FormatDuration(d); got != want {
			t.Errorf("FormatDuration(%v) = %q, want %q", d, got, want)
		}
	}
}

// FuzzParseDuration holds ParseDuration to: no panic; an error wraps ErrInvalid; a
// parsed duration is non-negative, whole seconds, and survives FormatDuration and a
// second parse unchanged.
func FuzzParseDuration(f *testing.F) {
	for _, s := range []string{"7d", "36h", "90m", "2w", "1w2d3h4m5s", "", "7", "-1d", "1.5h", "99999999999999999999d"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := clientele.ParseDuration(s)
		if err != nil {
			if !errors.Is(err, clientele.ErrInvalid) {
				t.Fatalf("ParseDuration(%q) = %v, not ErrInvalid", s, err)
			}
			return
		}
		if d < 0 || d%time.Second != 0 {
			t.Fatalf("ParseDuration(%q) = %v", s, d)
		}
		again, err := clientele.ParseDuration(clientele.FormatDuration(d))
		if err != nil || again != d {
			t.Fatalf("ParseDuration(FormatDuration(%v)) = %v, %v", d, again, err)
		}
	})
}

func ExampleParseDuration() {
	for _, s := range []string{"7d", "36h", "90m", "2w", "1d12h", "7x"} {
		d, err := clientele.ParseDuration(s)
		if err != nil {
			fmt.Println(err)
			continue
		}
		fmt.Printf("%s = %v = %s\n", s, d, clientele.FormatDuration(d))
	}
	// Output:
	// 7d = 168h0m0s = 1w
	// 36h = 36h0m0s = 1d12h
	// 90m = 1h30m0s = 1h30m
	// 2w = 336h0m0s = 2w
	// 1d12h = 36h0m0s = 1d12h
	// clientele: invalid input: duration "7x" at column 2: unknown unit 'x' (want terms such as 7d, 36h, 90m, 2w)
}

// FormatDuration writes a window for a flag, a query parameter or a report in the
// syntax ParseDuration reads back, largest units first; what time.Duration's String
// writes ("720h0m0s") no SDK parser reads.
func ExampleFormatDuration() {
	for _, d := range []time.Duration{30 * 24 * time.Hour, 36 * time.Hour, 90 * time.Minute, 1500 * time.Millisecond, 0, -time.Hour} {
		s := clientele.FormatDuration(d)
		back, _ := clientele.ParseDuration(s)
		fmt.Printf("%v -> %s -> %v\n", d, s, back)
	}
	// Output:
	// 720h0m0s -> 4w2d -> 720h0m0s
	// 36h0m0s -> 1d12h -> 36h0m0s
	// 1h30m0s -> 1h30m -> 1h30m0s
	// 1.5s -> 1s -> 1s
	// 0s -> 0s -> 0s
	// -1h0m0s -> 0s -> 0s
}
