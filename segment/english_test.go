package segment

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/RoaringBitmap/roaring/v2"
)

// TestMessagesCountInEnglish: a count of one in an error is in the singular. They read
// "2 profiles but 1 values" (the package's own example printed it), "the retention of
// 1 days", "the 1 terms left in its budget", "1 bytes, too short for a cookie"; the
// package's example of a damaged bitmap printed "truncated array of 1 values".
func TestMessagesCountInEnglish(t *testing.T) {
	ctx := context.Background()
	at := time.Date(2025, 3, 10, 12, 0, 0, 0, time.UTC)
	x, err := NewIndex(WithRetention(1))
	if err != nil {
		t.Fatal(err)
	}
	x.Record(at, 1, "visit")
	x.Record(at.AddDate(0, 0, -5), 1, "visit")
	eval := func(expr string, b *Budget) error {
		var opts *EvalOptions
		if b != nil {
			opts = &EvalOptions{Budget: b}
		}
		_, err := x.Eval(ctx, at, Must(expr), opts)
		return err
	}
	_, portErr := DecodeBitmap([]byte{0})
	empty, _ := roaring.New().ToBytes()
	_, trailErr := DecodeBitmap(append(empty, 0))
	for _, c := range []struct {
		err  error
		want string
	}{
		{x.SetNumbers("n", []uint32{1, 2}, []int64{1}), "2 profiles but 1 value"},
		{x.SetNumbers("n", []uint32{1}, []int64{1, 2}), "1 profile but 2 values"},
		{eval("did(visit, 2d)", nil), "window of 2 days is longer than the retention of 1 day"},
		{eval("did(visit) AND did(visit)", &Budget{Terms: 1, Days: 100, Ops: 100}), "more than the 1 term left"},
		{eval("count(visit, 1d) >= 1", &Budget{Terms: 10, Days: 0, Ops: 100}), "more than the 0 daily bitmaps left"},
		{eval("count(visit, 1d) >= 1", &Budget{Terms: 10, Days: 100, Ops: 1}), "more than the 1 bitmap operation left"},
		{portErr, "1 byte, too short for a cookie"},
		{trailErr, "1 byte after the bitmap's"},
	} {
		if c.err == nil || !regexp.MustCompile(regexp.QuoteMeta(c.want)+`\b`).MatchString(c.err.Error()) {
			t.Errorf("%v, want it to say %q", c.err, c.want)
		}
	}
	// A window of one day before the first retained day, once older days expired.
	x.Expire(at)
	_, err = x.Eval(ctx, at.AddDate(0, 0, -3), Must("did(visit, 1d)"), nil)
	if err == nil || !strings.Contains(err.Error(), "window of 1 day ending") {
		t.Errorf("%v, want it to say %q", err, "window of 1 day ending")
	}
}
