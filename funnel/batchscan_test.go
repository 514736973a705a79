package funnel

import (
	"errors"
	"math"
	"runtime"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// bigBatch returns a batch of 6,000 profiles with three events each, in ascending
// profile order: enough for the scan to split it between workers.
func bigBatch() *Batch {
	b := &Batch{Names: []string{"a", "b", "other"}}
	for p := range uint32(6000) {
		for k, name := range []uint32{0, 2, 1} {
			b.Profile = append(b.Profile, p)
			b.Time = append(b.Time, at(int64(p%50+uint32(k))).UnixNano())
			b.Event = append(b.Event, name)
		}
	}
	return b
}

// TestBatchScanChecks: the checks folded into the parallel scan name the first bad
// event whichever worker meets it, find a profile split across two workers' ranges,
// and accept profiles grouped in any order.
func TestBatchScanChecks(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(4))
	s := Spec{Steps: named("a", "b")}
	want, err := s.RunBatch(bigBatch())
	if err != nil {
		t.Fatal(err)
	}
	if want.Steps[1].Unique != 6000 {
		t.Fatalf("%d converted, want 6000", want.Steps[1].Unique)
	}
	for _, tc := range []struct {
		name   string
		damage func(b *Batch)
		want   error
		where  string
	}{
		{"name id", func(b *Batch) { b.Event[17000] = 3 }, ErrCorrupt, "batch event 17000"},
		{"time", func(b *Batch) { b.Time[16001] = math.MaxInt64 }, ErrTimeRange, "batch event 16001"},
		{"first of two", func(b *Batch) { b.Time[15000] = math.MinInt64; b.Event[3] = 9 }, ErrCorrupt, "batch event 3"},
		{"regrouped", func(b *Batch) { b.Profile[17999] = 1 }, ErrUnsorted, "profile 1"},
		{"columns", func(b *Batch) { b.Time = b.Time[:10] }, ErrInvalid, "different lengths"},
	} {
		b := bigBatch()
		tc.damage(b)
		_, err := s.RunBatch(b)
		if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.where) {
			t.Errorf("%s: err = %v, want %v naming %q", tc.name, err, tc.want, tc.where)
		}
	}
	// Descending profile order, each profile's events still together: accepted.
	b, rev := bigBatch(), &Batch{Names: []string{"a", "b", "other"}}
	for i := b.Len() - 3; i >= 0; i -= 3 {
		rev.Profile = append(rev.Profile, b.Profile[i:i+3]...)
		rev.Time = append(rev.Time, b.Time[i:i+3]...)
		rev.Event = append(rev.Event, b.Event[i:i+3]...)
	}
	got, err := s.RunBatch(rev)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got, resultOpts...); diff != "" {
		t.Errorf("descending profiles (-ascending +descending):\n%s", diff)
	}
}
