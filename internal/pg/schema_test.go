package pg

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
)

// TestSchemaNames: a schema name PostgreSQL would truncate or refuse is ErrInvalid
// before any connection is made (the pool points nowhere). 63 bytes pass the check.
func TestSchemaNames(t *testing.T) {
	pool, err := pgxpool.New(context.Background(), "postgres://nobody@127.0.0.1:1/none?connect_timeout=1")
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	invalid := errors.New("invalid")
	for _, c := range []struct{ schema, want string }{
		{strings.Repeat("x", 64), "is 64 bytes; PostgreSQL keeps 63"},
		{strings.Repeat("é", 32), "is 64 bytes"},
		{"a\x00b", "NUL byte"},
	} {
		_, err := Setup(context.Background(), pool, c.schema, "identity", nil, invalid)
		if !errors.Is(err, invalid) || !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), "invalid: identity/pgstore: open: schema name") {
			t.Errorf("schema %q: %v, want invalid mentioning %q", c.schema, err, c.want)
		}
	}
	if err := checkSchema(strings.Repeat("x", 63)); err != nil {
		t.Errorf("63 bytes: %v", err)
	}
}
