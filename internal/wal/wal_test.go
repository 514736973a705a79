package wal

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"pgregory.net/rapid"

	"github.com/clientele-go/clientele/internal/frame"
)

// tb is what the helpers need of *testing.T, *testing.F and *rapid.T alike.
type tb interface {
	Helper()
	Fatalf(format string, args ...any)
}

func readAll(t tb, l *Log) [][]byte {
	t.Helper()
	var out [][]byte
	for rec, err := range l.Records() {
		if err != nil {
			t.Fatalf("Records: %v", err)
		}
		out = append(out, bytes.Clone(rec))
	}
	return out
}

func mustOpen(t tb, path string, opts *Options) *Log {
	t.Helper()
	l, err := Open(path, opts)
	if err != nil {
		t.Fatalf("Open(%s): %v", path, err)
	}
	return l
}

func TestRoundTripAndReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "log")
	l := mustOpen(t, path, nil)
	want := [][]byte{[]byte("a"), []byte("bc"), bytes.Repeat([]byte{7}, 70000)}
	if err := l.Append(want[0]); err != nil {
		t.Fatal(err)
	}
	if err := l.Append(want[1:]...); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, readAll(t, l)); diff != "" {
		t.Errorf("before reopen (-want +got):\n%s", diff)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if err := l.Append([]byte("x")); !errors.Is(err, ErrClosed) {
		t.Errorf("Append after Close = %v, want ErrClosed", err)
	}
	l = mustOpen(t, path, nil)
	defer l.Close()
	if diff := cmp.Diff(want, readAll(t, l)); diff != "" {
		t.Errorf("after reopen (-want +got):\n%s", diff)
	}
	if err := l.Append([]byte("d")); err != nil {
		t.Fatal(err)
	}
	if got := len(readAll(t, l)); got != 4 {
		t.Errorf("after append on reopened log: %d records, want 4", got)
	}
}

func TestAppendRejectsBadSizesAndChangesNothing(t *testing.T) {
	l := mustOpen(t, filepath.Join(t.TempDir(), "log"), nil)
	defer l.Close()
	before := l.Size()
	for _, recs := range [][][]byte{{{}}, {[]byte("ok"), nil}} {
		if err := l.Append(recs...); !errors.Is(err, ErrTooLarge) {
			t.Errorf("Append(%q) = %v, want ErrTooLarge", recs, err)
		}
	}
	if l.Size() != before || len(readAll(t, l)) != 0 {
		t.Errorf("a rejected batch changed the log")
	}
}

