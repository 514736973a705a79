package textdist

import (
	"testing"
	"unicode/utf8"

	"pgregory.net/rapid"
)

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
		if got, want := OSA(a, b), osaReference(a, b); got != want {
			t.Fatalf("OSA(%q, %q) = %d, want %d", string(a), string(b), got, want)
		}
	})
	if d := OSA([]rune("CA"), []rune("ABC")); d != 3 {
		t.Errorf("osa(CA, ABC) = %d, want 3 (the restricted distance)", d)
	}
}

func FuzzOSA(f *testing.F) {
	f.Add("MARTHA", "MARHTA")
	f.Add("", "x")
	f.Add("jon smyth", "john smith")
	f.Add("\xff\xfe", "é")
	f.Fuzz(func(t *testing.T, x, y string) {
		if len(x) > 1024 || len(y) > 1024 {
			return // quadratic: long inputs only slow the fuzzer down
		}
		a, b := []rune(x), []rune(y)
		d := OSA(a, b)
		if d != OSA(b, a) || d < 0 || d > max(len(a), len(b)) || d < abs(len(a)-len(b)) {
			t.Fatalf("OSA(%q, %q) = %d, reversed %d", x, y, d, OSA(b, a))
		}
		if (d == 0) != (string(a) == string(b)) {
			t.Fatalf("OSA(%q, %q) = %d", x, y, d)
		}
		if utf8.ValidString(x) && utf8.ValidString(y) && len(a) <= 8 && len(b) <= 8 && d != osaReference(a, b) {
			t.Fatalf("OSA(%q, %q) = %d, reference %d", x, y, d, osaReference(a, b))
		}
	})
}

func abs(x int) int { return max(x, -x) }

// BenchmarkOSA and its baseline, the full-matrix recurrence, compare two short names.
func BenchmarkOSA(b *testing.B) {
	x, y := []rune("jonathan smyth"), []rune("johnathan smith")
	for b.Loop() {
		OSA(x, y)
	}
}

func BenchmarkOSAReference(b *testing.B) {
	x, y := []rune("jonathan smyth"), []rune("johnathan smith")
	for b.Loop() {
		osaReference(x, y)
	}
}
