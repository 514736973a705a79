package segment

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/RoaringBitmap/roaring/v2"
	"pgregory.net/rapid"

	"github.com/clientele-go/clientele/internal/frame"
)

func snapshotBytes(t interface{ Fatal(...any) }, x *Index) []byte {
	var buf bytes.Buffer
	if _, err := x.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestSnapshotRoundTrip writes random indexes, reads them back, and checks that the
// copy answers every query as the original does and writes the same bytes.
func TestSnapshotRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		x, _ := scenario(t, WithRetention(rapid.IntRange(0, genHorizon).Draw(t, "retention")))
		var segs []string
		for i := range rapid.IntRange(0, 3).Draw(t, "segments") {
			name := string(rune('a' + i))
			if x.Save(name, &Query{root: genQuery(t, 2, false, segs)}) == nil {
				segs = append(segs, name)
			}
		}
		now := dayStart(genToday)
		x.Refresh(now) // memberships are part of the snapshot
		data := snapshotBytes(t, x)
		y, err := ReadSnapshot(data)
		if err != nil {
			t.Fatalf("ReadSnapshot: %v", err)
		}
		if again := snapshotBytes(t, y); !bytes.Equal(data, again) {
			t.Fatalf("snapshot of the decoded index differs (%d vs %d bytes)", len(data), len(again))
		}
		for range 5 {
			q := &Query{root: genQuery(t, 3, false, segs)}
			a, errA := x.Eval(context.Background(), now, q, nil)
			b, errB := y.Eval(context.Background(), now, q, nil)
			if (errA == nil) != (errB == nil) || errA == nil && !a.Equals(b) {
				t.Fatalf("%s: original %v (%v), decoded %v (%v)", q, a, errA, b, errB)
			}
		}
		for _, s := range segs {
			a, _ := x.Members(s)
			b, _ := y.Members(s)
			if !a.Equals(b) {
				t.Fatalf("members of %s: %v then %v", s, a, b)
			}
		}
	})
}

func sampleIndex(t testing.TB) *Index {
	x := mustIndex(WithNumber("spend", MergeSum), WithNumber("score", MergeLast), WithRetention(400))
	for p := uint32(0); p < 70000; p += 3 {
		x.Tag("plan:pro", p)
	}
	x.Tag("city:shanghai", 1, 2, 3, 1<<20)
	x.Tag("churned", 5)
	for p := uint32(0); p < 5000; p++ {
		x.SetNumber("spend", p, int64(p)*7-1000)
	}
	x.SetNumber("score", 9, 700)
	base := date(2026, 1, 1, 12, 0)
	for d := range 40 {
		for p := uint32(d); p < 3000; p += 7 {
			x.Record(base.AddDate(0, 0, d), p, "visit")
		}
	}
	x.Record(base, 3, "visit")
	x.Record(base, 3, "purchase")
	if err := x.Save("vip", mustParse(t, "plan:pro AND spend > 1000")); err != nil {
		t.Fatal(err)
	}
	if err := x.Save("active vip", mustParse(t, "segment:vip AND count(visit, 30d) >= 2")); err != nil {
		t.Fatal(err)
	}
	if _, err := x.Refresh(base.AddDate(0, 0, 40)); err != nil {
		t.Fatal(err)
	}
	return x
}

// TestSnapshotDamageIsRefused flips bytes and truncates a snapshot: every damaged copy
// must be refused with ErrCorrupt, never read as some other index.
func TestSnapshotDamageIsRefused(t *testing.T) {
	data := snapshotBytes(t, sampleIndex(t))
	if _, err := ReadSnapshot(data); err != nil {
		t.Fatalf("the undamaged snapshot: %v", err)
	}
	step := max(1, len(data)/3000)
	for i := 0; i < len(data); i += step {
		bad := bytes.Clone(data)
		bad[i] ^= 0x5a
		if _, err := ReadSnapshot(bad); !errors.Is(err, ErrCorrupt) {
			t.Fatalf("byte %d flipped: %v, want ErrCorrupt", i, err)
		}
	}
	for n := 0; n < len(data); n += step {
		if _, err := ReadSnapshot(data[:n]); !errors.Is(err, ErrCorrupt) {
			t.Fatalf("truncated to %d bytes: %v, want ErrCorrupt", n, err)
		}
	}
}

