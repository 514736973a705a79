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
	if err := run(&out, io.Discard, strings.NewReader(in), queries{{"today", "did(e, 1d)"}}, testNow, options{}); err != nil {
		t.Fatal(err)
	}
	got := strings.Join(strings.Fields(out.String()), " ")
	if !strings.Contains(got, "audiences at 2025-03-03T03:00:00Z,") || !strings.Contains(got, "today 1 did(e, 1d)") {
		t.Errorf("output:\n%s", out.String())
	}
}

// TestAudiencesAtWithoutCalls: with no call applied (an empty file, or only bad lines)
// a -query's audience is counted at the time of the run, as a call without a time of
// its own would be; the line said "audiences at 0001-01-01T00:00:00Z".
func TestAudiencesAtWithoutCalls(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, in := range []string{"", "{bad\n"} {
		var out bytes.Buffer
		if err := run(&out, io.Discard, strings.NewReader(in), queries{{"pages", "did(page)"}}, now, options{}); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(out.String(), "audiences at 2026-01-02T03:04:05Z, of the 0 profiles with an event:") {
			t.Errorf("%q:\n%s", in, out.String())
		}
	}
}
