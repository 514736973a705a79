package identity_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/clientele-go/clientele/identity"
	"github.com/google/go-cmp/cmp"
)

// history runs a fixed sequence of mutations with merges, refusals, drops, quarantine
// and an unmerge, calling after with the resolver after each.
func history(t *testing.T, r *identity.Resolver, after func()) {
	t.Helper()
	steps := [][]identity.ID{
		{{Kind: "a", Value: "1"}, {Kind: "c", Value: "1"}},
		{{Kind: "b", Value: "1"}},
		{{Kind: "b", Value: "1"}, {Kind: "c", Value: "1"}, {Kind: "c", Value: ""}},
		{{Kind: "a", Value: "2"}, {Kind: "c", Value: "1"}},
		{{Kind: "b", Value: "2"}, {Kind: "b", Value: "3"}, {Kind: "a", Value: "1"}},
		{{Kind: "a", Value: "3"}, {Kind: "c", Value: "1"}},
		{{Kind: "c", Value: "2"}, {Kind: "c", Value: "1"}},
	}
	for i, ids := range steps {
		mustLink(t, r, t0.Add(time.Duration(i)*time.Minute), ids...)
		after()
	}
	if _, err := r.Unmerge(ctx, t0.Add(time.Hour), identity.ID{Kind: "c", Value: "1"}); err != nil {
		t.Fatal(err)
	}
	after()
}

func fileSize(t *testing.T, path string) int64 {
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return st.Size()
}

// Cutting the file at any byte (a crash in the middle of a write) loses no mutation that
// had returned before the cut: reopening gives the state after the last mutation whose
// record lies wholly before the cut.
func TestFileStoreCrashAtEveryByte(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "id.log")
	s, r := openFile(t, path)
	type point struct {
		end     int64
		state   map[string]any
		records int
	}
	empty, _ := identity.New(smallRules())
	points := []point{{fileSize(t, path), snapshot(empty), 0}}
	quarantines := 0
	history(t, r, func() {
		points = append(points, point{fileSize(t, path), snapshot(r), r.Stats().Records})
	})
	for e := range r.History() {
		if e.Op == identity.OpQuarantine {
			quarantines++
		}
	}
	if quarantines == 0 {
		t.Fatal("the history quarantines nothing: the test would not cover a two-record Link")
	}
	s.Close()
	full, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	cut := filepath.Join(dir, "cut.log")
	for n := points[0].end; n <= int64(len(full)); n++ {
		// The crash image: the bytes before the cut, with the header's acknowledged end
		// where the last Sync that returned before the cut left it.
		ack := points[0].end
		for _, p := range points {
			if p.end <= n {
				ack = p.end
			}
		}
		if err := os.WriteFile(cut, withAck(full[:n], ack), 0o644); err != nil {
			t.Fatal(err)
		}
		cs, err := identity.OpenFileStore(cut, nil)
		if err != nil {
			t.Fatalf("cut at %d: open: %v", n, err)
		}
		cr, err := identity.New(smallRules(), identity.WithStore(cs))
		if err != nil {
			t.Fatalf("cut at %d: New: %v", n, err)
		}
		i := 0
		for i+1 < len(points) && points[i+1].end <= n {
			i++
		}
		got := snapshot(cr)
		diff := cmp.Diff(points[i].state, got)
		if diff != "" && i+1 < len(points) {
			// A Link that finds an identifier hot writes a quarantine record and then
			// its own; a crash between the two keeps the quarantine (a decision valid on
			// its own) and loses the event, which was never acknowledged.
			var last identity.Entry
			for e := range cr.History() {
				last = e
			}
			if last.Op == identity.OpQuarantine && cr.Stats().Records == points[i].records+1 {
				diff = ""
			}
		}
		if diff != "" {
			t.Fatalf("cut at byte %d of %d (-acknowledged +recovered):\n%s", n, len(full), diff)
		}
		cs.Close()
	}
}

// withAck returns a copy of a wal version 2 image whose header names end as the
// acknowledged end (internal/wal's format: 8 bytes at offset 16, then their CRC32C).
func withAck(data []byte, end int64) []byte {
	img := append([]byte(nil), data...)
	binary.LittleEndian.PutUint64(img[16:], uint64(end))
	binary.LittleEndian.PutUint32(img[24:], crc32.Checksum(img[16:24], crc32.MakeTable(crc32.Castagnoli)))
	return img
}

