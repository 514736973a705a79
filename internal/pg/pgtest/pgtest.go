// Package pgtest gives a test its own PostgreSQL schema on the server named by the
// CLIENTELE_POSTGRES environment variable, and drops it when the test ends.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"

	"github.com/clientele-go/clientele/internal/pg"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Env names the variable holding the connection string; Required, when set to 1 (as
// .ci/run does), makes a missing or unreachable server a failure instead of a skip.
const (
	Env      = "CLIENTELE_POSTGRES"
	Required = "CLIENTELE_POSTGRES_REQUIRED"
)

// URL returns the connection string, or skips t (fails it under Required) without one.
func URL(t testing.TB) string {
	t.Helper()
	u := os.Getenv(Env)
	if u == "" {
		if os.Getenv(Required) == "1" {
			t.Fatalf("%s is not set and %s=1", Env, Required)
		}
		t.Skip("PostgreSQL tests skipped: set " + Env + "=postgres://postgres@127.0.0.1:5432/test?sslmode=disable to run them (bash .ci/run does)")
	}
	return u
}

// Pool returns a pool on the test server, closed when t ends.
func Pool(t testing.TB) *pgxpool.Pool {
	t.Helper()
	p, err := pgxpool.New(context.Background(), URL(t))
	if err == nil {
		err = p.Ping(context.Background())
	}
	if err != nil {
		t.Fatalf("PostgreSQL at %s=%s: %v", Env, os.Getenv(Env), err)
	}
	t.Cleanup(p.Close)
	return p
}

// Schema returns the name of a fresh schema that is dropped when t ends.
func Schema(t testing.TB, pool *pgxpool.Pool) string {
	t.Helper()
	name := schemaName()
	t.Cleanup(func() { Drop(t, pool, name) })
	return name
}

// schemaName returns a new schema name, random so that tests do not share one.
func schemaName() string {
	var b [6]byte
	rand.Read(b[:])
	return "test_" + hex.EncodeToString(b[:])
}

// Drop drops schema and everything in it.
func Drop(t testing.TB, pool *pgxpool.Pool, schema string) {
	if _, err := pool.Exec(context.Background(), "DROP SCHEMA IF EXISTS "+pg.Ident(schema)+" CASCADE"); err != nil {
		t.Errorf("drop schema %s: %v", schema, err)
	}
}