// writeLog appends recs one by one (each synced) and returns the file's bytes and the
// end offset of every record.
func writeLog(t testing.TB, dir string, recs [][]byte) ([]byte, []int64) {
	t.Helper()
	path := filepath.Join(dir, "src")
	l := mustOpen(t, path, nil)
	ends := make([]int64, len(recs))
	for i, r := range recs {
		if err := l.Append(r); err != nil {
			t.Fatal(err)
		}
		ends[i] = l.Size()
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data, ends
}

// TestCrashAtEveryByte is the crash test: a crash can leave, after the last fsync, any
// prefix of the frames written since, while the header still names the end of an
// earlier fsync. Every acknowledged record must come back, and the log must accept
// appends afterwards; Open must not touch the file.
func TestCrashAtEveryByte(t *testing.T) {
	dir := t.TempDir()
	var recs [][]byte
	for i := range 12 {
		recs = append(recs, bytes.Repeat([]byte{byte('a' + i)}, 1+i*5))
	}
	data, ends := writeLog(t, dir, recs)
	for i := -1; i < len(recs)-1; i++ {
		ack := int64(headerSize) // the end vouched for by the last fsync before the crash
		if i >= 0 {
			ack = ends[i]
		}
		for cut := ack; cut <= ends[i+1]; cut++ {
			img := withAck(data[:cut], ack)
			path := filepath.Join(dir, fmt.Sprintf("cut%d", cut))
			if err := os.WriteFile(path, img, 0o644); err != nil {
				t.Fatal(err)
			}
			l, err := Open(path, nil)
			if err != nil {
				t.Fatalf("ack %d, cut at %d: Open: %v", ack, cut, err)
			}
			if got, _ := os.ReadFile(path); !bytes.Equal(got, img) {
				t.Fatalf("cut at %d: Open modified the file", cut)
			}
			var want [][]byte
			for k, e := range ends {
				if e <= cut {
					want = append(want, recs[k])
				}
			}
			got := readAll(t, l)
			if diff := cmp.Diff(want, got, cmp.Comparer(bytes.Equal)); diff != "" {
				t.Fatalf("cut at %d (-want +got):\n%s", cut, diff)
			}
			if err := l.Append([]byte("after")); err != nil {
				t.Fatalf("cut at %d: append after recovery: %v", cut, err)
			}
			if n := len(readAll(t, l)); n != len(want)+1 {
				t.Fatalf("cut at %d: %d records after append, want %d", cut, n, len(want)+1)
			}
			l.Close()
			l = mustOpen(t, path, nil) // the append cut the torn tail: the log is whole
			if n := len(readAll(t, l)); n != len(want)+1 {
				t.Fatalf("cut at %d: %d records after reopen, want %d", cut, n, len(want)+1)
			}
			l.Close()
			os.Remove(path)
		}
	}
}

// withAck returns a copy of a version 2 log image whose header names end as acknowledged.
func withAck(data []byte, end int64) []byte {
	img := bytes.Clone(data)
	putAck(img[ackOffset:], end)
	return img
}

func TestZeroFilledTailIsTorn(t *testing.T) {
	dir := t.TempDir()
	data, _ := writeLog(t, dir, [][]byte{[]byte("one"), []byte("two")})
	path := filepath.Join(dir, "z")
	img := append(bytes.Clone(data), make([]byte, 100)...)
	os.WriteFile(path, img, 0o644)
	l := mustOpen(t, path, nil)
	defer l.Close()
	if n := len(readAll(t, l)); n != 2 {
		t.Errorf("%d records, want 2", n)
	}
	if l.Size() != int64(len(data)) {
		t.Errorf("size %d, want %d (the zero tail ignored)", l.Size(), len(data))
	}
	if got, _ := os.ReadFile(path); !bytes.Equal(got, img) {
		t.Errorf("Open modified the file")
	}
}

// TestDamageIsNotATornTail: the findings of issue 14, each of which an earlier version
// took for a torn tail (silently dropping every later record and truncating the file).
func TestDamageIsNotATornTail(t *testing.T) {
	dir := t.TempDir()
	var recs [][]byte
	for i := range 10 {
		recs = append(recs, fmt.Appendf(nil, "record number %d", i))
	}
	data, ends := writeLog(t, dir, recs)
	start := func(i int) int64 {
		if i == 0 {
			return headerSize
		}
		return ends[i-1]
	}
	frame := func(i int) []byte { return data[start(i):ends[i]] }
	cases := map[string]struct {
		img []byte
		at  int64 // offset the error must name
	}{
		"bit flip in the first length":  {flip(data, headerSize+2, 0), headerSize},
		"bit flip in the last length":   {flip(data, start(9)+2, 3), start(9)},
		"truncated at a frame boundary": {data[:ends[6]], ends[6]},
		"truncated inside a frame":      {data[:ends[6]+5], ends[6]},
		"second half zeroed":            {zeroed(data, int64(len(data)/2), int64(len(data))), start(frameAt(ends, int64(len(data)/2)))},
		"a middle frame removed":        {cat(data[:start(4)], data[ends[4]:]), start(4)},
		"a frame repeated":              {cat(data[:ends[4]], frame(4), data[ends[4]:]), ends[4]},
		"the last frame repeated":       {cat(data, frame(9)), ends[9]},
		"two frames swapped":            {cat(data[:start(3)], frame(4), frame(3), data[ends[4]:]), start(3)},
		"empty file":                    {nil, 0},
	}
	for name, c := range cases {
		path := filepath.Join(dir, "d")
		os.WriteFile(path, c.img, 0o644)
		_, err := Open(path, nil)
		if !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s: Open = %v, want ErrCorrupt", name, err)
			continue
		}
		if want := fmt.Sprintf("offset %d", c.at); !bytes.Contains([]byte(err.Error()), []byte(want)) {
			t.Errorf("%s: error %q does not name %q", name, err, want)
		}
		if got, _ := os.ReadFile(path); !bytes.Equal(got, c.img) {
			t.Errorf("%s: a failed Open modified the file", name)
		}
	}
}

