package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/clientele-go/clientele"
)

// clientReply is POST /v1/events's answer as a client reads it.
type clientReply struct {
	Accepted      int
	Rejected      []rejection
	RejectedTotal int    `json:"rejected_total"`
	RejectedLines string `json:"rejected_lines"`
	Profiles      []uint32
}

// postRaw posts body to /v1/events and returns the status and the reply's bytes.
func postRaw(t *testing.T, base, body string) (int, []byte) {
	t.Helper()
	resp, err := client.Post(base+"/v1/events", "application/x-ndjson", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, data
}

// TestEventsRejectionsBounded: a body of 1 MiB of bad lines is answered with the first
// maxListed rejections and their reasons, the count of them all, and every rejected
// line as ranges, within the bound README states; each of the 524,288 lines was listed
// with its reason, a reply of 59 MB (and as much held by the server) for one request.
func TestEventsRejectionsBounded(t *testing.T) {
	s := memoryServer(t, clientele.FixedClock(time.Date(2025, 3, 3, 0, 0, 0, 0, time.UTC)))
	base, stop := start(t, s)
	defer stop()
	const lines = maxBody / 2
	status, data := postRaw(t, base, strings.Repeat("x\n", lines))
	// The bound: maxListed rejections of at most maxReason bytes of reason, each in its
	// {"line":...,"error":...} (escaping can double a reason's bytes), and the ranges.
	bound := maxListed*(2*maxReason+len(`{"line":1048576,"call":524288,"error":""},`)) + 1024
	if len(data) > bound {
		t.Fatalf("a reply of %d bytes to %d bad lines, over the bound of %d", len(data), lines, bound)
	}
	var got clientReply
	if err := json.Unmarshal(data, &got); err != nil {
		t.Fatalf("%v in %.300s", err, data)
	}
	if status != http.StatusBadRequest || got.Accepted != 0 || len(got.Rejected) != maxListed || got.RejectedTotal != lines ||
		got.RejectedLines != fmt.Sprintf("1-%d", lines) {
		t.Fatalf("status %d, %d accepted, %d listed, rejected_total %d, rejected_lines %q; want 400, 0, %d, %d, \"1-%d\"",
			status, got.Accepted, len(got.Rejected), got.RejectedTotal, got.RejectedLines, maxListed, lines, lines)
	}
	for i, r := range got.Rejected {
		if r.Line != i+1 || !strings.Contains(r.Error, "not JSON: invalid character 'x'") {
			t.Fatalf("rejection %d: %+v, want line %d, not JSON", i, r, i+1)
		}
	}
	t.Logf("%d bad lines: a reply of %d bytes", lines, len(data))
}

// TestEventsRejectedLines: with more rejections than are listed, those the parser made
// and those met applying the calls, the listed ones are the first in line order and
// rejected_lines names every rejected line, and no accepted one, in ranges that run over blank lines (sending
// a blank line again does nothing), so that a client sends again exactly the lines to
// send from its own copy of the body.
func TestEventsRejectedLines(t *testing.T) {
	s := memoryServer(t, clientele.FixedClock(time.Date(2025, 3, 3, 0, 0, 0, 0, time.UTC)))
	base, stop := start(t, s)
	defer stop()
	var body strings.Builder
	kind := map[int]string{} // line: "good", "bad" or "blank"
	for n := 1; n <= 4*maxListed; n++ {
		switch {
		case n%7 == 0:
			kind[n] = "blank"
			body.WriteString("  \n")
		case n%11 == 0:
			// Parsed, then refused when applied (its only identifier is junk): the
			// rejections of both stages are counted, listed and named in line order.
			kind[n] = "bad"
			body.WriteString(`{"type":"page","userId":"null","timestamp":"2025-03-01T10:00:00Z"}` + "\n")
		case n%5 == 0 || n > 3*maxListed && n%2 == 0:
			kind[n] = "good"
			fmt.Fprintf(&body, `{"type":"page","userId":"u-%d","timestamp":"2025-03-01T10:00:00Z"}`+"\n", n)
		default:
			kind[n] = "bad"
			body.WriteString(`{"type":"track","userId":"u"}` + "\n")
		}
	}
	status, data := postRaw(t, base, body.String())
	var got clientReply
	if err := json.Unmarshal(data, &got); err != nil {
		t.Fatalf("%v in %.300s", err, data)
	}
	bad, good := 0, 0
	for _, k := range kind {
		bad += b2i(k == "bad")
		good += b2i(k == "good")
	}
	if status != http.StatusOK || got.Accepted != good || got.RejectedTotal != bad || len(got.Rejected) != maxListed {
		t.Fatalf("status %d, %d accepted, rejected_total %d, %d listed; want 200, %d, %d, %d", status, got.Accepted, got.RejectedTotal, len(got.Rejected), good, bad, maxListed)
	}
	for i, r := range got.Rejected {
		if kind[r.Line] != "bad" || i > 0 && r.Line <= got.Rejected[i-1].Line {
			t.Fatalf("rejection %d names line %d, a %s line, after line %d: want the bad lines in order", i, r.Line, kind[r.Line], got.Rejected[max(i-1, 0)].Line)
		}
	}
	named := map[int]bool{}
	prev := 0
	for _, r := range strings.Split(got.RejectedLines, ",") {
		lo, hi, isRange := strings.Cut(r, "-")
		from, err1 := strconv.Atoi(lo)
		to, err2 := from, error(nil)
		if isRange {
			to, err2 = strconv.Atoi(hi)
		}
		if err1 != nil || err2 != nil || from <= prev || to < from || isRange && to == from {
			t.Fatalf("rejected_lines %q: range %q is not one of ascending ranges", got.RejectedLines, r)
		}
		if kind[from] != "bad" || kind[to] != "bad" {
			t.Fatalf("range %q starts or ends on a %s line", r, kind[from]+"/"+kind[to])
		}
		if prev > 0 && !strings.Contains(strings.Join(kindsBetween(kind, prev, from), " "), "good") {
			t.Fatalf("ranges ending at %d and starting at %d are apart with no accepted line between", prev, from)
		}
		for n := from; n <= to; n++ {
			if kind[n] == "good" {
				t.Fatalf("range %q holds line %d, accepted", r, n)
			}
			named[n] = true
		}
		prev = to
	}
	for n, k := range kind {
		if k == "bad" && !named[n] {
			t.Fatalf("line %d was rejected, and rejected_lines %q leaves it out", n, got.RejectedLines)
		}
	}
}

func kindsBetween(kind map[int]string, from, to int) []string {
	var ks []string
	for n := from + 1; n < to; n++ {
		ks = append(ks, kind[n])
	}
	return ks
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// TestEventsSmallRejections: a body with a few bad lines is answered as before: each
// rejection listed with its line and its whole reason, no count and no ranges beside
// them. A reason quoting a long value is cut in its middle to maxReason bytes, keeping
// what it is about and what would do.
func TestEventsSmallRejections(t *testing.T) {
	s := memoryServer(t, clientele.FixedClock(time.Date(2025, 3, 3, 0, 0, 0, 0, time.UTC)))
	base, stop := start(t, s)
	defer stop()
	long := strings.Repeat("é", 50_000)
	status, data := postRaw(t, base, `{"type":"page","userId":"u-1","timestamp":"2025-03-01T10:00:00Z"}
{"type":"track","userId":"u-2","timestamp":"2025-03-01T10:00:00Z"}

{"type":"`+long+`","userId":"u-3"}
`)
	var got clientReply
	if err := json.Unmarshal(data, &got); err != nil {
		t.Fatalf("%v in %.300s", err, data)
	}
	if status != http.StatusOK || got.Accepted != 1 || len(got.Rejected) != 2 || strings.Contains(string(data), "rejected_total") || strings.Contains(string(data), "rejected_lines") {
		t.Fatalf("status %d: %.600s; want 200, 1 accepted, 2 rejected, nothing else", status, data)
	}
	if r := got.Rejected[0]; r.Line != 2 || r.Error != `tracking: invalid call: a track call needs "event", the name of what the person did` {
		t.Errorf("first rejection %+v", r)
	}
	r := got.Rejected[1]
	if r.Line != 4 || len(r.Error) > maxReason || !strings.HasPrefix(r.Error, `tracking: invalid call: "type" "éé`) ||
		!strings.HasSuffix(r.Error, `éé" is not a call of the Segment spec: want one of identify, track, page, screen, group, alias`) || !strings.Contains(r.Error, " … ") {
		t.Errorf("a rejection quoting %d bytes: line %d, %d bytes: %q", len(long), r.Line, len(r.Error), r.Error)
	}
}

// TestLineRanges: rejected lines run into one range until an accepted line lies
// between two of them; a line rejected twice (two calls of one envelope) is named once,
// and a line with calls both accepted and rejected is named and ends no range.
func TestLineRanges(t *testing.T) {
	for _, tc := range []struct {
		rejected, accepted []int
		want               string
	}{
		{nil, []int{1}, ""},
		{[]int{3}, nil, "3"},
		{[]int{1, 2, 3, 7}, nil, "1-7"},
		{[]int{1, 2, 3, 7}, []int{5}, "1-3,7"},
		{[]int{1, 2, 3, 7}, []int{4, 5, 6, 8}, "1-3,7"},
		{[]int{2, 2, 2, 4}, []int{1, 3}, "2,4"},
		{[]int{2, 4, 4}, []int{2, 4}, "2-4"},
		{[]int{2, 4}, []int{2, 3, 4}, "2,4"},
		{[]int{1048575, 1048576}, []int{1}, "1048575-1048576"},
	} {
		if got := lineRanges(tc.rejected, tc.accepted); got != tc.want {
			t.Errorf("lineRanges(%v, %v) = %q, want %q", tc.rejected, tc.accepted, got, tc.want)
		}
	}
}
