package main

import (
	"bytes"
	"io"
	"strings"
	"testing"
)

// TestTrackPageApartFromPageCalls: a track call named "page" is an event of the
// sender's, not a page view, and is counted apart from page calls, under "track:page".
// It was counted with them: did(page) held both people of this file.
func TestTrackPageApartFromPageCalls(t *testing.T) {
	in := `{"type":"track","event":"page","userId":"u1","timestamp":"2025-03-01T10:00:00Z"}
{"type":"page","userId":"u2","timestamp":"2025-03-01T10:00:00Z"}
{"type":"track","event":"screen","userId":"u1","timestamp":"2025-03-01T10:00:00Z"}
`
	var out bytes.Buffer
	if err := run(&out, io.Discard, strings.NewReader(in), queries{{"pages", "did(page)"}, {"tracked", `did("track:page")`}}, testNow, options{}); err != nil {
		t.Fatal(err)
	}
	_, rows, _ := strings.Cut(out.String(), "with an event:\n")
	want := `did page 1 did(page) did track:page 1 did("track:page") did track:screen 1 did("track:screen") pages 1 did(page) tracked 1 did("track:page")`
	if got := strings.Join(strings.Fields(rows), " "); got != want {
		t.Errorf("rows:\n%s\nwant %s", rows, want)
	}
}
