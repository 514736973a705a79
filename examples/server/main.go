// Command server is an HTTP service that embeds the SDK: it takes tracker calls, resolves
// identities, keeps audiences live and answers funnel questions. It shows how the
// packages plug into a host: one identity.Resolver whose merges are forwarded to one
// segment.Index, events kept for funnels, and the time of every query from a Clock.
//
//	go run ./examples/server -addr localhost:8080 [-store file:DIR | -store postgres://...] [-token secret] [-events a,b]
//
// A saved segment may name only events the server has seen or -events declares. A
// declaration is kept in segment snapshots and never withdrawn by a restart (the index
// knows events by name: a restart knows the union of its snapshot's and its own), and a
// definition saved on one server declares its events on the others sharing the storage.
//
// Without a token (-token or $CLIENTELE_TOKEN) the server refuses any address but
// loopback; with one, every /v1 path but the tracking API needs "Authorization: Bearer
// <token>". Every reply, errors included, is JSON; errors are {"error": "...", "code": "not_found"}.
//
// Endpoints (JSON in and out):
//
//	POST /v1/batch, /v1/import      Segment's HTTP Tracking API: {"batch": [call, ...]} (500 KB)
//	POST /v1/identify, /v1/track, /v1/page, /v1/screen, /v1/group, /v1/alias   one call (32 KB)
//	                                (write key as basic-auth user; gzip bodies; messageId de-duplicated)
//	POST /v1/events                 Segment-spec calls, one JSON object a line (at most 1 MiB; gzip bodies)
//	GET  /v1/profiles/{id}          a profile's identifiers and audiences
//	DELETE /v1/profiles/{id}        erase the person (GDPR art. 17): identifiers, audiences, events,
//	                                the referral ledger's contact details
//	GET  /v1/lookup?kind=&value=    the profile holding an identifier (404: none yet; 400: a value
//	                                none can hold, such as junk or a malformed e-mail, or a kind
//	                                no call carries: user_id, anonymous_id, email, phone, device_id)
//	PUT  /v1/segments/{name}        save an audience; the body is its query
//	GET  /v1/segments/{name}        its members now (?limit=, default 100)
//	GET  /v1/changes                who entered and exited each audience since the last call
//	GET  /v1/funnel?steps=a,b,c&window=7d&mode=strict_once   an ordered funnel over the recorded events
//	                                (no step empty; mode: ClickHouse's windowFunnel modes, joined by ",")
//	POST /v1/referral/codes, invites, signups, orders, refunds   the referral programme (referral.go)
//	GET  /v1/referral/balance?user=, /v1/referral/payables        its balances and payout run
//	GET  /healthz                   200, or 503 once the storage refuses writes until a restart
//
// SIGINT or SIGTERM stops it gracefully: requests in flight finish, the last segment
// snapshot is written, then the storage is closed; each stage is logged (log/slog, on
// standard error). A second SIGINT or SIGTERM cuts the wait for requests and the
// snapshot short; a third ends the process.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"syscall"
	"time"

	"github.com/clientele-go/clientele"
	"github.com/clientele-go/clientele/referral"
)

// tokenEnv names the environment variable that may hold the bearer token, so that the
// token need not appear in the process list.
const tokenEnv = "CLIENTELE_TOKEN"

// writeKeysEnv names the environment variable that may list write keys, KEY=SOURCE
// separated by commas.
const writeKeysEnv = "CLIENTELE_WRITE_KEYS"

// writeKeys collects -write-key KEY=SOURCE flags.
type writeKeys map[string]string

func (k writeKeys) String() string { return fmt.Sprint(len(k), " keys") }

func (k writeKeys) Set(v string) error {
	for _, pair := range strings.Split(v, ",") {
		key, source, ok := strings.Cut(strings.TrimSpace(pair), "=")
		if !ok || key == "" || source == "" {
			return fmt.Errorf("want KEY=SOURCE, got %q", pair)
		}
		k[key] = source
	}
	return nil
}

// eventNames collects -events flags: event names, comma-separated, declared to the
// segment index ahead of their first call.
type eventNames []string

func (e *eventNames) String() string { return strings.Join(*e, ",") }

