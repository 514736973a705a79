package wal

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"pgregory.net/rapid"
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

// TestCutAtEveryByte is the crash test of the issue: a crash can leave any prefix of
// the file; every record whose append returned before that prefix ends must come back,
// and the log must accept appends afterwards.
func TestCutAtEveryByte(t *testing.T) {
	dir := t.TempDir()
	var recs [][]byte
	for i := range 12 {
		recs = append(recs, bytes.Repeat([]byte{byte('a' + i)}, 1+i*5))
	}
	data, ends := writeLog(t, dir, recs)
	for cut := 0; cut <= len(data); cut++ {
		path := filepath.Join(dir, fmt.Sprintf("cut%d", cut))
		if err := os.WriteFile(path, data[:cut], 0o644); err != nil {
			t.Fatal(err)
		}
		l, err := Open(path, nil)
		if err != nil {
			t.Fatalf("cut at %d: Open: %v", cut, err)
		}
		var want [][]byte
		for i, e := range ends {
			if e <= int64(cut) {
				want = append(want, recs[i])
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
		os.Remove(path)
	}
}

func TestZeroFilledTailIsTorn(t *testing.T) {
	dir := t.TempDir()
	data, _ := writeLog(t, dir, [][]byte{[]byte("one"), []byte("two")})
	path := filepath.Join(dir, "z")
	os.WriteFile(path, append(data, make([]byte, 100)...), 0o644)
	l := mustOpen(t, path, nil)
	defer l.Close()
	if n := len(readAll(t, l)); n != 2 {
		t.Errorf("%d records, want 2", n)
	}
	if l.Size() != int64(len(data)) {
		t.Errorf("size %d, want the zero tail truncated to %d", l.Size(), len(data))
	}
}

func TestMidFileCorruption(t *testing.T) {
	dir := t.TempDir()
	recs := [][]byte{[]byte("first"), []byte("second"), []byte("third")}
	data, ends := writeLog(t, dir, recs)
	bad := bytes.Clone(data)
	bad[ends[0]+frameSize+2] ^= 0xff // inside the payload of the second record
	path := filepath.Join(dir, "bad")
	os.WriteFile(path, bad, 0o644)

	_, err := Open(path, nil)
	if !errors.Is(err, ErrCorrupt) {
		t.Fatalf("Open = %v, want ErrCorrupt", err)
	}
	if want := fmt.Sprintf("offset %d", ends[0]); !bytes.Contains([]byte(err.Error()), []byte(want)) {
		t.Errorf("error %q does not name %q", err, want)
	}
	if got, _ := os.ReadFile(path); !bytes.Equal(got, bad) {
		t.Errorf("a failed Open modified the file")
	}

	l := mustOpen(t, path, &Options{Repair: true})
	defer l.Close()
	if diff := cmp.Diff(recs[:1], readAll(t, l)); diff != "" {
		t.Errorf("repaired log (-want +got):\n%s", diff)
	}
}

func TestNotALog(t *testing.T) {
	dir := t.TempDir()
	for name, content := range map[string][]byte{
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

// TestPrefixProperty: for random records and a random cut, recovery returns exactly the
// records wholly inside the cut, with SyncManual batches as well as single appends.
func TestPrefixProperty(t *testing.T) {
	dir := t.TempDir()
	n := 0
	rapid.Check(t, func(t *rapid.T) {
		n++
		recs := rapid.SliceOfN(rapid.SliceOfN(rapid.Byte(), 1, 300), 0, 20).Draw(t, "recs")
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
		// Every frame ends at a known offset, whatever batch it was written in.
		ordered := make([]int64, 0, len(recs))
		var end int64 = headerSize
		for _, r := range recs {
			end += int64(frameSize + len(r))
			ordered = append(ordered, end)
		}
		data, _ := os.ReadFile(path)
		if int64(len(data)) != end {
			t.Fatalf("file is %d bytes, want %d", len(data), end)
		}
		cut := rapid.IntRange(0, len(data)).Draw(t, "cut")
		os.WriteFile(path, data[:cut], 0o644)
		l = mustOpen(t, path, nil)
		defer l.Close()
		var want [][]byte
		for i, e := range ordered {
			if e <= int64(cut) {
				want = append(want, recs[i])
			}
		}
		if diff := cmp.Diff(want, readAll(t, l), cmp.Comparer(bytes.Equal)); diff != "" {
			t.Fatalf("cut %d (-want +got):\n%s", cut, diff)
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
