package pgstore

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/clientele-go/clientele/internal/pg/pgtest"
	"github.com/clientele-go/clientele/referral"
)

// TestErrorPaths drives the error paths of the public functions: each error must wrap
// the sentinel that names its kind (referral's, or ErrVersion), open with
// "referral/pgstore: " and carry each package prefix at most once.
func TestErrorPaths(t *testing.T) {
	pool := pgtest.Pool(t)
	ctx := context.Background()
	damaged := pgtest.Schema(t, pool)
	s, err := Open(ctx, pool, &Options{Schema: damaged})
	if err != nil {
		t.Fatal(err)
	}
	// A row whose record is not a record, as a host's faulty migration might leave.
	if _, err := pool.Exec(ctx, "INSERT INTO "+damaged+".referral_log (pos, rec) VALUES (0, '\\x00ff'::bytea)"); err != nil {
		t.Fatal(err)
	}
	canceled, cancel := context.WithCancel(ctx)
	cancel()
	open := func(ctx context.Context, schema string) error {
		_, err := Open(ctx, pool, &Options{Schema: schema})
		return err
	}
	newer, _ := pgtest.Newer(t, pool, "referral", func(s string) error { return open(ctx, s) })
	read := func() error {
		for _, err := range s.Records() {
			if err != nil {
				return err
			}
		}
		return nil
	}
	for _, c := range []struct {
		name string
		err  error
		want error
	}{
		{"Open with a nil pool", second(Open(ctx, nil, nil)), referral.ErrInvalid},
		{"Open of a newer schema", open(ctx, newer), ErrVersion},
		{"Open with a canceled context", open(canceled, pgtest.Schema(t, pool)), context.Canceled},
		{"Records of a damaged record", read(), referral.ErrCorrupt},
	} {
		pgtest.CheckError(t, c.name, c.err, c.want, "referral/pgstore: ", "referral:")
	}
}

func second[T any](_ T, err error) error { return err }

// TestFollowNilContext: Follow with a nil context is ErrInvalid; the listener panicked
// on it.
func TestFollowNilContext(t *testing.T) {
	pool := pgtest.Pool(t)
	s := openStore(t, pool, pgtest.Schema(t, pool))
	p := openProgram(t, s)
	//lint:ignore SA1012 the nil context is the input under test
	pgtest.CheckError(t, "Follow with a nil context", s.Follow(nil, p, nil), referral.ErrInvalid, "referral/pgstore: ", "referral:")
}

// TestProgramErrorsThroughStore: a Program's error that wraps the store's opens with
// "referral: " and names neither package twice. Apply with a cancelled context read
// "apply event 0: referral: lead the shared ledger: referral/pgstore: lead: context
// canceled".
func TestProgramErrorsThroughStore(t *testing.T) {
	pool := pgtest.Pool(t)
	s := openStore(t, pool, pgtest.Schema(t, pool))
	p := openProgram(t, s)
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	// A store that has not led yet must take the lock, and the lead fails.
	unled := openProgram(t, openStore(t, pool, pgtest.Schema(t, pool))).Apply(cancelled, referral.Record{Kind: referral.KindOrder, Key: "o1", At: at, Profile: 2, Order: "A", Amount: 5})
	if err := p.Order(context.Background(), at, "o1", 2, "A", 10); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		err  error
		want error
	}{
		{"Apply with a cancelled context, leading", unled, context.Canceled},
		{"Apply with a cancelled context", p.Apply(cancelled, referral.Record{Kind: referral.KindOrder, Key: "o2", At: at, Profile: 2, Order: "B", Amount: 5}), context.Canceled},
		{"Apply of an order id used twice", p.Apply(context.Background(), referral.Record{Kind: referral.KindOrder, Key: "o3", At: at, Profile: 2, Order: "A", Amount: 5}), referral.ErrConflict},
		{"Refund of an unknown order", p.Refund(context.Background(), at, "r1", "nope"), referral.ErrNotFound},
	} {
		if !errors.Is(c.err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, c.err, c.want)
			continue
		}
		msg := c.err.Error()
		t.Logf("%s: %s", c.name, msg)
		if !strings.HasPrefix(msg, "referral: ") || strings.Count(msg, "referral: ") != 1 || strings.Contains(msg, "referral/") {
			t.Errorf("%s: %q does not name referral once, at its start, and nothing else", c.name, msg)
		}
	}
}

// TestLeadDoneContext: Lead fails with a done context even while this process holds
// the ledger's lock, when it need not wait for it (it returned nil, so a caller that
// checks its context only through Lead went on writing).
func TestLeadDoneContext(t *testing.T) {
	pool := pgtest.Pool(t)
	s := openStore(t, pool, pgtest.Schema(t, pool))
	ctx := context.Background()
	if err := s.Lead(ctx); err != nil { // takes the lock, which the store then holds
		t.Fatal(err)
	}
	if err := s.Settle(); err != nil {
		t.Fatal(err)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	err := s.Lead(cancelled)
	if !errors.Is(err, context.Canceled) {
		if err == nil {
			s.Settle()
		}
		t.Fatalf("Lead with a cancelled context while holding the lock: %v, want context.Canceled", err)
	}
	if err := s.Lead(ctx); err != nil { // the failed lead opened nothing
		t.Fatal(err)
	}
	if err := s.Settle(); err != nil {
		t.Fatal(err)
	}
}
