package wal

import (
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var errInjected = errors.New("injected EIO")

// failSyncs makes the next n fsyncs of any log fail, and restores them when the test ends.
func failSyncs(t *testing.T, n int) {
	t.Helper()
	var mu sync.Mutex
	syncFile = func(f *os.File) error {
		mu.Lock()
		defer mu.Unlock()
		if n > 0 {
			n--
			return errInjected
		}
		return f.Sync()
	}
	t.Cleanup(func() { syncFile = (*os.File).Sync })
}

// TestFailedSyncCutsAndBreaks: an fsync that fails leaves none of the records it was to
// cover in the log (a retry of them is read once after reopening, not twice), and every
// later Append and Sync fails, whatever a later fsync says, until the log is reopened.
func TestFailedSyncCutsAndBreaks(t *testing.T) {
	for _, policy := range []SyncPolicy{SyncAlways, SyncManual} {
		t.Run(map[SyncPolicy]string{SyncAlways: "SyncAlways", SyncManual: "SyncManual"}[policy], func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "log")
			l := mustOpen(t, path, &Options{Sync: policy})
			a, b, c := []byte("acknowledged"), []byte("its fsync failed"), []byte("retried")
			if err := l.Append(a); err != nil {
				t.Fatal(err)
			}
			if err := l.Sync(); err != nil {
				t.Fatal(err)
			}
			failSyncs(t, 1)
			err := l.Append(b)
			if policy == SyncManual {
				if err != nil {
					t.Fatalf("Append before the failing Sync: %v", err)
				}
				err = l.Sync()
			}
			if !errors.Is(err, errInjected) || !errors.Is(err, ErrBroken) {
				t.Fatalf("the failed fsync reported %v, want %v and ErrBroken", err, errInjected)
			}
			if got := readAll(t, l); !cmp.Equal(got, [][]byte{a}) {
				t.Errorf("after the failed fsync the log reads %q, want only the acknowledged record", got)
			}
			// The next fsync succeeds, but must not be trusted.
			if err := l.Sync(); !errors.Is(err, errInjected) {
				t.Errorf("Sync after a failed fsync: %v, want the failure again", err)
			}
			if err := l.Append(c); !errors.Is(err, errInjected) {
				t.Errorf("Append after a failed fsync: %v, want the failure again", err)
			}
			if err := l.Close(); err != nil {
				t.Logf("Close: %v", err)
			}
			l = mustOpen(t, path, &Options{Sync: policy})
			defer l.Close()
			if got := readAll(t, l); !cmp.Equal(got, [][]byte{a}) {
				t.Fatalf("reopened, the log reads %q, want only the acknowledged record", got)
			}
			if err := l.Append(b); err != nil {
				t.Fatalf("Append (the retry) after reopening: %v", err)
			}
			if err := l.Sync(); err != nil {
				t.Fatal(err)
			}
			if got := readAll(t, l); !cmp.Equal(got, [][]byte{a, b}) {
				t.Errorf("after the retry the log reads %q, want %q", got, [][]byte{a, b})
			}
		})
	}
}

// TestFailedSyncGroupCommit: appenders sharing an fsync that fails are all told so,
// none of their records stays, and an appender that arrives after the failure is
// refused rather than acknowledged by the next fsync, which would succeed.
func TestFailedSyncGroupCommit(t *testing.T) {
	path := filepath.Join(t.TempDir(), "log")
	l := mustOpen(t, path, nil)
	first := []byte("first")
	if err := l.Append(first); err != nil {
		t.Fatal(err)
	}
	failSyncs(t, 1)
	const n = 8
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { errs[i] = l.Append([]byte{byte('a' + i)}) })
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case !errors.Is(err, errInjected):
			t.Errorf("Append: %v, want nil or the injected failure", err)
		}
	}
	got := readAll(t, l)
	// Appends whose fsync came before the failure were acknowledged and stay; none after.
	if len(got) != 1+ok {
		t.Errorf("%d appends acknowledged, the log holds %d records after the first", ok, len(got)-1)
	}
	if ok == n {
		t.Fatal("no append met the failed fsync")
	}
	if err := l.Close(); err != nil {
		t.Logf("Close: %v", err)
	}
	l = mustOpen(t, path, nil)
	defer l.Close()
	if again := readAll(t, l); !cmp.Equal(again, got) {
		t.Errorf("reopened, the log reads %q, want %q", again, got)
	}
}
