package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/clientele-go/clientele"
	"pgregory.net/rapid"
)

// shrinkListed sets maxListed to n for the test, so that a few rejections go past the
// listed ones.
func shrinkListed(t testing.TB, n int) {
	was := maxListed
	maxListed = n
	t.Cleanup(func() { maxListed = was })
}

// callsReply is POST /v1/events's answer as a client reads it, rejected_calls and each
// rejection's call included.
type callsReply struct {
	Accepted int
	Rejected []struct {
		Line  int
		Call  int
		Error string
	}
	RejectedTotal int    `json:"rejected_total"`
	RejectedLines string `json:"rejected_lines"`
	RejectedCalls string `json:"rejected_calls"`
}

// unit is what a client sends again: a call of a line's batch envelope (call > 0), or
// the line whole (call 0: a line of one call, or one the server refused whole).
type unit struct{ line, call int }

// parseRanges reads "2-5,9" into its numbers.
func parseRanges(t testing.TB, s string) []int {
	t.Helper()
	var out []int
	if s == "" {
		return nil
	}
	for _, r := range strings.Split(s, ",") {
		lo, hi, isRange := strings.Cut(r, "-")
		from, err1 := strconv.Atoi(lo)
		to, err2 := from, error(nil)
		if isRange {
			to, err2 = strconv.Atoi(hi)
		}
		if err1 != nil || err2 != nil || to < from {
			t.Fatalf("range %q of %q", r, s)
		}
		for n := from; n <= to; n++ {
			out = append(out, n)
		}
	}
	return out
}

// resend is the reference client: from the reply and its own copy of the body (calls:
// how many calls each line's batch envelope holds, or -1 for a line of one call or not
// an envelope), the calls it sends again, each as a unit of the line's own calls.
func resend(t testing.TB, got callsReply, calls map[int]int) map[unit]bool {
	t.Helper()
	out := map[unit]bool{}
	whole := func(line int) {
		switch k := calls[line]; {
		case k < 0:
			out[unit{line, 0}] = true
		case k == 1:
			out[unit{line, 1}] = true
		default: // a batch refused whole, or a blank line or an empty batch (k = 0)
			for c := 1; c <= k; c++ {
				out[unit{line, c}] = true
			}
			if k == 0 {
				out[unit{line, 0}] = true
			}
		}
	}
	if got.RejectedTotal == 0 {
		// Every rejection is listed.
		for _, r := range got.Rejected {
			if r.Call > 0 {
				out[unit{r.Line, r.Call}] = true
			} else {
				whole(r.Line)
			}
		}
		return out
	}
	partly := map[int][]int{}
	if got.RejectedCalls != "" {
		for _, item := range strings.Split(got.RejectedCalls, ",") {
			l, cs, ok := strings.Cut(item, ":")
			line, err := strconv.Atoi(l)
			if !ok || err != nil {
				t.Fatalf("item %q of rejected_calls %q", item, got.RejectedCalls)
			}
			partly[line] = append(partly[line], parseRanges(t, cs)...)
		}
	}
	for _, line := range parseRanges(t, got.RejectedLines) {
		if cs, ok := partly[line]; ok {
			for _, c := range cs {
				out[unit{line, c}] = true
			}
			delete(partly, line)
			continue
		}
		whole(line)
	}
	if len(partly) > 0 {
		t.Fatalf("rejected_calls %q names lines rejected_lines %q leaves out", got.RejectedCalls, got.RejectedLines)
	}
	return out
}

