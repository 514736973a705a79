package match

import (
	"bufio"
	"math"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/clientele-go/clientele/internal/textdist"
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
	d := textdist.OSA(a, b)
	if d != textdist.OSA(b, a) || (d == 0) != (string(a) == string(b)) {
		t.Fatalf("textdist.OSA(%q, %q) = %d, reversed %d", x, y, d, textdist.OSA(b, a))
	}
}

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
			_, ex := normalize(FieldFirstName, x, "")
			_, ey := normalize(FieldFirstName, y, "")
			_, px := normalize(FieldPhone, x, "")
			_, py := normalize(FieldPhone, y, "")
			if ex != nil || ey != nil || px != nil || py != nil {
				return // MaxFieldLen bounds the normalised value
			}
			t.Fatalf("New: %v", err)
		}
		g := make([]int8, 2)
		l.comparisonVector(0, 1, g)
	})
}
