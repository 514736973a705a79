package tracking

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	"pgregory.net/rapid"
)

var at = time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)

func TestParse(t *testing.T) {
	recv := &ParseOptions{ReceivedAt: at.Add(time.Hour)}
	for _, tc := range []struct {
		line string
		opts *ParseOptions
		want Message
	}{
		{`{"type":"identify","userId":"u1","anonymousId":"a1","traits":{"email":"Ann@X.com"},"timestamp":"2025-03-01T10:00:00Z","messageId":"m1"}`, nil,
			Message{Type: "identify", Time: at, MessageID: "m1", IDs: []ID{{"user_id", "u1"}, {"anonymous_id", "a1"}, {"email", "Ann@X.com"}}}},
		{`{"type":"track","event":"Order Completed","userId":42,"timestamp":"2025-03-01T10:00:00Z","context":{"device":{"id":"d9"}}}`, nil,
			Message{Type: "track", Event: "Order Completed", Time: at, IDs: []ID{{"user_id", "42"}, {"device_id", "d9"}}}},
		{`{"type":"alias","previousId":"a1","userId":"u1","timestamp":"2025-03-01T10:00:00Z"}`, nil,
			Message{Type: "alias", Time: at, IDs: []ID{{"user_id", "u1"}, {"anonymous_id", "a1"}}}},
		{`{"type":"page","anonymousId":"a2","context":{"traits":{"phone":"+1 555 0100"}},"timestamp":"2025-03-01T10:00:00Z"}`, nil,
			Message{Type: "page", Event: "page", Time: at, IDs: []ID{{"anonymous_id", "a2"}, {"phone", "+1 555 0100"}}}},
		{`{"type":"screen","name":"Home","userId":"u1","timestamp":"2025-03-01T11:00:00+01:00"}`, nil,
			Message{Type: "screen", Event: "screen", Time: at.In(time.FixedZone("", 3600)), IDs: []ID{{"user_id", "u1"}}}},
		// A group's traits describe the group: its e-mail is not the person's.
		{`{"type":"group","groupId":7,"userId":"u1","traits":{"email":"sales@acme.com"},"timestamp":"2025-03-01T10:00:00Z"}`, nil,
			Message{Type: "group", GroupID: "7", Time: at, IDs: []ID{{"user_id", "u1"}}}},
		// Times: Unix milliseconds and seconds, a zone-less ISO time, a date.
		{`{"type":"page","userId":"u","timestamp":1740823200000}`, nil, Message{Type: "page", Event: "page", Time: at, IDs: []ID{{"user_id", "u"}}}},
		{`{"type":"page","userId":"u","timestamp":1740823200.5}`, nil, Message{Type: "page", Event: "page", Time: at.Add(500 * time.Millisecond), IDs: []ID{{"user_id", "u"}}}},
		{`{"type":"page","userId":"u","timestamp":"2025-03-01T10:00:00"}`, nil, Message{Type: "page", Event: "page", Time: at, IDs: []ID{{"user_id", "u"}}}},
		// As SQL exports write it: a space, no zone (UTC, as the T form without one).
		{`{"type":"page","userId":"u","timestamp":"2025-03-01 10:00:00"}`, nil, Message{Type: "page", Event: "page", Time: at, IDs: []ID{{"user_id", "u"}}}},
		{`{"type":"page","userId":"u","timestamp":"2025-03-01T12:00:00+0200"}`, nil, Message{Type: "page", Event: "page", Time: at.In(time.FixedZone("", 7200)), IDs: []ID{{"user_id", "u"}}}},
		// Without timestamp: originalTimestamp corrected for the sender's skew ...
		{`{"type":"page","userId":"u","originalTimestamp":"2025-03-01T09:00:00Z","sentAt":"2025-03-01T09:00:05Z","receivedAt":"2025-03-01T10:00:05Z"}`, nil,
			Message{Type: "page", Event: "page", Time: at, IDs: []ID{{"user_id", "u"}}}},
		// ... with the arrival time standing in for receivedAt ...
		{`{"type":"page","userId":"u","originalTimestamp":"2025-03-01T09:00:00Z","sentAt":"2025-03-01T09:00:00Z"}`, recv,
			Message{Type: "page", Event: "page", Time: at.Add(time.Hour), IDs: []ID{{"user_id", "u"}}}},
		// ... then originalTimestamp alone, receivedAt, the arrival time, and sentAt.
		{`{"type":"page","userId":"u","originalTimestamp":"2025-03-01T10:00:00Z"}`, nil, Message{Type: "page", Event: "page", Time: at, IDs: []ID{{"user_id", "u"}}}},
		{`{"type":"page","userId":"u","sentAt":"2025-03-01T08:00:00Z","receivedAt":"2025-03-01T10:00:00Z"}`, nil, Message{Type: "page", Event: "page", Time: at, IDs: []ID{{"user_id", "u"}}}},
		{`{"type":"page","userId":"u","sentAt":"2025-03-01T10:00:00Z"}`, nil, Message{Type: "page", Event: "page", Time: at, IDs: []ID{{"user_id", "u"}}}},
		{`{"type":"page","userId":"u","receivedAt":"2025-03-01T10:00:00Z"}`, recv, Message{Type: "page", Event: "page", Time: at, IDs: []ID{{"user_id", "u"}}}},
		{`{"type":"page","userId":"u"}`, recv, Message{Type: "page", Event: "page", Time: at.Add(time.Hour), IDs: []ID{{"user_id", "u"}}}},
		{`{"type":"page","userId":"u","timestamp":null,"sentAt":""}`, recv, Message{Type: "page", Event: "page", Time: at.Add(time.Hour), IDs: []ID{{"user_id", "u"}}}},
		// A number 0 is an unset time, as null and "" are, not 1970-01-01: each field
		// written 0 falls back to the next, as if it were missing.
		{`{"type":"page","userId":"u","timestamp":0}`, recv, Message{Type: "page", Event: "page", Time: at.Add(time.Hour), IDs: []ID{{"user_id", "u"}}}},
		{`{"type":"page","userId":"u","timestamp":0.0,"originalTimestamp":"2025-03-01T10:00:00Z"}`, nil, Message{Type: "page", Event: "page", Time: at, IDs: []ID{{"user_id", "u"}}}},
		// (sentAt 0 is no sentAt: originalTimestamp is taken as sent, uncorrected.)
		{`{"type":"page","userId":"u","timestamp":-0,"originalTimestamp":"2025-03-01T09:00:00Z","sentAt":0,"receivedAt":"2025-03-01T10:00:00Z"}`, nil, Message{Type: "page", Event: "page", Time: at.Add(-time.Hour), IDs: []ID{{"user_id", "u"}}}},
		{`{"type":"page","userId":"u","timestamp":0,"receivedAt":0,"sentAt":"2025-03-01T10:00:00Z"}`, nil, Message{Type: "page", Event: "page", Time: at, IDs: []ID{{"user_id", "u"}}}},
	} {
		got, err := Parse([]byte(tc.line), tc.opts)
		if err != nil {
			t.Errorf("Parse(%s): %v", tc.line, err)
			continue
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("Parse(%s) (-want +got):\n%s", tc.line, diff)
		}
	}
}

