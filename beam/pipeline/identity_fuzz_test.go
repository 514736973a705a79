package pipeline

import (
	"bytes"
	"errors"
	"math"
	"testing"
	"time"

	"github.com/clientele-go/clientele/identity"
)

// FuzzResolveDecoders feeds arbitrary bytes to the decoders of Resolve's elements: each
// returns a value or an error wrapping ErrInvalid, never panics, and an event it
// decodes encodes back to the same bytes (the encoding is the replay order, so it must
// be injective).
func FuzzResolveDecoders(f *testing.F) {
	at := time.Date(2026, 3, 2, 9, 0, 0, 7, time.UTC)
	f.Add(uint8(0), encodeLink(identity.Event{At: at, Source: "web", IDs: []identity.ID{{Kind: "email", Value: "a\x00b@x.com"}}}))
	f.Add(uint8(1), encodeAssignment(Assignment{ID: identity.ID{Kind: "phone", Value: "+1"}, Profile: 3}))
	f.Add(uint8(0), encodeLink(identity.Event{At: at, Source: "matcher", Match: &identity.Match{Weight: -3.5}, IDs: []identity.ID{{Kind: "phone", Value: "+1"}}}))
	f.Add(uint8(2), encodeMerge(identity.Merge{Survivor: 1, Absorbed: []uint32{2, 5}, At: at, Cause: "store"}))
	f.Add(uint8(2), encodeMerge(identity.Merge{Survivor: 1, Absorbed: []uint32{2}, At: at, Cause: "matcher", Match: &identity.Match{Weight: 12}}))
	f.Add(uint8(3), encodeSplit(identity.Split{Profile: 1, Into: []uint32{1, 9}, ID: identity.ID{Kind: "phone", Value: "+1"}, At: at}))
	f.Add(uint8(4), encodeMove(Move{Key: 4, Current: 1}))
	f.Add(uint8(5), encodeCreation(creation{label: "email\x00a", pos: []byte{1, 2}, key: 2}))
	f.Add(uint8(6), encodeResult(result{moves: []Move{{2, 1}}}))
	f.Add(uint8(7), encodeBucketCounts(&bucketCounts{n: map[int64]uint64{-3: 2, 7: 1}}))
	f.Fuzz(func(t *testing.T, which uint8, b []byte) {
		var err error
		switch which % 8 {
		case 0:
			var e identity.Event
			if e, err = decodeLink(b); err == nil && !bytes.Equal(encodeLink(e), b) {
				t.Fatalf("%x decodes to %+v, which encodes to %x", b, e, encodeLink(e))
			}
		case 1:
			_, err = decodeAssignment(b)
		case 2:
			_, err = decodeMerge(b)
		case 3:
			_, err = decodeSplit(b)
		case 4:
			_, err = decodeMove(b)
		case 5:
			_, err = decodeCreation(b)
		case 6:
			_, err = decodeResult(b)
		case 7:
			_, err = decodeBucketCounts(b)
		}
		if err != nil && !errors.Is(err, ErrInvalid) {
			t.Fatalf("error %v does not wrap ErrInvalid", err)
		}
	})
}

// The link encoding orders events as SortLinks documents: time, then source, then
// match (none first, then by weight), then identifiers, each string as strings
// compare, a prefix first.
func TestLinkOrder(t *testing.T) {
	at := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	ev := func(d time.Duration, source string, vals ...string) identity.Event {
		e := identity.Event{At: at.Add(d), Source: source}
		for _, v := range vals {
			e.IDs = append(e.IDs, identity.ID{Kind: "k", Value: v})
		}
		return e
	}
	match := func(e identity.Event, w float64) identity.Event {
		e.Match = &identity.Match{Weight: w}
		return e
	}
	ordered := []identity.Event{
		ev(-time.Hour*24*365*60, "z"), // before 1970
		ev(0, "", "b"), ev(0, "a", "a"), ev(0, "a", "a", "a"), ev(0, "a", "a\x00"), ev(0, "a", "ab"),
		ev(0, "ab"), ev(0, "b"), match(ev(0, "b"), math.Inf(-1)), match(ev(0, "b"), -2), match(ev(0, "b", "a"), -0.5),
		match(ev(0, "b"), 0), match(ev(0, "b"), 3), match(ev(0, "b"), 1e300), ev(time.Nanosecond, ""),
	}
	for i := 1; i < len(ordered); i++ {
		if bytes.Compare(encodeLink(ordered[i-1]), encodeLink(ordered[i])) >= 0 {
			t.Errorf("%+v does not sort before %+v", ordered[i-1], ordered[i])
		}
	}
}
