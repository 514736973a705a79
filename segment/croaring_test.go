package segment

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"flag"
	"fmt"
	"hash/fnv"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/RoaringBitmap/roaring/v2"
)

// The differential test against CRoaring 0.2.66 (testdata/croaring/README.md): Go writes
// bitmaps from the specs, CRoaring reads them and reports what it sees, re-serializes
// them, and writes its own bitmaps from the same specs. run.sh regenerates the golden
// files; this test only reads them, so it runs without CRoaring.

var writeCRoaring = flag.Bool("croaring.write", false, "write Go's side of the CRoaring golden files (testdata/croaring/run.sh uses it)")

const croaringDir = "testdata/croaring"

// specBitmap builds the bitmap a spec describes, as peer.c does.
func specBitmap(t *testing.T, path string) *roaring.Bitmap {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b := roaring.New()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) == 0 || strings.HasPrefix(fields[0], "#") {
			continue
		}
		n := make([]uint64, len(fields)-1)
		for i, s := range fields[1:] {
			if n[i], err = strconv.ParseUint(s, 10, 64); err != nil {
				t.Fatalf("%s: %q: %v", path, sc.Text(), err)
			}
		}
		switch {
		case fields[0] == "add" && len(n) == 1:
			b.Add(uint32(n[0]))
		case fields[0] == "range" && len(n) == 2:
			b.AddRange(n[0], n[1])
		case fields[0] == "stride" && len(n) == 3:
			for v := n[0]; v < n[1]; v += n[2] {
				b.Add(uint32(v))
			}
		case fields[0] == "optimize":
			b.RunOptimize()
		default:
			t.Fatalf("%s: bad line %q", path, sc.Text())
		}
	}
	return b
}

// croaringSnapshot is the snapshot whose first bitmap (the known profiles, right after
// the 16-byte header) CRoaring reads in place.
func croaringSnapshot() *Index {
	x := mustIndex()
	x.Tag("plan:pro", 1, 2, 3, 70000, 4294967295)
	return x
}

// report is what peer.c printed about a bitmap.
type report struct {
	bytes, cardinality uint64
	min, max           uint32
	hash               string
	values             string
}

func readReport(t *testing.T, path string) report {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var r report
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		k, v, _ := strings.Cut(line, " ")
		n, _ := strconv.ParseUint(v, 10, 64)
		switch k {
		case "bytes":
			r.bytes = n
		case "cardinality":
			r.cardinality = n
		case "min":
			r.min = uint32(n)
		case "max":
			r.max = uint32(n)
		case "fnv1a64":
			r.hash = v
		case "values":
			r.values = v
		}
	}
	return r
}

// goReport describes b as peer.c does.
func goReport(b *roaring.Bitmap, size int) report {
	h := fnv.New64a()
	var buf [4]byte
	var vals []string
	b.Iterate(func(v uint32) bool {
		binary.LittleEndian.PutUint32(buf[:], v)
		h.Write(buf[:])
		if b.GetCardinality() <= 64 {
			vals = append(vals, strconv.FormatUint(uint64(v), 10))
		}
		return true
	})
	r := report{bytes: uint64(size), cardinality: b.GetCardinality(), hash: fmt.Sprintf("%016x", h.Sum64()), values: strings.Join(vals, ",")}
	if !b.IsEmpty() {
		r.min, r.max = b.Minimum(), b.Maximum()
	}
	return r
}

func TestCRoaringGolden(t *testing.T) {
	specs, err := filepath.Glob(filepath.Join(croaringDir, "specs", "*.spec"))
	if err != nil || len(specs) == 0 {
		t.Fatalf("no specs: %v", err)
	}
	if *writeCRoaring {
		for _, spec := range specs {
			name := strings.TrimSuffix(filepath.Base(spec), ".spec")
			data, err := specBitmap(t, spec).ToBytes()
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(croaringDir, "go", name+".roar"), data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		var snap bytes.Buffer
		croaringSnapshot().WriteTo(&snap)
		if err := os.WriteFile(filepath.Join(croaringDir, "go", "snapshot.snap"), snap.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	for _, spec := range specs {
		name := strings.TrimSuffix(filepath.Base(spec), ".spec")
		t.Run(name, func(t *testing.T) {
			want := specBitmap(t, spec)
			ours, err := want.ToBytes()
			if err != nil {
				t.Fatal(err)
			}
			// Go's bytes are stable, and CRoaring wrote back exactly the same bytes.
			goFile := filepath.Join(croaringDir, "go", name+".roar")
			if committed, err := os.ReadFile(goFile); err != nil || !bytes.Equal(committed, ours) {
				t.Fatalf("Go now writes different bytes than the committed %s (%v): rerun run.sh", goFile, err)
			}
			back, err := os.ReadFile(goFile + ".croaring")
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(back, ours) {
				t.Errorf("CRoaring re-serialized Go's %d bytes as %d different bytes", len(ours), len(back))
			}
			// CRoaring saw the right contents in Go's bytes.
			if got, w := readReport(t, goFile+".report"), goReport(want, len(ours)); got != w {
				t.Errorf("CRoaring's report on Go's bytes %+v, want %+v", got, w)
			}
			// Go reads CRoaring's own bytes, strictly, as the same set.
			theirs, err := os.ReadFile(filepath.Join(croaringDir, "c", name+".roar"))
			if err != nil {
				t.Fatal(err)
			}
			got, err := DecodeBitmap(theirs)
			if err != nil {
				t.Fatalf("CRoaring's bytes: %v", err)
			}
			if !got.Equals(want) {
				t.Errorf("CRoaring's bitmap reads as %d values, want %d", got.GetCardinality(), want.GetCardinality())
			}
			// With the same container choices, the two libraries write the same bytes.
			if !bytes.Equal(theirs, ours) {
				t.Errorf("CRoaring wrote %d bytes, Go %d, for the same spec", len(theirs), len(ours))
			}
		})
	}
	t.Run("snapshot", func(t *testing.T) {
		file := filepath.Join(croaringDir, "go", "snapshot.snap")
		committed, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		var snap bytes.Buffer
		croaringSnapshot().WriteTo(&snap)
		if !bytes.Equal(committed, snap.Bytes()) {
			t.Fatalf("snapshots are now written differently than the committed %s: rerun run.sh", file)
		}
		x, err := ReadSnapshot(committed)
		if err != nil {
			t.Fatal(err)
		}
		known := x.Profiles()
		size := int(known.GetSerializedSizeInBytes())
		if got, w := readReport(t, file+".at-16.report"), goReport(known, size); got != w {
			t.Errorf("CRoaring's report on the snapshot's first bitmap %+v, want %+v", got, w)
		}
		back, err := os.ReadFile(file + ".at-16.croaring")
		if err != nil || !bytes.Equal(back, committed[snapHeader:snapHeader+size]) {
			t.Errorf("CRoaring re-serialized the snapshot's bitmap differently (%v)", err)
		}
	})
}