// TestParseErrors: every bad call is an ErrInvalid whose words say what is wrong, with
// no Go type names in them.
func TestParseErrors(t *testing.T) {
	for _, tc := range []struct{ line, want string }{
		{``, "empty"},
		{`not json`, "not JSON"},
		{`[1,2]`, "must be a JSON object, got an array"},
		{`{"type":"track","userId":"u","timestamp":"2025-03-01T10:00:00Z"}`, `a track call needs "event"`},
		{`{"type":"screem","userId":"u","timestamp":"2025-03-01T10:00:00Z"}`, `"type" "screem" is not a call of the Segment spec`},
		{`{"userId":"u","timestamp":"2025-03-01T10:00:00Z"}`, `no "type"`},
		{`{"type":7,"userId":"u"}`, `"type" must be a string, got a number`},
		{`{"type":"identify","userId":"u","timestamp":"yesterday"}`, `"timestamp" "yesterday" is not a time`},
		{`{"type":"identify","userId":"u","timestamp":true}`, `"timestamp" must be an ISO 8601 string or a number`},
		// A time of ISO 8601's form that names no time says why; it was told to be ISO 8601.
		{`{"type":"identify","userId":"u","timestamp":"2025-02-30T10:00:00Z"}`, `"timestamp" "2025-02-30T10:00:00Z" has ISO 8601's form but is no time: day out of range`},
		{`{"type":"identify","userId":"u","timestamp":"2025-13-01"}`, `"timestamp" "2025-13-01" has ISO 8601's form but is no time: month out of range`},
		{`{"type":"identify","userId":"u","timestamp":1e300}`, `not a Unix time`},
		// The number as the call wrote it, not as read in milliseconds (it said 1e+17).
		{`{"type":"identify","userId":"u","timestamp":1e20}`, `"timestamp" 1e20 is not a Unix time in seconds or milliseconds between the years 1678 and 2262`},
		{`{"type":"identify","userId":"u","timestamp":-99999999999999}`, `"timestamp" -99999999999999 is not`},
		{`{"type":"identify","userId":"u"}`, `no time`},
		// A zero timestamp is no time of its own; with nothing to fall back on, none at all.
		{`{"type":"identify","userId":"u","timestamp":0}`, `no time`},
		{`{"type":"identify","userId":"u","timestamp":0,"sentAt":0,"originalTimestamp":0,"receivedAt":0}`, `no time`},
		// Outside the int64 nanoseconds every package holds times in: refused at the field,
		// where identity refused them later without a line or a field.
		{`{"type":"identify","userId":"u","timestamp":"0500-01-01T00:00:00Z"}`, `"timestamp" "0500-01-01T00:00:00Z" is outside the years 1678 to 2262`},
		{`{"type":"identify","userId":"u","timestamp":"9999-12-31"}`, `"timestamp" "9999-12-31" is outside the years 1678 to 2262`},
		{`{"type":"identify","userId":"u","originalTimestamp":"1677-09-21 00:12:43"}`, `"originalTimestamp" "1677-09-21 00:12:43" is outside`},
		{`{"type":"identify","userId":"u","timestamp":10000000000000}`, `"timestamp" 10000000000000 is not a Unix time in seconds or milliseconds between the years 1678 and 2262`},
		// A sender's clock 562 years behind its event: the gap saturated at 292 years and,
		// negated, kept its sign, so the call was dated 1733 without a word.
		{`{"type":"identify","userId":"u","originalTimestamp":"2262-04-01T00:00:00Z","sentAt":"1700-01-01T00:00:00Z","receivedAt":"2025-03-01T10:00:00Z"}`, `"sentAt" and "originalTimestamp" are more than 292 years apart`},
		{`{"type":"identify","userId":"u","originalTimestamp":"2262-04-01T00:00:00Z","sentAt":"2000-01-01T00:00:00Z","receivedAt":"2025-03-01T10:00:00Z"}`, `"originalTimestamp" corrected for the sender's clock`},
		{`{"type":"identify","timestamp":"2025-03-01T10:00:00Z"}`, "no identifier"},
		{`{"type":"identify","userId":{"a":1},"timestamp":"2025-03-01T10:00:00Z"}`, `"userId" must be a string or a number, got an object`},
		{`{"type":"identify","userId":"u","traits":[],"timestamp":"2025-03-01T10:00:00Z"}`, `"traits" must be an object`},
		{`{"type":"identify","userId":"u","traits":{"email":false},"timestamp":"2025-03-01T10:00:00Z"}`, `"traits.email" must be a string or a number`},
		{`{"type":"identify","userId":"u","context":{"device":{"id":[]}},"timestamp":"2025-03-01T10:00:00Z"}`, `"context.device.id"`},
		{`{"type":"alias","userId":"u","timestamp":"2025-03-01T10:00:00Z"}`, `an alias call needs "userId", the new id, and "previousId"`},
		{`{"type":"alias","previousId":"a1","timestamp":"2025-03-01T10:00:00Z"}`, `an alias call needs "userId"`},
		{`{"type":"group","userId":"u","timestamp":"2025-03-01T10:00:00Z"}`, `a group call needs "groupId"`},
		{`{"type":"page","userId":"u","timestamp":"2025-03-01T10:00:00Z"} {}`, "more than one JSON value"},
		{`{"batch":[]}`, "a batch envelope where one call was expected"},
	} {
		_, err := Parse([]byte(tc.line), nil)
		if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Parse(%q) = %v, want ErrInvalid saying %q", tc.line, err, tc.want)
		}
		if err != nil && (strings.Contains(err.Error(), "Go ") || strings.Contains(err.Error(), "struct")) {
			t.Errorf("Parse(%q): %v speaks Go", tc.line, err)
		}
	}
}

