package referral

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// crashFixture writes a ledger in which profile 2 (signals "crash@x", "dev-crash")
// signed up with profile 1's code and ordered, in several frames.
func crashFixture(t tb, path string) {
	ctx := context.Background()
	fs, err := OpenFileStore(path, nil)
	must(t, err)
	p, err := Open(fs, testRules())
	must(t, err)
	code, err := p.IssueCode(ctx, day(0), "c", 1, Signals{Email: "ann@x"}, newSeeded(3))
	must(t, err)
	must(t, p.Invite(ctx, day(0), "i", 1, Signals{Email: "crash@x"}))
	_, err = p.SignUp(ctx, day(1), "s", 2, string(code), Signals{Email: "crash@x", Device: "dev-crash"})
	must(t, err)
	must(t, p.Order(ctx, day(2), "o", 2, "A", 4900))
	must(t, fs.Close())
}

// forgetWithHook opens the ledger at path and forgets profile 2, calling hook at every
// step of the file's rewrite.
func forgetWithHook(t tb, path string, hook func(string)) []Record {
	fs, err := OpenFileStore(path, nil)
	must(t, err)
	defer fs.Close()
	p, err := Open(fs, testRules())
	must(t, err)
	fs.log.RewriteHook = hook
	must(t, p.Forget(context.Background(), day(3), 2))
	return slices.Collect(recordsOf(t, fs))
}

// TestForgetCrashChild is the child of TestForgetCrashDuringCompaction: it runs only
// when re-executed with FORGET_CHILD_PATH and FORGET_CHILD_STEP set, and kills itself
// at that step of the rewrite.
func TestForgetCrashChild(t *testing.T) {
	path := os.Getenv("FORGET_CHILD_PATH")
	if path == "" {
		t.Skip("runs only as the child of TestForgetCrashDuringCompaction")
	}
	var stop int
	fmt.Sscan(os.Getenv("FORGET_CHILD_STEP"), &stop)
	n := 0
	forgetWithHook(t, path, func(string) {
		if n++; n == stop {
			syscall.Kill(os.Getpid(), syscall.SIGKILL)
		}
	})
	os.Exit(3) // the step was never reached
}

// TestForgetCrashDuringCompaction kills a process (a re-executed test binary) with
// SIGKILL at every step of Forget's rewrite of a file store: after each frame copied,
// once the copy is fsynced, once renamed, once the directory is synced. The file at
// path must then hold either the old records (the forget record appended, the signals
// still there) or the rewritten ones, never damage; and Open must finish the erasure.
func TestForgetCrashDuringCompaction(t *testing.T) {
	if testing.Short() {
		t.Skip("re-executes the test binary for every step")
	}
	ref := filepath.Join(t.TempDir(), "ref.wal")
	crashFixture(t, ref)
	var steps []string
	rewritten := forgetWithHook(t, ref, func(s string) { steps = append(steps, s) })
	if len(steps) < 4 {
		t.Fatalf("the rewrite went through %d steps: %q", len(steps), steps)
	}
	for stop := 1; stop <= len(steps); stop++ {
		path := filepath.Join(t.TempDir(), "ledger.wal")
		crashFixture(t, path)
		cmd := exec.Command(os.Args[0], "-test.run=^TestForgetCrashChild$", "-test.count=1")
		cmd.Env = append(os.Environ(), "FORGET_CHILD_PATH="+path, fmt.Sprint("FORGET_CHILD_STEP=", stop))
		out, err := cmd.CombinedOutput()
		var exit *exec.ExitError
		if !errors.As(err, &exit) || exit.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
			t.Fatalf("step %d (%s): the child was not killed: %v\n%s", stop, steps[stop-1], err, out)
		}
		fs, err := OpenFileStore(path, nil)
		if err != nil {
			t.Fatalf("killed after step %d (%s): the file does not open: %v", stop, steps[stop-1], err)
		}
		got := slices.Collect(recordsOf(t, fs))
		old := strings.Contains(fileBytes(t, path), "crash@x")
		if !old && !cmp.Equal(got, rewritten) {
			t.Errorf("killed after step %d (%s): the file is neither the old nor the rewritten one:\n%s", stop, steps[stop-1], cmp.Diff(rewritten, got))
		}
		if old && (len(got) != len(rewritten) || got[len(got)-1].Kind != KindForget) {
			t.Errorf("killed after step %d (%s): the old file lacks the forget record", stop, steps[stop-1])
		}
		p, err := Open(fs, testRules())
		if err != nil {
			t.Fatalf("killed after step %d (%s): Open: %v", stop, steps[stop-1], err)
		}
		if s := fileBytes(t, path); strings.Contains(s, "crash@x") || strings.Contains(s, "dev-crash") {
			t.Errorf("killed after step %d (%s): Open did not finish the erasure", stop, steps[stop-1])
		}
		if b := p.Balance(day(30), 1); b.Earned == 0 {
			t.Errorf("killed after step %d (%s): the referrer's reward is gone: %+v", stop, steps[stop-1], b)
		}
		if err := fs.Close(); err != nil {
			t.Fatal(err)
		}
	}
}
