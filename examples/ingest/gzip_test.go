package main

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"
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
	if err := run(&want, io.Discard, bytes.NewReader(data), nil, now, options{}); err != nil {
		t.Fatal(err)
	}
	if err := run(&got, io.Discard, &zipped, nil, now, options{}); err != nil || got.String() != want.String() {
		t.Errorf("gzip: %v\n%s\nwant\n%s", err, got.String(), want.String())
	}
}

// TestGzipCutShort: a .gz cut short (a download cut off) ends the run with an error
// saying how far the input was read and that the file is cut short; it said only
// "gzip-compressed input: unexpected EOF".
func TestGzipCutShort(t *testing.T) {
	var in bytes.Buffer
	for i := range 5000 {
		fmt.Fprintf(&in, `{"type":"track","event":"e","userId":"u%d","timestamp":"2025-03-01T09:00:00Z"}`+"\n", i)
	}
	var zipped bytes.Buffer
	w := gzip.NewWriter(&zipped)
	w.Write(in.Bytes())
	w.Close()
	cut := zipped.Bytes()[:zipped.Len()/2]
	err := run(io.Discard, io.Discard, bytes.NewReader(cut), nil, testNow, options{})
	if err == nil || !regexp.MustCompile(`^reading the input after [1-9][0-9]* whole lines: gzip-compressed input: unexpected EOF \(the file is cut short`).MatchString(err.Error()) {
		t.Errorf("err %v", err)
	}
}

// TestUTF16Input: a file in UTF-16 (Windows PowerShell's > and Out-File, or iconv -t
// utf-16le without a byte-order mark) ends the run with one error saying so and how to
// convert it; each of its lines was reported bad, the first with advice for a Latin-1
// file (with the mark) or "invalid character '\x00'" (without).
func TestUTF16Input(t *testing.T) {
	var text []byte
	for _, c := range `{"type":"page","userId":"u","timestamp":"2025-03-01T10:00:00Z"}` + "\r\n" {
		text = append(text, byte(c), 0)
	}
	for iconv, in := range map[string][]byte{"utf-16": append([]byte{0xff, 0xfe}, text...), "utf-16le": text} {
		var out, problems bytes.Buffer
		err := run(&out, &problems, bytes.NewReader(in), nil, testNow, options{})
		if err == nil || !strings.HasPrefix(err.Error(), "line 1, column 1: tracking: invalid call: the input is UTF-16") ||
			!strings.Contains(err.Error(), "iconv -f "+iconv+" -t utf-8") || problems.Len() > 0 {
			t.Errorf("%s: err %v\nproblems:\n%s", iconv, err, problems.String())
		}
	}
}
