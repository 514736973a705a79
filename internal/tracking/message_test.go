package tracking

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestParse(t *testing.T) {
	at := time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		line string
		want Message
	}{
		{`{"type":"identify","userId":"u1","anonymousId":"a1","traits":{"email":"Ann@X.com"},"timestamp":"2025-03-01T10:00:00Z"}`,
			Message{Type: "identify", Time: at, IDs: []ID{{"user_id", "u1"}, {"anonymous_id", "a1"}, {"email", "Ann@X.com"}}}},
		{`{"type":"track","event":"Order Completed","userId":42,"timestamp":"2025-03-01T10:00:00Z","context":{"device":{"id":"d9"}}}`,
			Message{Type: "track", Event: "Order Completed", Time: at, IDs: []ID{{"user_id", "42"}, {"device_id", "d9"}}}},
		{`{"type":"alias","previousId":"a1","userId":"u1","timestamp":"2025-03-01T10:00:00Z"}`,
			Message{Type: "alias", Time: at, IDs: []ID{{"user_id", "u1"}, {"anonymous_id", "a1"}}}},
		{`{"type":"page","anonymousId":"a2","context":{"traits":{"phone":"+1 555 0100"}},"timestamp":"2025-03-01T10:00:00Z"}`,
			Message{Type: "page", Event: "page", Time: at, IDs: []ID{{"anonymous_id", "a2"}, {"phone", "+1 555 0100"}}}},
	} {
		got, err := Parse([]byte(tc.line))
		if err != nil {
			t.Errorf("Parse(%s): %v", tc.line, err)
			continue
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("Parse(%s) (-want +got):\n%s", tc.line, diff)
		}
	}
}

func TestParseErrors(t *testing.T) {
	for _, line := range []string{
		``,
		`not json`,
		`{"type":"track","userId":"u","timestamp":"2025-03-01T10:00:00Z"}`,
		`{"type":"screen","userId":"u","timestamp":"2025-03-01T10:00:00Z"}`,
		`{"userId":"u","timestamp":"2025-03-01T10:00:00Z"}`,
		`{"type":"identify","userId":"u","timestamp":"yesterday"}`,
		`{"type":"identify","timestamp":"2025-03-01T10:00:00Z"}`,
		`{"type":"identify","userId":{"a":1},"timestamp":"2025-03-01T10:00:00Z"}`,
		`{"type":"alias","userId":"u","timestamp":"2025-03-01T10:00:00Z"}`,
		`{"type":"page","userId":"u","timestamp":"2025-03-01T10:00:00Z"} {}`,
	} {
		if _, err := Parse([]byte(line)); !errors.Is(err, ErrMessage) {
			t.Errorf("Parse(%q) = %v, want ErrMessage", line, err)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(`{"type":"identify","userId":"u1","traits":{"email":"a@b.c"},"timestamp":"2025-03-01T10:00:00Z"}`))
	f.Add([]byte(`{"type":"track","event":"x","anonymousId":7,"timestamp":"2025-03-01T10:00:00.5+08:00"}`))
	f.Add([]byte(`{"type":"alias","previousId":null}`))
	f.Fuzz(func(t *testing.T, line []byte) {
		m, err := Parse(line)
		if err != nil {
			if !errors.Is(err, ErrMessage) {
				t.Fatalf("error %v does not wrap ErrMessage", err)
			}
			return
		}
		if len(m.IDs) == 0 || m.Time.IsZero() || m.Type == "" {
			t.Fatalf("accepted an incomplete message: %+v", m)
		}
	})
}
