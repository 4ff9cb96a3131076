package site

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"time"

	"github.com/vergehq/verge/internal/engine"
	"github.com/vergehq/verge/internal/protocol"
)

// Origin is an http.Handler serving a site's API functions against its
// content, for hosting them behind a CDN or the Verge edge: the site's
// content is loaded once, when the Origin is made.
type Origin struct {
	rt *funcRuntime
}

// NewOrigin loads the site's content and returns the handler of its
// functions; access and error logs go to log. Bad content is an error,
// a *BuildError, as for a build.
func NewOrigin(ctx context.Context, s *Site, log *slog.Logger, opts ...OriginOption) (*Origin, error) {
	var cfg originConfig
	for _, o := range opts {
		o(&cfg)
	}
	b, err := engine.LoadContent(ctx, s.engineSite(), cfg.buildKey)
	if err != nil {
		return nil, err
	}
	return &Origin{rt: newFuncRuntime(s.funcs, log, func() *engine.Build { return b })}, nil
}

// An OriginOption configures NewOrigin.
type OriginOption func(*originConfig)

type originConfig struct{ buildKey string }

// OriginBuildKey identifies the site program, as BuildOptions.BuildKey
// does for a build: content state is reused only from the same program.
func OriginBuildKey(key string) OriginOption {
	return func(c *originConfig) { c.buildKey = key }
}

// ServeHTTP serves the functions; any other path is a 404, a method a
// function does not take a 405.
func (o *Origin) ServeHTTP(w http.ResponseWriter, r *http.Request) { o.rt.ServeHTTP(w, r) }

func runOrigin(ctx context.Context, s *Site, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("origin", flag.ContinueOnError)
	fs.SetOutput(stderr)
	listen := fs.String("listen", "127.0.0.1:8081", "address to listen on")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	log := slog.New(slog.NewJSONHandler(stderr, nil))
	// The environment is read here, in the program's command line, not in
	// NewOrigin, a library call.
	o, err := NewOrigin(ctx, s, log, OriginBuildKey(os.Getenv(protocol.EnvBuildKey)))
	if err != nil {
		printBuildError(stderr, err)
		return 1
	}
	ln, err := originListen(*listen) // supervise.go
	if err != nil {
		fmt.Fprintf(stderr, "origin: listen on %s: %v (pass --listen with a free address)\n", *listen, err)
		return 1
	}
	srv := &http.Server{Handler: o, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute}
	fmt.Fprintf(stdout, "serving %d functions on http://%s/\n", len(s.funcs), ln.Addr())
	done := make(chan error, 1)
	protocol.SignalReady() // supervise.go: connections wait in the backlog until Serve accepts
	go func() { done <- srv.Serve(ln) }()
	select {
	case err := <-done:
		fmt.Fprintln(stderr, "origin:", err)
		return 1
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
			return 1
		}
		return 0
	}
}