// Damage before the end of the file is not a torn tail: opening fails with the offset
// and leaves the file alone; RepairFile keeps the records before the damage and saves
// the rest.
func TestFileStoreCorruption(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "id.log")
	s, _ := identity.OpenFileStore(path, nil)
	r, _ := identity.New(smallRules(), identity.WithStore(s))
	var ends []int64
	var states []map[string]any
	history(t, r, func() { ends = append(ends, fileSize(t, path)); states = append(states, snapshot(r)) })
	s.Close()
	b, _ := os.ReadFile(path)
	at := ends[3] - 2 // inside the payload of the fourth mutation's record
	b[at] ^= 0xff
	os.WriteFile(path, b, 0o644)

	_, err := identity.OpenFileStore(path, nil)
	if !errors.Is(err, identity.ErrCorrupt) || !strings.Contains(err.Error(), "offset") {
		t.Fatalf("open of a damaged file = %v, want ErrCorrupt with an offset", err)
	}
	if got, _ := os.ReadFile(path); !bytes.Equal(got, b) {
		t.Fatal("a failed open modified the file")
	}
	saved, err := identity.RepairFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if cut, _ := os.ReadFile(saved); len(cut) == 0 || !bytes.HasSuffix(b, cut) {
		t.Fatalf("RepairFile saved %d bytes to %q, want the damaged tail", len(cut), saved)
	}
	rs, err := identity.OpenFileStore(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer rs.Close()
	rr, err := identity.New(smallRules(), identity.WithStore(rs))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(states[2], snapshot(rr)); diff != "" {
		t.Fatalf("repaired store (-records before the damage +recovered):\n%s", diff)
	}
}

// A record whose checksum is right but whose content contradicts the log (written by a
// buggy host store, say) makes New fail with ErrCorrupt and the record's index.
func TestCorruptRecord(t *testing.T) {
	var s identity.MemStore
	r, _ := identity.New(identity.Rules{}, identity.WithStore(&s))
	mustLink(t, r, t0, identity.ID{Kind: "a", Value: "1"})
	s.Append([]byte{2, 0, 9}) // unmerge of node 9, which does not exist
	_, err := identity.New(identity.Rules{}, identity.WithStore(&s))
	if !errors.Is(err, identity.ErrCorrupt) || !strings.Contains(err.Error(), "record 2") {
		t.Fatalf("New = %v, want ErrCorrupt naming record 2", err)
	}
	var junk identity.MemStore
	junk.Append([]byte("not a record"))
	if _, err := identity.New(identity.Rules{}, identity.WithStore(&junk)); !errors.Is(err, identity.ErrCorrupt) {
		t.Fatalf("New on junk = %v, want ErrCorrupt", err)
	}
}

// A store whose first record is not an identity configuration record is not an identity
// store (a referral ledger shares the log format): New says so, rather than naming a
// byte deep inside the record as if an identity store were damaged and needed repair.
func TestNotAnIdentityStore(t *testing.T) {
	for name, first := range map[string][]byte{
		"a link-like record": {1, 0xd6, 0x07, 0x03, 'w', 'e', 'b', 0x6b},
		"an empty record":    {},
	} {
		var s identity.MemStore
		s.Append(first)
		_, err := identity.New(identity.DefaultRules(), identity.WithStore(&s))
		if !errors.Is(err, identity.ErrCorrupt) || !strings.Contains(err.Error(), "record 0: ") ||
			!strings.Contains(err.Error(), "not the configuration record an identity store begins with") {
			t.Errorf("%s: New = %v, want ErrCorrupt saying record 0 is not an identity store's first record", name, err)
		}
	}
}

