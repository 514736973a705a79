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

// crashFixture writes a ledger, in several frames, in which profile 1 ("ann@x") issued a
// code and invited profile 2 ("crash@x", "dev-crash"), who signed up with it and
// ordered, and zoe ("zoe@x", "+99 1"), who never signed up; profile 3 invited yan
// ("+99 2"). Each erasure of eraseCrashes erases one of them and leaves the others.
func crashFixture(t tb, path string) {
	ctx := context.Background()
	fs, err := OpenFileStore(path, nil)
	must(t, err)
	p, err := Open(fs, testRules())
	must(t, err)
	code, err := p.IssueCode(ctx, day(0), "c", 1, Signals{Email: "ann@x"}, newSeeded(3))
	must(t, err)
	must(t, p.Invite(ctx, day(0), "i", 1, Signals{Email: "crash@x"}))
	must(t, p.Invite(ctx, day(0), "i:zoe", 1, Signals{Email: "zoe@x", Phone: "+99 1"}))
	must(t, p.Invite(ctx, day(0), "i:yan", 3, Signals{Phone: "+99 2"}))
	_, err = p.SignUp(ctx, day(1), "s", 2, string(code), Signals{Email: "crash@x", Device: "dev-crash"})
	must(t, err)
	must(t, p.Order(ctx, day(2), "o", 2, "A", 4900))
	must(t, fs.Close())
}

// eraseCrash is an erasure whose rewrite of the file TestForgetCrashDuringCompaction
// kills at every step: erase runs it on a Program over crashFixture's ledger, gone are
// the values it erases, and kept the others' values, which must stay.
type eraseCrash struct {
	name       string
	erase      func(*Program) error
	gone, kept []string
}

var eraseCrashes = []eraseCrash{
	{
		name:  "Forget",
		erase: func(p *Program) error { return p.Forget(context.Background(), day(3), 2) },
		gone:  []string{"crash@x", "dev-crash"},
		kept:  []string{"ann@x", "zoe@x", "+99 1", "+99 2"},
	},
	{
		name: "ForgetContact",
		erase: func(p *Program) error {
			return p.ForgetContact(context.Background(), day(3), Signals{Email: "zoe@x"})
		},
		gone: []string{"zoe@x", "+99 1"}, // the phone too: the invitation reached one person
		kept: []string{"ann@x", "crash@x", "dev-crash", "+99 2"},
	},
}

// eraseWithHook opens the ledger at path and runs c's erasure, calling hook at every
// step of the file's rewrite. It returns the records the file then holds, and the
// Program, whose state a crashed erasure must reach once Open finished it.
func eraseWithHook(t tb, path string, c eraseCrash, hook func(string)) ([]Record, *Program) {
	fs, err := OpenFileStore(path, nil)
	must(t, err)
	defer fs.Close()
	p, err := Open(fs, testRules())
	must(t, err)
	fs.log.RewriteHook = hook
	must(t, c.erase(p))
	return slices.Collect(recordsOf(t, fs)), p
}

// TestForgetCrashChild is the child of TestForgetCrashDuringCompaction: it runs only
// when re-executed with FORGET_CHILD_PATH, FORGET_CHILD_CASE (an eraseCrash's name)
// and FORGET_CHILD_STEP set, and kills itself at that step of the rewrite.
func TestForgetCrashChild(t *testing.T) {
	path := os.Getenv("FORGET_CHILD_PATH")
	if path == "" {
		t.Skip("runs only as the child of TestForgetCrashDuringCompaction")
	}
	name := os.Getenv("FORGET_CHILD_CASE")
	i := slices.IndexFunc(eraseCrashes, func(c eraseCrash) bool { return c.name == name })
	if i < 0 {
		t.Fatalf("no erasure named %q", name)
	}
	var stop int
	fmt.Sscan(os.Getenv("FORGET_CHILD_STEP"), &stop)
	n := 0
	eraseWithHook(t, path, eraseCrashes[i], func(string) {
		if n++; n == stop {
			syscall.Kill(os.Getpid(), syscall.SIGKILL)
		}
	})
	os.Exit(3) // the step was never reached
}

