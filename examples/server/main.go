// Command server is an HTTP service that embeds the SDK: it takes tracker calls, resolves
// identities, keeps audiences live and answers funnel questions. It shows how the
// packages plug into a host: one identity.Resolver whose merges are forwarded to one
// segment.Index, events kept for funnels, and the time of every query from a Clock.
//
//	go run ./examples/server -addr localhost:8080 [-data ./identity.log]
//
// Endpoints (JSON in and out):
//
//	POST /v1/events                 Segment-spec calls, one JSON object a line (at most 1 MiB)
//	GET  /v1/profiles/{id}          a profile's identifiers and audiences
//	GET  /v1/lookup?kind=&value=    the profile holding an identifier
//	PUT  /v1/segments/{name}        save an audience; the body is its query
//	GET  /v1/segments/{name}        its members now (?limit=, default 100)
//	GET  /v1/changes                who entered and exited each audience since the last call
//	GET  /v1/funnel?steps=a,b,c&window=168h   an ordered funnel over the recorded events
//	GET  /healthz
//
// SIGINT or SIGTERM stops it gracefully: requests in flight finish, then the identity
// store is closed.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/clientele-go/clientele"
	"github.com/clientele-go/clientele/identity"
)

func main() {
	addr := flag.String("addr", "localhost:8080", "address to listen on")
	data := flag.String("data", "", "file of the durable identity log (empty: in memory)")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, *addr, *data); err != nil {
		log.Fatal(err)
	}
}

func run(ctx context.Context, addr, data string) error {
	var opts []identity.Option
	if data != "" {
		fs, err := identity.OpenFileStore(data, nil)
		if err != nil {
			return err
		}
		defer fs.Close()
		opts = append(opts, identity.WithStore(fs))
	}
	s, err := newServer(clientele.SystemClock{}, opts...)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	log.Printf("listening on http://%s", ln.Addr())
	return serve(ctx, ln, s)
}

// serve answers on ln until ctx is done, then shuts down gracefully: it stops accepting,
// lets requests in flight finish (for up to ten seconds) and returns.
func serve(ctx context.Context, ln net.Listener, s *server) error {
	srv := &http.Server{
		Handler:           s.routes(),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-done; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