func TestFileStoreClosed(t *testing.T) {
	path := filepath.Join(t.TempDir(), "id.log")
	os.WriteFile(path+".compact", []byte("left by a crash"), 0o644)
	s, err := identity.OpenFileStore(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path + ".compact"); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("leftover compaction file kept: %v", err)
	}
	s.Close()
	// The error names the file: "identity: store closed" alone did not say which of a
	// host's stores was used after Close.
	want := "identity: store closed: file store " + path
	if err := s.Append([]byte("x")); !errors.Is(err, identity.ErrClosed) || err.Error() != want {
		t.Fatalf("Append after Close = %v, want %q", err, want)
	}
	if err := s.Close(); !errors.Is(err, identity.ErrClosed) || err.Error() != want {
		t.Fatalf("second Close = %v, want %q", err, want)
	}
	if err := s.Sync(); !errors.Is(err, identity.ErrClosed) || err.Error() != want {
		t.Fatalf("Sync after Close = %v, want %q", err, want)
	}
	for _, err := range s.Records() {
		if !errors.Is(err, identity.ErrClosed) || err.Error() != want {
			t.Fatalf("Records after Close = %v, want %q", err, want)
		}
	}
}

// TestCompactErrorSaysCompactOnce: a failed compaction of a file store read "compact:
// identity: compact PATH: ...", naming the package in the middle and the operation
// twice. It now reads "identity: compact: file store PATH: <the step>: ...".
func TestCompactErrorSaysCompactOnce(t *testing.T) {
	path := filepath.Join(t.TempDir(), "id.log")
	s, err := identity.OpenFileStore(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	r, err := identity.New(identity.DefaultRules(), identity.WithStore(s))
	if err != nil {
		t.Fatal(err)
	}
	mustLink(t, r, t0, identity.ID{Kind: "user_id", Value: "u1"})
	// A directory where the compacted copy goes makes writing it fail.
	if err := os.MkdirAll(filepath.Join(path+".compact", "x"), 0o755); err != nil {
		t.Fatal(err)
	}
	err = r.Compact()
	if err == nil {
		t.Fatal("Compact over a directory succeeded")
	}
	msg := err.Error()
	if want := "identity: compact: file store " + path + ": write the compacted copy: "; !strings.HasPrefix(msg, want) {
		t.Errorf("Compact = %q, want it to begin %q", msg, want)
	}
	if n := strings.Count(strings.ReplaceAll(msg, path+".compact", ""), "compact:"); n != 1 {
		t.Errorf("Compact = %q: says \"compact:\" %d times, want once", msg, n)
	}
	prefixOnce(t, err)
}

// TestOpenVersion1Log opens a log written by the first wal format (testdata/README.md).
func TestOpenVersion1Log(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("testdata", "identity-wal-v1.log"))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "v1.log")
	os.WriteFile(path, raw, 0o644)
	s, err := identity.OpenFileStore(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	r, err := identity.New(identity.DefaultRules(), identity.WithStore(s))
	if err != nil {
		t.Fatal(err)
	}
	if st := r.Stats(); st.Identifiers != 65 || st.Profiles != 25 || st.Records != 40 {
		t.Fatalf("stats %+v, want 65 identifiers in 25 profiles from 40 records", st)
	}
	for i := range 40 {
		a, ok1 := r.Lookup(identity.ID{Kind: "anonymous_id", Value: fmt.Sprintf("anon-%03d", i)})
		e, ok2 := r.Lookup(identity.ID{Kind: "email", Value: fmt.Sprintf("user%02d@example.com", i%25)})
		if !ok1 || !ok2 || r.Current(a) != r.Current(e) {
			t.Fatalf("event %d: anon-%03d and its e-mail are not one profile", i, i)
		}
	}
	// The old log stays appendable, matched links (record format version 2) included.
	mustLink(t, r, t0, identity.ID{Kind: "email", Value: "new@example.com"})
	if _, err := r.LinkMatch(ctx, t0, "match", identity.Match{Weight: 9.5}, identity.ID{Kind: "email", Value: "new@example.com"}, identity.ID{Kind: "email", Value: "user00@example.com"}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s2, err := identity.OpenFileStore(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	r2, err := identity.New(identity.DefaultRules(), identity.WithStore(s2))
	if err != nil {
		t.Fatal(err)
	}
	if r2.Stats().Identifiers != 66 {
		t.Fatalf("after an append to the old log: %+v", r2.Stats())
	}
	e, err := r2.Explain(identity.ID{Kind: "email", Value: "new@example.com"}, identity.ID{Kind: "email", Value: "user00@example.com"})
	if err != nil || len(e.Path) != 1 || e.Path[0].Match == nil || e.Path[0].Match.Weight != 9.5 {
		t.Fatalf("the matched link appended to the old log: %v %v", e, err)
	}
}
