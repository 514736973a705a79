package batchstore

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/clientele-go/clientele/internal/codec"
	"pgregory.net/rapid"
)

// note is a record of the tests: a name, a time and a list.
type note struct {
	Name string
	At   time.Time
	Tags []uint32
}

var (
	errCorrupt = errors.New("test: corrupt")
	errClosed  = errors.New("test: closed")
)

type noteCodec struct{}

func (noteCodec) MinRecord() int { return 3 }
func (noteCodec) Clone(n note) note {
	n.Tags = slices.Clone(n.Tags)
	return n
}
func (noteCodec) Errors() Errors {
	return Errors{Corrupt: errCorrupt, Closed: errClosed, Errorf: func(f string, a ...any) error { return fmt.Errorf("test: "+f, a...) }}
}
func (noteCodec) AppendRecord(b []byte, n *note) []byte {
	b = AppendString(b, n.Name)
	b = AppendTime(b, n.At)
	b = binary.AppendUvarint(b, uint64(len(n.Tags)))
	for _, t := range n.Tags {
		b = binary.AppendUvarint(b, uint64(t))
	}
	return b
}
func (noteCodec) ReadRecord(d *codec.Reader) note {
	n := note{Name: String(d, "name"), At: Time(d, "time")}
	if k := d.Count(1, "tag count"); k > 0 {
		n.Tags = make([]uint32, k)
		for i := range n.Tags {
			n.Tags[i] = uint32(d.Uvarint(math.MaxUint32, "tag"))
		}
	}
	return n
}

func genNote() *rapid.Generator[note] {
	return rapid.Custom(func(t *rapid.T) note {
		n := note{Name: rapid.String().Draw(t, "name")}
		if rapid.Bool().Draw(t, "timed") {
			ns := rapid.Int64Range(-1<<60, 1<<60).Draw(t, "ns")
			if ns == -1 {
				ns = 0 // the one instant AppendTime cannot tell from the zero time
			}
			n.At = time.Unix(0, ns).UTC()
		}
		n.Tags = rapid.SliceOfN(rapid.Uint32(), 0, 4).Draw(t, "tags")
		if len(n.Tags) == 0 {
			n.Tags = nil
		}
		return n
	})
}

// TestStores: a Mem and a File fed the same batches yield the same records, in order,
// the File again after reopening; what they yield is theirs (a caller's change to its
// slices does not reach the store).
func TestStores(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		batches := rapid.SliceOfN(rapid.SliceOfN(genNote(), 0, 5), 0, 6).Draw(rt, "batches")
		var want []note
		var m Mem[note, noteCodec] // the zero value is ready
		path := filepath.Join(t.TempDir(), fmt.Sprint("f", rapid.Int().Draw(rt, "file")))
		f, err := OpenFile[note, noteCodec](path, true)
		if err != nil {
			rt.Fatal(err)
		}
		for _, b := range batches {
			want = append(want, b...)
			if err := m.Append(b); err != nil {
				rt.Fatal(err)
			}
			if err := f.Append(b); err != nil {
				rt.Fatal(err)
			}
			for i := range b { // the stores kept copies
				if len(b[i].Tags) > 0 {
					b[i].Tags[0]++
				}
			}
		}
		for i := range want {
			if len(want[i].Tags) > 0 {
				want[i].Tags[0]--
			}
		}
		collect := func(what string, seq func(func(note, error) bool)) []note {
			var got []note
			for n, err := range seq {
				if err != nil {
					rt.Fatalf("%s: %v", what, err)
				}
				got = append(got, n)
			}
			return got
		}
		same := func(what string, got []note) {
			if fmt.Sprint(got) != fmt.Sprint(want) {
				rt.Fatalf("%s: got %v, want %v", what, got, want)
			}
		}
		got := collect("mem", m.Records())
		same("mem", got)
		if len(got) > 0 && len(got[0].Tags) > 0 {
			got[0].Tags[0]++ // the caller's copy
			same("mem after the caller changed its copy", collect("mem", m.Records()))
		}
		same("file", collect("file", f.Records()))
		if err := f.Close(); err != nil {
			rt.Fatal(err)
		}
		if err := f.Append([]note{{Name: "late"}}); !errors.Is(err, errClosed) {
			rt.Fatalf("Append after Close: %v", err)
		}
		if f, err = OpenFile[note, noteCodec](path, false); err != nil {
			rt.Fatal(err)
		}
		same("file reopened", collect("file reopened", f.Records()))
		if err := f.Close(); err != nil {
			rt.Fatal(err)
		}
	})
}

