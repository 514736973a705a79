// Package tracking parses the calls of the Segment tracking spec (identify, track, page,
// screen, group and alias, alone or in a batch envelope), the JSON that Segment,
// RudderStack and Jitsu emit, into what the SDK uses: the call's type, its event name,
// its time and the identifiers it carries. The examples share it; a host would use its
// own tracker's types.
//
// Spec: https://segment.com/docs/connections/spec/ (common fields, and one page per
// call); the batch envelope is that of the HTTP Tracking API's /v1/batch.
package tracking

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"
)

// Message is one Segment-spec call reduced to what the SDK uses.
type Message struct {
	Type      string    // identify, track, page, screen, group or alias
	Event     string    // the event recorded: page: "page"; screen: "screen"; track: the event name (see trackEvent); otherwise empty
	Time      time.Time // when it happened: the spec's timestamp, or what stands in for it
	IDs       []ID      // every identifier of the person the call carries, as sent
	MessageID string    // the sender's unique id of the call, for de-duplication; may be empty
	GroupID   string    // group: the account or company the person belongs to
}

// ID is one identifier of a call; it converts to identity.ID.
type ID struct{ Kind, Value string }

// Kinds are the kinds of the identifiers a call yields, and so the only kinds a host
// that links calls alone holds: a lookup of another ("Email", "userId") finds no one,
// whoever was sent.
var Kinds = []string{"user_id", "anonymous_id", "email", "phone", "device_id"}

// trackPrefix begins the event recorded for a track call whose name is that of a page
// or screen call's event, or begins with trackPrefix itself (see trackEvent).
const trackPrefix = "track:"

// trackEvent returns the event recorded for a track call named name: name itself, but
// for "page" and "screen", the events of page and screen calls, and a name beginning
// with trackPrefix, which are recorded with trackPrefix before them ("track:page",
// "track:track:x"). A page call is a page view (the spec's page call), and a track call
// the sender named "page" is an action of its own: recorded as "page" too, did(page)
// and a funnel's page step counted it as a view. Prefixing the names that begin with
// trackPrefix as well keeps every track call's event apart from every other's: a track
// call named "track:page" is recorded as "track:track:page", not as the one named "page".
func trackEvent(name string) string {
	if name == "page" || name == "screen" || strings.HasPrefix(name, trackPrefix) {
		return trackPrefix + name
	}
	return name
}

// ParseOptions tune parsing. The zero value (or nil) is usable.
type ParseOptions struct {
	// ReceivedAt is when the call arrived. It stands in for a call's missing receivedAt
	// field, which is what the time falls back on when the call carries no timestamp
	// (see Parse). Zero: a call with no time of its own is an error.
	ReceivedAt time.Time
}

// Types lists the call types of the spec, in its order.
var Types = []string{"identify", "track", "page", "screen", "group", "alias"}

// Parse decodes one call from JSON. Identifier fields may be strings or numbers
// (trackers send both). The time is, in the spec's order: timestamp; else
// originalTimestamp, corrected for the sender's clock skew as
// receivedAt - (sentAt - originalTimestamp) when sentAt and receivedAt are known;
// else receivedAt (the field, else opts.ReceivedAt); else sentAt. A time is an ISO 8601
// string ("T" or a space between date and time, in either case; minutes, or seconds with
// a fraction after a point or a comma; a zone of Z, ±hh:mm, ±hhmm or ±hh within ±18:00,
// or none: UTC; or a date alone) or a number of Unix seconds (milliseconds if it is
// 10^11 or more, as JavaScript's Date.now() gives), within the years 1678 to 2262 that
// the SDK's times hold. A field that is null,
// an empty string or the number 0 counts as missing, as trackers write an unset time
// that way: "timestamp": 0 falls back to originalTimestamp, receivedAt or sentAt as above,
// rather than placing the call at 1970-01-01 (Segment's spec has timestamp an ISO 8601
// string, filled in by the server when absent). Anything else is an
// error wrapping ErrInvalid that names the field in words a host understands. Unknown
// fields are ignored, as the spec allows.
func Parse(data []byte, opts *ParseOptions) (Message, error) {
	fields, err := object(data)
	if err != nil {
		return Message{}, err
	}
	if _, ok := fields["batch"]; ok {
		if _, ok := fields["type"]; !ok {
			return Message{}, invalidField("batch", "a batch envelope where one call was expected (read it with Calls)")
		}
	}
	return parseFields(fields, opts)
}

