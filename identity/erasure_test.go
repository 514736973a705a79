package identity_test

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"fmt"
	"iter"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"

	"github.com/clientele-go/clientele/identity"
	"github.com/google/go-cmp/cmp"
)

// The person to forget, and the others who must survive her erasure.
const forgetMe = "forget-me@example.com"

func erasureRules() identity.Rules { return identity.DefaultRules() }

// erasureFixture writes a store in dir holding the person to forget and ten others.
func erasureFixture(t *testing.T, dir string) string {
	t.Helper()
	path := filepath.Join(dir, "id.log")
	s, err := identity.OpenFileStore(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	r, err := identity.New(erasureRules(), identity.WithStore(s))
	if err != nil {
		t.Fatal(err)
	}
	mustLink(t, r, t0, identity.ID{Kind: "email", Value: forgetMe}, identity.ID{Kind: "anonymous_id", Value: "anon-forget"})
	for i := range 10 {
		mustLink(t, r, t0, identity.ID{Kind: "email", Value: fmt.Sprintf("keep%d@example.com", i)}, identity.ID{Kind: "anonymous_id", Value: fmt.Sprintf("anon-keep-%d", i)})
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if !storeHolds(t, dir, forgetMe) {
		t.Fatal("the fixture does not hold the value in the clear: the test would prove nothing")
	}
	return path
}

// sideFileFixture writes a store in dir whose file and a RepairFile side file both hold
// the person to forget: her record is damaged (the length prefix of her first value,
// so that her value itself is intact in the cut bytes), RepairFile cuts it and the five
// people after her to a side file, and the host links them all again, as it would when
// it redelivers the events the repair lost. With key, values are stored as HMAC digests.
func sideFileFixture(t *testing.T, dir string, key []byte) string {
	t.Helper()
	path := filepath.Join(dir, "id.log")
	var opts []identity.Option
	if key != nil {
		opts = append(opts, identity.WithHMAC(key))
	}
	linkAll := func(from int) {
		s, err := identity.OpenFileStore(path, nil)
		if err != nil {
			t.Fatal(err)
		}
		r, err := identity.New(erasureRules(), append(opts, identity.WithStore(s))...)
		if err != nil {
			t.Fatal(err)
		}
		for i := from; i < 10; i++ {
			if i == 5 {
				mustLink(t, r, t0, identity.ID{Kind: "email", Value: forgetMe}, identity.ID{Kind: "anonymous_id", Value: "anon-forget"})
			}
			mustLink(t, r, t0, identity.ID{Kind: "email", Value: fmt.Sprintf("keep%d@example.com", i)}, identity.ID{Kind: "anonymous_id", Value: fmt.Sprintf("anon-keep-%d", i)})
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
	linkAll(0)
	secret := storedForm(key, "email", forgetMe)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	at := bytes.Index(b, secret)
	if at < 1 || bytes.Count(b, secret) != 1 {
		t.Fatal("the fixture does not hold the value once: the test would prove nothing")
	}
	b[at-1] ^= 0x40
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	saved, err := identity.RepairFile(path)
	if err != nil || saved == "" {
		t.Fatalf("RepairFile = %q, %v", saved, err)
	}
	if side, _ := os.ReadFile(saved); !bytes.Contains(side, secret) {
		t.Fatal("the side file does not hold the value: the test would prove nothing")
	}
	linkAll(5)
	if main, _ := os.ReadFile(path); !bytes.Contains(main, secret) {
		t.Fatal("the repaired store does not hold the value again: the test would prove nothing")
	}
	return path
}

// storedForm is a value as the log stores it: normalised (the fixtures' values already
// are), or its HMAC-SHA256 digest under key, as identity computes it.
func storedForm(key []byte, kind, value string) []byte {
	if key == nil {
		return []byte(value)
	}
	m := hmac.New(sha256.New, key)
	m.Write([]byte(kind))
	m.Write([]byte{0})
	m.Write([]byte(value))
	return m.Sum(nil)
}

// storeHolds reports whether any file in dir holds value.
func storeHolds(t *testing.T, dir, value string) bool {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(b, []byte(value)) {
			return true
		}
	}
	return false
}

// forgetIn opens the store at path with store wrapping the FileStore and forgets the
// person.
func forgetIn(t *testing.T, path string, wrap func(*identity.FileStore) identity.Store) (*identity.FileStore, error) {
	t.Helper()
	fs, err := identity.OpenFileStore(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	r, err := identity.New(erasureRules(), identity.WithStore(wrap(fs)))
	if err != nil {
		t.Fatal(err)
	}
	p, ok := r.Lookup(identity.ID{Kind: "email", Value: forgetMe})
	if !ok {
		t.Fatal("the person to forget is unknown")
	}
	return fs, r.Forget(ctx, t0, p)
}

// checkErased reopens the store at path and checks that the person is gone, from the
// resolver and from every file in the directory (RepairFile's side files included), and
// that the others are intact.
func checkErased(t *testing.T, path, stage string) {
	t.Helper()
	fs, err := identity.OpenFileStore(path, nil)
	if err != nil {
		t.Fatalf("%s: reopen: %v", stage, err)
	}
	defer fs.Close()
	r, err := identity.New(erasureRules(), identity.WithStore(fs))
	if err != nil {
		t.Fatalf("%s: reopen: %v", stage, err)
	}
	if _, ok := r.Lookup(identity.ID{Kind: "email", Value: forgetMe}); ok {
		t.Fatalf("%s: the forgotten e-mail still resolves after reopening", stage)
	}
	if storeHolds(t, filepath.Dir(path), forgetMe) || storeHolds(t, filepath.Dir(path), "anon-forget") {
		t.Fatalf("%s: a file of the store still holds a forgotten value after reopening", stage)
	}
	for i := range 10 {
		a, ok1 := r.Lookup(identity.ID{Kind: "email", Value: fmt.Sprintf("keep%d@example.com", i)})
		b, ok2 := r.Lookup(identity.ID{Kind: "anonymous_id", Value: fmt.Sprintf("anon-keep-%d", i)})
		if !ok1 || !ok2 || r.Current(a) != r.Current(b) {
			t.Fatalf("%s: person %d was damaged by the erasure", stage, i)
		}
	}
}

// Forget overwrites the forgotten values in the side files RepairFile left (issue #14:
// they survived there, raw or hashed). Each case fails if Scrub is not called or misses
// a copy.
func TestForgetScrubsSideFiles(t *testing.T) {
	for _, key := range [][]byte{nil, []byte("a key of the host's")} {
		dir := t.TempDir()
		path := sideFileFixture(t, dir, key)
		var opts []identity.Option
		if key != nil {
			opts = append(opts, identity.WithHMAC(key))
		}
		fs, err := identity.OpenFileStore(path, nil)
		if err != nil {
			t.Fatal(err)
		}
		r, err := identity.New(erasureRules(), append(opts, identity.WithStore(fs))...)
		if err != nil {
			t.Fatal(err)
		}
		p, ok := r.Lookup(identity.ID{Kind: "email", Value: forgetMe})
		if !ok {
			t.Fatal("the person to forget is unknown")
		}
		if err := r.Forget(ctx, t0, p); err != nil {
			t.Fatal(err)
		}
		if err := fs.Close(); err != nil {
			t.Fatal(err)
		}
		for _, v := range [][]byte{storedForm(key, "email", forgetMe), storedForm(key, "anonymous_id", "anon-forget")} {
			if storeHolds(t, dir, string(v)) {
				t.Errorf("hashed %v: a file of the store still holds %q after Forget", key != nil, v)
			}
		}
		// The other people's records in the side file are left alone.
		if !storeHolds(t, dir, string(storedForm(key, "email", "keep7@example.com"))) {
			t.Errorf("hashed %v: scrubbing wiped another person's value", key != nil)
		}
	}
}

// failingScrub is a FileStore whose side files cannot be scrubbed.
type failingScrub struct{ *identity.FileStore }

func (f failingScrub) Scrub([][]byte) error { return errors.New("input/output error (injected)") }

// A scrub that fails stops the rewrite, so that the log still shows the erasure
// unfinished: the next opening scrubs and rewrites. Rewriting first would leave the next
// opening nothing to tell it the side files still hold the values.
func TestForgetWithFailingScrub(t *testing.T) {
	dir := t.TempDir()
	path := sideFileFixture(t, dir, nil)
	fs, err := forgetIn(t, path, func(fs *identity.FileStore) identity.Store { return failingScrub{fs} })
	if err == nil {
		t.Fatal("Forget reported success although its scrub failed")
	}
	fs.Close()
	if main, _ := os.ReadFile(path); !bytes.Contains(main, []byte(forgetMe)) {
		t.Fatal("the log was rewritten although the scrub failed")
	}
	checkErased(t, path, "after a failed scrub")
}

// failingCompact is a FileStore whose rewrite fails, as on a full disk.
type failingCompact struct{ *identity.FileStore }

func (f failingCompact) Compact(iter.Seq[[]byte]) error {
	return errors.New("no space left on device (injected)")
}

// A rewrite that fails leaves the erasure recorded: Forget reports the failure, and the
// next opening finishes the rewrite.
func TestForgetWithFailingRewrite(t *testing.T) {
	dir := t.TempDir()
	path := erasureFixture(t, dir)
	fs, err := forgetIn(t, path, func(fs *identity.FileStore) identity.Store { return failingCompact{fs} })
	if err == nil {
		t.Fatal("Forget reported success although its rewrite failed")
	}
	fs.Close()
	checkErased(t, path, "after a failed rewrite")
}

// killAt is a FileStore that kills its own process at one stage of the erasure: stage
// -4 on entering Scrub (the erasure record appended, nothing scrubbed), -3 once the
// first value is scrubbed from the side files, -2 once all are; stage 0 on entering
// Compact, stage k ≥ 1 after the rewrite has read k records, and stage -1 once Compact
// has returned (before Forget's Sync).
type killAt struct {
	*identity.FileStore
	stage int
}

func (k killAt) Scrub(values [][]byte) error {
	switch k.stage {
	case -4:
		die()
	case -3:
		if err := k.FileStore.Scrub(values[:1]); err != nil {
			return err
		}
		die()
	}
	err := k.FileStore.Scrub(values)
	if k.stage == -2 {
		die()
	}
	return err
}

func (k killAt) Compact(records iter.Seq[[]byte]) error {
	if k.stage == 0 {
		die()
	}
	n := 0
	err := k.FileStore.Compact(func(yield func([]byte) bool) {
		for rec := range records {
			if n++; n == k.stage {
				die()
			}
			if !yield(rec) {
				return
			}
		}
	})
	if k.stage == -1 {
		die()
	}
	return err
}

func die() { syscall.Kill(os.Getpid(), syscall.SIGKILL) }

// TestForgetCrashChild is the child of TestForgetCrashAtEveryStage: it runs only when
// re-executed with ERASURE_CHILD_PATH and ERASURE_CHILD_STAGE set, and kills itself.
func TestForgetCrashChild(t *testing.T) {
	path := os.Getenv("ERASURE_CHILD_PATH")
	if path == "" {
		t.Skip("runs only as the child of TestForgetCrashAtEveryStage")
	}
	stage, _ := strconv.Atoi(os.Getenv("ERASURE_CHILD_STAGE"))
	forgetIn(t, path, func(fs *identity.FileStore) identity.Store { return killAt{fs, stage} })
	os.Exit(3) // the stage was never reached
}

// TestForgetCrashAtEveryStage kills a process (a re-executed test binary) with SIGKILL at
// every stage of Forget's rewrite, then reopens the store: the forgotten values must be
// in no file of the store, and every other person intact. The store of the stages
// before 0 also holds the values in a RepairFile side file, which Forget scrubs first.
func TestForgetCrashAtEveryStage(t *testing.T) {
	if testing.Short() {
		t.Skip("re-executes the test binary for every stage")
	}
	// The rewrite reads the configuration record and one record per Link and Forget.
	const records = 1 + 11 + 1
	for stage := -4; stage <= records; stage++ {
		dir := t.TempDir()
		var path string
		if stage < -1 {
			path = sideFileFixture(t, dir, nil)
		} else {
			path = erasureFixture(t, dir)
		}
		cmd := exec.Command(os.Args[0], "-test.run=^TestForgetCrashChild$", "-test.count=1")
		cmd.Env = append(os.Environ(), "ERASURE_CHILD_PATH="+path, fmt.Sprint("ERASURE_CHILD_STAGE=", stage))
		out, err := cmd.CombinedOutput()
		var exit *exec.ExitError
		if !errors.As(err, &exit) || exit.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
			t.Fatalf("stage %d: the child was not killed: %v\n%s", stage, err, out)
		}
		checkErased(t, path, fmt.Sprintf("killed at stage %d", stage))
	}
}

// countingCompacter counts the rewrites a resolver asks of its store.
type countingCompacter struct {
	identity.MemStore
	compactions int
}

func (s *countingCompacter) Compact(records iter.Seq[[]byte]) error {
	s.compactions++
	return s.MemStore.Compact(records)
}

// A batch of erasure requests that came out empty (Forget(ctx, at, keys...) with no
// keys) erases nothing: it must not rewrite the whole store, record anything or report
// a Forgotten with no keys to the host.
func TestForgetNothing(t *testing.T) {
	var s countingCompacter
	var reports []identity.Forgotten
	r := seeded(t, identity.WithStore(&s), identity.OnForget(func(f identity.Forgotten) { reports = append(reports, f) }))
	before, n := everything(r), s.Len()
	var keys []uint32 // no request this time
	if err := r.Forget(ctx, t0, keys...); err != nil {
		t.Fatalf("Forget with no keys = %v", err)
	}
	if s.compactions != 0 || s.Len() != n || len(reports) != 0 {
		t.Fatalf("Forget with no keys: %d rewrites, %d records added, reports %v; want none", s.compactions, s.Len()-n, reports)
	}
	if diff := cmp.Diff(before, everything(r)); diff != "" {
		t.Fatalf("Forget with no keys changed the resolver (-before +after):\n%s", diff)
	}
}