// TestDamage: a flipped byte in a file fails OpenFile with the codec's Corrupt and the
// wal's offset; Repair cuts it.
func TestDamage(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f")
	f, err := OpenFile[note, noteCodec](path, false)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if err := f.Append([]note{{Name: fmt.Sprint("n", i), Tags: []uint32{uint32(i)}}}); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)-3] ^= 1
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = OpenFile[note, noteCodec](path, false)
	if !errors.Is(err, errCorrupt) || !bytes.Contains([]byte(err.Error()), []byte("at offset")) {
		t.Fatalf("open a damaged file: %v, want errCorrupt with the offset", err)
	}
	saved, err := Repair[note, noteCodec](path)
	if err != nil || saved == "" {
		t.Fatalf("Repair: %q, %v", saved, err)
	}
	f, err = OpenFile[note, noteCodec](path, false)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	n := 0
	for _, err := range f.Records() {
		if err != nil {
			t.Fatal(err)
		}
		n++
	}
	if n != 2 {
		t.Fatalf("%d records after the repair, want the 2 before the damage", n)
	}
}

// TestDecodeErrors: every cut of a batch, and a byte after its end, fails with the
// codec's Corrupt and names the byte.
func TestDecodeErrors(t *testing.T) {
	good := AppendBatch[note, noteCodec](nil, []note{{Name: "a", At: time.Unix(5, 0), Tags: []uint32{300}}})
	for i := range len(good) {
		if _, err := DecodeBatch[note, noteCodec](good[:i]); !errors.Is(err, errCorrupt) {
			t.Fatalf("%d of %d bytes: %v", i, len(good), err)
		}
	}
	_, err := DecodeBatch[note, noteCodec](append(slices.Clone(good), 0))
	if want := fmt.Sprintf("at byte %d: 1 byte after the end", len(good)); err == nil || !bytes.Contains([]byte(err.Error()), []byte(want)) {
		t.Fatalf("a byte after the end: %v, want %q", err, want)
	}
	if _, err := Unmarshal[note, noteCodec](AppendBatch[note, noteCodec](nil, []note{{}, {}})); !errors.Is(err, errCorrupt) {
		t.Fatalf("Unmarshal of two records: %v", err)
	}
}

// FuzzDecodeBatch: any bytes decode without panicking, and what decodes encodes to the
// same bytes (the encoding is canonical).
func FuzzDecodeBatch(f *testing.F) {
	f.Add(AppendBatch[note, noteCodec](nil, nil))
	f.Add(AppendBatch[note, noteCodec](nil, []note{{Name: "x", At: time.Unix(0, 1), Tags: []uint32{1, 2}}, {}}))
	f.Fuzz(func(t *testing.T, b []byte) {
		recs, err := DecodeBatch[note, noteCodec](b)
		if err != nil {
			if !errors.Is(err, errCorrupt) {
				t.Fatalf("error without errCorrupt: %v", err)
			}
			return
		}
		if again := AppendBatch[note, noteCodec](nil, recs); !bytes.Equal(again, b) {
			t.Fatalf("decoded and encoded again: %x, was %x", again, b)
		}
	})
}

// TestKind: a kind byte from 1 to end-1 reads as itself; 0 and end on are refused at
// the kind's own offset, and reads after a refusal return zero values.
func TestKind(t *testing.T) {
	type kind uint8
	const end kind = 4
	for b := range 256 {
		d := codec.NewReader([]byte{7, byte(b), 1, 'x'})
		d.Byte("prefix")
		k := Kind(d, end)
		s := String(d, "after")
		if b >= 1 && b < int(end) {
			if k != kind(b) || s != "x" || d.End() != nil {
				t.Fatalf("kind %d: read %d, %q, %v", b, k, s, d.Err())
			}
			continue
		}
		want := fmt.Sprintf("at byte 1: unknown record kind %d", b)
		if d.Err() == nil || d.Err().Error() != want || s != "" {
			t.Fatalf("kind %d: %q, %v; want %q", b, s, d.Err(), want)
		}
	}
	if d := codec.NewReader(nil); Kind(d, end) != 0 || d.Err() == nil {
		t.Fatalf("empty input read a kind: %v", d.Err())
	}
}
