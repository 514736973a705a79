package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/clientele-go/clientele/identity"
	"github.com/clientele-go/clientele/internal/english"
	"github.com/clientele-go/clientele/internal/golden"
	"github.com/clientele-go/clientele/internal/tracking"
	"github.com/clientele-go/clientele/segment"
)

// TestSample runs the sample file: the profiles, the merge of an anonymous profile into
// an identified one (with its activity), the junk values dropped, and the malformed
// lines reported with their numbers.
func TestSample(t *testing.T) {
	f, err := os.Open("testdata/events.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out, problems bytes.Buffer
	if err := run(&out, &problems, f, queries{
		{"buyers", `did("Order Completed")`},
		{"returning", "days(page, 30d) >= 2"},
		{"coupon_buyers", `did("Coupon Viewed") AND did("Order Completed")`},
	}, testNow, options{}); err != nil {
		t.Fatal(err)
	}
	got := strings.Join(strings.Fields(out.String()), " ")
	for _, want := range []string{
		"read 16 lines holding 16 calls: 12 applied, 4 malformed",
		"identities: 9 identifiers in 2 profiles, 1 merge",
		`dropped email "null" (blocked value) (x1)`,
		"profile 1: anonymous_id=a-100, device_id=dev-1, email=ann.lee@example.com, user_id=u-1 profile",
		"profile 2: anonymous_id=b-200, anonymous_id=c-300, anonymous_id=d-400, phone=+442079460000, user_id=u-2 audiences",
		// The coupon was viewed anonymously by what became profile 3, merged into 2.
		"did Coupon Viewed 1",
		"buyers 2",
		"returning 2",
		// Only after the merge do the coupon and the order belong to one profile.
		"coupon_buyers 1",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "profile 3") {
		t.Errorf("the absorbed profile is still listed:\n%s", got)
	}
	wantProblems := []string{
		`line 9, column 1: tracking: invalid call: a track call needs "event"`,
		"line 10, column 2: tracking: invalid call: not JSON: invalid character",
		`line 11, column 1: tracking: invalid call: an alias call needs "userId", the new id, and "previousId", the old one`,
		"line 12, column 1: tracking: invalid call: every identifier is a junk value",
	}
	lines := strings.Split(strings.TrimSpace(problems.String()), "\n")
	if len(lines) != len(wantProblems) {
		t.Fatalf("problems:\n%s\nwant %d lines", problems.String(), len(wantProblems))
	}
	for i, w := range wantProblems {
		if !strings.HasPrefix(lines[i], w) {
			t.Errorf("problem %d = %q, want it to start %q", i, lines[i], w)
		}
	}
}

func TestLongAndUnterminatedLines(t *testing.T) {
	in := strings.Repeat("x", tracking.DefaultMaxLine+10) + "\n" +
		`{"type":"page","anonymousId":"a","timestamp":"2025-03-01T09:00:00Z"}`
	var out, problems bytes.Buffer
	if err := run(&out, &problems, strings.NewReader(in), nil, testNow, options{}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "read 2 lines holding 2 calls: 1 applied, 1 malformed") {
		t.Errorf("output:\n%s", out.String())
	}
	if !strings.HasPrefix(problems.String(), "line 1, column 1: tracking: invalid call: line longer than") {
		t.Errorf("problems:\n%s", problems.String())
	}
}

// TestLinesCountBlankOnes: "read N lines" counts every line of the input, the blank
// ones after the last call included, as wc -l does; it counted up to the last line
// holding a call, and "read 0 lines" for a file of blank lines.
func TestLinesCountBlankOnes(t *testing.T) {
	for in, want := range map[string]string{
		`{"type":"page","anonymousId":"a","timestamp":"2025-03-01T09:00:00Z"}` + "\r\n\r\n\n": "read 3 lines holding 1 call: 1 applied, 0 malformed",
		"\n\n": "read 2 lines holding 0 calls: 0 applied, 0 malformed",
		"":     "read 0 lines holding 0 calls: 0 applied, 0 malformed",
	} {
		var out bytes.Buffer
		if err := run(&out, io.Discard, strings.NewReader(in), nil, testNow, options{}); err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(out.String(), want) {
			t.Errorf("%q: output\n%s\nwant it to start %q", in, out.String(), want)
		}
	}
}

func TestBadQuery(t *testing.T) {
	in := `{"type":"page","anonymousId":"a","timestamp":"2025-03-01T09:00:00Z"}`
	err := run(&bytes.Buffer{}, &bytes.Buffer{}, strings.NewReader(in), queries{{"oops", "did(page"}}, testNow, options{})
	if err == nil || !strings.Contains(err.Error(), "query oops") {
		t.Errorf("error %v, want one naming the query", err)
	}
}

// TestEverySpecCall reads a file of every Segment call type, with and without
// timestamps (one only in Unix milliseconds, one only in seconds, one with only
// originalTimestamp, sentAt and receivedAt, one with none), in a batch envelope too,
// behind a byte-order mark and with CRLF line ends: every call is applied.
func TestEverySpecCall(t *testing.T) {
	f, err := os.Open("testdata/spec.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	now := time.Date(2025, 4, 3, 0, 0, 0, 0, time.UTC)
	var out, problems bytes.Buffer
	if err := run(&out, &problems, f, queries{{"buyers", `did("Order Completed")`}}, now, options{}); err != nil {
		t.Fatal(err)
	}
	if problems.Len() > 0 {
		t.Errorf("problems:\n%s", problems.String())
	}
	got := strings.Join(strings.Fields(out.String()), " ")
	for _, want := range []string{
		"read 8 lines holding 9 calls: 9 applied, 0 malformed",
		"identities: 5 identifiers in 2 profiles, 0 merges",
		"groups (accounts) named by group calls: acme",
		// The group's e-mail is the company's, not the person's.
		"profile 1: anonymous_id=anon-1, email=ann.lee@example.com, user_id=user-1 profile",
		"profile 2: anonymous_id=anon-2, user_id=user-2 audiences at 2025-04-03T00:00:00Z, of the 2 profiles with an event:",
		"did screen 1", "did page 2", "did Product Viewed 1", "buyers 2",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q:\n%s", want, got)
		}
	}
}

// TestProfilesShown: a large file lists the first profiles and says how many it left
// out, rather than printing a line for every profile.
func TestProfilesShown(t *testing.T) {
	var in strings.Builder
	for i := range 5 {
		fmt.Fprintf(&in, `{"type":"page","anonymousId":"a%d","timestamp":"2025-03-01T09:00:00Z"}`+"\n", i)
	}
	var out bytes.Buffer
	if err := run(&out, io.Discard, strings.NewReader(in.String()), nil, testNow, options{profiles: 2}); err != nil {
		t.Fatal(err)
	}
	if got := strings.Count(out.String(), "\nprofile "); got != 2 || !strings.Contains(out.String(), "... and 3 more profiles, not shown") {
		t.Errorf("output:\n%s", out.String())
	}
}

// TestREADMEShowsRealOutput holds the README's "Real output of the first command" (the
// bad lines, from standard error, first) to what the command prints.
func TestREADMEShowsRealOutput(t *testing.T) {
	want := golden.Block(t, "README.md", "Real output of the first command")
	f, err := os.Open("testdata/events.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out, problems bytes.Buffer
	if err := run(&out, &problems, f, nil, testNow, defaults); err != nil {
		t.Fatal(err)
	}
	if got := problems.String() + out.String(); got != want {
		t.Errorf("README.md shows an output the command no longer prints; it prints:\n%s", got)
	}
}

// TestIdentifyOnlyProfilesListed: a person known only from an identify call (which
// records no event) is listed with the others, so that the list and its "more" line add
// up to the resolver's count of profiles.
func TestIdentifyOnlyProfilesListed(t *testing.T) {
	in := `{"type":"identify","userId":"u1","timestamp":"2025-03-01T09:00:00Z"}
{"type":"page","anonymousId":"a1","timestamp":"2025-03-01T09:00:00Z"}
{"type":"identify","userId":"u2","timestamp":"2025-03-01T09:00:00Z"}
`
	var out bytes.Buffer
	if err := run(&out, io.Discard, strings.NewReader(in), nil, testNow, options{profiles: 1}); err != nil {
		t.Fatal(err)
	}
	got := out.String()
	for _, want := range []string{"in 3 profiles", "profile 1: user_id=u1\n", "... and 2 more profiles, not shown"} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q:\n%s", want, got)
		}
	}
}

