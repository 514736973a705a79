package identity

import (
	"encoding/binary"
	"errors"
	"iter"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// scenarioLog returns the records of a short history that uses every record type and
// member status: merges, refusals, a quarantine, drops, a matched link, an unmerge and
// a forget.
func scenarioLog(t testing.TB) [][]byte {
	var s appendOnly // not a Compacter: Forget leaves the log as written
	rules := DefaultRules()
	rules.HotLimit = 2
	r, err := New(rules, WithStore(&s))
	if err != nil {
		t.Fatal(err)
	}
	at := t0T
	link := func(ids ...ID) {
		at = at.Add(time.Minute)
		if _, err := r.Link(ctxT, at, "web", ids...); err != nil {
			t.Fatal(err)
		}
	}
	link(ID{"anonymous_id", "a1"}, ID{"device_id", "d1"})
	link(ID{"user_id", "u1"}, ID{"email", "anna@example.com"}, ID{"device_id", "d1"}, ID{"email", "null"})
	link(ID{"user_id", "u2"}, ID{"device_id", "d1"}, ID{"phone", "nope"})
	link(ID{"user_id", "u3"}, ID{"device_id", "d1"})
	link(ID{"user_id", "u4"}, ID{"device_id", "d1"}, ID{"social_id", "wx1"})
	link(ID{"anonymous_id", "a2"}, ID{"email", "anna@example.com"})
	at = at.Add(time.Minute)
	if _, err := r.LinkMatch(ctxT, at, "match", Match{Weight: -12.75}, ID{"crm_id", "c9"}, ID{"email", "anna@example.com"}); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Unmerge(ctxT, at, ID{"anonymous_id", "a1"}); err != nil {
		t.Fatal(err)
	}
	p, _ := r.Lookup(ID{"user_id", "u3"})
	if err := r.Forget(ctxT, at, p); err != nil {
		t.Fatal(err)
	}
	var out [][]byte
	for b := range s.Records() {
		out = append(out, b)
	}
	return out
}

// appendOnly is a Store without Compact.
type appendOnly struct{ m MemStore }

func (s *appendOnly) Append(recs ...[]byte) error       { return s.m.Append(recs...) }
func (s *appendOnly) Records() iter.Seq2[[]byte, error] { return s.m.Records() }

func TestScenarioLogCoversEveryStatus(t *testing.T) {
	seen := map[uint8]bool{}
	ops := map[uint8]bool{}
	var d decoder
	var rec record
	for i, b := range scenarioLog(t) {
		if err := d.decode(b, &rec); err != nil {
			t.Fatalf("record %d: %v", i, err)
		}
		ops[rec.op] = true
		if rec.matched {
			ops[opMatch] = true
		}
		for _, m := range rec.members {
			seen[m.status] = true
		}
		if len(rec.drops) > 0 {
			seen[0] = true
		}
	}
	for _, st := range []uint8{0, stAnchor, stAccepted, stRefused, stHot, stSkipped, stUnmerged, stForgot} {
		if !seen[st] {
			t.Errorf("the scenario never records status %d", st)
		}
	}
	for _, op := range []uint8{opConfig, opLink, opUnmerge, opForget, opQuarantine, opMatch} {
		if !ops[op] {
			t.Errorf("the scenario never records op %d", op)
		}
	}
}

func TestRecordRoundTrip(t *testing.T) {
	var d decoder
	for i, b := range scenarioLog(t) {
		var a, c record
		if err := d.decode(b, &a); err != nil {
			t.Fatalf("record %d: %v", i, err)
		}
		if err := d.decode(a.encode(nil), &c); err != nil {
			t.Fatalf("record %d re-encoded: %v", i, err)
		}
		if diff := cmp.Diff(a, c, cmp.AllowUnexported(record{}, newID{}, member{}, dropped{})); diff != "" {
			t.Fatalf("record %d changes when re-encoded (-first +second):\n%s", i, diff)
		}
	}
}

// The history rebuilt from memory (what Compact writes and AsOf and History read) is the
// log that was written, byte for byte, as long as nothing was forgotten; a forget erases
// values and nothing else.
func TestCompactRewritesTheSameLog(t *testing.T) {
	log := scenarioLog(t)
	var s MemStore
	s.Append(log...)
	r, err := New(DefaultRules(), WithStore(&s))
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Compact(); err != nil {
		t.Fatal(err)
	}
	var got [][]byte
	for b := range s.Records() {
		got = append(got, b)
	}
	if len(got) != len(log) {
		t.Fatalf("compaction wrote %d records, the log has %d", len(got), len(log))
	}
	var d decoder
	for i := range log {
		var a, b record
		d.decode(log[i], &a)
		d.decode(got[i], &b)
		if a.op != b.op || a.at != b.at || len(a.members) != len(b.members) || len(a.news) != len(b.news) {
			t.Fatalf("record %d: op %d/%d members %d/%d", i, a.op, b.op, len(a.members), len(b.members))
		}
		erased := 0
		for j := range a.news {
			if b.news[j].erased {
				erased++
				a.news[j].value, a.news[j].raw, a.news[j].erased = "", nil, true
			}
		}
		if erased == 0 && string(log[i]) != string(got[i]) {
			t.Fatalf("record %d differs:\n%x\n%x", i, log[i], got[i])
		}
		if diff := cmp.Diff(a, b, cmp.AllowUnexported(record{}, newID{}, member{}, dropped{})); diff != "" {
			t.Fatalf("record %d (-written +compacted):\n%s", i, diff)
		}
	}
}

// Decoding names the byte where a record went wrong.
func TestDecodeErrors(t *testing.T) {
	var d decoder
	var rec record
	for _, tc := range []struct {
		in   []byte
		want string
	}{
		{nil, "at byte 0: input ends before the record type"},
		{[]byte{9}, "at byte 0: unknown record type 9"},
		{[]byte{opLink, 0, 1}, "at byte 2: source of 1 byte runs past the end (0 left)"},
		{[]byte{opUnmerge, 0, 0}, "at byte 2: unmerged node is node 0"},
		{[]byte{opUnmerge, 0, 1, 7}, "at byte 3: 1 byte after the end"},
		{[]byte{opConfig, 3, 0}, "at byte 2: config version 3, this package reads 1 to 2"},
		{[]byte{opConfig, 0, 0}, "at byte 2: config version 0, this package reads 1 to 2"},
		{[]byte{opMatch, 0, 0, 0, 0, 0, 1, 2}, "at byte 6: match weight of 8 bytes runs past the end (2 left)"},
		{append([]byte{opMatch, 0, 0, 0, 0, 0}, 0, 0, 0, 0, 0, 0, 0xf8, 0x7f), "at byte 6: match weight NaN is not finite"},
		{append([]byte{opMatch, 0, 0, 0, 0, 0}, 0, 0, 0, 0, 0, 0, 0xf0, 0xff), "at byte 6: match weight -Inf is not finite"},
	} {
		err := d.decode(tc.in, &rec)
		if err == nil || err.Error() != tc.want {
			t.Errorf("decode(%v) = %v, want %q", tc.in, err, tc.want)
		}
	}
}

// FuzzDecodeRecord decodes arbitrary bytes as a record and, if they decode, checks and
// applies the record to the graph of a short history: nothing may panic, and a record
// that decodes must decode the same after re-encoding.
func FuzzDecodeRecord(f *testing.F) {
	log := scenarioLog(f)
	for _, b := range log {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var d decoder
		var rec record
		if d.decode(b, &rec) != nil {
			return
		}
		var again record
		if err := d.decode(rec.encode(nil), &again); err != nil {
			t.Fatalf("re-encoded record does not decode: %v", err)
		}
		var s MemStore
		s.Append(log...)
		r, err := New(DefaultRules(), WithStore(&s))
		if err != nil {
			t.Fatal(err)
		}
		if rec.op == opConfig {
			return
		}
		if err := r.applyReplayed(&rec); err == nil {
			r.Identifiers(1)
			r.Explain(ID{"user_id", "u1"}, ID{"user_id", "u2"})
			r.AsOf(t0T.Add(time.Hour))
		}
	})
}

