package pgstore

import "context"

// WithContext returns a copy of s whose calls (Put, PutVersion, PutSnapshot, Get,
// Delete, List, Versions) run under ctx as well as Options.Timeout, whichever ends
// first: a call still waiting for a connection, a lock or an answer when ctx ends gives
// up and fails with an error wrapping ctx's error (context.Canceled, or
// context.DeadlineExceeded), and a call made after it ended fails so without reaching
// the database. segment.Store's methods take no context, so this is how a server ends
// a store call with the request that made it, or a host a long save it no longer
// wants; the copy is a segment.Store like s, which every segment API that takes one
// (Index.SaveTo, segment.Load, ...) accepts.
//
// The copy shares s's pool and table and is as safe for concurrent use; s is
// unchanged, its calls still bounded by Options.Timeout alone. Make one per request or
// operation and let it go with ctx (as http.Request.WithContext is used): once ctx has
// ended, every call of the copy fails. A write that failed because ctx ended may or
// may not have taken effect, as one that ran out of Timeout (see Consistency). ctx must
// not be nil. A type that embeds *Store to wrap some of its methods has this one too,
// and the copy it returns goes around the wrapper: such a type defines its own.
func (s *Store) WithContext(ctx context.Context) *Store {
	if ctx == nil {
		panic("segment/pgstore: WithContext: nil context")
	}
	c := *s
	c.ctx = ctx
	return &c
}

// parent returns the context every call of s runs under: WithContext's, or none.
func (s *Store) parent() context.Context {
	if s.ctx == nil {
		return context.Background()
	}
	return s.ctx
}
