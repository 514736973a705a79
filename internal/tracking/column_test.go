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