// TestTruncatedSnapshotSaysSo cuts a snapshot short, as an interrupted copy does: the
// error must say it is truncated and where it ends, not quote a "checksum" read from
// the middle of a bitmap; and Load must name the blob it could not read.
func TestTruncatedSnapshotSaysSo(t *testing.T) {
	data := snapshotBytes(t, sampleIndex(t))
	for _, n := range []int{snapHeader, len(data) / 2, len(data) - 1} {
		_, err := ReadSnapshot(data[:n])
		want := fmt.Sprintf("snapshot at offset %d: %d bytes end without the trailer \"CSEG\": truncated", n, n)
		if !errors.Is(err, ErrCorrupt) || !strings.Contains(fmt.Sprint(err), want) {
			t.Errorf("truncated to %d of %d bytes: %v, want ErrCorrupt saying %q", n, len(data), err, want)
		}
	}
	var mem MemStore
	if err := mem.Put("daily", data[:len(data)/2]); err != nil {
		t.Fatal(err)
	}
	_, err := Load(&mem, "daily")
	if !errors.Is(err, ErrCorrupt) || !strings.HasPrefix(fmt.Sprint(err), `segment: load "daily": corrupt data:`) {
		t.Errorf("Load of a truncated blob: %v, want it to name the blob", err)
	}
}

// rechecksum makes data's trailer checksum match its contents, so that tests can reach
// the checks behind the checksum.
func rechecksum(data []byte) []byte {
	if len(data) < 4 {
		return data
	}
	return frame.Seal(data[:len(data)-4])
}

// TestSnapshotStructureChecks damages a snapshot behind a valid checksum: the
// directory and bitmap checks must still refuse it and say where.
func TestSnapshotStructureChecks(t *testing.T) {
	x := mustIndex()
	x.Tag("plan:pro", 1, 2, 3)
	x.SetNumber("spend", 2, 5)
	data := snapshotBytes(t, x)
	// The first bitmap (known profiles) starts right after the header.
	cases := map[string]func([]byte){
		"bitmap cookie":      func(b []byte) { b[snapHeader] = 0 },
		"array order":        func(b []byte) { b[snapHeader+16] = 9 }, // 1,2,3 → 9,2,3
		"version":            func(b []byte) { b[8] = 2 },
		"directory overflow": func(b []byte) { binary.LittleEndian.PutUint64(b[len(b)-24:], uint64(len(b))) },
	}
	for name, damage := range cases {
		bad := bytes.Clone(data)
		damage(bad)
		_, err := ReadSnapshot(rechecksum(bad))
		if !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s: %v, want ErrCorrupt", name, err)
		}
	} // A directory count too large for the directory is refused at its byte in the
	// file: the directory starts with the location's name ("UTC"), then retention,
	// horizon and sequence, the known profiles' bitmap reference and the trait count.
	dirOff := int(binary.LittleEndian.Uint64(data[len(data)-24:]))
	bad := bytes.Clone(data)
	bad[dirOff] = 0x7f // the location's name now runs past the directory
	_, err := ReadSnapshot(rechecksum(bad))
	if want := fmt.Sprintf("at byte %d:", dirOff); !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), want) {
		t.Errorf("location length damaged: %v, want ErrCorrupt %s", err, want)
	}
}

// TestCloseDuringRefresh: Close waits for a Refresh in progress. A union of two mapped
// trait bitmaps whose profiles lie in different 65,536-key chunks keeps their mapped
// containers; Close ran between the Refresh's evaluation and its commit of those
// memberships, unmapped the file, and the next read of the segment's members killed the
// process with SIGSEGV (unexpected fault address).
func TestCloseDuringRefresh(t *testing.T) {
	x := mustIndex()
	for p := uint32(1); p < 60000; p += 2 {
		x.Tag("plan:pro", p)
	}
	for p := uint32(70000); p < 130000; p += 2 {
		x.Tag("plan:free", p)
	}
	if err := x.Save("paying", mustParse(t, "plan:pro OR plan:free")); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "base.snap")
	if err := os.WriteFile(path, snapshotBytes(t, x), 0o644); err != nil {
		t.Fatal(err)
	}
	y, err := Open(path, &OpenOptions{Map: true})
	if err != nil {
		t.Fatal(err)
	}
	closed := make(chan error, 1)
	refreshGapHook = func() {
		go func() { closed <- y.Close() }()
		// Give Close the gap, which it must not take.
		select {
		case err := <-closed:
			closed <- err
		case <-time.After(100 * time.Millisecond):
		}
	}
	changes, err := y.Refresh(time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC))
	refreshGapHook = nil
	if err != nil || len(changes) != 1 || changes[0].Size != 60000 {
		t.Fatalf("Refresh = %v, %v; want one change of 60000 members", changes, err)
	}
	if err := <-closed; err != nil {
		t.Fatal(err)
	}
	m, _ := y.Members("paying")
	if m.GetCardinality() != 60000 || !m.Contains(3) || !m.Contains(70002) || m.Contains(70001) {
		t.Fatalf("members after Close: %d", m.GetCardinality())
	}
	y.Tag("plan:pro", 2)
	changes, err = y.Refresh(time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC))
	if err != nil || len(changes) != 1 || !changes[0].Entered.Equals(roaring.BitmapOf(2)) || !changes[0].Exited.IsEmpty() {
		t.Fatalf("Refresh after Close = %v, %v; want profile 2 entered", changes, err)
	}
}

