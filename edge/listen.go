package edge

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/vergehq/verge/edge/front"
)

// ServeOptions configure Serve.
type ServeOptions struct {
	// Fast answers plain requests before net/http sees them (see
	// package front); nil: every request goes to the handler.
	Fast front.Responder
	// Log, when not nil, gets one line per request.
	Log *slog.Logger
}

// Serve serves h on ln until ctx ends, then shuts down gracefully,
// giving requests in progress five seconds.
func Serve(ctx context.Context, ln net.Listener, h http.Handler, o ServeOptions) error {
	if o.Log != nil {
		h = AccessLog(h, o.Log)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute}
	var serve func() error
	var shutdown func(context.Context) error
	if o.Fast != nil {
		fs := &front.Server{Responder: o.Fast, Fallback: srv, ReadHeaderTimeout: srv.ReadHeaderTimeout, IdleTimeout: srv.IdleTimeout,
			WriteTimeout: time.Minute}
		if o.Log != nil {
			fs.Log = frontLog(o.Log)
		}
		serve = func() error { return fs.Serve(ln) }
		shutdown = fs.Shutdown
	} else {
		serve = func() error { return srv.Serve(ln) }
		shutdown = srv.Shutdown
	}
	done := make(chan error, 1)
	go func() { done <- serve() }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := shutdown(sctx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
			return err
		}
		return nil
	}
}

// frontLog logs what the front end answers as AccessLog does the rest.
func frontLog(log *slog.Logger) front.LogFunc {
	return func(r *front.Request, status int, bytes int64, took time.Duration) {
		log.LogAttrs(context.Background(), slog.LevelInfo, "request",
			slog.String("method", r.Method), slog.String("path", r.RequestURI()),
			slog.Int("status", status), slog.Int64("bytes", bytes),
			slog.Duration("took", took), slog.String("remote", r.RemoteAddr))
	}
}