func (e *eventNames) Set(v string) error {
	for _, name := range strings.Split(v, ",") {
		// "page, Order Completed" names "Order Completed": spaces around a comma are the
		// list's, not the name's.
		name = strings.TrimSpace(name)
		if name == "" {
			return fmt.Errorf("an empty event name in %q", v)
		}
		*e = append(*e, name)
	}
	return nil
}

func main() {
	addr := flag.String("addr", "localhost:8080", "address to listen on (a non-loopback address needs a token)")
	store := flag.String("store", "file:clientele-data", "where state survives restarts: file:DIR (one machine), postgres://... (shared by every server on the database) or mem:")
	schema := flag.String("schema", "clientele", "PostgreSQL schema of the tables, with -store postgres://...")
	pgTimeout := flag.Duration("pg-timeout", defaultPGTimeout, "with -store postgres://..., how long each statement on PostgreSQL may wait before it fails: each read or write of a segment snapshot or saved definition, each statement of the identity log and the referral ledger, and of the event table (a replay's or catch-up's reads are bounded per fetch, an erasure's rewrite per page of rows, not as a whole), each append of events (0: no bound)")
	token := flag.String("token", "", "bearer token every /v1 path except the tracking API requires (default $"+tokenEnv+"; empty: none, loopback only)")
	defaults := defaultProgramme()
	referrer := flag.Int64("referrer-reward", defaults.ReferrerReward, "referral programme: what the referrer earns per qualified referral, in the currency's minor unit")
	referred := flag.Int64("referred-reward", defaults.ReferredReward, "referral programme: what the referred friend earns at the first order")
	hold := flag.String("reward-hold", "0s", "referral programme: how long a reward is held before it is payable (7d, 36h, ...)")
	snapEvery := flag.Uint64("snapshot-every", defaultSnapshotEvery, "events applied between segment snapshots, so that a restart replays at most this many events after the latest (0: only at shutdown and when a segment is saved)")
	keys := writeKeys{}
	var declared eventNames
	flag.Var(&declared, "events", "event names, comma-separated (repeatable), that saved segments may name before any call brings them; "+
		"a declaration is kept in segment snapshots and reaches the other servers on the storage through the segments that name the events")
	flag.Var(keys, "write-key", "a tracking-API write key and its source, KEY=SOURCE (repeatable; also $"+writeKeysEnv+", comma-separated)")
	flag.Parse()
	programme, err := programmeFlags(*referrer, *referred, *hold)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	if *pgTimeout < 0 {
		fmt.Fprintf(os.Stderr, "-pg-timeout %v: want 0 (no bound) or more\n", *pgTimeout)
		os.Exit(2)
	}
	if *token == "" {
		*token = os.Getenv(tokenEnv)
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	if v := os.Getenv(writeKeysEnv); v != "" {
		if err := keys.Set(v); err != nil {
			logger.Error("bad $"+writeKeysEnv, "error", err)
			os.Exit(2)
		}
	}
	ctx, last, stop := shutdownSignals(os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, last, logger, *addr, *store, *schema, *pgTimeout, *token, keys, programme, *snapEvery, declared); err != nil {
		logger.Error("server stopped", "error", err)
		os.Exit(1)
	}
}

// run serves until ctx ends, then shuts down; last ending (a second signal) cuts the
// shutdown short and abandons its snapshot.
func run(ctx, last context.Context, logger *slog.Logger, addr, store, schema string, pgTimeout time.Duration, token string, keys writeKeys, programme referral.Rules, snapEvery uint64, declared []string) error {
	if err := checkListen(addr, token); err != nil {
		return err
	}
	st, err := openStorage(ctx, store, schema, pgTimeout)
	if err != nil {
		return err
	}
	defer st.close()
	st.programme, st.snapshotEvery, st.declared = programme, snapEvery, declared
	s, err := newServerOn(ctx, clientele.SystemClock{}, st)
	if err != nil {
		return err
	}
	defer func() {
		// A snapshot on the way out makes the next start replay fewer events; a
		// crash only costs a longer replay.
		// One behind another server's stored snapshot is not written, and no failure.
		// ctx has ended (the signal that began the shutdown): the snapshot's write
		// runs under last, which another SIGINT or SIGTERM ends, so that an operator
		// who will not wait for a PostgreSQL that stopped answering (-pg-timeout at
		// most, for ever with 0) stops the server without SIGKILL, and without the
		// snapshot: the next start replays more events.
		if err := s.closeSnapshot(last); err != nil && !errors.Is(err, errSnapshotBehind) {
			logger.Error("segment snapshot", "error", err)
		}
	}()
	// Before the follower starts, which logs. Definitions the start could not apply
	// were reported to no logger: forgotten, so that the next sync reports them here.
	s.log, s.token, s.writeKeys = logger, token, keys
	s.savedStuck = nil
	if st.follow != nil {
		// Apply other servers' decisions, events and segment definitions as they
		// commit, so that merges reach this server's audiences without waiting for a read.
		fctx, stopFollow := context.WithCancel(ctx)
		defer stopFollow()
		go st.follow(fctx, func(ctx context.Context) error {
			if err := s.refresh(ctx); err != nil && ctx.Err() == nil {
				logger.Warn("following the storage", "error", err)
			}
			return nil
		})
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	logger.Info("listening", "url", "http://"+ln.Addr().String(), "token", token != "", "store", storeForLog(store), "write_keys", len(keys))
	return serve(ctx, last, ln, s)
}

// storeForLog is -store as the log shows it: a PostgreSQL URL without its password,
// whether in the user information or the password parameter pgx also reads. Cutting
// at the first '@' printed "postgres://127.0.0.1/db?password=secret" whole, and left
// off the scheme and the user.
func storeForLog(store string) string {
	if !strings.HasPrefix(store, "postgres://") && !strings.HasPrefix(store, "postgresql://") {
		return store // file:DIR or mem:
	}
	u, err := url.Parse(store)
	if err != nil {
		return "postgres://..." // not reached: pgx parses it so, and refused it
	}
	if q := u.Query(); q.Has("password") {
		q.Set("password", "xxxxx")
		u.RawQuery = q.Encode()
	}
	return u.Redacted()
}

const (
	// writeTimeout is how long a reply may take to be written, counted from the end of
	// the request's headers: past it the client sees the connection drop (EOF).
	writeTimeout = 30 * time.Second
	// requestDeadline ends a request's context a little before writeTimeout, so that
	// the reply still gets out: a request whose store calls stall one after another,
	// each within -pg-timeout (a Link's lead, tail read and flush: 3 × 10s at the
	// default), is then answered as for a client that left (503, or its calls
	// rejected), not with EOF. The 2s cover writing the reply.
	requestDeadline = writeTimeout - 2*time.Second
)

// serve answers on ln until ctx is done, then shuts down gracefully: it stops accepting,
// lets requests in flight finish (for up to ten seconds, or until last is done) and
// returns.
func serve(ctx, last context.Context, ln net.Listener, s *server) error {
	srv := &http.Server{
		Handler:           withDeadline(s.routes(), requestDeadline),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	// Requests' contexts derive from base, which is cancelled when the shutdown's grace
	// period ends, so that work still running then (a segment evaluation) stops.
	base, stopWork := context.WithCancel(context.Background())
	defer stopWork()
	srv.BaseContext = func(net.Listener) context.Context { return base }
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	s.log.Info("shutting down: no new connections; waiting up to 10s for requests in flight (a second signal stops at once)")
	shutdown, cancel := context.WithTimeout(last, 10*time.Second)
	defer cancel()
	context.AfterFunc(shutdown, stopWork)
	if err := srv.Shutdown(shutdown); err != nil {
		if last.Err() != nil {
			return fmt.Errorf("shutdown: a second signal ended the wait for requests in flight: %w", err)
		}
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-done; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	s.log.Info("stopped: every request finished")
	return nil
}

// withDeadline cancels each request's context d after h begins it. It cancels rather
// than sets a deadline: a store call that runs out of -pg-timeout fails wrapping
// context.DeadlineExceeded, and applyAll tells the store's failure (the batch not
// durable) from the request's own end (the calls before it accepted) by that.
func withDeadline(h http.Handler, d time.Duration) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithCancel(r.Context())
		defer cancel()
		timer := time.AfterFunc(d, cancel)
		defer timer.Stop()
		h.ServeHTTP(w, r.WithContext(ctx))
	})
}
