package pipeline

import (
	"encoding/binary"
	"slices"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"

	"github.com/clientele-go/clientele/funnel"
)

func init() {
	register.Function1x2(keyByProfile)
	register.Function2x1(gatherProfile)
	register.Iter1[funnel.Event]()
}

// Profiles groups a PCollection of funnel.Event by profile: one shuffle, keyed by the
// profile, after which every profile's events are on one worker. It returns a
// PCollection of []byte, one element per profile holding its events in the canonical
// order (time, then name, then properties), which Funnel, Cohorts and Lifecycle read;
// computing several tables from one Profiles costs one shuffle.
func Profiles(s beam.Scope, events beam.PCollection) beam.PCollection {
	s = s.Scope("clientele.Profiles")
	keyed := beam.ParDo(s, keyByProfile, events)
	return beam.ParDo(s, gatherProfile, beam.GroupByKey(s, keyed))
}

func keyByProfile(e funnel.Event) (uint32, funnel.Event) { return e.Profile, e }

// gatherProfile encodes one profile's events, sorted canonically: a count, then the
// events as encodeEvent writes them.
func gatherProfile(_ uint32, events func(*funnel.Event) bool) []byte {
	var es []funnel.Event
	var e funnel.Event
	for events(&e) {
		es = append(es, e)
	}
	slices.SortStableFunc(es, canonical)
	b := binary.AppendUvarint(nil, uint64(len(es)))
	for _, e := range es {
		b = appendEvent(b, e)
	}
	return b
}

// decodeProfile appends the events of one encoded profile to dst.
func decodeProfile(dst []funnel.Event, b []byte) ([]funnel.Event, error) {
	d := decoder{b: b}
	n := d.count(3)
	for range n {
		dst = append(dst, d.event())
	}
	if err := d.done("profile's events"); err != nil {
		return nil, err
	}
	return dst, nil
}

// ProfileEvents decodes one element of Profiles: a profile's events in the canonical
// order. It lets a host write its own per-profile DoFns over the same shuffle.
func ProfileEvents(profile []byte) ([]funnel.Event, error) {
	return decodeProfile(nil, profile)
}