// frameAt returns the index of the frame holding offset off.
func frameAt(ends []int64, off int64) int {
	for i, e := range ends {
		if off < e {
			return i
		}
	}
	return len(ends)
}

func flip(data []byte, off int64, bit uint) []byte {
	b := bytes.Clone(data)
	b[off] ^= 1 << bit
	return b
}

func zeroed(data []byte, from, to int64) []byte {
	b := bytes.Clone(data)
	clear(b[from:to])
	return b
}

func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

func TestRepairSavesWhatItCuts(t *testing.T) {
	dir := t.TempDir()
	recs := [][]byte{[]byte("first"), []byte("second"), []byte("third")}
	data, ends := writeLog(t, dir, recs)
	bad := flip(data, ends[0]+frameSize+2, 7) // inside the payload of the second record
	path := filepath.Join(dir, "bad")
	os.WriteFile(path, bad, 0o644)

	_, err := Open(path, nil)
	if !errors.Is(err, ErrCorrupt) {
		t.Fatalf("Open = %v, want ErrCorrupt", err)
	}
	if want := fmt.Sprintf("offset %d", ends[0]); !bytes.Contains([]byte(err.Error()), []byte(want)) {
		t.Errorf("error %q does not name %q", err, want)
	}
	saved, err := Repair(path)
	if err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprintf("%s.cut-%d", path, ends[0]); saved != want {
		t.Errorf("Repair saved to %q, want %q", saved, want)
	}
	cut, _ := os.ReadFile(saved)
	kept, _ := os.ReadFile(path)
	if !bytes.Equal(cut, bad[ends[0]:]) || !bytes.Equal(kept[headerSize:], bad[headerSize:ends[0]]) {
		t.Errorf("the log keeps %d bytes and the side file %d; want the valid prefix and every byte after it", len(kept), len(cut))
	}
	l := mustOpen(t, path, nil)
	if diff := cmp.Diff(recs[:1], readAll(t, l)); diff != "" {
		t.Errorf("repaired log (-want +got):\n%s", diff)
	}
	l.Close()
	if again, err := Repair(path); again != "" || err != nil {
		t.Errorf("Repair of a sound log = %q, %v; want nothing done", again, err)
	}

	// A truncation has nothing to save; Repair accepts the shorter log.
	os.WriteFile(path, data[:ends[1]], 0o644)
	if saved, err := Repair(path); saved != "" || err != nil {
		t.Errorf("Repair of a truncated log = %q, %v; want \"\", nil", saved, err)
	}
	l = mustOpen(t, path, nil)
	defer l.Close()
	if diff := cmp.Diff(recs[:2], readAll(t, l)); diff != "" {
		t.Errorf("repaired truncated log (-want +got):\n%s", diff)
	}
}