// TestNamesFromTheData: names the calls choose (events, ids, groups) are shown on one
// line each, escaped and cut, and an event name too long for a query costs the report
// only its own audience. Before, a newline in a user id split its profile's line, a
// bidi override reversed the rest of it on a terminal, and a 70 kB event name ended
// the run with an error after half the report.
func TestNamesFromTheData(t *testing.T) {
	long := strings.Repeat("a", 70_000)
	in := strings.Join([]string{
		`{"type":"track","event":"new\nline","userId":"line1\nline2","timestamp":"2025-03-01T09:00:00Z"}`,
		`{"type":"track","event":"` + long + `","userId":"\u202eevil","timestamp":"2025-03-01T09:00:00Z"}`,
		`{"type":"group","groupId":"acme\r\nInc","userId":"u3","timestamp":"2025-03-01T09:00:00Z"}`,
		`{"type":"page","userId":"u3","timestamp":"2025-03-01T09:00:00Z"}`,
	}, "\n")
	var out, problems bytes.Buffer
	if err := run(&out, &problems, strings.NewReader(in), queries{{"pages", "did(page)"}}, testNow, options{}); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	if problems.Len() > 0 {
		t.Errorf("problems:\n%s", problems.String())
	}
	for _, want := range []string{
		"groups (accounts) named by group calls: \"acme\\r\\nInc\"\n",
		"profile 1: user_id=\"line1\\nline2\"\n",
		"profile 2: user_id=\"\\u202eevil\"\n",
		"  did aaaaaaaaaaaaaaaaaaaa… (70000 bytes)      -  not counted: segment: parse at line 1, column 1: expression of 70007 bytes is longer than the limit of 65536\n",
		// The column is as wide as the widest name, the cut one.
		"  did \"new\\nline\"                              1  did(\"new\\nline\")\n",
		"  pages                                        1  did(page)\n",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	for i, line := range strings.Split(out.String(), "\n") {
		if len(line) > 300 || strings.ContainsRune(line, '\u202e') || strings.ContainsRune(line, '\r') {
			t.Errorf("line %d not one short printable line: %q", i+1, line[:min(len(line), 80)])
		}
	}
}

// TestWideEventNamesAlign: events named in Chinese or Japanese, or with a combining
// accent, start their counts at the same column as the others in the audiences table
// (%-24s padded by runes, so each wide character pushed the row a column right), and an
// audience named wider than the column widens it.
func TestWideEventNamesAlign(t *testing.T) {
	var lines []string
	for _, e := range []string{"購入", "カートに追加", "cafe\u0301"} {
		lines = append(lines, `{"type":"track","event":"`+e+`","userId":"u1","timestamp":"2025-03-01T09:00:00Z"}`)
	}
	lines = append(lines, `{"type":"page","userId":"u1","timestamp":"2025-03-01T09:00:00Z"}`)
	var out bytes.Buffer
	if err := run(&out, io.Discard, strings.NewReader(strings.Join(lines, "\n")), nil, testNow, options{}); err != nil {
		t.Fatal(err)
	}
	rows := 0
	for _, line := range strings.Split(out.String(), "\n") {
		if !strings.HasPrefix(line, "  did ") {
			continue
		}
		rows++
		// The count ends at column 2 + 24 + 1 + 6.
		if before, _, ok := strings.Cut(line, "  did("); !ok || english.Width(before) != 33 {
			t.Errorf("row %q: its count ends at column %d, want 33", line, english.Width(before))
		}
	}
	if rows != 4 {
		t.Errorf("%d audience rows, want 4:\n%s", rows, out.String())
	}
	// A -query named past 24 columns widens the column for every row: its count was
	// pushed out of line with the others.
	out.Reset()
	long := "page_viewers_in_the_last_thirty_days"
	if err := run(&out, io.Discard, strings.NewReader(strings.Join(lines, "\n")), queries{{long, "did(page)"}}, testNow, options{}); err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(out.String(), "\n") {
		if !strings.HasPrefix(line, "  did ") && !strings.HasPrefix(line, "  "+long) {
			continue
		}
		if before, _, ok := strings.Cut(line, "  did("); !ok || english.Width(before) != 2+len(long)+1+6 {
			t.Errorf("row %q: its count ends at column %d, want %d", line, english.Width(before), 2+len(long)+1+6)
		}
	}
	// So does an event name cut with its length after it, which is wider than the
	// 20 columns it is cut to: its count was pushed 11 columns right of the others'.
	out.Reset()
	cut := "Checkout Step Completed Successfully Today"
	in := strings.Join(append(lines, `{"type":"track","event":"`+cut+`","userId":"u1","timestamp":"2025-03-01T09:00:00Z"}`), "\n")
	if err := run(&out, io.Discard, strings.NewReader(in), nil, testNow, options{}); err != nil {
		t.Fatal(err)
	}
	want := 2 + english.Width("did "+english.Name(cut, nameWidth)) + 1 + 6
	for _, line := range strings.Split(out.String(), "\n") {
		if !strings.HasPrefix(line, "  did ") {
			continue
		}
		if before, _, ok := strings.Cut(line, "  did("); !ok || english.Width(before) != want {
			t.Errorf("row %q: its count ends at column %d, want %d", line, english.Width(before), want)
		}
	}
}

// TestQueryFlag: a -query that does not parse, or a name given twice, is refused when
// the flags are read, before the input (a million lines take a minute or more), rather
// than after the report; two audiences of one name would be two lines a reader cannot
// tell apart.
func TestQueryFlag(t *testing.T) {
	var qs queries
	if err := qs.Set("users=count(page, 30d) >= 2"); err != nil || len(qs) != 1 || qs[0].name != "users" {
		t.Fatalf("a good query: %v, %v", qs, err)
	}
	for _, c := range []struct{ flag, want string }{
		// The column counts in the expression, so the expression is quoted apart from
		// the flag's "x=", which the column does not count.
		{"x=count(page, 30d) >=", `audience "x": expression "count(page, 30d) >=": segment: parse at line 1, column 20`},
		{" users =did(page)", `audience "users" is named twice`},
		{"noequals", "want name=expression"},
		// The index holds only events: a trait, a numeric field or a saved segment is
		// refused here, not after the whole input was read.
		{"pros=did(page) AND plan:pro", `audience "pros": expression "did(page) AND plan:pro": segment: query at line 1, column 15: unknown trait key "plan" (the index this command builds holds only the calls' events`},
		{"big=spend > 100", `unknown numeric field "spend"`},
		{"vip=segment:vip", `unknown segment "vip"`},
	} {
		if err := qs.Set(c.flag); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("-query %q: %v, want an error mentioning %q", c.flag, err, c.want)
		}
	}
	if len(qs) != 1 {
		t.Errorf("refused queries were kept: %v", qs)
	}
}

