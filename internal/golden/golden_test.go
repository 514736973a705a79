package golden

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"testing"
)

func TestRows(t *testing.T) {
	path := filepath.Join(t.TempDir(), "g.csv")
	if err := os.WriteFile(path, []byte("# made by hand\na,b\n1,2\n# a note\n3,4\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	got := Rows(t, path)
	if want := [][]string{{"1", "2"}, {"3", "4"}}; !slices.EqualFunc(got, want, slices.Equal) {
		t.Fatalf("Rows = %q, want %q", got, want)
	}
}

// pair is a value with a binary encoding: two bytes.
type pair struct{ A, B byte }

func (p pair) MarshalBinary() ([]byte, error) { return []byte{p.A, p.B}, nil }
func (p *pair) UnmarshalBinary(b []byte) error {
	if len(b) != 2 {
		return errors.New("not two bytes")
	}
	p.A, p.B = b[0], b[1]
	return nil
}

// recorder is a testing.TB that keeps what failed instead of failing.
type recorder struct {
	testing.TB
	failed []string
}

func (r *recorder) Helper() {}
func (r *recorder) Errorf(format string, args ...any) {
	r.failed = append(r.failed, fmt.Sprintf(format, args...))
}
func (r *recorder) Fatalf(format string, args ...any) {
	r.Errorf(format, args...)
	runtime.Goexit()
}
func (r *recorder) Fatal(args ...any) { r.Fatalf("%s", fmt.Sprint(args...)) }

// failures runs f on a recorder, as a test would, and returns what it failed with.
func failures(t *testing.T, f func(tb testing.TB)) []string {
	r := &recorder{TB: t}
	done := make(chan struct{})
	go func() { defer close(done); f(r) }()
	<-done
	return r.failed
}

// TestBinary: pinned bytes that match pass; an encoding that changed, pinned bytes that
// decode to another value or not at all, and a count that differs fail.
func TestBinary(t *testing.T) {
	vals := []pair{{1, 2}, {0, 255}}
	for _, c := range []struct {
		name string
		want []string
		fail int
	}{
		{"same", []string{"0102", "00ff"}, 0},
		{"changed", []string{"0102", "00fe"}, 2}, // encodes otherwise, decodes to another
		{"undecodable", []string{"0102", "00"}, 2},
		{"count", []string{"0102"}, 1},
	} {
		if got := failures(t, func(tb testing.TB) { Binary(tb, vals, c.want) }); len(got) != c.fail {
			t.Errorf("%s: failures %q, want %d", c.name, got, c.fail)
		}
	}
}

func TestSHA256(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(path, []byte("abc"), 0o644); err != nil {
		t.Fatal(err)
	}
	const abc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
	if got := failures(t, func(tb testing.TB) { SHA256(tb, path, abc) }); len(got) != 0 {
		t.Errorf("the file's own hash: %q", got)
	}
	if got := failures(t, func(tb testing.TB) { SHA256(tb, path, abc[1:]+"0") }); len(got) != 1 {
		t.Errorf("another hash: failures %q, want 1", got)
	}
}