// TestEventsResendExactly: for bodies mixing good and bad lines, blank lines and batch
// envelopes of good and bad calls, the reply lets a client work out exactly the calls
// not applied, to send again, whether every rejection is listed or not. Past the
// listed rejections, a line partly applied was named whole by rejected_lines, and
// below them a call refused when applied was listed without its position.
func TestEventsResendExactly(t *testing.T) {
	clock := clientele.FixedClock(time.Date(2025, 3, 3, 0, 0, 0, 0, time.UTC))
	rapid.Check(t, func(rt *rapid.T) {
		shrinkListed(t, rapid.IntRange(1, 8).Draw(rt, "maxListed"))
		s, err := newServer(clock)
		if err != nil {
			rt.Fatal(err)
		}
		const good, parseBad, applyBad, junk = "good", "parse", "apply", "junk"
		callKind := rapid.SampledFrom([]string{good, good, parseBad, applyBad, junk})
		call := func(kind string, id string) string {
			switch kind {
			case good:
				return `{"type":"track","userId":"u-` + id + `","event":"e","timestamp":"2025-03-01T10:00:00Z"}`
			case parseBad:
				return `{"type":"track","userId":"u-` + id + `"}` // no event
			case applyBad:
				return `{"type":"page","userId":"null"}` // its one identifier is junk
			default:
				return `1`
			}
		}
		var body strings.Builder
		calls := map[int]int{}        // as resend reads it
		notApplied := map[unit]bool{} // the truth, as the generator knows it
		goodCalls := 0
		lines := rapid.IntRange(0, 30).Draw(rt, "lines")
		for n := 1; n <= lines; n++ {
			id := strconv.Itoa(n)
			switch shape := rapid.IntRange(0, 5).Draw(rt, "shape"); shape {
			case 0:
				body.WriteString("  ")
				calls[n] = 0
			case 1:
				body.WriteString(`{"batch":3}`) // refused whole
				calls[n] = 0
				notApplied[unit{n, 0}] = true
			case 2, 3:
				kind := callKind.Draw(rt, "kind")
				body.WriteString(call(kind, id))
				calls[n] = -1
				if kind == good {
					goodCalls++
				} else {
					notApplied[unit{n, 0}] = true
				}
			default:
				k := rapid.IntRange(0, 6).Draw(rt, "calls")
				items := make([]string, k)
				for c := 1; c <= k; c++ {
					kind := callKind.Draw(rt, "kind")
					items[c-1] = call(kind, id+"-"+strconv.Itoa(c))
					if kind == good {
						goodCalls++
					} else {
						notApplied[unit{n, c}] = true
					}
				}
				body.WriteString(`{"batch":[` + strings.Join(items, ",") + `]}`)
				calls[n] = k
			}
			body.WriteString("\n")
		}
		rec := httptest.NewRecorder()
		s.postEvents(rec, httptest.NewRequest("POST", "/v1/events", strings.NewReader(body.String())))
		var got callsReply
		if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
			rt.Fatalf("%v in %s", err, rec.Body.Bytes())
		}
		if got.Accepted != goodCalls || len(s.events) != goodCalls {
			rt.Fatalf("accepted %d, %d events kept; want %d", got.Accepted, len(s.events), goodCalls)
		}
		wantStatus := http.StatusOK
		if goodCalls == 0 && len(notApplied) > 0 {
			wantStatus = http.StatusBadRequest
		}
		if rec.Code != wantStatus {
			rt.Fatalf("status %d, want %d: %s", rec.Code, wantStatus, rec.Body.Bytes())
		}
		// An empty batch, or a blank line, named in a range: sending it again is
		// sending nothing.
		sent := resend(t, got, calls)
		for u := range sent {
			if calls[u.line] == 0 && u.call == 0 && !notApplied[u] {
				delete(sent, u)
			}
		}
		for u := range notApplied {
			if !sent[u] {
				rt.Fatalf("line %d call %d was not applied, and the client does not send it again\nbody:\n%s\nreply: %s", u.line, u.call, body.String(), rec.Body.Bytes())
			}
		}
		for u := range sent {
			if !notApplied[u] {
				rt.Fatalf("line %d call %d was applied, and the client sends it again\nbody:\n%s\nreply: %s", u.line, u.call, body.String(), rec.Body.Bytes())
			}
		}
	})
}

// TestEventsPartlyAppliedEnvelope: past the first maxListed rejections, an envelope
// line whose calls 1 and 4 were applied and 2 (no event) and 3 (a junk identifier)
// were not is named by rejected_calls, calls 2-3, as well as by rejected_lines; the
// reply to the same line alone says which calls it lists. With 1,001 bad lines
// before it, the reply named line 1,002 whole in rejected_lines and nothing else.
func TestEventsPartlyAppliedEnvelope(t *testing.T) {
	s := memoryServer(t, clientele.FixedClock(time.Date(2025, 3, 3, 0, 0, 0, 0, time.UTC)))
	base, stop := start(t, s)
	defer stop()
	envelope := `{"batch":[{"type":"track","userId":"u-1","event":"A","timestamp":"2025-03-01T10:00:00Z"},` +
		`{"type":"track","userId":"u-2","timestamp":"2025-03-01T10:00:00Z"},` +
		`{"type":"page","userId":"null","timestamp":"2025-03-01T10:00:00Z"},` +
		`{"type":"track","userId":"u-3","event":"B","timestamp":"2025-03-01T10:00:00Z"}]}` + "\n"
	bad := maxListed + 1
	status, data := postRaw(t, base, strings.Repeat(`{"type":"track","userId":"u"}`+"\n", bad)+envelope)
	var got callsReply
	if err := json.Unmarshal(data, &got); err != nil {
		t.Fatalf("%v in %.300s", err, data)
	}
	line := bad + 1
	if status != http.StatusOK || got.Accepted != 2 || got.RejectedTotal != bad+2 || got.RejectedLines != fmt.Sprintf("1-%d", line) ||
		got.RejectedCalls != fmt.Sprintf("%d:2-3", line) {
		t.Fatalf("status %d, accepted %d, rejected_total %d, rejected_lines %q, rejected_calls %q; want 200, 2, %d, \"1-%d\", \"%d:2-3\"",
			status, got.Accepted, got.RejectedTotal, got.RejectedLines, got.RejectedCalls, bad+2, line, line)
	}

	status, data = postRaw(t, base, envelope)
	got = callsReply{}
	if err := json.Unmarshal(data, &got); err != nil {
		t.Fatalf("%v in %.300s", err, data)
	}
	if status != http.StatusOK || got.Accepted != 2 || len(got.Rejected) != 2 || got.RejectedCalls != "" ||
		got.Rejected[0].Call != 2 || got.Rejected[1].Call != 3 || !strings.HasPrefix(got.Rejected[1].Error, "call 3 of the batch: ") {
		t.Fatalf("the envelope alone: status %d, %s; want 200, 2 accepted, calls 2 and 3 listed and named", status, data)
	}
}