// TestNegativeProfiles: -profiles -1 is refused before the input is read; it listed
// every profile, as 0 does, without saying so.
func TestNegativeProfiles(t *testing.T) {
	var out bytes.Buffer
	err := run(&out, io.Discard, strings.NewReader(`{"type":"page","userId":"u1"}`+"\n"), nil, testNow, options{profiles: -1})
	if err == nil || err.Error() != "-profiles -1: want how many profiles to list, 0 for all" || out.Len() > 0 {
		t.Errorf("-profiles -1: %v\n%s", err, out.String())
	}
}

// TestKeptApartListedAndSaid: an identifier a limit keeps apart from its call's profile
// (a device seen with a second user id, a sixth anonymous id on one device) or that is
// quarantined is a profile of its own: listed, so that the list adds up to the count
// (15 profiles were counted and 11 listed), and the report says why the calls did not
// merge (it said "0 merges" and nothing more).
func TestKeptApartListedAndSaid(t *testing.T) {
	var in strings.Builder
	for i := range 9 {
		fmt.Fprintf(&in, `{"type":"track","userId":"u%d","event":"e","timestamp":"2025-01-0%dT00:00:00Z","context":{"device":{"id":"d1"}}}`+"\n", i, i+1)
	}
	for i := range 9 {
		fmt.Fprintf(&in, `{"type":"track","anonymousId":"a%d","event":"e","timestamp":"2025-02-0%dT00:00:00Z","context":{"device":{"id":"d2"}}}`+"\n", i, i+1)
	}
	var out bytes.Buffer
	if err := run(&out, io.Discard, strings.NewReader(in.String()), nil, testNow, options{}); err != nil {
		t.Fatal(err)
	}
	got := out.String()
	for _, want := range []string{
		"identities: 20 identifiers in 15 profiles, 0 merges\n",
		"  kept apart by a limit: anonymous_id from its call's device_id, as their profile would hold 6 anonymous_id identifiers, limit 5 (x4; first anonymous_id=a5 with device_id=d2)\n",
		"  kept apart by a limit: device_id from its call's user_id, as their profile would hold 2 user_id identifiers, limit 1 (x4; first device_id=d1 with user_id=u1)\n",
		"  quarantined device_id=d1: met too many profiles, so it links none (x4)\n",
		"profile 15: anonymous_id=a8\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q:\n%s", want, got)
		}
	}
	if n := strings.Count(got, "\nprofile "); n != 15 {
		t.Errorf("%d profiles listed, want the 15 counted:\n%s", n, got)
	}
}

