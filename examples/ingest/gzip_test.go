package main

import (
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"testing"
	"time"
)

// TestGzipInput: an events.jsonl.gz is read as the file it holds. Read as text, each
// line was "byte 0x8b is not UTF-8 ... (convert the file, e.g. iconv -f latin1)".
func TestGzipInput(t *testing.T) {
	data, err := os.ReadFile("testdata/spec.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	var zipped bytes.Buffer
	w := gzip.NewWriter(&zipped)
	w.Write(data)
	w.Close()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var want, got bytes.Buffer
	if err := run(&want, io.Discard, bytes.NewReader(data), nil, now, 0); err != nil {
		t.Fatal(err)
	}
	if err := run(&got, io.Discard, &zipped, nil, now, 0); err != nil || got.String() != want.String() {
		t.Errorf("gzip: %v\n%s\nwant\n%s", err, got.String(), want.String())
	}
}