func TestCalls(t *testing.T) {
	env := `{"batch":[
		{"type":"identify","userId":"u1","traits":{"email":"a@b.c"},"originalTimestamp":"2025-03-01T09:59:00Z"},
		{"type":"track","userId":"u1"},
		{"type":"page","anonymousId":"a1","context":{"traits":{"phone":"+1 555 0100"}}}
	],"sentAt":"2025-03-01T09:59:00Z","context":{"device":{"id":"d1"}}}`
	msgs, errs, err := Calls([]byte(env), &ParseOptions{ReceivedAt: at})
	if err != nil {
		t.Fatal(err)
	}
	want := []Message{
		{Type: "identify", Time: at, IDs: []ID{{"user_id", "u1"}, {"email", "a@b.c"}, {"device_id", "d1"}}},
		{},
		// The call's own context replaces the envelope's.
		{Type: "page", Event: "page", Time: at, IDs: []ID{{"anonymous_id", "a1"}, {"phone", "+1 555 0100"}}},
	}
	if diff := cmp.Diff(want, msgs); diff != "" {
		t.Errorf("Calls (-want +got):\n%s", diff)
	}
	if errs[0] != nil || errs[2] != nil || !errors.Is(errs[1], ErrInvalid) || !strings.HasPrefix(errs[1].Error(), "call 2 of the batch: ") {
		t.Errorf("errors %v", errs)
	}
	// One call is a batch of one.
	msgs, errs, err = Calls([]byte(`{"type":"page","userId":"u","timestamp":1740823200}`), nil)
	if err != nil || len(msgs) != 1 || errs[0] != nil || !msgs[0].Time.Equal(at) {
		t.Errorf("one call: %v %v %v", msgs, errs, err)
	}
	for _, bad := range []string{`{"batch":{}}`, `{"batch":null}`, `nope`} {
		if _, _, err := Calls([]byte(bad), nil); !errors.Is(err, ErrInvalid) {
			t.Errorf("Calls(%s) = %v, want ErrInvalid", bad, err)
		}
	}
}

