package batchstore

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func collect[T any](t *testing.T, seq func(func(T, error) bool)) []T {
	t.Helper()
	var out []T
	for r, err := range seq {
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
	return out
}

func upper(n note) note { n.Name = strings.ToUpper(n.Name); return n }

// Rewrite replaces every record, keeps the batches as frames, leaves the store
// appendable, and (for the file) leaves nothing of the old names on disk.
func TestRewrite(t *testing.T) {
	path := filepath.Join(t.TempDir(), "notes.wal")
	f, err := OpenFile[note, noteCodec](path, false)
	if err != nil {
		t.Fatal(err)
	}
	var m Mem[note, noteCodec]
	batches := [][]note{{{Name: "secret-a", Tags: []uint32{1}}}, {{Name: "secret-b"}, {Name: "secret-c"}}}
	for _, b := range batches {
		if err := errors.Join(f.Append(b), m.Append(b)); err != nil {
			t.Fatal(err)
		}
	}
	before := collect[note](t, m.Records())
	var steps []string
	f.RewriteHook = func(s string) { steps = append(steps, s) }
	if err := errors.Join(f.Rewrite(upper), m.Rewrite(upper)); err != nil {
		t.Fatal(err)
	}
	if want := []string{"frame", "frame", "written", "renamed", "dirsynced"}; !slices.Equal(steps, want) {
		t.Errorf("steps %q, want %q", steps, want)
	}
	if before[0].Name != "secret-a" {
		t.Errorf("a copy read before the rewrite changed: %+v", before[0])
	}
	if err := errors.Join(f.Append([]note{{Name: "later"}}), m.Append([]note{{Name: "later"}})); err != nil {
		t.Fatal(err)
	}
	want := []note{{Name: "SECRET-A", Tags: []uint32{1}}, {Name: "SECRET-B"}, {Name: "SECRET-C"}, {Name: "later"}}
	for name, got := range map[string][]note{"file": collect[note](t, f.Records()), "mem": collect[note](t, m.Records())} {
		if !slices.EqualFunc(got, want, func(a, b note) bool { return a.Name == b.Name && slices.Equal(a.Tags, b.Tags) }) {
			t.Errorf("%s: %+v, want %+v", name, got, want)
		}
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), "secret") {
		t.Errorf("the file still holds the old names")
	}
	if _, err := os.Stat(path + ".rewrite"); !os.IsNotExist(err) {
		t.Errorf("the copy is left beside the file: %v", err)
	}
	g, err := OpenFile[note, noteCodec](path, false)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	if n := len(collect[note](t, g.Records())); n != 4 {
		t.Errorf("reopened: %d records, want 4", n)
	}
	if err := f.Rewrite(upper); !errors.Is(err, errClosed) {
		t.Errorf("rewrite after close: %v, want the closed error", err)
	}
}