func TestOpenMapsAndCloses(t *testing.T) {
	x := sampleIndex(t)
	dir := t.TempDir()
	fs, err := OpenFileStore(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := x.SaveTo(fs, "base.snap"); err != nil {
		t.Fatal(err)
	}
	y, err := Open(filepath.Join(dir, "base.snap"), &OpenOptions{Map: true})
	if err != nil {
		t.Fatal(err)
	}
	if y.mapping == nil && os.Getenv("GOOS") != "windows" {
		t.Log("snapshot was read, not mapped")
	}
	now := date(2026, 2, 10, 0, 0)
	q := mustParse(t, "(segment:vip OR city:shanghai) AND NOT tag:churned AND days(visit, 30d) >= 3")
	want, err := x.Eval(context.Background(), now, q, nil)
	if err != nil {
		t.Fatal(err)
	}
	got, err := y.Eval(context.Background(), now, q, nil)
	if err != nil || !got.Equals(want) || want.IsEmpty() {
		t.Fatalf("mapped index answers %v (%v), want %v", got.GetCardinality(), err, want.GetCardinality())
	}
	// Writes copy containers away from the read-only mapping.
	y.Tag("plan:pro", 1, 4)
	y.SetNumber("spend", 4, 1e6)
	y.Record(now, 1, "visit")
	y.ApplyMerge(1, 2)
	changes, err := y.Refresh(now)
	if err != nil || len(changes) == 0 {
		t.Fatalf("Refresh on the mapped index: %v, %v", changes, err)
	}
	before, _ := y.Eval(context.Background(), now, q, nil)
	if err := y.Close(); err != nil {
		t.Fatal(err)
	}
	after, err := y.Eval(context.Background(), now, q, nil)
	if err != nil || !after.Equals(before) || !got.Equals(want) {
		t.Fatalf("after Close: %v (%v); results taken before Close must survive it", after.GetCardinality(), err)
	}
	if err := y.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	// Indexes dropped without Close are unmapped by their cleanup, and only theirs.
	for range 4 {
		z, err := Open(filepath.Join(dir, "base.snap"), &OpenOptions{Map: true})
		if err != nil {
			t.Fatal(err)
		}
		if r, _ := z.Eval(context.Background(), now, q, nil); !r.Equals(want) {
			t.Fatal("reopened index answers differently")
		}
		runtime.GC()
	}
	runtime.GC()
	if r, _ := x.Eval(context.Background(), now, q, nil); !r.Equals(want) {
		t.Fatal("index changed after cleanups")
	}
	if _, err := Open(filepath.Join(dir, "missing"), nil); err == nil {
		t.Fatal("Open of a missing file succeeded")
	}
	os.WriteFile(filepath.Join(dir, "short"), []byte("CLTSEGIX"), 0o644)
	if _, err := Open(filepath.Join(dir, "short"), nil); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("Open of a short file: %v", err)
	}
	if _, err := Load(fs, "base.snap"); err != nil {
		t.Fatalf("Load: %v", err)
	}
	if _, err := Load(fs, "nothing"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Load of a missing blob: %v", err)
	}
}