// TestVersion1 reads and extends a log in the first format.
func TestVersion1(t *testing.T) {
	h := header(0)
	binary.LittleEndian.PutUint32(h[8:], 1)
	frame.Seal(h[:12]) // in place: h has room
	img := append([]byte(nil), h[:v1HeaderSize]...)
	img = appendFrameV1(img, []byte("old one"))
	img = appendFrameV1(img, []byte("old two"))
	path := filepath.Join(t.TempDir(), "v1")
	os.WriteFile(path, append(bytes.Clone(img), 1, 2, 3), 0o644) // and a torn tail
	l := mustOpen(t, path, nil)
	if err := l.Append([]byte("new")); err != nil {
		t.Fatal(err)
	}
	l.Close()
	data, _ := os.ReadFile(path)
	if want := appendFrameV1(img, []byte("new")); !bytes.Equal(data, want) {
		t.Errorf("a version 1 log was not extended in version 1")
	}
	l = mustOpen(t, path, nil)
	defer l.Close()
	want := [][]byte{[]byte("old one"), []byte("old two"), []byte("new")}
	if diff := cmp.Diff(want, readAll(t, l)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestNotALog(t *testing.T) {
	dir := t.TempDir()
	for name, content := range map[string][]byte{
		"empty": {},
		"short": []byte("hello"),
		"long":  []byte("this is not a write-ahead log at all"),
	} {
		path := filepath.Join(dir, name)
		os.WriteFile(path, content, 0o644)
		if _, err := Open(path, nil); !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s: Open = %v, want ErrCorrupt", name, err)
		}
		if got, _ := os.ReadFile(path); !bytes.Equal(got, content) {
			t.Errorf("%s: Open overwrote a file that is not a log", name)
		}
	}
}

func TestConcurrentAppendsGroupCommit(t *testing.T) {
	path := filepath.Join(t.TempDir(), "log")
	l := mustOpen(t, path, nil)
	const writers, each = 8, 50
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				if err := l.Append(fmt.Appendf(nil, "%d/%d", w, i)); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	l.Close()
	l = mustOpen(t, path, nil)
	defer l.Close()
	seen := map[string]bool{}
	next := make([]int, writers)
	for _, r := range readAll(t, l) {
		var w, i int
		fmt.Sscanf(string(r), "%d/%d", &w, &i)
		if i != next[w] {
			t.Fatalf("writer %d: record %d after %d: order within a writer lost", w, i, next[w]-1)
		}
		next[w]++
		seen[string(r)] = true
	}
	if len(seen) != writers*each {
		t.Errorf("%d distinct records, want %d", len(seen), writers*each)
	}
}

// TestDamageProperty: for random records written in random batches and random damage
// to the closed log (bit flips, truncations, zeroed ranges, removed, repeated or swapped
// frames), Open fails with ErrCorrupt or yields exactly the records; never fewer. After
// Repair, the log opens to a prefix of the records, and the log and the side file
// together hold every byte of the damaged file.
func TestDamageProperty(t *testing.T) {
	dir := t.TempDir()
	n := 0
	rapid.Check(t, func(t *rapid.T) {
		n++
		recs := rapid.SliceOfN(rapid.SliceOfN(rapid.Byte(), 1, 300), 1, 20).Draw(t, "recs")
		path := filepath.Join(dir, fmt.Sprintf("p%d", n))
		l := mustOpen(t, path, &Options{Sync: SyncManual})
		for i := 0; i < len(recs); {
			k := rapid.IntRange(1, len(recs)-i).Draw(t, "batch")
			if err := l.Append(recs[i : i+k]...); err != nil {
				t.Fatal(err)
			}
			i += k
		}
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
		data, _ := os.ReadFile(path)
		starts := []int64{headerSize}
		for _, r := range recs {
			starts = append(starts, starts[len(starts)-1]+int64(frameSize+len(r)))
		}
		if int64(len(data)) != starts[len(recs)] {
			t.Fatalf("file is %d bytes, want %d", len(data), starts[len(recs)])
		}
		fr := func(i int) []byte { return data[starts[i]:starts[i+1]] }
		var img []byte
		switch kind := rapid.IntRange(0, 5).Draw(t, "kind"); kind {
		case 0:
			off := rapid.IntRange(0, len(data)-1).Draw(t, "off")
			img = flip(data, int64(off), uint(rapid.IntRange(0, 7).Draw(t, "bit")))
		case 1:
			img = data[:rapid.IntRange(0, len(data)-1).Draw(t, "cut")]
		case 2:
			from := rapid.IntRange(0, len(data)-1).Draw(t, "from")
			to := rapid.IntRange(from+1, len(data)).Draw(t, "to")
			img = zeroed(data, int64(from), int64(to))
		case 3:
			i := rapid.IntRange(0, len(recs)-1).Draw(t, "removed")
			img = cat(data[:starts[i]], data[starts[i+1]:])
		case 4:
			i := rapid.IntRange(0, len(recs)-1).Draw(t, "repeated")
			img = cat(data[:starts[i+1]], fr(i), data[starts[i+1]:])
		case 5:
			if len(recs) < 2 {
				t.Skip("one frame cannot be swapped")
			}
			i := rapid.IntRange(0, len(recs)-2).Draw(t, "swapped")
			img = cat(data[:starts[i]], fr(i+1), fr(i), data[starts[i+2]:])
		}
		os.WriteFile(path, img, 0o644)
		if l, err := Open(path, nil); err == nil {
			got := readAll(t, l)
			l.Close()
			if diff := cmp.Diff(recs, got, cmp.Comparer(bytes.Equal)); diff != "" {
				t.Fatalf("damaged log opened without error but lost records (-want +got):\n%s", diff)
			}
			return
		} else if !errors.Is(err, ErrCorrupt) {
			t.Fatalf("Open = %v, want ErrCorrupt or the records", err)
		}
		saved, err := Repair(path)
		if err != nil {
			return // a damaged header cannot be repaired
		}
		kept, _ := os.ReadFile(path)
		var cut []byte
		if saved != "" {
			cut, _ = os.ReadFile(saved)
		}
		if !bytes.Equal(append(bytes.Clone(kept[headerSize:]), cut...), img[headerSize:]) {
			t.Fatalf("Repair lost bytes: kept %d and saved %d of %d", len(kept), len(cut), len(img))
		}
		l, err = Open(path, nil)
		if err != nil {
			t.Fatalf("Open after Repair: %v", err)
		}
		got := readAll(t, l)
		l.Close()
		if len(got) > len(recs) {
			t.Fatalf("repaired log holds %d records of %d", len(got), len(recs))
		}
		for i := range got {
			if !bytes.Equal(got[i], recs[i]) {
				t.Fatalf("repaired log: record %d differs", i)
			}
		}
	})
}

func FuzzOpen(f *testing.F) {
	dir := f.TempDir()
	good, _ := writeLog(f, dir, [][]byte{[]byte("alpha"), []byte("beta")})
	f.Add(good)
	f.Add(good[:len(good)-3])
	f.Add([]byte{})
	f.Add([]byte(magic))
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(t.TempDir(), "f")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		l, err := Open(path, nil)
		if got, _ := os.ReadFile(path); !bytes.Equal(got, data) {
			t.Fatalf("Open modified the file")
		}
		if err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("Open failed with %v, want ErrCorrupt or success", err)
			}
			return
		}
		first := readAll(t, l)
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
		// Recovery is idempotent: a recovered log reopens to the same records.
		l = mustOpen(t, path, nil)
		defer l.Close()
		if diff := cmp.Diff(first, readAll(t, l), cmp.Comparer(bytes.Equal)); diff != "" {
			t.Fatalf("reopen changed the records (-first +second):\n%s", diff)
		}
	})
}

