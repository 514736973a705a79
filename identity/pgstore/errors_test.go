package pgstore

import (
	"context"
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
	newer, _ := pgtest.Newer(t, pool, "identity", func(s string) error { open(t, pool, s); return nil })
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
	pgtest.TerminateLock(t, pool, k1, k2, 0)
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
		pgtest.CheckError(t, c.name, c.err, c.want, "identity/pgstore: ", "identity: ")
	}
}

func second[T any](_ T, err error) error { return err }
