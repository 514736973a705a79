package segment

import (
	stdcmp "cmp"
	"math"
	"slices"
	"testing"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"pgregory.net/rapid"
)

// TestBSIMatchesBruteForce holds every bit-sliced operation against a map of values.
func TestBSIMatchesBruteForce(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		b := newBSI(true)
		vals := map[uint32]int64{}
		for range rapid.IntRange(0, 200).Draw(t, "n") {
			c := rapid.Uint32Range(0, 300).Draw(t, "col")
			switch rapid.IntRange(0, 9).Draw(t, "what") {
			case 0:
				b.clear(roaring.BitmapOf(c))
				b.trim()
				delete(vals, c)
			default:
				v := genNumber().Draw(t, "v")
				b.set(c, v)
				vals[c] = v
			}
		}
		if rapid.Bool().Draw(t, "batch") {
			cols := rapid.SliceOfNDistinct(rapid.Uint32Range(0, 400), 0, 100, func(c uint32) uint32 { return c }).Draw(t, "cols")
			slices.Sort(cols)
			vs := make([]int64, len(cols))
			for i, c := range cols {
				vs[i] = genNumber().Draw(t, "v")
				vals[c] = vs[i]
			}
			b.setMany(cols, vs)
		}
		for c, v := range vals {
			if got, ok := b.get(c); !ok || got != v {
				t.Fatalf("get(%d) = %d, %v; want %d", c, got, ok, v)
			}
		}
		var filter *roaring.Bitmap
		if rapid.Bool().Draw(t, "filtered") {
			filter = roaring.BitmapOf(rapid.SliceOf(rapid.Uint32Range(0, 400)).Draw(t, "filter")...)
		}
		in := func(c uint32) bool { return filter == nil || filter.Contains(c) }
		for range 5 {
			op, n, n2 := genComparison(t)
			if rapid.Bool().Draw(t, "use a stored value") && len(vals) > 0 {
				n = vals[rapid.SampledFrom(sortedCols(vals)).Draw(t, "col")]
			}
			var want []uint32
			for _, c := range sortedCols(vals) {
				if in(c) && op.holds(vals[c], n, n2) {
					want = append(want, c)
				}
			}
			for _, leastFirst := range []bool{false, true} {
				var got *roaring.Bitmap
				if op == opBetween {
					got = b.between(n, n2, filter)
				} else {
					got = b.compareBy(op, n, filter, leastFirst)
				}
				if diff := cmp.Diff(want, got.ToArray(), cmpopts.EquateEmpty()); diff != "" {
					t.Fatalf("v %s %d (%d), least significant first %v: (-want +got)\n%s", opText[op], n, n2, leastFirst, diff)
				}
			}
		}
		k := rapid.IntRange(0, 20).Draw(t, "k")
		for _, largest := range []bool{true, false} {
			got := b.top(k, filter, largest).ToArray()
			var cols []uint32
			for _, c := range sortedCols(vals) {
				if in(c) {
					cols = append(cols, c)
				}
			}
			slices.SortStableFunc(cols, func(a, c uint32) int {
				if largest {
					return stdcmp.Compare(vals[c], vals[a])
				}
				return stdcmp.Compare(vals[a], vals[c])
			})
			want := cols[:min(k, len(cols))]
			slices.Sort(want)
			if !slices.Equal(want, got) {
				t.Fatalf("top(%d, largest=%v) = %v, want %v", k, largest, got, want)
			}
		}
	})
}

func sortedCols(vals map[uint32]int64) []uint32 {
	out := make([]uint32, 0, len(vals))
	for c := range vals {
		out = append(out, c)
	}
	slices.Sort(out)
	return out
}

// TestCounterAddition holds the ripple-carry adders against integer addition.
func TestCounterAddition(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		total := newBSI(false)
		want := map[uint32]int64{}
		for range rapid.IntRange(0, 30).Draw(t, "steps") {
			if rapid.Bool().Draw(t, "incr") {
				cols := rapid.SliceOf(rapid.Uint32Range(0, 100)).Draw(t, "cols")
				set := roaring.BitmapOf(cols...)
				total.incr(set)
				set.Iterate(func(c uint32) bool { want[c]++; return true })
				continue
			}
			o := newBSI(false)
			for range rapid.IntRange(0, 30).Draw(t, "n") {
				c := rapid.Uint32Range(0, 100).Draw(t, "col")
				v := rapid.Int64Range(0, 1<<20).Draw(t, "v")
				if old, ok := o.get(c); ok {
					want[c] -= old
				}
				o.set(c, v)
				want[c] += v
			}
			var filter *roaring.Bitmap
			if rapid.Bool().Draw(t, "filtered") {
				filter = roaring.BitmapOf(rapid.SliceOf(rapid.Uint32Range(0, 100)).Draw(t, "filter")...)
				o.exist.Iterate(func(c uint32) bool {
					if !filter.Contains(c) {
						v, _ := o.get(c)
						want[c] -= v
					}
					return true
				})
			}
			total.add(o, filter)
		}
		for c, v := range want {
			got, ok := total.get(c)
			if v != 0 && (!ok || got != v) || v == 0 && got != 0 {
				t.Fatalf("column %d = %d (%v), want %d", c, got, ok, v)
			}
		}
	})
}

func TestBSIWidth(t *testing.T) {
	for _, c := range []struct {
		v    int64
		want int
	}{{0, 1}, {-1, 1}, {1, 2}, {-2, 2}, {127, 8}, {-128, 8}, {128, 9}, {math.MaxInt64, 64}, {math.MinInt64, 64}} {
		if got := width(c.v, true); got != c.want {
			t.Errorf("width(%d) = %d, want %d", c.v, got, c.want)
		}
	}
}

func TestSortProfiles(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		a := rapid.SliceOfN(rapid.Uint32(), 0, 3000).Draw(t, "a")
		if rapid.Bool().Draw(t, "narrow") {
			for i := range a {
				a[i] %= 5000
			}
		}
		want := slices.Sorted(slices.Values(a))
		got := slices.Clone(a)
		sortProfiles(got, nil)
		if !slices.Equal(want, got) {
			t.Fatalf("sortProfiles(%v) = %v", a, got)
		}
	})
}
