package pgstore

import (
	"context"
	"testing"

	"github.com/clientele-go/clientele/internal/pg/pgtest"
	"github.com/clientele-go/clientele/referral/loyalty"
)

// TestErrorPaths drives the error paths of the public functions: each error must wrap
// the sentinel that names its kind (loyalty's, or ErrVersion), open with a package
// prefix ("loyalty/pgstore: " or loyalty's) and carry each prefix at most once.
func TestErrorPaths(t *testing.T) {
	pool := pgtest.Pool(t)
	ctx := context.Background()
	damaged := pgtest.Schema(t, pool)
	s, err := Open(ctx, pool, &Options{Schema: damaged})
	if err != nil {
		t.Fatal(err)
	}
	// A row whose record is not a record, as a host's faulty migration might leave.
	if _, err := pool.Exec(ctx, "INSERT INTO "+damaged+".loyalty_log (pos, rec) VALUES (0, '\\x00ff'::bytea)"); err != nil {
		t.Fatal(err)
	}
	closed, err := Open(ctx, pool, &Options{Schema: pgtest.Schema(t, pool)})
	if err != nil {
		t.Fatal(err)
	}
	closed.Close()
	canceled, cancel := context.WithCancel(ctx)
	cancel()
	open := func(ctx context.Context, schema string) error {
		_, err := Open(ctx, pool, &Options{Schema: schema})
		return err
	}
	newer, _ := pgtest.Newer(t, pool, "loyalty", func(s string) error { return open(ctx, s) })
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
		{"Open with a nil pool", second(Open(ctx, nil, nil)), loyalty.ErrInvalid},
		{"Open of a newer schema", open(ctx, newer), ErrVersion},
		{"Open with a canceled context", open(canceled, pgtest.Schema(t, pool)), context.Canceled},
		{"Records of a damaged record", read(), loyalty.ErrCorrupt},
		{"Follow with a nil ledger", s.Follow(ctx, nil, nil), loyalty.ErrInvalid},
		//lint:ignore SA1012 the nil context is the input under test
		{"Follow with a nil context", s.Follow(nil, new(loyalty.Ledger), nil), loyalty.ErrInvalid},
		{"Follow on a closed store", closed.Follow(ctx, new(loyalty.Ledger), nil), loyalty.ErrClosed},
	} {
		pgtest.CheckError(t, c.name, c.err, c.want, "loyalty/pgstore: ", "loyalty:")
	}
}

func second[T any](_ T, err error) error { return err }
