package pgstore

import (
	"context"
	"testing"

	"github.com/clientele-go/clientele/internal/pg/pgtest"
	"github.com/clientele-go/clientele/segment"
)

// TestErrorPaths drives the error paths of the public functions: each error must wrap
// the sentinel that names its kind (segment's, or ErrVersion), and carry each package
// prefix ("segment/pgstore:", "segment:") at most once.
func TestErrorPaths(t *testing.T) {
	pool := pgtest.Pool(t)
	ctx := context.Background()
	s, err := Open(ctx, pool, &Options{Schema: pgtest.Schema(t, pool)})
	if err != nil {
		t.Fatal(err)
	}
	canceled, cancel := context.WithCancel(ctx)
	cancel()
	open := func(ctx context.Context, schema string) error {
		_, err := Open(ctx, pool, &Options{Schema: schema})
		return err
	}
	newer, _ := pgtest.Newer(t, pool, "segment", func(s string) error { return open(ctx, s) })
	for _, c := range []struct {
		name string
		err  error
		want error
	}{
		{"Open with a nil pool", second(Open(ctx, nil, nil)), segment.ErrInvalid},
		{"Open of a newer schema", open(ctx, newer), ErrVersion},
		{"Open with a canceled context", open(canceled, pgtest.Schema(t, pool)), context.Canceled},
		{"Put under a path", s.Put("../x", []byte("x")), segment.ErrInvalid},
		{"PutVersion of an empty name", second(s.PutVersion("", []byte("x"))), segment.ErrInvalid},
		{"Get of an empty name", second(s.Get("")), segment.ErrInvalid},
		{"Delete of a name with a slash", s.Delete("a/b"), segment.ErrInvalid},
		{"Get of a missing blob", second(s.Get("missing")), segment.ErrNotFound},
		{"Delete of a missing blob", s.Delete("missing"), segment.ErrNotFound},
	} {
		pgtest.CheckError(t, c.name, c.err, c.want, "segment/pgstore: ", "segment:")
	}
}

func second[T any](_ T, err error) error { return err }