// TestDroppedListBounded: the dropped identifiers are listed most frequent first, up to
// droppedShown of them, then counted by kind and reason; a long value is cut; past
// droppedKept distinct values, those seen once are counted without their values. A
// file of 3,000 malformed e-mails printed 3,000 lines (and held every value), where
// the profiles stop at -profiles.
func TestDroppedListBounded(t *testing.T) {
	calls := func(malformed int) string {
		var in strings.Builder
		for i := range malformed {
			fmt.Fprintf(&in, `{"type":"identify","userId":"u%d","traits":{"email":"not-an-email-%d"},"timestamp":"2025-01-01T00:00:00Z"}`+"\n", i, i)
		}
		for i := range 5 {
			fmt.Fprintf(&in, `{"type":"identify","userId":"n%d","traits":{"email":"null"},"timestamp":"2025-01-01T00:00:00Z"}`+"\n", i)
		}
		fmt.Fprintf(&in, `{"type":"identify","userId":"long","traits":{"email":"%s"},"timestamp":"2025-01-01T00:00:00Z"}`+"\n", strings.Repeat("x", 300))
		return in.String()
	}
	for _, c := range []struct {
		malformed, listed int
		hidden            string
	}{
		{30, droppedShown, "  ... and 12 more identifiers dropped, not shown: 12 email (unparseable)\n"},
		{3000, 2, "  ... and 3000 more identifiers dropped, not shown: 3000 email (unparseable)\n"},
	} {
		var out bytes.Buffer
		if err := run(&out, io.Discard, strings.NewReader(calls(c.malformed)), nil, testNow, options{profiles: 1}); err != nil {
			t.Fatal(err)
		}
		got := out.String()
		if n := strings.Count(got, "  dropped "); n != c.listed {
			t.Errorf("%d malformed: %d dropped values listed, want %d:\n%s", c.malformed, n, c.listed, got)
		}
		for _, want := range []string{" 0 merges\n  dropped email \"null\" (blocked value) (x5)\n", c.hidden} {
			if !strings.Contains(got, want) {
				t.Errorf("%d malformed: output lacks %q:\n%s", c.malformed, want, got)
			}
		}
		if strings.Contains(got, strings.Repeat("x", idWidth+1)) {
			t.Errorf("%d malformed: a 300-byte value is shown whole:\n%s", c.malformed, got)
		}
	}
}

