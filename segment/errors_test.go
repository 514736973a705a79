package segment_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/clientele-go/clientele/segment"
)

// TestErrorPaths drives the error paths of the public functions: each error must wrap
// the package's sentinel that names its kind, and carry "segment:" exactly once.
func TestErrorPaths(t *testing.T) {
	ctx := context.Background()
	at := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	x, err := segment.NewIndex()
	if err != nil {
		t.Fatal(err)
	}
	x.Tag("plan:pro", 1, 2)
	x.SetNumber("spend", 1, 10)
	x.Record(at, 1, "visit")
	if err := x.Save("pros", segment.Must("plan:pro")); err != nil {
		t.Fatal(err)
	}
	if err := x.Save("uses", segment.Must("segment:pros")); err != nil {
		t.Fatal(err)
	}
	parse := func(expr string) error { _, err := segment.Parse(expr); return err }
	eval := func(expr string) error { _, err := x.Eval(ctx, at, segment.Must(expr), nil); return err }
	var mem segment.MemStore
	for _, c := range []struct {
		name string
		err  error
		want error
	}{
		{"NewIndex with a negative retention", second(segment.NewIndex(segment.WithRetention(-5))), segment.ErrInvalid},
		{"NewIndex with a nil location", second(segment.NewIndex(segment.WithLocation(nil))), segment.ErrInvalid},
		{"NewIndex with an unknown merge rule", second(segment.NewIndex(segment.WithNumber("n", segment.MergeRule(9)))), segment.ErrInvalid},
		{"NewIndex with an empty event name", second(segment.NewIndex(segment.WithEvents(""))), segment.ErrInvalid},
		{"NewIndex with an empty trait key", second(segment.NewIndex(segment.WithTraits(""))), segment.ErrInvalid},
		{"Parse of a dangling AND", parse("plan:pro AND"), segment.ErrSyntax},
		{"Parse of a bad window", parse("count(visit, 7x) > 1"), segment.ErrSyntax},
		{"Parse of a window in hours", parse("count(visit, 36h) > 1"), segment.ErrSyntax},
		{"Parse nested too deeply", parse(strings.Repeat("(", 200) + "a:b" + strings.Repeat(")", 200)), segment.ErrTooDeep},
		{"Eval of an unknown field", eval("colour:red"), segment.ErrUnknownField},
		{"Eval of an unknown segment", eval("segment:nobody"), segment.ErrUnknownSegment},
		{"Eval of a trait key compared as a number", eval("plan > 3"), segment.ErrType},
		{"Eval with a nil query", second(x.Eval(ctx, at, nil, nil)), segment.ErrInvalid},
		{"Save of a cycle", x.Save("pros", segment.Must("segment:uses")), segment.ErrCycle},
		{"Delete of a segment in use", x.Delete("pros"), segment.ErrInUse},
		{"Delete of an unknown segment", x.Delete("nobody"), segment.ErrUnknownSegment},
		{"Delete of an unknown segment, as a name not found", x.Delete("nobody"), segment.ErrNotFound},
		{"Eval of an unknown segment, as a name not found", eval("segment:nobody"), segment.ErrNotFound},
		{"Eval of an unknown field, as a name not found", eval("colour:red"), segment.ErrNotFound},
		{"Save with an empty name", x.Save("", segment.Must("plan:pro")), segment.ErrInvalid},
		{"SetNumbers of different lengths", x.SetNumbers("spend", []uint32{1, 2}, []int64{1}), segment.ErrInvalid},
		{"Top with a negative k", second(x.Top("spend", -1, nil)), segment.ErrInvalid},
		{"Top of an unknown field", second(x.Top("height", 1, nil)), segment.ErrUnknownField},
		{"ApplyMerge into itself", x.ApplyMerge(1, 1), segment.ErrInvalid},
		{"ApplyMerge of profile 0", x.ApplyMerge(0, 1), segment.ErrInvalid},
		{"ReadSnapshot of garbage", second(segment.ReadSnapshot([]byte("not a snapshot"))), segment.ErrCorrupt},
		{"DecodeBitmap of garbage", second(segment.DecodeBitmap([]byte{1, 2, 3})), segment.ErrCorrupt},
		{"DecodeBitmap of a truncated bitmap", second(segment.DecodeBitmap(truncatedBitmap())), segment.ErrCorrupt},
		{"Load of a damaged blob", second(segment.Load(damagedStore(), "daily")), segment.ErrCorrupt},
		{"CheckName of a path", segment.CheckName("../x"), segment.ErrInvalid},
		{"MemStore.Get of a missing blob", second(mem.Get("missing")), segment.ErrNotFound},
		{"Load of a missing blob", second(segment.Load(&mem, "missing")), segment.ErrNotFound},
		{"Distinguish with a negative k", second(x.Distinguish(roaring.BitmapOf(1), -1, 1)), segment.ErrInvalid},
	} {
		checkErr(t, c.name, c.err, c.want, "segment:")
	}
}

func second[T any](_ T, err error) error { return err }

// truncatedBitmap is a sound portable bitmap of two containers without its last byte.
func truncatedBitmap() []byte {
	b, _ := roaring.BitmapOf(1, 2, 3, 1000000).ToBytes()
	return b[:len(b)-1]
}

// damagedStore holds a snapshot named "daily" without its last byte.
func damagedStore() *segment.MemStore {
	x, _ := segment.NewIndex()
	x.Tag("plan:pro", 1)
	var mem segment.MemStore
	if err := x.SaveTo(&mem, "daily"); err != nil {
		panic(err)
	}
	b, _ := mem.Get("daily")
	mem.Put("daily", b[:len(b)-1])
	return &mem
}

// checkErr holds err to wrapping want and naming the package exactly once.
func checkErr(t *testing.T, name string, err, want error, prefix string) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Errorf("%s: err = %v, want %v", name, err, want)
		return
	}
	if n := strings.Count(err.Error(), prefix); n != 1 || !strings.HasPrefix(err.Error(), prefix) {
		t.Errorf("%s: %q carries %q %d times, or not at its start", name, err, prefix, n)
	}
}

// TestTopBottomErrorNamesTheCall checks that a negative k is reported under the name
// of the function the caller used: Bottom's error must not speak of "top".
func TestTopBottomErrorNamesTheCall(t *testing.T) {
	x, err := segment.NewIndex()
	if err != nil {
		t.Fatal(err)
	}
	x.SetNumber("spend", 1, 10)
	for _, c := range []struct {
		name string
		fn   func(string, int, *roaring.Bitmap) (*roaring.Bitmap, error)
		want string
	}{
		{"Top", x.Top, `segment: invalid input: top -1 of "spend": k must be 0 or more`},
		{"Bottom", x.Bottom, `segment: invalid input: bottom -1 of "spend": k must be 0 or more`},
	} {
		if _, err := c.fn("spend", -1, nil); err == nil || err.Error() != c.want {
			t.Errorf("%s(-1) = %v, want %q", c.name, err, c.want)
		}
	}
}
