package identity_test

import (
	"bytes"
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
// resolver and from every file in the directory, and that the others are intact.
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

// killAt is a FileStore that kills its own process at one stage of the rewrite: stage 0
// on entering Compact (the erasure record appended, nothing rewritten), stage k ≥ 1
// after the rewrite has read k records, and stage -1 once Compact has returned (before
// Forget's Sync).
type killAt struct {
	*identity.FileStore
	stage int
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
// in no file of the store, and every other person intact.
func TestForgetCrashAtEveryStage(t *testing.T) {
	if testing.Short() {
		t.Skip("re-executes the test binary for every stage")
	}
	// The rewrite reads the configuration record and one record per Link and Forget.
	const records = 1 + 11 + 1
	for stage := -1; stage <= records; stage++ {
		dir := t.TempDir()
		path := erasureFixture(t, dir)
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
