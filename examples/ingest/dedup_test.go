package main

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"testing"
)

// dedupRun runs the calls (one per line) with the query n=count(e, 1d) >= 2 and the
// window given (0: maxSeen), and returns the summary's first line and n's row.
func dedupRun(t *testing.T, window int, calls ...string) (summary, row string) {
	t.Helper()
	var out bytes.Buffer
	qs := queries{{"twice", "count(e, 1d) >= 2"}}
	if err := run(&out, io.Discard, strings.NewReader(strings.Join(calls, "\n")+"\n"), qs, testNow, options{seenWindow: window}); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(out.String(), "\n")
	for _, l := range lines {
		if strings.HasPrefix(strings.TrimSpace(l), "twice ") {
			row = strings.Join(strings.Fields(l), " ")
		}
	}
	return lines[0], row
}

func track(user, messageID string) string {
	id := ""
	if messageID != "" {
		id = fmt.Sprintf(`,"messageId":%q`, messageID)
	}
	return fmt.Sprintf(`{"type":"track","event":"e","userId":%q,"timestamp":"2025-03-01T09:00:00Z"%s}`, user, id)
}

// TestRetriedCallAppliedOnce: a call sent twice with one messageId (a retry after a lost
// reply, as Segment's libraries send it) is applied once, as the server applies it; it
// was applied twice, putting u1 in count(e, 1d) >= 2 with one event.
func TestRetriedCallAppliedOnce(t *testing.T) {
	summary, row := dedupRun(t, 0, track("u1", "m-1"), track("u1", "m-1"), track("u2", "m-2"))
	if want := "read 3 lines holding 3 calls: 2 applied, 1 duplicate (a messageId seen before), 0 malformed (reported with their line and column)"; summary != want {
		t.Errorf("summary:\n%s\nwant:\n%s", summary, want)
	}
	if row != "twice 0 count(e, 1d) >= 2" {
		t.Errorf("audience row %q, want 0 profiles", row)
	}
	// The plural, in a batch: two copies of one call and a third.
	summary, _ = dedupRun(t, 0, `{"batch":[`+track("u1", "m-1")+","+track("u1", "m-1")+"]}", track("u1", "m-1"))
	if !strings.HasPrefix(summary, "read 2 lines holding 3 calls: 1 applied, 2 duplicates (a messageId seen before), 0 malformed") {
		t.Errorf("summary:\n%s", summary)
	}
}

// TestCallsWithoutMessageIDAllApplied: calls without a messageId cannot be told from a
// retry, so each is applied, as before.
func TestCallsWithoutMessageIDAllApplied(t *testing.T) {
	summary, row := dedupRun(t, 0, track("u1", ""), track("u1", ""))
	if !strings.HasPrefix(summary, "read 2 lines holding 2 calls: 2 applied, 0 malformed") {
		t.Errorf("summary:\n%s", summary)
	}
	if row != "twice 1 count(e, 1d) >= 2" {
		t.Errorf("audience row %q, want 1 profile", row)
	}
}

// TestRefusedCallNotRemembered: a call that resolution refused (junk identifiers only)
// was not applied, so a later call with its messageId is applied, as the server does.
func TestRefusedCallNotRemembered(t *testing.T) {
	summary, row := dedupRun(t, 0, track("undefined", "m-1"), track("u1", "m-1"), track("u1", "m-2"))
	if !strings.HasPrefix(summary, "read 3 lines holding 3 calls: 2 applied, 1 malformed") {
		t.Errorf("summary:\n%s", summary)
	}
	if row != "twice 1 count(e, 1d) >= 2" {
		t.Errorf("audience row %q, want 1 profile", row)
	}
}

// TestSeenWindowBounded: only the last window messageIds are remembered, so memory
// stays bounded over any input: one older than that is applied again, one within it is
// still a duplicate.
func TestSeenWindowBounded(t *testing.T) {
	// m-1 is forgotten when m-3 is remembered (a window of 2); m-3 is still held.
	summary, row := dedupRun(t, 2, track("u1", "m-1"), track("u2", "m-2"), track("u3", "m-3"), track("u1", "m-1"), track("u3", "m-3"))
	if !strings.HasPrefix(summary, "read 5 lines holding 5 calls: 4 applied, 1 duplicate (a messageId seen before), 0 malformed") {
		t.Errorf("summary:\n%s", summary)
	}
	if row != "twice 1 count(e, 1d) >= 2" {
		t.Errorf("audience row %q, want 1 profile (u1's, whose m-1 was forgotten)", row)
	}

	s := seenIDs{size: 4}
	for i := range 10 {
		s.add(fmt.Sprint("id-", i))
	}
	if len(s.has) != 4 || len(s.ring) != 4 {
		t.Errorf("after 10 ids in a window of 4: %d held, ring of %d", len(s.has), len(s.ring))
	}
	for i := range 10 {
		if got, want := s.seen(fmt.Sprint("id-", i)), i >= 6; got != want {
			t.Errorf("id-%d seen %v, want %v", i, got, want)
		}
	}
	if (&seenIDs{}).seen("x") {
		t.Error("an empty set has an id")
	}
}
