package main

import (
	"bytes"
	"compress/gzip"
	"strings"
	"testing"
	"time"
)

// TestGzipInput: an export.csv.gz is read as the file it holds. Read as text, it was
// "line 1 is a single column "\x1f\x8b...": are its fields separated by ;?".
func TestGzipInput(t *testing.T) {
	data := orderExport(300, 1)
	var zipped bytes.Buffer
	w := gzip.NewWriter(&zipped)
	w.Write(data)
	w.Close()
	cfg := config{format: "csv", header: true, unit: 24 * time.Hour, top: 3}
	var want, got bytes.Buffer
	if err := run(&want, bytes.NewReader(data), cfg); err != nil {
		t.Fatal(err)
	}
	if err := run(&got, bytes.NewReader(zipped.Bytes()), cfg); err != nil || got.String() != want.String() {
		t.Errorf("gzip: %v\n%s\nwant\n%s", err, got.String(), want.String())
	}
	// A cut file says it was read as gzip.
	err := run(&bytes.Buffer{}, bytes.NewReader(zipped.Bytes()[:zipped.Len()/2]), cfg)
	if err == nil || !strings.Contains(err.Error(), "gzip-compressed input: unexpected EOF") {
		t.Errorf("a cut gzip file: %v", err)
	}
}
