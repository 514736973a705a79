package main

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"time"
)

// TestAudiencesAtInUTC: the instant the audiences are counted at is shown in UTC, where
// the index's days are. The latest call at 22:00-05:00 was shown as such, naming March
// 2, while did(e, 1d) counted March 3 (UTC): the 10:00-05:00 call of March 2 was not
// "today" though the line said so.
func TestAudiencesAtInUTC(t *testing.T) {
	in := `{"type":"track","event":"e","userId":"u1","timestamp":"2025-03-02T10:00:00-05:00"}
{"type":"track","event":"e","userId":"u2","timestamp":"2025-03-02T22:00:00-05:00"}
`
	var out bytes.Buffer
	if err := run(&out, io.Discard, strings.NewReader(in), queries{{"today", "did(e, 1d)"}}, time.Time{}, 0); err != nil {
		t.Fatal(err)
	}
	got := strings.Join(strings.Fields(out.String()), " ")
	if !strings.Contains(got, "audiences at 2025-03-03T03:00:00Z,") || !strings.Contains(got, "today 1 did(e, 1d)") {
		t.Errorf("output:\n%s", out.String())
	}
}