// TestParseRoundTrip: random calls written as JSON parse back to what was written (a
// reference model of the spec's fields).
func TestParseRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		typ := rapid.SampledFrom(Types).Draw(t, "type")
		id := rapid.StringMatching(`[a-zA-Z0-9@._+-]{1,12}`)
		want := Message{Type: typ, Time: time.Unix(rapid.Int64Range(1e8, 4e9).Draw(t, "sec"), 0).UTC()}
		fields := []string{fmt.Sprintf(`"type":%q`, typ)}
		if rapid.Bool().Draw(t, "millis") {
			fields = append(fields, fmt.Sprintf(`"timestamp":%d`, want.Time.Unix()*1000))
		} else {
			fields = append(fields, fmt.Sprintf(`"timestamp":%q`, want.Time.Format(time.RFC3339)))
		}
		user := id.Draw(t, "user")
		fields = append(fields, fmt.Sprintf(`"userId":%q`, user))
		want.IDs = append(want.IDs, ID{"user_id", user})
		switch typ {
		case "track":
			event := id.Draw(t, "event")
			fields = append(fields, fmt.Sprintf(`"event":%q`, event))
			if want.Event = event; event == "page" || event == "screen" {
				want.Event = "track:" + event // not a page or screen call's event
			}
		case "page", "screen":
			want.Event = typ
		case "group":
			want.GroupID = id.Draw(t, "group")
			fields = append(fields, fmt.Sprintf(`"groupId":%q`, want.GroupID), `"traits":{"email":"g@x.y"}`)
		case "alias":
			prev := id.Draw(t, "prev")
			fields = append(fields, fmt.Sprintf(`"previousId":%q`, prev))
			want.IDs = append(want.IDs, ID{"anonymous_id", prev})
		}
		if typ == "identify" && rapid.Bool().Draw(t, "email") {
			e := id.Draw(t, "emailValue")
			fields = append(fields, fmt.Sprintf(`"traits":{"email":%q}`, e))
			want.IDs = append(want.IDs, ID{"email", e})
		}
		perm := rapid.Permutation(fields).Draw(t, "order")
		line := "{" + strings.Join(perm, ",") + "}"
		got, err := Parse([]byte(line), nil)
		if err != nil {
			t.Fatalf("Parse(%s): %v", line, err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("Parse(%s) (-want +got):\n%s", line, diff)
		}
	})
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(`{"type":"identify","userId":"u1","traits":{"email":"a@b.c"},"timestamp":"2025-03-01T10:00:00Z"}`))
	f.Add([]byte(`{"type":"track","event":"x","anonymousId":7,"timestamp":"2025-03-01T10:00:00.5+08:00"}`))
	f.Add([]byte(`{"type":"alias","previousId":null}`))
	f.Add([]byte(`{"batch":[{"type":"group","groupId":1,"userId":"u"},{"type":"screen"}],"sentAt":1740823200000}`))
	f.Add([]byte(`{"type":"page","userId":"u","timestamp":0,"originalTimestamp":0,"sentAt":1740823200}`))
	f.Fuzz(func(t *testing.T, line []byte) {
		msgs, errs, err := Calls(line, &ParseOptions{ReceivedAt: at})
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error %v does not wrap ErrInvalid", err)
			}
			return
		}
		for i, m := range msgs {
			if errs[i] != nil {
				if !errors.Is(errs[i], ErrInvalid) {
					t.Fatalf("error %v does not wrap ErrInvalid", errs[i])
				}
				continue
			}
			if len(m.IDs) == 0 || m.Time.IsZero() || m.Type == "" {
				t.Fatalf("accepted an incomplete message: %+v", m)
			}
			if !utf8.Valid(line) {
				t.Fatalf("accepted a call that is not UTF-8: %q", line)
			}
		}
	})
}