// splitRecords cuts fuzz input into records, each preceded by its length as a uvarint.
func splitRecords(b []byte) [][]byte {
	var out [][]byte
	for len(b) > 0 {
		n, k := binary.Uvarint(b)
		if k <= 0 || n > uint64(len(b)-k) {
			out = append(out, b)
			break
		}
		out = append(out, b[k:k+int(n)])
		b = b[k+int(n):]
	}
	return out
}

func joinRecords(recs [][]byte) []byte {
	var b []byte
	for _, r := range recs {
		b = append(binary.AppendUvarint(b, uint64(len(r))), r...)
	}
	return b
}

// FuzzReplay opens a resolver on an arbitrary log: New must fail cleanly (ErrCorrupt,
// ErrFull or ErrKeyMismatch) or give a resolver that works and survives compaction.
func FuzzReplay(f *testing.F) {
	log := scenarioLog(f)
	f.Add(joinRecords(log))
	f.Add(joinRecords(log[:3]))
	f.Add(joinRecords(append([][]byte{log[0]}, log[4:]...)))
	f.Fuzz(func(t *testing.T, b []byte) {
		var s MemStore
		s.Append(splitRecords(b)...)
		r, err := New(DefaultRules(), WithStore(&s))
		if err != nil {
			if !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrFull) && !errors.Is(err, ErrKeyMismatch) {
				t.Fatalf("New: unexpected error %v", err)
			}
			return
		}
		if _, err := r.Link(ctxT, t0T, "web", ID{"user_id", "u1"}, ID{"device_id", "d1"}, ID{"email", "x@y.z"}); err != nil {
			t.Fatal(err)
		}
		for e := range r.History() {
			_ = e
		}
		r.AsOf(t0T)
		if err := r.Compact(); err != nil {
			t.Fatal(err)
		}
		r2, err := New(DefaultRules(), WithStore(&s))
		if err != nil {
			t.Fatalf("compacted log does not replay: %v", err)
		}
		for k := uint32(0); k < 16; k++ {
			if a, b := r.Current(k), r2.Current(k); a != b {
				t.Fatalf("after compaction Current(%d) = %d, was %d", k, b, a)
			}
		}
	})
}