// Calls decodes either one call or a batch envelope ({"batch": [...], "sentAt": ...,
// "context": {...}}). It returns one message and one error per call, in order: a bad call
// does not stop the others. The envelope's sentAt and context stand in for a call's own
// when the call has none, as the HTTP Tracking API specifies. err is set, and nothing
// returned, only when data is not a call or an envelope at all.
func Calls(data []byte, opts *ParseOptions) (msgs []Message, errs []error, err error) {
	fields, err := object(data)
	if err != nil {
		return nil, nil, err
	}
	raw, isBatch := fields["batch"]
	if _, typed := fields["type"]; !isBatch || typed {
		m, err := parseFields(fields, opts)
		return []Message{m}, []error{err}, nil
	}
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil || items == nil {
		return nil, nil, invalidField("batch", "\"batch\" must be an array of calls, got %s", kind(raw))
	}
	msgs, errs = make([]Message, len(items)), make([]error, len(items))
	for i, item := range items {
		f, err := object(item)
		if err == nil {
			for _, k := range []string{"sentAt", "context"} {
				if _, own := f[k]; !own && fields[k] != nil {
					f[k] = fields[k]
				}
			}
			msgs[i], err = parseFields(f, opts)
		}
		if err != nil {
			errs[i] = &itemError{i, err}
		}
	}
	return msgs, errs, nil
}

// object decodes a JSON object into its raw fields, in one pass over the input.
func object(data []byte) (map[string]json.RawMessage, error) {
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) == 0 {
		return nil, invalid("empty: a call is a JSON object")
	}
	// encoding/json turns a byte that is not UTF-8 into U+FFFD without a word, so a
	// Latin-1 export's "café" would become an event "caf\uFFFD" and merge with every
	// other misread name; JSON text is UTF-8 (RFC 8259, section 8.1), so such a call is
	// refused at the byte.
	if !utf8.Valid(data) {
		i := invalidByte(data)
		return nil, fmt.Errorf("%w: %w", ErrInvalid, &byteError{i, fmt.Sprintf("byte %#02x is not UTF-8: JSON text must be UTF-8 (convert the file, e.g. iconv -f latin1 -t utf-8)", data[i])})
	}
	var fields map[string]json.RawMessage
	err := json.Unmarshal(data, &fields)
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case err == nil && fields == nil:
		return nil, invalid("a call must be a JSON object, got null")
	case err == nil:
		return fields, nil
	case errors.As(err, &syn) && strings.Contains(syn.Error(), "after top-level value"):
		return nil, invalid("more than one JSON value on the line")
	case errors.As(err, &syn) && syn.Offset >= int64(len(data)) && strings.Contains(syn.Error(), "unexpected end"):
		return nil, fmt.Errorf("%w: not JSON: the text ends inside the object (%w)", ErrInvalid, io.ErrUnexpectedEOF)
	case errors.As(err, &syn):
		return nil, fmt.Errorf("%w: not JSON: %w", ErrInvalid, syn)
	case errors.As(err, &typ):
		return nil, invalid("a call must be a JSON object, got %s", kind(trimmed))
	case errors.Is(err, io.ErrUnexpectedEOF) || strings.Contains(err.Error(), "unexpected end of JSON input"):
		return nil, fmt.Errorf("%w: not JSON: the text ends inside the object (%w)", ErrInvalid, io.ErrUnexpectedEOF)
	}
	return nil, invalid("not JSON: %v", err)
}

func parseFields(f map[string]json.RawMessage, opts *ParseOptions) (Message, error) {
	typ, err := str(f, "type")
	if err != nil {
		return Message{}, err
	}
	m := Message{Type: typ}
	switch typ {
	case "track":
		if m.Event, err = str(f, "event"); err != nil {
			return Message{}, err
		}
		if strings.TrimSpace(m.Event) == "" {
			return Message{}, invalidField("event", "a track call needs \"event\", the name of what the person did")
		}
		m.Event = trackEvent(m.Event)
	case "page", "screen":
		m.Event = typ
	case "group":
		if m.GroupID, err = idValue(f, "groupId"); err != nil {
			return Message{}, err
		}
		if m.GroupID == "" {
			return Message{}, invalidField("groupId", "a group call needs \"groupId\", the account the person belongs to")
		}
	case "identify", "alias":
	case "":
		return Message{}, invalidField("type", "no \"type\": want one of %s", strings.Join(Types, ", "))
	default:
		return Message{}, invalidField("type", "\"type\" %q is not a call of the Segment spec: want one of %s", typ, strings.Join(Types, ", "))
	}
	if m.MessageID, err = idValue(f, "messageId"); err != nil {
		return Message{}, err
	}
	if m.Time, err = callTime(f, opts); err != nil {
		return Message{}, err
	}
	if err := m.identifiers(f); err != nil {
		return Message{}, err
	}
	return m, nil
}