// By default Open copies the file: truncating or rewriting it afterwards, which killed
// the process with SIGBUS when Open always mapped the file (issue 14), changes nothing.
func TestOpenCopiesByDefault(t *testing.T) {
	x := sampleIndex(t)
	path := filepath.Join(t.TempDir(), "base.snap")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := x.WriteTo(f); err != nil {
		t.Fatal(err)
	}
	f.Close()
	y, err := Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer y.Close()
	if err := os.Truncate(path, 0); err != nil { // in place: what a careless host does
		t.Fatal(err)
	}
	os.WriteFile(path, []byte("rewritten in place"), 0o644)
	now := date(2026, 2, 10, 0, 0)
	q := mustParse(t, "(segment:vip OR city:shanghai) AND NOT tag:churned AND days(visit, 30d) >= 3")
	want, _ := x.Eval(context.Background(), now, q, nil)
	got, err := y.Eval(context.Background(), now, q, nil)
	if err != nil || !got.Equals(want) || want.IsEmpty() {
		t.Fatalf("after the file was truncated: %v (%v), want %v", got.GetCardinality(), err, want.GetCardinality())
	}
	var a, b bytes.Buffer
	x.WriteTo(&a)
	y.WriteTo(&b)
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Fatal("the opened index differs from the one written")
	}
}

func FuzzReadSnapshot(f *testing.F) {
	small := mustIndex(WithNumber("n", MergeLast))
	small.Tag("a:b", 1, 70000)
	small.SetNumber("n", 1, -3)
	small.Record(time.Unix(86400*3, 0), 1, "e")
	small.Record(time.Unix(86400*3, 0), 1, "e")
	small.Save("s", mustParse(f, "a:b AND n < 0 AND count(e, 2d) >= 1"))
	f.Add(snapshotBytes(f, small), false)
	f.Add(snapshotBytes(f, small), true)
	f.Add(snapshotBytes(f, mustIndex()), true)
	f.Add([]byte("CLTSEGIX"), false)
	f.Add(readGolden(f, "empty-names.snap"), false)
	f.Add(readGolden(f, "empty-names-saved.snap"), false)
	f.Fuzz(func(t *testing.T, data []byte, fixSum bool) {
		if fixSum {
			data = rechecksum(bytes.Clone(data))
		}
		x, err := ReadSnapshot(data)
		if err != nil {
			// Damage is ErrCorrupt, naming the package once. The one exception is a
			// location the reader's time zone database lacks, which may be a sound
			// snapshot from a machine with a newer one.
			if x != nil {
				t.Fatalf("error %v with an index", err)
			}
			missingZone := strings.HasPrefix(err.Error(), "segment: snapshot: location ") && !strings.Contains(err.Error(), "not a time zone name")
			if (!errors.Is(err, ErrCorrupt) && !missingZone) || strings.Count(err.Error(), "segment: ") != 1 {
				t.Fatalf("error %v: want ErrCorrupt naming \"segment: \" once", err)
			}
			return
		}
		// Whatever is accepted must be a consistent index: it writes a snapshot that
		// reads back to the same bytes, and it answers queries.
		again := snapshotBytes(t, x)
		y, err := ReadSnapshot(again)
		if err != nil {
			t.Fatalf("re-reading an accepted snapshot: %v", err)
		}
		if !bytes.Equal(again, snapshotBytes(t, y)) {
			t.Fatal("accepted snapshot does not round-trip")
		}
		for _, name := range x.Segments() {
			if _, err := x.Eval(context.Background(), time.Unix(86400*4, 0), mustParse(t, "segment:"+quoteName(name)), nil); err != nil && !errors.Is(err, ErrRetention) {
				t.Fatalf("saved segment %q of an accepted snapshot: %v", name, err)
			}
		}
	})
}

// TestDecodeBitmapRoundTrip checks the strict portable-format reader on random bitmaps of
// every container kind.
func TestDecodeBitmapRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		b := roaring.New()
		for range rapid.IntRange(0, 6).Draw(t, "chunks") {
			key := rapid.Uint32Range(0, 1<<16-1).Draw(t, "key") << 16
			switch rapid.IntRange(0, 2).Draw(t, "kind") {
			case 0:
				for _, v := range rapid.SliceOf(rapid.Uint32Range(0, 1<<16-1)).Draw(t, "values") {
					b.Add(key | v)
				}
			case 1:
				lo := rapid.Uint32Range(0, 1<<16-1).Draw(t, "lo")
				hi := rapid.Uint32Range(lo, 1<<16-1).Draw(t, "hi")
				b.AddRange(uint64(key|lo), uint64(key|hi)+1)
			default:
				for v := uint32(0); v < 1<<16; v += uint32(rapid.IntRange(1, 9).Draw(t, "stride")) {
					b.Add(key | v)
				}
			}
		}
		if rapid.Bool().Draw(t, "runs") {
			b.RunOptimize()
		}
		data, err := b.ToBytes()
		if err != nil {
			t.Fatal(err)
		}
		got, err := DecodeBitmap(data)
		if err != nil {
			t.Fatalf("DecodeBitmap: %v", err)
		}
		if !got.Equals(b) {
			t.Fatal("decoded bitmap differs")
		}
		if _, err := DecodeBitmap(append(data, 0)); !errors.Is(err, ErrCorrupt) {
			t.Fatalf("trailing byte accepted: %v", err)
		}
	})
}

