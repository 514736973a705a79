package loyalty_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/clientele-go/clientele/referral/loyalty"
)

// crashHistory is a history of every kind of event, one Append (one wal frame) each.
func crashHistory(ctx context.Context, l *loyalty.Ledger) error {
	for i := range 6 {
		m := uint32(1 + i%3)
		if _, err := l.Earn(ctx, day(1+i), fmt.Sprint("e", i), m, fmt.Sprint("O", i), int64(5000+1000*i),
			loyalty.Line{Category: "wine", Amount: 1000}); err != nil {
			return err
		}
	}
	steps := []func() (loyalty.Record, error){
		func() (loyalty.Record, error) { return l.Spend(ctx, day(20), "s1", 1, 40) },
		func() (loyalty.Record, error) { return l.Refund(ctx, day(21), "r1", "O3", 2000) },
		func() (loyalty.Record, error) { return l.Bonus(ctx, day(22), "b1", 2, 75, "birthday") },
		func() (loyalty.Record, error) { return l.Adjust(ctx, day(23), "a1", 3, -20, "fix") },
		func() (loyalty.Record, error) { return l.Refund(ctx, day(24), "r2", "O0", 0) },
	}
	for _, s := range steps {
		if _, err := s(); err != nil {
			return err
		}
	}
	return nil
}

func crashState(l *loyalty.Ledger) string {
	var sb strings.Builder
	for m := uint32(1); m <= 3; m++ {
		for _, d := range []int{10, 25, 80} {
			fmt.Fprintf(&sb, "%d@%d %+v %v\n", m, d, l.Balance(day(d), m), l.Lots(day(d), m))
		}
	}
	return sb.String()
}

// TestCrashAtEveryByte cuts the ledger file at every byte of every append's
// frame header and end and at every fourth byte of its payload, with the
// header as it was before that append (a crash mid-write): opening must give exactly
// the state of the appends that completed, never an error and never less; and cutting
// below what was acknowledged is damage, reported with ErrCorrupt, never a silent loss.
func TestCrashAtEveryByte(t *testing.T) {
	ctx := context.Background()
	rules := shopRules()
	dir := t.TempDir()
	path := filepath.Join(dir, "ledger.wal")
	s, err := loyalty.OpenFileStore(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	// Snapshot the file after every append through a store that copies it.
	var images [][]byte
	var states []string
	snap := &snapStore{FileStore: s, path: path}
	l, err := loyalty.Open(snap, rules)
	if err != nil {
		t.Fatal(err)
	}
	snap.state = func() {}
	snap.after = func() {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		images = append(images, b)
	}
	snap.after()
	states = append(states, crashState(l)) // the empty ledger
	snap.state = func() { states = append(states, crashState(l)) }
	if err := crashHistory(ctx, l); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	open := func(img []byte) (string, error) {
		p := filepath.Join(t.TempDir(), "ledger.wal")
		if err := os.WriteFile(p, img, 0o644); err != nil {
			t.Fatal(err)
		}
		fs, err := loyalty.OpenFileStore(p, nil)
		if err != nil {
			return "", err
		}
		defer fs.Close()
		l, err := loyalty.Open(fs, rules)
		if err != nil {
			return "", err
		}
		return crashState(l), nil
	}
	cuts := 0
	for i := 1; i < len(images); i++ {
		prev, next := images[i-1], images[i]
		for c := len(prev); c <= len(next); c++ {
			if d := c - len(prev); d > 20 && len(next)-c > 2 && d%4 != 0 {
				continue // every byte of the frame header and the end, every fourth between: fsyncs are slow
			}
			img := slices.Concat(prev[:32], next[32:c])
			got, err := open(img)
			want := states[i-1]
			if c == len(next) {
				want = states[i]
			}
			if err != nil || got != want {
				t.Fatalf("append %d cut at byte %d of %d: %v, state\n%s\nwant\n%s", i, c, len(next), err, got, want)
			}
			cuts++
		}
	}
	// Below the acknowledged end a cut is damage.
	last := images[len(images)-1]
	final, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for c := 32; c < len(last); c += 7 {
		if _, err := open(final[:c]); !errors.Is(err, loyalty.ErrCorrupt) {
			t.Fatalf("closed ledger cut at %d of %d: %v, want ErrCorrupt", c, len(final), err)
		}
	}
	t.Logf("%d crash cuts over %d appends, each opened to the completed appends' state", cuts, len(images)-1)
}

// snapStore calls after (and state) once each Append has returned.
type snapStore struct {
	*loyalty.FileStore
	path  string
	after func()
	state func()
}

func (s *snapStore) Append(recs ...loyalty.Record) error {
	if err := s.FileStore.Append(recs...); err != nil {
		return err
	}
	s.after()
	s.state()
	return nil
}
