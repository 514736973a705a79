package pgstore

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/clientele-go/clientele/identity"
	"github.com/clientele-go/clientele/internal/pg/pgtest"
)

// TestErrorPaths drives the error paths of the public functions: each error must wrap
// the sentinel that names its kind (identity's, ErrVersion or the context's) and carry
// each package prefix ("identity/pgstore:", "identity:") at most once.
func TestErrorPaths(t *testing.T) {
	pool := pgtest.Pool(t)
	ctx := context.Background()
	newer := pgtest.Schema(t, pool)
	open(t, pool, newer)
	if _, err := pool.Exec(ctx, "UPDATE "+newer+".clientele_schema SET version = 99 WHERE component = 'identity'"); err != nil {
		t.Fatal(err)
	}
	canceled, cancel := context.WithCancel(ctx)
	cancel()
	openErr := func(ctx context.Context, schema string) error {
		_, err := Open(ctx, pool, &Options{Schema: schema})
		return err
	}
	first := func(seq func(func([]byte, error) bool)) error {
		var got error
		seq(func(_ []byte, err error) bool { got = err; return err == nil })
		return got
	}

	// A lead that appends before it has read the log's tail.
	early := open(t, pool, pgtest.Schema(t, pool))
	if err := early.Lead(ctx); err != nil {
		t.Fatal(err)
	}
	appendEarly := early.Append([]byte("x"))
	if err := early.Settle(); err != nil {
		t.Fatal(err)
	}

	// A flush whose connection dies: Settle and the next Lead report the divergence.
	schema := pgtest.Schema(t, pool)
	cut := open(t, pool, schema)
	if err := cut.Lead(ctx); err != nil {
		t.Fatal(err)
	}
	if err := first(cut.Since(0)); err != nil {
		t.Fatal(err)
	}
	if err := cut.Append([]byte("x")); err != nil {
		t.Fatal(err)
	}
	k1, k2 := s0key(schema)
	if _, err := pool.Exec(ctx, `SELECT pg_terminate_backend(pid) FROM pg_locks
		WHERE locktype = 'advisory' AND classid = $1::oid AND objid = $2::oid AND granted`, uint32(k1), uint32(k2)); err != nil {
		t.Fatal(err)
	}
	settleCut := cut.Settle()
	leadCut := cut.Lead(ctx)

	closed := open(t, pool, pgtest.Schema(t, pool))
	if err := closed.Close(); err != nil {
		t.Fatal(err)
	}
	r, err := identity.New(identity.DefaultRules())
	if err != nil {
		t.Fatal(err)
	}
	live := open(t, pool, pgtest.Schema(t, pool))
	for _, c := range []struct {
		name string
		err  error
		want error
	}{
		{"Open with a nil pool", second(Open(ctx, nil, nil)), identity.ErrInvalid},
		{"Open of a newer schema", openErr(ctx, newer), ErrVersion},
		{"Open with a canceled context", openErr(canceled, pgtest.Schema(t, pool)), context.Canceled},
		{"Lead with a canceled context", live.Lead(canceled), context.Canceled},
		{"Append under a lead before reading the tail", appendEarly, identity.ErrInvalid},
		{"Settle of a flush that failed", settleCut, identity.ErrDiverged},
		{"Lead after a failed flush", leadCut, identity.ErrDiverged},
		{"Follow with a nil resolver", live.Follow(ctx, nil, nil), identity.ErrInvalid},
		{"Follow with a canceled context", live.Follow(canceled, r, nil), context.Canceled},
		{"Lead after Close", closed.Lead(ctx), identity.ErrClosed},
		{"Append after Close", closed.Append([]byte("x")), identity.ErrClosed},
		{"Records after Close", first(closed.Records()), identity.ErrClosed},
		{"Since after Close", first(closed.Since(0)), identity.ErrClosed},
		{"Follow after Close", closed.Follow(ctx, r, nil), identity.ErrClosed},
	} {
		if !errors.Is(c.err, c.want) {
			t.Errorf("%s: err = %v, want %v", c.name, c.err, c.want)
			continue
		}
		msg := c.err.Error()
		if !strings.Contains(msg, "identity/pgstore:") && !strings.Contains(msg, "identity:") && c.want != context.Canceled {
			t.Errorf("%s: %q names no package", c.name, msg)
		}
		for _, p := range []string{"identity/pgstore:", "identity:"} {
			if n := strings.Count(msg, p); n > 1 {
				t.Errorf("%s: %q carries %s %d times", c.name, msg, p, n)
			}
		}
	}
}

func second[T any](_ T, err error) error { return err }