// identifiers collects the person's identifiers: userId, anonymousId, alias's previousId,
// traits.email and traits.phone (a group call's traits describe the group, so only its
// context.traits count), and context.device.id.
func (m *Message) identifiers(f map[string]json.RawMessage) error {
	user, err := idValue(f, "userId")
	if err != nil {
		return err
	}
	anon, err := idValue(f, "anonymousId")
	if err != nil {
		return err
	}
	if m.Type == "alias" {
		// The spec: alias merges previousId (the old identity, usually an anonymous id)
		// into userId (the new one); both are required.
		prev, err := idValue(f, "previousId")
		if err != nil {
			return err
		}
		if user == "" || prev == "" {
			return invalidField("userId", "an alias call needs \"userId\", the new id, and \"previousId\", the old one")
		}
		anon = prev
	}
	if user != "" {
		m.IDs = append(m.IDs, ID{"user_id", user})
	}
	if anon != "" {
		m.IDs = append(m.IDs, ID{"anonymous_id", anon})
	}
	var ctx struct {
		Traits json.RawMessage `json:"traits"`
		Device json.RawMessage `json:"device"`
	}
	if raw := f["context"]; !isNull(raw) {
		if err := json.Unmarshal(raw, &ctx); err != nil {
			return invalidField("context", "\"context\" must be an object, got %s", kind(raw))
		}
	}
	sources := []struct {
		field, name string
		raw         json.RawMessage
	}{{"context", "context.traits", ctx.Traits}}
	if m.Type != "group" {
		sources = append([]struct {
			field, name string
			raw         json.RawMessage
		}{{"traits", "traits", f["traits"]}}, sources...)
	}
	for _, src := range sources {
		t, err := subObject(src.field, src.name, src.raw)
		if err != nil {
			return err
		}
		for _, k := range []struct{ key, kind string }{{"email", "email"}, {"phone", "phone"}} {
			v, err := idValueNamed(t, k.key, src.field, src.name+"."+k.key)
			if err != nil {
				return err
			}
			if v != "" {
				m.IDs = append(m.IDs, ID{k.kind, v})
			}
		}
	}
	dev, err := subObject("context", "context.device", ctx.Device)
	if err != nil {
		return err
	}
	id, err := idValueNamed(dev, "id", "context", "context.device.id")
	if err != nil {
		return err
	}
	if id != "" {
		m.IDs = append(m.IDs, ID{"device_id", id})
	}
	if len(m.IDs) == 0 {
		return invalidField("userId", "no identifier: a call needs \"userId\" or \"anonymousId\" (or traits.email, traits.phone, context.device.id)")
	}
	return nil
}

// subObject decodes an optional nested object; field is the top-level field it sits in.
func subObject(field, name string, raw json.RawMessage) (map[string]json.RawMessage, error) {
	if isNull(raw) {
		return nil, nil
	}
	var o map[string]json.RawMessage
	if err := json.Unmarshal(raw, &o); err != nil {
		return nil, invalidField(field, "%q must be an object, got %s", name, kind(raw))
	}
	return o, nil
}

// str reads an optional string field.
func str(f map[string]json.RawMessage, key string) (string, error) {
	raw := f[key]
	if isNull(raw) {
		return "", nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", invalidField(key, "%q must be a string, got %s", key, kind(raw))
	}
	return s, nil
}

func idValue(f map[string]json.RawMessage, key string) (string, error) {
	return idValueNamed(f, key, key, key)
}

// idValueNamed reads an identifier that may be a string or a number; field is the
// top-level field it sits in and name its full path, for the error.
func idValueNamed(f map[string]json.RawMessage, key, field, name string) (string, error) {
	raw := f[key]
	if isNull(raw) {
		return "", nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return s, nil
	}
	var n json.Number
	if err := json.Unmarshal(raw, &n); err == nil {
		return n.String(), nil
	}
	return "", invalidField(field, "%q must be a string or a number, got %s", name, kind(raw))
}

func isNull(raw json.RawMessage) bool {
	return len(raw) == 0 || string(raw) == "null"
}

// kind names the JSON kind of a value, for errors: "an object", "a number", ...
func kind(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return "nothing"
	}
	switch raw[0] {
	case '{':
		return "an object"
	case '[':
		return "an array"
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	}
	return "a number"
}

// invalidByte returns the offset of data's first byte that does not begin or continue a
// valid UTF-8 sequence; data holds one.
func invalidByte(data []byte) int {
	for i := 0; i < len(data); {
		r, n := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && n == 1 {
			return i
		}
		i += n
	}
	return len(data) // not reached: the caller checked
}
