package main

import (
	"bytes"
	"compress/gzip"
	"io"
	"slices"
	"testing"
)

// TestGzipInput: a paths.csv.gz is read as the file it holds. Read as text, it was
// "line 1: 3 fields, want 4".
func TestGzipInput(t *testing.T) {
	data := []byte("path,conversions,nulls,value\nsearch > email,1,0,5\nsearch,1,2,3\n")
	var zipped bytes.Buffer
	w := gzip.NewWriter(&zipped)
	w.Write(data)
	w.Close()
	want, _, err := readCSV(bytes.NewReader(data), false, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	got, _, err := readCSV(&zipped, false, io.Discard)
	if err != nil || !slices.EqualFunc(got, want, func(a, b pathRow) bool { return slices.Equal(a.Touches, b.Touches) && a.Conversions == b.Conversions }) {
		t.Errorf("gzip: %v, %v; want %v", got, err, want)
	}
}