// TestForgetCrashDuringCompaction kills a process (a re-executed test binary) with
// SIGKILL at every step of the rewrite of a file store that Forget, and ForgetContact,
// run: after each frame copied, once the copy is fsynced, once renamed, once the
// directory is synced. The file at path must then hold either the old records with the
// forget record appended (the erasure is recorded before the rewrite begins) or the
// rewritten ones, never damage; and Open must finish the erasure: no file of the
// directory holds an erased value, the others' values stay, and the state is the one
// the same erasure reached without a crash.
func TestForgetCrashDuringCompaction(t *testing.T) {
	if testing.Short() {
		t.Skip("re-executes the test binary for every step")
	}
	for _, c := range eraseCrashes {
		t.Run(c.name, func(t *testing.T) { testEraseCrash(t, c) })
	}
}

func testEraseCrash(t *testing.T, c eraseCrash) {
	ref := filepath.Join(t.TempDir(), "ref.wal")
	crashFixture(t, ref)
	old := fileRecords(t, ref)
	var steps []string
	rewritten, want := eraseWithHook(t, ref, c, func(s string) { steps = append(steps, s) })
	if len(steps) < 4 {
		t.Fatalf("the rewrite went through %d steps: %q", len(steps), steps)
	}
	if len(rewritten) <= len(old) || rewritten[len(rewritten)-1].Kind != KindForget {
		t.Fatalf("the erasure recorded no forget record: %d records before, %d after", len(old), len(rewritten))
	}
	// The forget records hold no signal: the rewrite keeps them as appended.
	old = append(old, rewritten[len(old):]...)
	for stop := 1; stop <= len(steps); stop++ {
		at := fmt.Sprintf("killed after step %d (%s)", stop, steps[stop-1])
		dir := t.TempDir()
		path := filepath.Join(dir, "ledger.wal")
		crashFixture(t, path)
		cmd := exec.Command(os.Args[0], "-test.run=^TestForgetCrashChild$", "-test.count=1")
		cmd.Env = append(os.Environ(), "FORGET_CHILD_PATH="+path, "FORGET_CHILD_CASE="+c.name, fmt.Sprint("FORGET_CHILD_STEP=", stop))
		out, err := cmd.CombinedOutput()
		var exit *exec.ExitError
		if !errors.As(err, &exit) || exit.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
			t.Fatalf("step %d (%s): the child was not killed: %v\n%s", stop, steps[stop-1], err, out)
		}
		fs, err := OpenFileStore(path, nil)
		if err != nil {
			t.Fatalf("%s: the file does not open: %v", at, err)
		}
		if got := slices.Collect(recordsOf(t, fs)); !cmp.Equal(got, old) && !cmp.Equal(got, rewritten) {
			t.Errorf("%s: the file is neither the old one with the forget record nor the rewritten one (-rewritten +got):\n%s", at, cmp.Diff(rewritten, got))
		}
		p, err := Open(fs, testRules())
		if err != nil {
			t.Fatalf("%s: Open: %v", at, err)
		}
		files, err := os.ReadDir(dir)
		must(t, err)
		for _, f := range files {
			s := fileBytes(t, filepath.Join(dir, f.Name()))
			for _, v := range c.gone {
				if strings.Contains(s, v) {
					t.Errorf("%s: Open did not finish the erasure: %s holds %q", at, f.Name(), v)
				}
			}
		}
		for _, v := range c.kept {
			if !strings.Contains(fileBytes(t, path), v) {
				t.Errorf("%s: %q, not erased, left the file", at, v)
			}
		}
		if diff := cmp.Diff(digest(want.st), digest(p.st)); diff != "" {
			t.Errorf("%s: state after Open differs (-without crash +after):\n%s", at, diff)
		}
		if diff := cmp.Diff(accounts(want), accounts(p)); diff != "" {
			t.Errorf("%s: accounts after Open differ (-without crash +after):\n%s", at, diff)
		}
		if diff := cmp.Diff(want.Invites(), p.Invites()); diff != "" {
			t.Errorf("%s: invitations after Open differ (-without crash +after):\n%s", at, diff)
		}
		if err := fs.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

// fileRecords returns the records of the ledger file at path.
func fileRecords(t tb, path string) []Record {
	fs, err := OpenFileStore(path, nil)
	must(t, err)
	defer fs.Close()
	return slices.Collect(recordsOf(t, fs))
}
