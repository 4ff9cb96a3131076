package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/vergehq/verge/edge/deploy"
	"github.com/vergehq/verge/internal/gosite"
	"github.com/vergehq/verge/internal/supervise"
)

func newOriginCmd() *cobra.Command {
	var listen string
	cmd := &cobra.Command{
		Use:   "origin [DIR]",
		Short: "Run the site's API functions alone, for hosting behind a CDN or verge edge",
		Long: `Origin compiles the site program and serves its API functions against its
content: each within its declared method, timeout, request-body limit and
concurrency (beyond it: 429 with Retry-After), a panic answered with a 500 and
logged, never a crash. Responses carry a Cache-Tag for the content the function
read and the cache headers its policy declares; non-GET responses are never
cacheable. Access logs are JSON lines on stderr.

With VERGE_WEBHOOK_TOKEN in the environment, the origin also takes purges from
a CMS: POST /_verge/purge with "Authorization: Bearer TOKEN" and a JSON body
{"tags": [...], "urls": [...], "content": ["content/posts/x.md"],
"everything": false}. Purges go through the site's outboxes, as verge purge
does: on disk before the 202 answer, then sent, and retried until sent.

The site program is supervised: when it dies (a panic in a goroutine a
function started, which Go cannot recover, or any crash) the log says why and
it starts again, after 100 ms, doubling to 10 s while it keeps dying at start;
meanwhile requests get 503 with Retry-After, never a refused connection, so a
CDN's stale-if-error covers them. SIGTERM or SIGINT stops it gracefully (10 s,
then SIGKILL); on Linux it dies with verge, even on kill -9.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runOrigin(cmd, dirArg(args), listen, os.Getenv("VERGE_WEBHOOK_TOKEN"))
		},
	}
	cmd.Flags().StringVar(&listen, "listen", "127.0.0.1:8081", "address to listen on")
	return cmd
}

// runOrigin serves the site's functions on listen from the site program,
// supervised: restarted when it dies, with 503s meanwhile. With a webhook
// token, verge serves the purge webhook on listen itself, and every other
// request through to the program on a loopback port.
func runOrigin(cmd *cobra.Command, dir, listen, token string) error {
	ctx := cmd.Context()
	abs, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	cache, err := gosite.CacheDir(abs)
	if err != nil {
		return err
	}
	bin, _, err := gosite.Build(ctx, abs, cache)
	if err != nil {
		printDiagnostics(cmd.ErrOrStderr(), "compile", err)
		return exitError{code: 1}
	}
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return fmt.Errorf("origin: listen on %s: %w (pass --listen with a free address)", listen, err)
	}
	defer ln.Close()
	cfg := supervise.Config{Root: abs, Bin: bin, Args: []string{"origin"}, Output: cmd.ErrOrStderr(), Log: cmd.ErrOrStderr()}
	if token == "" {
		cfg.Listener = ln.(*net.TCPListener)
		return supervise.Run(ctx, cfg)
	}

	// The program serves on a loopback socket of its own, behind verge.
	back, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	defer back.Close()
	cfg.Listener = back.(*net.TCPListener)
	sctx, stopSite := context.WithCancel(ctx)
	supervised, ready := make(chan error, 1), make(chan struct{})
	cfg.Ready = func() { close(ready) }
	go func() { supervised <- supervise.Run(sctx, cfg) }()
	defer func() { stopSite(); <-supervised }()
	select { // until the program serves, connections wait in the backlog
	case <-ready:
	case err := <-supervised:
		supervised <- err
		return err
	case <-ctx.Done():
		return nil
	}

	hook := deploy.NewWebhook(deploySite(abs), token, cmd.ErrOrStderr())
	go hook.Run(ctx, 5*time.Second)
	srv := &http.Server{Handler: hook.Front(back.Addr().String()), ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute}
	fmt.Fprintf(cmd.OutOrStdout(), "serving the functions and the purge webhook (POST %s) on http://%s/\n", deploy.WebhookPath, ln.Addr())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case err := <-done:
		return err
	case err := <-supervised:
		supervised <- err // for the deferred wait
		return err
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		return srv.Shutdown(sctx)
	}
}
