package funnel

import (
	"encoding"
	"encoding/binary"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/clientele-go/clientele/internal/frame"
)

// The fingerprint an encoding opens with is the caller's data once it is decoded: bytes
// damaged, or made up, with a valid frame. An ErrMismatch message shows it as it is
// when printable and quoted with Go's escapes when not, as identity shows identifiers:
// printed as it was, a newline forged a line of the host's log and an escape sequence
// reached its terminal. Each case encodes a partial (or journeys) through the public
// API, puts a forged fingerprint in its place, seals the frame again and decodes.
func TestMismatchQuotesDecodedFingerprint(t *testing.T) {
	events := []Event{{Profile: 1, Time: at(0), Name: "a"}, {Profile: 1, Time: at(5), Name: "b"}}
	spec := Spec{Steps: named("a", "b")}
	type codec interface {
		encoding.BinaryMarshaler
		encoding.BinaryUnmarshaler
	}
	for _, c := range []struct {
		name       string
		made, into func() (codec, error)
	}{
		{"Spec", func() (codec, error) { return spec.Partial(events) }, func() (codec, error) { return spec.NewPartial() }},
		{"Cohorts", func() (codec, error) { return Cohorts{Start: Step{Name: "a"}, By: Day, Periods: 2}.Partial(events) },
			func() (codec, error) { return Cohorts{Start: Step{Name: "a"}, By: Day, Periods: 2}.NewPartial() }},
		{"Trend", func() (codec, error) { return Trend{Spec: spec, By: Day}.Partial(events) },
			func() (codec, error) { return Trend{Spec: spec, By: Day}.NewPartial() }},
		{"Correlate", func() (codec, error) { return Correlate{Spec: spec}.Partial(events) },
			func() (codec, error) { return Correlate{Spec: spec}.NewPartial() }},
		{"Stickiness", func() (codec, error) { return Stickiness{Event: Step{Name: "a"}, By: Week}.Partial(events) },
			func() (codec, error) { return Stickiness{Event: Step{Name: "a"}, By: Week}.NewPartial() }},
		{"Lifecycle", func() (codec, error) { return Lifecycle{}.Run(events) }, func() (codec, error) { return Lifecycle{}.NewJourneys() }},
	} {
		t.Run(c.name, func(t *testing.T) {
			made, err := c.made()
			if err != nil {
				t.Fatal(err)
			}
			raw, err := made.MarshalBinary()
			if err != nil {
				t.Fatal(err)
			}
			for _, forged := range []string{
				"n=2\nfunnel: all partials merged", // a line of its own in a log
				"n=2 \x1b[2J\x1b[31mok",            // an escape sequence: clear the screen
				"n=2 \u202egnp.exe",                // a bidirectional override
				"n=2 \xff\xfe",                     // not UTF-8
			} {
				into, err := c.into()
				if err != nil {
					t.Fatal(err)
				}
				err = into.UnmarshalBinary(withFingerprint(t, raw, forged))
				if !errors.Is(err, ErrMismatch) {
					t.Fatalf("forged fingerprint %q: %v, want ErrMismatch", forged, err)
				}
				msg := err.Error()
				if !strings.Contains(msg, strconv.Quote(forged)) || strings.ContainsAny(msg, "\n\x1b\u202e") || !utf8.ValidString(msg) {
					t.Errorf("forged fingerprint %q: message %q, want it quoted", forged, msg)
				}
			}
		})
	}
}

// TestMismatchCutsLongFingerprint: a fingerprint of a megabyte, printable, is cut in
// the message, its length after it, rather than copied whole.
func TestMismatchCutsLongFingerprint(t *testing.T) {
	spec := Spec{Steps: named("a", "b")}
	p, err := spec.NewPartial()
	if err != nil {
		t.Fatal(err)
	}
	raw, err := p.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	err = p.UnmarshalBinary(withFingerprint(t, raw, strings.Repeat("x", 1<<20)))
	if !errors.Is(err, ErrMismatch) || len(err.Error()) > 1<<17 || !strings.Contains(err.Error(), "… (1048576 bytes) versus n=2 ") {
		t.Errorf("a fingerprint of 1 MiB: %.200s... (%d bytes), want it cut", err, len(err.Error()))
	}
}

// TestMergeJourneysQuotesFingerprint: MergeJourneys, refusing journeys of two
// Lifecycles, shows their fingerprints as a decoder does; a time zone's name, which
// the fingerprint holds as it is, may be anything.
func TestMergeJourneysQuotesFingerprint(t *testing.T) {
	events := []Event{{Profile: 1, Time: at(0), Name: "visit"}}
	a, err := Lifecycle{}.Run(events)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Lifecycle{Location: time.FixedZone("UTC\nfunnel: merged", 0)}.Run(events)
	if err != nil {
		t.Fatal(err)
	}
	_, err = MergeJourneys(a, b)
	if !errors.Is(err, ErrMismatch) || strings.Contains(err.Error(), "\n") || !strings.Contains(err.Error(), `loc=UTC\nfunnel: merged"`) {
		t.Errorf("MergeJourneys: %q, want the zone quoted", err)
	}
}

// TestMismatchShowsPrintableFingerprint: a printable fingerprint, as every spec makes,
// is shown as it is, not quoted.
func TestMismatchShowsPrintableFingerprint(t *testing.T) {
	a, b := Spec{Steps: named("a", "b")}, Spec{Steps: named("a", "c")}
	pa, err := a.NewPartial()
	if err != nil {
		t.Fatal(err)
	}
	raw, err := pa.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	pb, err := b.NewPartial()
	if err != nil {
		t.Fatal(err)
	}
	err = pb.UnmarshalBinary(raw)
	fa, fb := pa.st.(*funnelPartial).fp, pb.st.(*funnelPartial).fp
	if want := ErrMismatch.Error() + ": " + fa + " versus " + fb; err == nil || err.Error() != want {
		t.Errorf("UnmarshalBinary: %v, want %s", err, want)
	}
}

// withFingerprint returns the frame raw with its opening string, the fingerprint,
// replaced by fp and its checksum made again.
func withFingerprint(t *testing.T, raw []byte, fp string) []byte {
	t.Helper()
	if _, _, err := frame.Open(raw, string(raw[:frame.MagicSize])); err != nil {
		t.Fatal(err)
	}
	body := raw[frame.HeaderSize : len(raw)-4]
	n, k := binary.Uvarint(body)
	if k <= 0 || uint64(len(body)-k) < n {
		t.Fatalf("no fingerprint opens the body %q", body)
	}
	out := append([]byte(nil), raw[:frame.HeaderSize]...)
	out = binary.AppendUvarint(out, uint64(len(fp)))
	out = append(out, fp...)
	out = append(out, body[k+int(n):]...)
	return frame.Seal(out)
}