// TestCallRanges: a line's rejected calls are named only when it holds an accepted
// call too; a range of them ends at an accepted call.
func TestCallRanges(t *testing.T) {
	for _, tc := range []struct {
		rejected, accepted []callRef
		want               string
	}{
		{nil, []callRef{{1, 1}}, ""},
		{[]callRef{{1, 1}, {1, 2}}, nil, ""},
		{[]callRef{{1, 1}, {1, 2}}, []callRef{{2, 1}}, ""},
		{[]callRef{{2, 2}, {2, 3}}, []callRef{{2, 1}, {2, 4}}, "2:2-3"},
		{[]callRef{{2, 1}, {2, 3}, {2, 4}, {2, 6}}, []callRef{{2, 2}, {2, 5}}, "2:1,2:3-4,2:6"},
		{[]callRef{{1, 1}, {3, 2}, {5, 1}, {5, 2}, {7, 3}}, []callRef{{1, 2}, {3, 1}, {4, 1}, {7, 1}}, "1:1,3:2,7:3"},
		{[]callRef{{1048576, 524287}, {1048576, 524288}}, []callRef{{1048576, 1}}, "1048576:524287-524288"},
	} {
		if got := callRanges(tc.rejected, tc.accepted); got != tc.want {
			t.Errorf("callRanges(%v, %v) = %q, want %q", tc.rejected, tc.accepted, got, tc.want)
		}
	}
}

// TestEventsRejectedCallsBounded: bodies of 1 MiB built to make rejected_calls long,
// each line or stretch holding as many ranges of rejected calls for its bytes as
// callRanges allows, are answered within the bound README states.
func TestEventsRejectedCallsBounded(t *testing.T) {
	const a = `{"type":"page","userId":1}` // the smallest call accepted
	fill := func(unit string) string {
		return strings.Repeat(unit, maxBody/len(unit))
	}
	long := func(pattern string) string { // one envelope line as long as the limit allows
		n := (maxBody - len(`{"batch":[]}`+"\n")) / len(pattern)
		return `{"batch":[` + strings.TrimSuffix(strings.Repeat(pattern, n), ",") + "]}\n"
	}
	for _, tc := range []struct {
		name, body string
	}{
		{"lines of bad, good, bad", fill(`{"batch":[1,` + a + `,1]}` + "\n")},
		{"lines of bad, good", fill(`{"batch":[1,` + a + `]}` + "\n")},
		{"lines of two bad, good, two bad", fill(`{"batch":[1,1,` + a + `,1,1]}` + "\n")},
		{"those, each before a good line", fill(`{"batch":[1,` + a + `,1]}` + "\n" + a + "\n")},
		{"one line of good, bad", long(a + ",1,")},
		{"one line of good, two bad", long(a + ",1,1,")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := memoryServer(t, clientele.FixedClock(time.Date(2025, 3, 3, 0, 0, 0, 0, time.UTC)))
			rec := httptest.NewRecorder()
			s.postEvents(rec, httptest.NewRequest("POST", "/v1/events", strings.NewReader(tc.body)))
			var got callsReply
			if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
				t.Fatalf("%v in %.300s", err, rec.Body.Bytes())
			}
			if rec.Code != http.StatusOK || got.Accepted == 0 || got.RejectedCalls == "" {
				t.Fatalf("status %d, %d accepted, rejected_calls %.100q: want 200, calls accepted and rejected calls named", rec.Code, got.Accepted, got.RejectedCalls)
			}
			// The bound README states: rejected_calls within half the body, and the whole
			// reply within the body's limit.
			if len(got.RejectedCalls) > maxBody/2 || rec.Body.Len() > maxBody {
				t.Fatalf("a body of %d bytes: rejected_calls of %d bytes, a reply of %d; want at most %d and %d", len(tc.body), len(got.RejectedCalls), rec.Body.Len(), maxBody/2, maxBody)
			}
			t.Logf("%d bytes, %d accepted, %d rejected: rejected_calls %d bytes, rejected_lines %d, reply %d", len(tc.body), got.Accepted, got.RejectedTotal,
				len(got.RejectedCalls), len(got.RejectedLines), rec.Body.Len())
		})
	}
}
