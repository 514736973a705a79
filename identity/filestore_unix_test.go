//go:build unix

package identity_test

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/clientele-go/clientele/identity"
)

// Two FileStores over one file (two replicas of a host pointed at one path, a tool run
// beside the server, a second OpenFileStore in one program) each append at the end they
// know of, over the other's records: links that returned, fsynced, were lost on the next
// open. The second OpenFileStore, and RepairFile, must fail instead while the first is
// open.
func TestFileStoreIsExclusive(t *testing.T) {
	path := filepath.Join(t.TempDir(), "id.log")
	s1, err := identity.OpenFileStore(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	r1, err := identity.New(identity.DefaultRules(), identity.WithStore(s1))
	if err != nil {
		t.Fatal(err)
	}
	a, b := identity.ID{Kind: "user_id", Value: "a"}, identity.ID{Kind: "user_id", Value: "b"}
	mustLink(t, r1, t0, a)
	if s2, err := identity.OpenFileStore(path, nil); err == nil {
		// Without the lock: show what a second writer does to the first one's records.
		r2, _ := identity.New(identity.DefaultRules(), identity.WithStore(s2))
		mustLink(t, r2, t0, b)
		s2.Close()
		t.Errorf("a second OpenFileStore of an open store succeeded")
	} else if !errors.Is(err, syscall.EWOULDBLOCK) {
		t.Errorf("a second OpenFileStore of an open store = %v, want EWOULDBLOCK", err)
	}
	if _, err := identity.RepairFile(path); !errors.Is(err, syscall.EWOULDBLOCK) {
		t.Errorf("RepairFile of an open store = %v, want EWOULDBLOCK", err)
	}
	mustLink(t, r1, t0, identity.ID{Kind: "user_id", Value: "c"})
	if err := s1.Close(); err != nil {
		t.Fatal(err)
	}
	s3, err := identity.OpenFileStore(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s3.Close()
	r3, err := identity.New(identity.DefaultRules(), identity.WithStore(s3))
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range []string{"a", "c"} {
		if _, ok := r3.Lookup(identity.ID{Kind: "user_id", Value: v}); !ok {
			t.Errorf("user_id %s, linked and acknowledged, is lost", v)
		}
	}
}

// A refused OpenFileStore leaves everything as it was, including the new file of a
// compaction the open store may have under way beside it (OpenFileStore discards such a
// file only as the leftover of a crash, once the log is its own).
func TestRefusedOpenKeepsCompaction(t *testing.T) {
	path := filepath.Join(t.TempDir(), "id.log")
	s1, err := identity.OpenFileStore(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s1.Close()
	if err := os.WriteFile(path+".compact", []byte("a compaction being written"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := identity.OpenFileStore(path, nil); !errors.Is(err, syscall.EWOULDBLOCK) {
		t.Fatalf("a second OpenFileStore = %v, want EWOULDBLOCK", err)
	}
	if _, err := os.Stat(path + ".compact"); err != nil {
		t.Errorf("a refused OpenFileStore removed the open store's compaction file: %v", err)
	}
}