// TestKinds: every identifier a call can carry is of a kind Kinds lists, which hosts
// check lookups against.
func TestKinds(t *testing.T) {
	call := `{"type":"identify","userId":"u","anonymousId":"a","traits":{"email":"e@x.com","phone":"+44 20 7946 0000"},` +
		`"context":{"traits":{"email":"f@x.com","phone":"+44 20 7946 0001"},"device":{"id":"d"}},"timestamp":"2025-03-01T10:00:00Z"}`
	m, err := Parse([]byte(call), nil)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, id := range m.IDs {
		if !slices.Contains(Kinds, id.Kind) {
			t.Errorf("identifier %+v: kind not in Kinds %v", id, Kinds)
		}
		seen[id.Kind] = true
	}
	if len(seen) != len(Kinds) {
		t.Errorf("kinds seen %v, want every one of %v", seen, Kinds)
	}
}

// TestTrackEventsApartFromPageCalls: two calls record one event name only when they are
// the same kind of call and, for track calls, name the same event. A track call named
// "page" was recorded as the event "page", the name of a page call, so did(page) and a
// funnel's page step counted it as a page view, which the spec says it is not.
func TestTrackEventsApartFromPageCalls(t *testing.T) {
	name := rapid.OneOf(
		rapid.SampledFrom([]string{"page", "screen", "Page", "track:", "track:page", "track:track:page", "track:screen", "Order Completed"}),
		rapid.StringMatching(`(track:){0,2}(page|screen|[a-z: ]{0,5}[a-z])`),
	)
	type call struct{ typ, event string }
	draw := func(t *rapid.T, label string) (call, Message) {
		c := call{typ: rapid.SampledFrom([]string{"track", "page", "screen"}).Draw(t, label+" type")}
		line := fmt.Sprintf(`{"type":%q,"userId":"u","timestamp":"2025-03-01T10:00:00Z"}`, c.typ)
		if c.typ == "track" {
			c.event = name.Draw(t, label+" event")
			line = fmt.Sprintf(`{"type":"track","event":%q,"userId":"u","timestamp":"2025-03-01T10:00:00Z"}`, c.event)
		}
		m, err := Parse([]byte(line), nil)
		if err != nil {
			t.Fatalf("%s: %v", line, err)
		}
		return c, m
	}
	rapid.Check(t, func(t *rapid.T) {
		a, ma := draw(t, "a")
		b, mb := draw(t, "b")
		if same := a == b; (ma.Event == mb.Event) != same {
			t.Fatalf("%+v recorded as %q and %+v as %q", a, ma.Event, b, mb.Event)
		}
	})
}
