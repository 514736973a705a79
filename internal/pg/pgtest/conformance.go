package pgtest

import (
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// Conformance runs a store package's conformance suite (run, given a storetest
// Harness's Open and Reopen) in subtests "timeout 0s" and "timeout 1m0s": on stores that
// open opens with no Timeout, and with one, which must change nothing a healthy
// database does. The suite's open(dir) opens a store over dir's own schema, the same
// one each time dir is asked (see Schemas).
func Conformance[S any](t *testing.T, open func(pool *pgxpool.Pool, schema string, timeout time.Duration) (S, error), run func(t *testing.T, open func(dir string) (S, error))) {
	for _, timeout := range []time.Duration{0, time.Minute} {
		t.Run(fmt.Sprint("timeout ", timeout), func(t *testing.T) {
			pool := Pool(t)
			schema := Schemas(t, pool)
			run(t, func(dir string) (S, error) { return open(pool, schema(dir), timeout) })
		})
	}
}
