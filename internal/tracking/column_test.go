package tracking

import (
	"strings"
	"testing"
)

// TestColumnWithinCall: the column of a bad call points at its own field, or at its own
// start when the field is missing. It used to point at the first key of that name
// anywhere on the line: a batch's second call without "event" at the first call's
// "event", a call without "event" at its properties.event, a field that was there.
func TestColumnWithinCall(t *testing.T) {
	const first = `{"type":"track","event":"a","userId":"u1","timestamp":"2025-03-01T09:00:00Z"}`
	for _, c := range []struct {
		name, line, at string // the column is that of at's first occurrence in line
	}{
		{"missing event, batch", `{"batch":[` + first + `,{"type":"track","userId":"u1"}]}`, `{"type":"track","userId"`},
		{"bad type, batch", `{"batch":[` + first + `, {"userId":"u1", "type":"bogus"}]}`, `"type":"bogus"`},
		{"not an object, batch", `{"batch":[` + first + ` , 7 ]}`, `7 ]`},
		{"envelope's sentAt", `{"sentAt":"junk","batch":[{"type":"page","userId":"u","originalTimestamp":"2025-03-01T09:00:00Z"}]}`, `"sentAt"`},
		{"missing event, nested key", `{"type":"track","userId":"u","properties":{"event":"x"}}`, `{"type"`},
		{"missing groupId, nested key", `{"type":"group","userId":"u","traits":{"groupId":"x"}}`, `{"type"`},
		{"nested batch", `{"batch":[{"batch":[{"type":"page","userId":"u"}]}]}`, `{"batch":[{"type"`},
	} {
		r := NewReader(strings.NewReader(c.line+"\n"), &ReaderOptions{Lenient: true})
		if _, err := readAll(r); err != nil {
			t.Fatal(err)
		}
		errs := r.Errors()
		if want := strings.Index(c.line, c.at) + 1; len(errs) != 1 || errs[0].Column != want {
			t.Errorf("%s: %v, want column %d", c.name, errs, want)
		}
	}
}

// TestColumnOnePassALine: the calls of a batch are found once for their line, however
// many of them are bad, and not at all for bad calls past MaxErrors, which are only
// counted. Each bad call was looked for anew, a pass over the line per call: a line
// of 20,000 bad calls took many minutes.
func TestColumnOnePassALine(t *testing.T) {
	scans := 0
	onBatchScan = func() { scans++ }
	defer func() { onBatchScan = nil }()
	var b strings.Builder
	b.WriteString(`{"batch":[`)
	for i := range 500 {
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString(`{"type":"track","userId":"u"}`)
	}
	b.WriteString("]}\n")
	line := b.String()
	for _, c := range []struct{ maxErrors, lines, wantScans, wantKept int }{
		{1000, 2, 2, 1000}, // every call of both lines kept: one pass a line
		{10, 2, 1, 10},     // the second line's calls only counted: no pass
	} {
		scans = 0
		r := NewReader(strings.NewReader(strings.Repeat(line, c.lines)), &ReaderOptions{Lenient: true, MaxErrors: c.maxErrors})
		if _, err := readAll(r); err != nil {
			t.Fatal(err)
		}
		if scans != c.wantScans || len(r.Errors()) != c.wantKept || len(r.Errors())+r.Skipped() != 500*c.lines {
			t.Errorf("MaxErrors %d: %d passes over the lines, want %d; %d kept, %d skipped", c.maxErrors, scans, c.wantScans, len(r.Errors()), r.Skipped())
		}
		// The columns are those of the calls found once: the last call's is its "{".
		last := r.Errors()[len(r.Errors())-1]
		if want := len(line) - len(`{"type":"track","userId":"u"}]}`+"\n") + 1; c.maxErrors == 1000 && last.Column != want {
			t.Errorf("the last call's column is %d, want %d", last.Column, want)
		}
	}
}