// TestQueryOfAbsentEvent: a -query naming an event no call in the input carried is
// listed as not counted, saying so, and the report goes on to the queries after it;
// it ended the report with an error there. A likely misspelling is listed too, and is
// still an error. A file of identify calls alone still answers the queries.
func TestQueryOfAbsentEvent(t *testing.T) {
	in := `{"type":"page","userId":"u1","timestamp":"2025-03-01T09:00:00Z"}` + "\n"
	var out bytes.Buffer
	err := run(&out, io.Discard, strings.NewReader(in), queries{
		{"buyers", `did("Order Completed")`},
		{"typo", "did(pag)"},
		{"visitors", "did(page)"},
	}, testNow, options{})
	if err == nil || !strings.Contains(err.Error(), `query typo: segment: query at line 1, column 5: unknown event "pag" (did you mean page?)`) || strings.Contains(err.Error(), "buyers") {
		t.Errorf("err = %v, want the misspelling alone", err)
	}
	got := strings.Join(strings.Fields(out.String()), " ")
	for _, want := range []string{
		`buyers - not counted: segment: query at line 1, column 5: unknown event "Order Completed" (no call in the input carried that event)`,
		`typo - not counted: segment: query at line 1, column 5: unknown event "pag" (did you mean page?)`,
		"visitors 1 did(page)",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	out.Reset()
	in = `{"type":"identify","userId":"u1","timestamp":"2025-03-01T09:00:00Z"}` + "\n"
	if err := run(&out, io.Discard, strings.NewReader(in), queries{{"buyers", `did("Order Completed")`}}, testNow, options{}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "(no call in the input carried that event)") {
		t.Errorf("identify calls alone: the query is not answered:\n%s", out.String())
	}
}

// TestDroppedPurgeBounded: once the values kept have each been dropped twice, later
// values are counted by kind and reason without scanning the map again for each: the
// scan ran for every new value (1,000 steps a call), 5,000 scans here; it now runs only
// when it frees half the map. The input opens with a map full of values seen once, so
// that exactly one scan is due: a count of 0 would mean the hook no longer sees them.
func TestDroppedPurgeBounded(t *testing.T) {
	scans := 0
	onPurge = func() { scans++ }
	t.Cleanup(func() { onPurge = nil })
	var in strings.Builder
	for i := range droppedKept {
		fmt.Fprintf(&in, `{"type":"identify","userId":"u","traits":{"email":"first-%d"},"timestamp":"2025-01-01T00:00:00Z"}`+"\n", i)
	}
	for range 2 {
		for i := range droppedKept {
			fmt.Fprintf(&in, `{"type":"identify","userId":"u","traits":{"email":"twice-%d"},"timestamp":"2025-01-01T00:00:00Z"}`+"\n", i)
		}
	}
	for i := range 5000 {
		fmt.Fprintf(&in, `{"type":"identify","userId":"u","traits":{"email":"once-%d"},"timestamp":"2025-01-01T00:00:00Z"}`+"\n", i)
	}
	st := stats{dropped: map[dropKey]int{}, droppedMore: map[dropKey]int{}, groups: map[string]bool{}, refused: map[string]int{}, refusedFrom: map[string]string{}, quarantined: map[string]int{}}
	res, err := identity.New(identity.DefaultRules())
	if err != nil {
		t.Fatal(err)
	}
	x, err := segment.NewIndex()
	if err != nil {
		t.Fatal(err)
	}
	r := tracking.NewReader(strings.NewReader(in.String()), nil)
	for {
		m, _, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if err := apply(context.Background(), res, x, m, &st); err != nil && !errors.Is(err, tracking.ErrInvalid) {
			t.Fatal(err)
		}
	}
	if scans != 1 || len(st.dropped) != droppedKept || st.droppedMore[dropKey{kind: "email", reason: "unparseable"}] != droppedKept+5000 {
		t.Errorf("%d scans, %d values kept, %v counted without values; want 1 scan, %d kept, %d", scans, len(st.dropped), st.droppedMore, droppedKept, droppedKept+5000)
	}
}