func FuzzDecodeBitmap(f *testing.F) {
	for _, b := range []*roaring.Bitmap{roaring.New(), roaring.BitmapOf(1, 2, 3, 1<<20), rangeBitmap(0, 100000), rangeBitmap(5, 70000)} {
		data, _ := b.ToBytes()
		f.Add(data)
		b.RunOptimize()
		data, _ = b.ToBytes()
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := DecodeBitmap(data)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("error not wrapping ErrCorrupt: %v", err)
			}
			return
		}
		if err := b.Validate(); err != nil {
			t.Fatalf("accepted an invalid bitmap: %v", err)
		}
		out, err := b.ToBytes()
		if err != nil || !bytes.Equal(out, data) {
			t.Fatalf("accepted bytes do not re-serialize to themselves")
		}
	})
}

func rangeBitmap(lo, hi uint64) *roaring.Bitmap {
	b := roaring.New()
	b.AddRange(lo, hi)
	return b
}

func TestSnapshotKeepsSettings(t *testing.T) {
	shanghai, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Skip("no time zone database:", err)
	}
	x := mustIndex(WithLocation(shanghai), WithRetention(30), WithNumber("spend", MergeMax))
	x.Record(date(2026, 3, 3, 20, 0), 1, "visit") // 2026-03-04 in Shanghai
	x.Expire(date(2026, 3, 20, 0, 0))
	y, err := ReadSnapshot(snapshotBytes(t, x))
	if err != nil {
		t.Fatal(err)
	}
	if y.loc.String() != "Asia/Shanghai" || y.retention != 30 || y.horizon != x.horizon || y.numbers["spend"].rule != MergeMax {
		t.Fatalf("settings after a round trip: %v %d %d %v", y.loc, y.retention, y.horizon, y.numbers["spend"].rule)
	}
	got, err := y.Eval(context.Background(), date(2026, 3, 20, 0, 0), mustParse(t, "days(visit, 30d) = 1"), nil)
	if err != nil || !got.Contains(1) {
		t.Fatalf("activity after a round trip: %v, %v", got, err)
	}
	// A snapshot naming a zone this machine cannot find (WriteTo refuses to write one,
	// but a snapshot may come from elsewhere) is refused by the reader.
	renamed := bytes.Replace(snapshotBytes(t, x), []byte("Asia/Shanghai"), []byte("Nowhere/There"), 1)
	if _, err := ReadSnapshot(rechecksum(renamed)); err == nil {
		t.Fatal("a snapshot with an unknown zone loaded")
	}
}

// TestSnapshotRefusesAnUnnamedLocation: an index in a time.FixedZone cannot be read back
// (the reader finds the location by name), so writing its snapshot must fail at once
// rather than leave a blob that every Load refuses.
//
// time.Local is refused too: it was written as "Local" and read back in the reading
// machine's zone, so the days of an index written at UTC+8 shifted when read at UTC.
func TestSnapshotRefusesAnUnnamedLocation(t *testing.T) {
	for _, loc := range []*time.Location{time.FixedZone("UTC+8", 8*3600), time.Local} {
		x := mustIndex(WithLocation(loc))
		x.Tag("plan:pro", 1)
		var buf bytes.Buffer
		if n, err := x.WriteTo(&buf); !errors.Is(err, ErrInvalid) || n != 0 || buf.Len() != 0 {
			t.Fatalf("%v: WriteTo = %d, %v (%d bytes written), want ErrInvalid and nothing written", loc, n, err, buf.Len())
		} else if strings.Count(err.Error(), "segment: ") != 1 {
			t.Errorf("%v: %q names the package other than once", loc, err)
		}
		var mem MemStore
		if err := x.SaveTo(&mem, "snap"); !errors.Is(err, ErrInvalid) {
			t.Fatalf("%v: SaveTo: %v, want ErrInvalid", loc, err)
		}
		if names, _ := mem.List(); len(names) != 0 {
			t.Fatalf("%v: SaveTo left %v in the store", loc, names)
		}
	}
}

