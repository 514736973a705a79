package match

import (
	"bufio"
	"math"
	"os"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"pgregory.net/rapid"
)

// Winkler's own examples (Winkler 1990; the same figures as in Cohen, Ravikumar &
// Fienberg 2003), to three decimals.
func TestJaroWinklerPublished(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want float64
	}{
		{"MARTHA", "MARHTA", 0.961},
		{"DWAYNE", "DUANE", 0.840},
		{"DIXON", "DICKSONX", 0.813},
		{"", "", 1},
		{"abc", "", 0},
	} {
		got := jaroWinkler([]rune(c.a), []rune(c.b))
		if math.Abs(got-c.want) > 0.0005 {
			t.Errorf("jaroWinkler(%q, %q) = %.4f, want %.3f", c.a, c.b, got, c.want)
		}
	}
}

// testdata/jaro_winkler.golden holds jellyfish's Jaro-Winkler similarity of name pairs
// from fake_1000 (written by testdata/jaro_winkler.py).
func TestJaroWinklerGolden(t *testing.T) {
	f, err := os.Open("testdata/jaro_winkler.golden")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	n := 0
	for sc.Scan() {
		parts := strings.Split(sc.Text(), "\t")
		if len(parts) != 3 {
			t.Fatalf("bad line %q", sc.Text())
		}
		want, err := strconv.ParseFloat(parts[2], 64)
		if err != nil {
			t.Fatal(err)
		}
		if got := jaroWinkler([]rune(parts[0]), []rune(parts[1])); math.Abs(got-want) > 1e-9 {
			t.Errorf("jaroWinkler(%q, %q) = %v, jellyfish %v", parts[0], parts[1], got, want)
		}
		n++
	}
	if n < 100 {
		t.Fatalf("only %d golden pairs", n)
	}
}

// osaReference is the textbook full-matrix recurrence (Damerau 1964, restricted to
// non-overlapping edits).
func osaReference(a, b []rune) int {
	d := make([][]int, len(a)+1)
	for i := range d {
		d[i] = make([]int, len(b)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(a)][len(b)]
}

func TestOSAAgainstReference(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		alpha := rapid.SampledFrom([]rune("abcé"))
		a := rapid.SliceOfN(alpha, 0, 9).Draw(t, "a")
		b := rapid.SliceOfN(alpha, 0, 9).Draw(t, "b")
		if got, want := osaDistance(a, b), osaReference(a, b); got != want {
			t.Fatalf("osaDistance(%q, %q) = %d, want %d", string(a), string(b), got, want)
		}
	})
	if d := osaDistance([]rune("CA"), []rune("ABC")); d != 3 {
		t.Errorf("osa(CA, ABC) = %d, want 3 (the restricted distance)", d)
	}
}

// checkComparators holds the comparators' invariants on any pair of strings.
func checkComparators(t testing.TB, x, y string) {
	a, b := []rune(x), []rune(y)
	jw := jaroWinkler(a, b)
	if !(jw >= 0 && jw <= 1+1e-12) || math.Abs(jw-jaroWinkler(b, a)) > 1e-12 {
		t.Fatalf("jaroWinkler(%q, %q) = %v, reversed %v", x, y, jw, jaroWinkler(b, a))
	}
	if x == y && jw != 1 {
		t.Fatalf("jaroWinkler(%q, itself) = %v", x, jw)
	}
	d := osaDistance(a, b)
	if d != osaDistance(b, a) || d < 0 || d > max(len(a), len(b)) || d < abs(len(a)-len(b)) {
		t.Fatalf("osaDistance(%q, %q) = %d, reversed %d", x, y, d, osaDistance(b, a))
	}
	if (d == 0) != (string(a) == string(b)) {
		t.Fatalf("osaDistance(%q, %q) = %d", x, y, d)
	}
	if utf8.ValidString(x) && utf8.ValidString(y) && len(a) <= 8 && len(b) <= 8 && d != osaReference(a, b) {
		t.Fatalf("osaDistance(%q, %q) = %d, reference %d", x, y, d, osaReference(a, b))
	}
}

func abs(x int) int { return max(x, -x) }

func FuzzComparators(f *testing.F) {
	f.Add("MARTHA", "MARHTA")
	f.Add("", "x")
	f.Add("jon smyth", "john smith")
	f.Add("\xff\xfe", "é")
	f.Fuzz(func(t *testing.T, x, y string) {
		if len(x) > 4*MaxFieldLen || len(y) > 4*MaxFieldLen {
			return
		}
		checkComparators(t, x, y)
		// A record with these values is either refused with ErrInvalid or compared.
		recs := []Record{{FirstName: x, Phone: y}, {FirstName: y, Phone: x}}
		l, err := New(recs, Settings{Comparisons: []Comparison{
			{Field: FieldFirstName, Levels: []Level{{Kind: Exact}, {Kind: JaroWinkler, Threshold: 0.9}, {Kind: DamerauLevenshtein, Threshold: 2}}},
			{Field: FieldPhone, Levels: []Level{{Kind: Exact}, {Kind: DamerauLevenshtein, Threshold: 1}}},
		}})
		if err != nil {
			if !utf8.ValidString(x) || !utf8.ValidString(y) || len(x) > MaxFieldLen || len(y) > MaxFieldLen {
				return
			}
			t.Fatalf("New: %v", err)
		}
		g := make([]int8, 2)
		l.comparisonVector(0, 1, g)
	})
}