// Open's errors are read by a person deciding what to do with a damaged store: each
// names the file once, the offset of the damage once, and reads as a sentence.
func TestDamageMessagesReadWell(t *testing.T) {
	dir := t.TempDir()
	var recs [][]byte
	for i := range 10 {
		recs = append(recs, fmt.Appendf(nil, "record number %d", i))
	}
	data, ends := writeLog(t, dir, recs)
	path := filepath.Join(dir, "d")
	for name, c := range map[string]struct {
		img  []byte
		says string
	}{
		"payload bit flip": {flip(data, ends[4]+frameSize+2, 1), fmt.Sprintf("checksum mismatch in frame 5 at offset %d, before the acknowledged end", ends[4])},
		"one byte":         {data[:1], "a 1-byte file is shorter than a log header"},
		"header cut short": {data[:headerSize-1], fmt.Sprintf("a %d-byte file is shorter than a log header", headerSize-1)},
	} {
		os.WriteFile(path, c.img, 0o644)
		_, err := Open(path, nil)
		if err == nil || !strings.Contains(err.Error(), c.says) {
			t.Errorf("%s: Open = %v, want an error saying %q", name, err, c.says)
			continue
		}
		if n := strings.Count(err.Error(), "offset "); n != 1 {
			t.Errorf("%s: %q names an offset %d times", name, err, n)
		}
		if n := strings.Count(err.Error(), path); n != 1 {
			t.Errorf("%s: %q names the file %d times", name, err, n)
		}
	}
	// A path that cannot be opened as a log: the operating system's error names it.
	if _, err := Open(dir, nil); err == nil || strings.Count(err.Error(), dir) != 1 {
		t.Errorf("Open of a directory = %v, want an error naming it once", err)
	}
}
