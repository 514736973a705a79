package pgstore

import (
	"context"
	"iter"
	"testing"
	"time"

	"github.com/clientele-go/clientele/identity"
	"github.com/clientele-go/clientele/internal/pg/pgtest"
	"github.com/jackc/pgx/v5/pgxpool"
)

// countRecords is a Store that calls records at each call of its Records or
// RecordsContext.
type countRecords struct {
	*Store
	records func()
}

func (c countRecords) Records() iter.Seq2[[]byte, error] {
	c.records()
	return c.Store.Records()
}

func (c countRecords) RecordsContext(ctx context.Context) iter.Seq2[[]byte, error] {
	c.records()
	return c.Store.RecordsContext(ctx)
}

// replays opens resolvers on a store of their own for the checks of pgtest, with the
// workload of the tests of a stuck PostgreSQL (writers).
func replays() pgtest.Replays[*identity.Resolver, *Store, []byte] {
	return pgtest.Replays[*identity.Resolver, *Store, []byte]{
		Writers: writers(),
		Store: func(t *testing.T, pool *pgxpool.Pool, schema string, timeout time.Duration) *Store {
			return openTimeout(t, pool, schema, timeout)
		},
		Owner: func(t *testing.T, s *Store) *identity.Resolver { return resolver(t, s) },
		Replay: func(ctx context.Context, s *Store, records func()) (*identity.Resolver, error) {
			var st identity.Store = s
			if records != nil {
				st = countRecords{s, records}
			}
			return identity.New(identity.DefaultRules(), identity.WithStore(st), identity.WithReplayContext(ctx))
		},
		Stopped: "identity: replay stopped after 0 records: ",
		New:     "New",
	}
}

// TestNewInterrupted: with no Timeout, while another session holds the log's table, a
// New given WithReplayContext returns an error wrapping context.Canceled once its ctx
// is cancelled, naming the records replayed, instead of waiting for the lock as long as
// it is held. Once the lock is released New on the same store replays the whole log (see
// pgtest.ReplayInterrupted).
func TestNewInterrupted(t *testing.T) { pgtest.ReplayInterrupted(t, replays()) }

// TestNewAfterFailedFlush: a store whose flush failed refuses its Since (and
// SinceContext) with ErrDiverged until Records reads the log again. New given
// WithReplayContext reads it as New without one does: it ends the refusal and replays
// the whole log, and the new resolver links without reading the log again (see
// pgtest.ReplayAfterFailedFlush).
func TestNewAfterFailedFlush(t *testing.T) { pgtest.ReplayAfterFailedFlush(t, replays()) }

// TestNewAfterFailedFlushInterrupted: with no Timeout, on a store whose flush failed (so
// that the replay reads the log again as Records does, ending the refusal), while
// another session holds the log's table, a New given WithReplayContext returns an error
// wrapping context.Canceled once its ctx is cancelled, instead of waiting for the lock
// as long as it is held (see pgtest.ReplayAfterFailedFlushInterrupted).
func TestNewAfterFailedFlushInterrupted(t *testing.T) {
	pgtest.ReplayAfterFailedFlushInterrupted(t, replays())
}
