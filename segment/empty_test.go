package segment

import (
	"bytes"
	"context"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/RoaringBitmap/roaring/v2"
)

// TestEmptyNumberAndEventChangeNothing: as Tag's empty key, the empty numeric field and
// the empty event change nothing where the write has no error to report them with
// (SetNumber, ClearNumber, Record), and are ErrInvalid, changing nothing, where it has
// one (SetNumbers; RecordBatch, whose good rows are not recorded either). The queries
// that would name them are syntax errors (TestParseErrors).
func TestEmptyNumberAndEventChangeNothing(t *testing.T) {
	at := date(2026, 5, 20, 12, 0)
	x := mustIndex(WithNumber("spend", MergeSum))
	x.SetNumber("spend", 1, 250)
	x.Record(at, 1, "visit")
	before := snapshotBytes(t, x)

	x.SetNumber("", 2, 7)
	x.ClearNumber("", 1)
	x.Record(at, 3, "")
	if err := x.SetNumbers("", []uint32{4, 5}, []int64{1, 2}); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "empty field name") {
		t.Errorf(`SetNumbers("") = %v, want ErrInvalid saying the field name is empty`, err)
	}
	batch := []Activity{
		{Event: "visit", Profile: 6, At: at},
		{Event: "purchase", Profile: 7, At: at},
		{Event: "", Profile: 8, At: at},
		{Event: "visit", Profile: 9, At: at},
	}
	err := x.RecordBatch(batch)
	if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "row 2 (profile 8") || !strings.Contains(err.Error(), "empty event name") {
		t.Errorf("RecordBatch with an empty event in row 2 = %v, want ErrInvalid naming row 2", err)
	}
	if after := snapshotBytes(t, x); !bytes.Equal(before, after) {
		t.Error("an empty field or event changed the index's snapshot")
	}
	if got := x.Profiles(); !got.Equals(roaring.BitmapOf(1)) {
		t.Errorf("Profiles = %v, want {1}", got)
	}
	if _, ok := x.Number("", 2); ok {
		t.Error(`Number("", 2) found a value`)
	}
	// The batch without its bad row is recorded whole.
	if err := x.RecordBatch(append(batch[:2:2], batch[3])); err != nil {
		t.Fatal(err)
	}
	got, err := x.Eval(context.Background(), at, mustParse(t, "did(visit) OR did(purchase)"), nil)
	if err != nil || !got.Equals(roaring.BitmapOf(1, 6, 7, 9)) {
		t.Errorf("after the good batch: %v, %v; want {1, 6, 7, 9}", got, err)
	}
	if err := x.RecordBatch(nil); err != nil {
		t.Errorf("RecordBatch(nil) = %v", err)
	}
}

// readGolden reads a snapshot of testdata (see testdata/README.md).
func readGolden(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// TestSnapshotWithEmptyNamesLoads reads a snapshot that the version before empty names
// were refused wrote, holding an empty numeric field (SetNumber("", 3, 7)), an empty
// event (Record and RecordBatch of 4 with "") and an empty trait key (Tag(":x", 5), as
// the version before that kept it): it loads, without the empty names, whose profiles
// stay known as after ClearNumber; the rest answers as written, and the snapshot written
// back holds no empty name.
func TestSnapshotWithEmptyNamesLoads(t *testing.T) {
	data := readGolden(t, "empty-names.snap")
	x, err := ReadSnapshot(data)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := x.numbers[""]; ok {
		t.Error("the empty numeric field was loaded")
	}
	if _, ok := x.events[""]; ok {
		t.Error("the empty event was loaded")
	}
	if _, ok := x.traits[""]; ok {
		t.Error("the empty trait key was loaded")
	}
	if _, ok := x.Number("", 3); ok {
		t.Error(`Number("", 3) found a value`)
	}
	if got := x.Profiles(); !got.Equals(roaring.BitmapOf(1, 2, 3, 4, 5)) {
		t.Errorf("Profiles = %v, want {1, 2, 3, 4, 5}", got)
	}
	at := date(2026, 5, 1, 12, 0)
	for q, want := range map[string]*roaring.Bitmap{
		"plan:pro":                         roaring.BitmapOf(1, 2),
		"spend >= 0":                       roaring.BitmapOf(1),
		"did(visit)":                       roaring.BitmapOf(1),
		"segment:pro":                      roaring.BitmapOf(1),
		"NOT plan:pro":                     roaring.BitmapOf(3, 4, 5),
		"count(visit, 1d) BETWEEN 0 AND 0": roaring.BitmapOf(2, 3, 4, 5),
	} {
		got, err := x.Eval(context.Background(), at, mustParse(t, q), nil)
		if err != nil || !got.Equals(want) {
			t.Errorf("%s = %v, %v; want %v", q, got, err, want)
		}
	}
	if m, _ := x.Members("pro"); !m.Equals(roaring.BitmapOf(1)) {
		t.Errorf("Members(pro) = %v, want {1}", m)
	}
	again, err := ReadSnapshot(snapshotBytes(t, x))
	if err != nil {
		t.Fatal(err)
	}
	if len(again.numbers) != 1 || len(again.events) != 1 || len(again.traits) != 1 {
		t.Errorf("written back: %d fields, %d events, %d trait keys; want 1 each", len(again.numbers), len(again.events), len(again.traits))
	}
}

// TestSnapshotWithEmptyNameSegmentIsRefused: a snapshot of the earlier version whose
// saved segment names the empty field and event (`"" > 3 OR did("")`, which Save
// accepted once SetNumber("") and Record with "" had made them known) is refused with
// ErrCorrupt naming the segment and what is wrong, as one defined with `"":x` is: the
// definition no longer parses. A saved segment of the empty name, which Save never
// accepted, is damage.
func TestSnapshotWithEmptyNameSegmentIsRefused(t *testing.T) {
	_, err := ReadSnapshot(readGolden(t, "empty-names-saved.snap"))
	if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), `segment "blank"`) || !strings.Contains(err.Error(), "empty name before") {
		t.Errorf("ReadSnapshot = %v, want ErrCorrupt naming segment \"blank\" and its empty name", err)
	}
	if n := strings.Count(err.Error(), "segment:"); n != 1 {
		t.Errorf("%q names the package %d times", err, n)
	}

	x := mustIndex()
	x.Tag("plan:pro", 1)
	x.saved[""] = &saved{q: mustParse(t, "plan:pro"), members: roaring.New()}
	_, err = ReadSnapshot(snapshotBytes(t, x))
	if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "saved segment with an empty name") {
		t.Errorf("ReadSnapshot of a segment named \"\" = %v, want ErrCorrupt saying so", err)
	}
}
