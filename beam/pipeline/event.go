package pipeline

import (
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"

	"github.com/clientele-go/clientele/funnel"
)

// ErrInvalid is wrapped by every error about bad input: a spec the pipeline cannot
// ship to workers, an event or state that does not decode.
var ErrInvalid = errors.New("pipeline: invalid input")

func init() {
	beam.RegisterCoder(reflect.TypeOf(funnel.Event{}), encodeEvent, decodeEvent)
}

// encodeEvent writes e as: profile (uvarint), a flag for a set time, then the Unix
// seconds (varint) and nanoseconds (uvarint), the name, and the properties sorted by
// key. The time's location is not kept: every computation reads instants, and
// calendars come from the spec.
func encodeEvent(e funnel.Event) []byte {
	return appendEvent(nil, e)
}

func appendEvent(b []byte, e funnel.Event) []byte {
	b = binary.AppendUvarint(b, uint64(e.Profile))
	if e.Time.IsZero() {
		b = append(b, 0)
	} else {
		b = append(b, 1)
		b = binary.AppendVarint(b, e.Time.Unix())
		b = binary.AppendUvarint(b, uint64(e.Time.Nanosecond()))
	}
	b = appendString(b, e.Name)
	b = binary.AppendUvarint(b, uint64(len(e.Props)))
	for _, k := range slices.Sorted(maps.Keys(e.Props)) {
		b = appendString(b, k)
		b = appendString(b, e.Props[k])
	}
	return b
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func decodeEvent(b []byte) (funnel.Event, error) {
	d := decoder{b: b}
	e := d.event()
	if err := d.done("event"); err != nil {
		return funnel.Event{}, err
	}
	return e, nil
}

// decoder reads the encodings of this package, keeping the first problem with its
// offset; every length is checked against the bytes left, so bad input cannot make it
// allocate without bound.
type decoder struct {
	b   []byte
	off int
	err error
}

func (d *decoder) fail(format string, args ...any) {
	if d.err == nil {
		d.err = fmt.Errorf("%w: offset %d: %s", ErrInvalid, d.off, fmt.Sprintf(format, args...))
	}
}

func (d *decoder) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b[d.off:])
	if n <= 0 {
		d.fail("bad uvarint")
		return 0
	}
	d.off += n
	return v
}

func (d *decoder) varint() int64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Varint(d.b[d.off:])
	if n <= 0 {
		d.fail("bad varint")
		return 0
	}
	d.off += n
	return v
}

func (d *decoder) byte1() byte {
	if d.err != nil {
		return 0
	}
	if d.off >= len(d.b) {
		d.fail("truncated")
		return 0
	}
	d.off++
	return d.b[d.off-1]
}

// count reads a length no larger than the bytes left divided by the least bytes one
// item takes.
func (d *decoder) count(minBytes int) int {
	n := d.uvarint()
	if d.err == nil && n > uint64((len(d.b)-d.off)/minBytes) {
		d.fail("length %d exceeds the %d bytes left", n, len(d.b)-d.off)
		return 0
	}
	return int(n)
}

func (d *decoder) bytes() []byte {
	n := d.count(1)
	if d.err != nil {
		return nil
	}
	d.off += n
	return d.b[d.off-n : d.off]
}

func (d *decoder) str() string { return string(d.bytes()) }

func (d *decoder) u32(what string) uint32 {
	v := d.uvarint()
	if v > 1<<32-1 {
		d.fail("%s %d exceeds 32 bits", what, v)
	}
	return uint32(v)
}

func (d *decoder) event() funnel.Event {
	var e funnel.Event
	e.Profile = d.u32("profile")
	switch d.byte1() {
	case 0:
	case 1:
		sec := d.varint()
		ns := d.uvarint()
		if ns >= 1e9 {
			d.fail("nanoseconds %d", ns)
		}
		e.Time = time.Unix(sec, int64(ns)).UTC()
	default:
		d.fail("bad time flag")
	}
	e.Name = d.str()
	if n := d.count(2); n > 0 {
		e.Props = make(map[string]string, n)
		for range n {
			k := d.str()
			e.Props[k] = d.str()
		}
	}
	return e
}

func (d *decoder) done(what string) error {
	if d.err == nil && d.off != len(d.b) {
		d.fail("%d bytes after the %s", len(d.b)-d.off, what)
	}
	if d.err != nil {
		return fmt.Errorf("pipeline: decode %s: %w", what, d.err)
	}
	return nil
}

// canonical orders one profile's events by time, then name, then properties, the
// order a shuffle cannot keep being replaced by one that does not depend on it.
func canonical(a, b funnel.Event) int {
	if c := a.Time.Compare(b.Time); c != 0 {
		return c
	}
	if c := cmp.Compare(a.Name, b.Name); c != 0 {
		return c
	}
	return slices.Compare(appendProps(nil, a.Props), appendProps(nil, b.Props))
}

func appendProps(b []byte, p map[string]string) []byte {
	for _, k := range slices.Sorted(maps.Keys(p)) {
		b = appendString(b, k)
		b = appendString(b, p[k])
	}
	return b
}

// SortCanonical sorts events by profile, then in the canonical order the pipeline
// gives each profile's events (time, name, properties), so that the in-process SDK fed
// the sorted slice computes exactly what the pipeline computes.
func SortCanonical(events []funnel.Event) {
	slices.SortStableFunc(events, func(a, b funnel.Event) int {
		if c := cmp.Compare(a.Profile, b.Profile); c != 0 {
			return c
		}
		return canonical(a, b)
	})
}
