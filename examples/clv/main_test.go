package main

import (
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestDefaultInputElsewhere: run outside the repository's root, the default -in is
// missing; the error says where to run from.
func TestDefaultInputElsewhere(t *testing.T) {
	t.Chdir(t.TempDir())
	_, err := openInput("scoring/testdata/cdnow/CDNOW_sample.txt", true)
	if err == nil || !strings.Contains(err.Error(), "run there, or give -in") {
		t.Errorf("err = %v, want it to say where to run from", err)
	}
	if _, err := openInput("missing.csv", false); err == nil || strings.Contains(err.Error(), "-in") {
		t.Errorf("a path given with -in: err = %v, want os.Open's error alone", err)
	}
}

// TestStandardInput: "-in -" reads standard input, gzip-compressed too, as
// examples/attribution's does; it was "open -: no such file or directory".
func TestStandardInput(t *testing.T) {
	data := orderExport(300, 1)
	cfg := config{format: "csv", header: true, unit: 24 * time.Hour, top: 3}
	var want bytes.Buffer
	if err := run(&want, bytes.NewReader(data), cfg); err != nil {
		t.Fatal(err)
	}
	var zipped bytes.Buffer
	w := gzip.NewWriter(&zipped)
	w.Write(data)
	w.Close()
	for name, in := range map[string][]byte{"plain": data, "gzip": zipped.Bytes()} {
		path := filepath.Join(t.TempDir(), "stdin")
		if err := os.WriteFile(path, in, 0o600); err != nil {
			t.Fatal(err)
		}
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { f.Close() })
		old := os.Stdin
		os.Stdin = f
		r, err := openInput("-", false)
		os.Stdin = old
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		var got bytes.Buffer
		if err := run(&got, r, cfg); err != nil || got.String() != want.String() {
			t.Errorf("%s on standard input: %v\n%s\nwant\n%s", name, err, got.String(), want.String())
		}
	}
	if got := inputName("-"); got != "standard input" {
		t.Errorf(`inputName("-") = %q`, got)
	}
}
