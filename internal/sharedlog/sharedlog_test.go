package sharedlog_test

import "testing"

// After a failed Settle the replica's state may hold a record the log lacks (or not):
// its next lead reads the whole log again, so it decides on the log as it is.
func TestRebuildAfterFailedSettle(t *testing.T) {
	for _, commit := range []bool{false, true} {
		m := &memLog{}
		r := newReplica(m)
		if _, err := r.add(1); err != nil {
			t.Fatal(err)
		}
		m.fail, m.commit = true, commit
		if _, err := r.add(2); err == nil {
			t.Fatalf("commit=%v: a failed Settle returned no error", commit)
		}
		want := 1 + 4
		if commit {
			want += 2
		}
		if sum, err := r.add(4); err != nil || sum != want {
			t.Fatalf("commit=%v: add after a failed Settle = %d, %v; want %d, nil", commit, sum, err, want)
		}
		r.mu.Lock()
		pos, rebuilds, diverged := r.log.Pos, r.log.Rebuilds, r.log.Diverged
		r.mu.Unlock()
		if wantPos := uint64(len(m.since(0))); pos != wantPos || rebuilds != 1 || diverged {
			t.Fatalf("commit=%v: Pos %d, Rebuilds %d, Diverged %v; want %d, 1, false", commit, pos, rebuilds, diverged, wantPos)
		}
	}
}
