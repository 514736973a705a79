package funnel

import (
	"strings"
	"testing"

	"github.com/RoaringBitmap/roaring/v2"
)

// Messages count in English: "1 value for 2 events", "1 column", never "1 values".
func TestMessagesCountInEnglish(t *testing.T) {
	b := &Batch{Profile: []uint32{1, 1}, Time: []int64{0, 1}, Event: []uint32{0, 0}, Names: []string{"a"},
		Props: map[string][]uint32{"c": {0}}, Values: []string{""}}
	if err := b.check(); err == nil || !strings.Contains(err.Error(), "holds 1 value for 2 events") {
		t.Errorf("a property column of 1 value for 2 events: %v", err)
	}
	b = &Batch{Profile: []uint32{1}, Time: []int64{0}, Event: []uint32{1}, Names: []string{"a"}}
	if err := b.check(); err == nil || !strings.Contains(err.Error(), "outside the 1 name") || strings.Contains(err.Error(), "names") {
		t.Errorf("a name id past the 1 name: %v", err)
	}
	tb := &Table{Columns: []string{"0"}, Cohorts: []Cohort{{Size: 1, Retained: []int64{1, 0}, Complete: []bool{true}}}}
	if _, err := tb.Rate(0, Wilson, 0.95); err == nil || !strings.Contains(err.Error(), "has 2 retained cells and 1 complete cell for 1 column") {
		t.Errorf("a hand-built table: %v", err)
	}
}

// A SequenceResult whose figures disagree is named in English: "sums to 1 match",
// "1 profile Matched", never "1 matches" or "1 profiles".
func TestSequenceMergeCountsInEnglish(t *testing.T) {
	for _, c := range []struct {
		r    SequenceResult
		want string
	}{
		{SequenceResult{Profiles: 1, Count: 2, Histogram: []int64{0, 1}}, "Count 2, but its Histogram sums to 1 match"},
		{SequenceResult{Matched: roaring.BitmapOf(7)}, "has 1 profile Matched of 0 Profiles"},
	} {
		r := SequenceResult{Matched: roaring.New()}
		if err := r.Merge(&c.r); err == nil || !strings.HasSuffix(err.Error(), c.want) {
			t.Errorf("merge %+v: %v, want it to say %q", c.r, err, c.want)
		}
	}
}
