package main

import (
	"crypto/subtle"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"

	"github.com/clientele-go/clientele"
)

// The server's outer layer: every reply is JSON (the mux's own 404 and 405 included),
// every request is logged, and the bearer token, when configured, is checked before
// any handler runs. A team starting from this example keeps these three whole.

// errorBody is the one shape of every error reply: a sentence for people and a code for
// programs, the HTTP status text in snake case ("not_found", "method_not_allowed"). Both
// are strings, so a client may decode any error into a map[string]string.
type errorBody struct {
	Error string `json:"error"`
	Code  string `json:"code"`
}

// errorCode is the code of a status: http.StatusText in snake case.
func errorCode(status int) string {
	return strings.ReplaceAll(strings.ToLower(strings.ReplaceAll(http.StatusText(status), "-", " ")), " ", "_")
}

// guard wraps the routes.
type guard struct {
	mux   *http.ServeMux
	clock clientele.Clock // times requests for the log
	token string          // empty: no bearer token (the server then listens on loopback only)
	log   *slog.Logger
}

// open reports whether a path is reachable without the bearer token: the health check,
// and Segment's tracking API, which authenticates with a source's write key instead.
func open(path string) bool {
	_, tracking := trackingPaths[path]
	return path == "/healthz" || tracking
}

func (g guard) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := g.clock.Now()
	rec := &statusWriter{ResponseWriter: w, status: http.StatusOK}
	defer func() {
		g.log.Info("request", "method", r.Method, "path", r.URL.Path, "status", rec.status,
			"bytes", rec.bytes, "duration", g.clock.Now().Sub(start), "remote", r.RemoteAddr)
	}()
	if g.token != "" && !open(r.URL.Path) && !bearerMatches(r, g.token) {
		// Every guarded path answers 401 alike, whether or not the profile or segment
		// exists, so that ids cannot be walked without the token.
		rec.Header().Set("WWW-Authenticate", `Bearer realm="clientele"`)
		fail(rec, http.StatusUnauthorized, "missing or wrong bearer token (Authorization: Bearer <token>)")
		return
	}
	h, pattern := g.mux.Handler(r)
	if pattern == "" {
		// No route matched: the mux would answer 404 or 405 in plain text. Run its
		// handler against a blank writer only to learn which, and the Allow header.
		probe := &probeWriter{header: http.Header{}}
		h.ServeHTTP(probe, r)
		switch probe.status {
		case http.StatusMethodNotAllowed:
			rec.Header().Set("Allow", probe.header.Get("Allow"))
			fail(rec, http.StatusMethodNotAllowed, "%s is not allowed on %s (allowed: %s)", r.Method, r.URL.Path, probe.header.Get("Allow"))
		case http.StatusNotFound, 0:
			fail(rec, http.StatusNotFound, "no endpoint %s %s", r.Method, r.URL.Path)
		default:
			fail(rec, probe.status, "%s", strings.TrimSpace(probe.body.String()))
		}
		return
	}
	if _, tracking := trackingPaths[r.URL.Path]; !tracking && !queryReadWhole(rec, r) {
		return
	}
	// The mux itself serves a matched route, since only it sets the path values.
	g.mux.ServeHTTP(rec, r)
}

// queryReadWhole reports whether the request's query reads whole, and answers 400 if
// not. The handlers read it with URL.Query, which drops what it cannot parse: a stray
// '%' or a ';' left a parameter out, so "limit=1%" listed 100 members and
// "steps=page;signup" answered that step 1 is empty. No endpoint takes a parameter
// twice, and each read the first alone: "steps=page&steps=signup" answered the funnel
// of page alone, for other steps than asked. The tracking API is not held to it: it
// reads no query, and a tracker's call refused for one would be dropped (Segment's
// libraries drop what a 4xx refuses).
func queryReadWhole(w http.ResponseWriter, r *http.Request) bool {
	query, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		fail(w, http.StatusBadRequest, "query %q: %v (separate parameters with &, and write %% as %%25, ; as %%3B)", r.URL.RawQuery, err)
		return false
	}
	for key, values := range query {
		if len(values) > 1 {
			hint := ""
			if key == "steps" {
				hint = ", its events separated by commas: steps=page,signup"
			}
			fail(w, http.StatusBadRequest, "query parameter %q is given %d times; give it once%s", key, len(values), hint)
			return false
		}
	}
	return true
}

// bearerMatches says whether the request carries the token. The scheme's name is
// case-insensitive (RFC 9110, section 11.1): a client writing "bearer" was refused.
func bearerMatches(r *http.Request, token string) bool {
	scheme, got, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	return ok && strings.EqualFold(scheme, "Bearer") && subtle.ConstantTimeCompare([]byte(got), []byte(token)) == 1
}

// statusWriter remembers the status and size of a reply for the log.
type statusWriter struct {
	http.ResponseWriter
	status, bytes int
}

func (s *statusWriter) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusWriter) Write(p []byte) (int, error) {
	n, err := s.ResponseWriter.Write(p)
	s.bytes += n
	return n, err
}

// Unwrap lets http.ResponseController and http.MaxBytesReader reach the connection.
func (s *statusWriter) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// probeWriter records what the mux's fallback handler would have written.
type probeWriter struct {
	header http.Header
	status int
	body   strings.Builder
}

func (p *probeWriter) Header() http.Header { return p.header }
func (p *probeWriter) WriteHeader(code int) {
	if p.status == 0 {
		p.status = code
	}
}
func (p *probeWriter) Write(b []byte) (int, error) {
	if p.status == 0 {
		p.status = http.StatusOK
	}
	return p.body.Write(b)
}

// checkListen refuses a non-loopback address when no token is configured: profiles hold
// e-mail addresses and phone numbers, and without a token anyone who can reach the port
// could read them all.
func checkListen(addr, token string) error {
	if token != "" {
		return nil
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("address %q: %w", addr, err)
	}
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("refusing to listen on %q without a token: profiles hold personal data; set -token or %s, or listen on localhost", addr, tokenEnv)
}
