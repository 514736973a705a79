// Package tracking parses the calls of the Segment tracking spec (identify, track, alias,
// page), the JSON that Segment, RudderStack and Jitsu emit, into what the SDK uses: the
// call's type, its event name, its time and the identifiers it carries. The examples
// share it; a host would use its own tracker's types.
package tracking

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// ErrMessage marks input that is not a usable Segment-spec message.
var ErrMessage = errors.New("tracking: bad message")

// Message is one Segment-spec call reduced to what the SDK uses.
type Message struct {
	Type  string    // identify, track, alias or page
	Event string    // track: the event name; page: "page"; otherwise empty
	Time  time.Time // the call's timestamp
	IDs   []ID      // every identifier the call carries, as sent
}

// ID is one identifier of a call; it converts to identity.ID.
type ID struct{ Kind, Value string }

// wire is the JSON shape of a call; unknown fields are ignored, as the spec allows.
type wire struct {
	Type        string          `json:"type"`
	Event       string          `json:"event"`
	Name        string          `json:"name"`
	UserID      json.RawMessage `json:"userId"`
	AnonymousID json.RawMessage `json:"anonymousId"`
	PreviousID  json.RawMessage `json:"previousId"`
	Timestamp   string          `json:"timestamp"`
	Traits      traits          `json:"traits"`
	Context     struct {
		Traits traits `json:"traits"`
		Device struct {
			ID string `json:"id"`
		} `json:"device"`
	} `json:"context"`
}

type traits struct {
	Email string `json:"email"`
	Phone string `json:"phone"`
}

// Parse decodes one call from JSON. Identifier fields may be strings or numbers
// (trackers send both); anything else is an error wrapping ErrMessage that names the
// field. Unknown fields are ignored, as the spec allows.
func Parse(data []byte) (Message, error) {
	var w wire
	d := json.NewDecoder(bytes.NewReader(data))
	if err := d.Decode(&w); err != nil {
		return Message{}, fmt.Errorf("%w: %v", ErrMessage, err)
	}
	if d.More() {
		return Message{}, fmt.Errorf("%w: more than one JSON value on the line", ErrMessage)
	}
	m := Message{Type: w.Type}
	switch w.Type {
	case "track":
		if strings.TrimSpace(w.Event) == "" {
			return Message{}, fmt.Errorf("%w: track without \"event\"", ErrMessage)
		}
		m.Event = w.Event
	case "page":
		m.Event = "page"
	case "identify", "alias":
	case "":
		return Message{}, fmt.Errorf("%w: no \"type\"", ErrMessage)
	default:
		return Message{}, fmt.Errorf("%w: unknown type %q (want identify, track, alias or page)", ErrMessage, w.Type)
	}
	t, err := time.Parse(time.RFC3339Nano, w.Timestamp)
	if err != nil {
		return Message{}, fmt.Errorf("%w: \"timestamp\" %q is not RFC 3339", ErrMessage, w.Timestamp)
	}
	m.Time = t
	for _, f := range []struct {
		field, kind string
		raw         json.RawMessage
	}{
		{"userId", "user_id", w.UserID},
		{"anonymousId", "anonymous_id", w.AnonymousID},
		// Segment's previousId is the identity the user had before: usually the
		// anonymous id of the same browser.
		{"previousId", "anonymous_id", w.PreviousID},
	} {
		v, err := idValue(f.raw)
		if err != nil {
			return Message{}, fmt.Errorf("%w: %q: %v", ErrMessage, f.field, err)
		}
		if v != "" {
			m.IDs = append(m.IDs, ID{f.kind, v})
		}
	}
	for _, t := range []traits{w.Traits, w.Context.Traits} {
		if t.Email != "" {
			m.IDs = append(m.IDs, ID{"email", t.Email})
		}
		if t.Phone != "" {
			m.IDs = append(m.IDs, ID{"phone", t.Phone})
		}
	}
	if w.Context.Device.ID != "" {
		m.IDs = append(m.IDs, ID{"device_id", w.Context.Device.ID})
	}
	if len(m.IDs) == 0 {
		return Message{}, fmt.Errorf("%w: no identifier (userId, anonymousId, traits.email, ...)", ErrMessage)
	}
	if w.Type == "alias" && len(w.PreviousID) == 0 {
		return Message{}, fmt.Errorf("%w: alias without \"previousId\"", ErrMessage)
	}
	return m, nil
}

func idValue(raw json.RawMessage) (string, error) {
	if len(raw) == 0 || string(raw) == "null" {
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
	return "", fmt.Errorf("must be a string or a number, got %s", raw)
}
