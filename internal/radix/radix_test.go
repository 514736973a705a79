package radix

import (
	"cmp"
	"math/rand/v2"
	"slices"
	"testing"

	"pgregory.net/rapid"
)

// check sorts a copy of a with Sort and with the standard library's stable sort by the
// same key, and fails unless they agree element for element (so stability is checked
// too: equal keys with different low bits must keep their order).
func check[T Integer](t *rapid.T, a []T, shift uint) {
	got := slices.Clone(a)
	Sort(got, nil, shift)
	want := slices.Clone(a)
	slices.SortStableFunc(want, func(x, y T) int { return cmp.Compare(x>>shift, y>>shift) })
	if !slices.Equal(got, want) {
		t.Fatalf("Sort(%d keys, shift %d) differs from the stable sort", len(a), shift)
	}
}

// keys draws n values in a random range (narrow ranges make many equal keys, wide ones
// many passes), some of them near the type's limits.
func keys[T Integer](t *rapid.T, lo, hi int64) []T {
	n := rapid.IntRange(0, 3*small).Draw(t, "n")
	base := rapid.Int64Range(lo, hi).Draw(t, "base")
	spread := rapid.IntRange(0, 63).Draw(t, "spread")
	rng := rand.New(rand.NewPCG(rapid.Uint64().Draw(t, "seed"), 1))
	a := make([]T, n)
	for i := range a {
		a[i] = T(base) + T(rng.Uint64()>>(63-spread)>>1)
	}
	return a
}

func TestSortMatchesStableSort(t *testing.T) {
	t.Run("uint32", func(t *testing.T) {
		rapid.Check(t, func(t *rapid.T) { check(t, keys[uint32](t, 0, 1<<32-1), 0) })
	})
	t.Run("uint64 by the upper half", func(t *testing.T) {
		rapid.Check(t, func(t *rapid.T) {
			check(t, keys[uint64](t, 0, 1<<62), uint(rapid.IntRange(0, 63).Draw(t, "shift")))
		})
	})
	t.Run("int64", func(t *testing.T) {
		rapid.Check(t, func(t *rapid.T) { check(t, keys[int64](t, -1<<62, 1<<62), 0) })
	})
	t.Run("int32", func(t *testing.T) {
		rapid.Check(t, func(t *rapid.T) {
			check(t, keys[int32](t, -1<<31, 1<<31-1), uint(rapid.IntRange(0, 31).Draw(t, "shift")))
		})
	})
}

func TestSortExtremes(t *testing.T) {
	a := make([]int64, 4*small)
	for i := range a {
		switch i % 3 {
		case 0:
			a[i] = -1 << 63
		case 1:
			a[i] = 1<<63 - 1
		default:
			a[i] = int64(i)
		}
	}
	want := slices.Clone(a)
	slices.Sort(want)
	Sort(a, nil, 0)
	if !slices.Equal(a, want) {
		t.Fatal("the full int64 range does not sort")
	}
}

// A million random 32-bit profile numbers, against pdqsort.
func benchKeys() []uint32 {
	rng := rand.New(rand.NewPCG(1, 2))
	a := make([]uint32, 1_000_000)
	for i := range a {
		a[i] = rng.Uint32()
	}
	return a
}

func BenchmarkSort1M(b *testing.B) {
	src := benchKeys()
	a, scratch := make([]uint32, len(src)), []uint32(nil)
	for b.Loop() {
		copy(a, src)
		scratch = Sort(a, scratch, 0)
	}
}

func BenchmarkSort1MNaive(b *testing.B) {
	src := benchKeys()
	a := make([]uint32, len(src))
	for b.Loop() {
		copy(a, src)
		slices.Sort(a)
	}
}