// Open of a missing file names the path once, with the package's prefix once, and
// still reports fs.ErrNotExist; it used to read "open P: open P: no such file".
// A damaged file names the path (the decoder does not know it).
func TestOpenNamesThePathOnce(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing.snap")
	for _, opts := range []*OpenOptions{nil, {Map: true}} {
		_, err := Open(missing, opts)
		if !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("Open(missing, %+v): %v, want os.ErrNotExist", opts, err)
		}
		if msg := err.Error(); strings.Count(msg, missing) != 1 || strings.Count(msg, "segment: ") != 1 || strings.Count(msg, "open ") != 1 {
			t.Errorf("Open(missing, %+v): %q, want the path, the package and the operation named once", opts, msg)
		}
	}
	damaged := filepath.Join(dir, "damaged.snap")
	if err := os.WriteFile(damaged, []byte("not a snapshot at all"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Open(damaged, nil)
	if err == nil || strings.Count(err.Error(), damaged) != 1 || strings.Count(err.Error(), "segment: ") != 1 {
		t.Errorf("Open(damaged): %v, want the path and the package named once", err)
	}
}

// TestSnapshotErrorsNamePackageOnce: a damaged bitmap, a saved definition that does
// not parse, or one naming an event the snapshot lacks, is ErrCorrupt with "segment:"
// once. The messages quoted the bitmap's, parse or query error whole, so read
// "...: segment: corrupt data: segment: corrupt data" or "segment: ... segment: parse".
func TestSnapshotErrorsNamePackageOnce(t *testing.T) {
	x := mustIndex()
	x.Record(time.Unix(86400*3, 0), 1, "zzqq")
	if err := x.Save("s", mustParse(t, "did(zzqq)")); err != nil {
		t.Fatal(err)
	}
	for name, damage := range map[string]func([]byte){
		"definition does not parse": func(b []byte) { b[bytes.LastIndex(b, []byte("did(zzqq)"))+8] = '(' },
		"event renamed":             func(b []byte) { b[bytes.LastIndex(b, []byte("\x04zzqq"))+4] = 'r' },
		"bitmap damaged":            func(b []byte) { b[snapHeader] ^= 0xff },
	} {
		b := snapshotBytes(t, x)
		damage(b)
		_, err := ReadSnapshot(rechecksum(b))
		if !errors.Is(err, ErrCorrupt) || strings.Count(err.Error(), "segment:") != 1 {
			t.Errorf("%s: %v; want ErrCorrupt naming segment: once", name, err)
		}
	}
}

// TestSnapshotDamagedLocationName: WriteTo writes only names time.LoadLocation found,
// so a location name no zone can have is damage (ErrCorrupt at the name's byte), while
// a well-formed name this machine lacks is not (TestSnapshotKeepsSettings).
func TestSnapshotDamagedLocationName(t *testing.T) {
	shanghai, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Skip("no time zone database:", err)
	}
	data := snapshotBytes(t, mustIndex(WithLocation(shanghai)))
	dirOff := int(binary.LittleEndian.Uint64(data[len(data)-24:]))
	// Each name is as long as "Asia/Shanghai", so the directory keeps its length.
	for _, name := range []string{"Asia/Shan\xffhai", "Asia/Shan\x00hai", "Asia/Sh nghai", "Asia/Shangha\n", "/etc/Shanghai", "../../Shangha", `Asia\Shanghai`} {
		if len(name) != len("Asia/Shanghai") {
			t.Fatalf("%q: the test needs a name of %d bytes", name, len("Asia/Shanghai"))
		}
		renamed := bytes.Replace(data, []byte("Asia/Shanghai"), []byte(name), 1)
		_, err := ReadSnapshot(rechecksum(renamed))
		if want := fmt.Sprintf("at byte %d:", dirOff); !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), want) {
			t.Errorf("location %q: %v, want ErrCorrupt %s", name, err, want)
		}
	}
}
