package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/vergehq/verge/internal/gosite"
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
does: on disk before the 202 answer, then sent, and retried until sent.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			dir := dirArg(args)
			token := os.Getenv("VERGE_WEBHOOK_TOKEN")
			if token == "" {
				return runSite(cmd, dir, []string{"origin", "--listen", listen}, true)
			}
			return runOriginWithWebhook(cmd, dir, listen, token)
		},
	}
	cmd.Flags().StringVar(&listen, "listen", "127.0.0.1:8081", "address to listen on")
	return cmd
}

// runOriginWithWebhook serves the purge webhook on listen, and every
// other request through to the site program's origin on a loopback port.
func runOriginWithWebhook(cmd *cobra.Command, dir, listen, token string) error {
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
		return fmt.Errorf("origin: listen on %s: %v (pass --listen with a free address)", listen, err)
	}
	site, err := gosite.StartOrigin(ctx, abs, bin, cmd.ErrOrStderr())
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		return exitError{code: ee.ExitCode()} // it said why on stderr
	case err != nil:
		return fmt.Errorf("the site program's origin did not start: %w", err)
	}
	defer site.Stop()
	hook := &purgeWebhook{dir: abs, token: token, log: cmd.ErrOrStderr(), kick: make(chan struct{}, 1)}
	go hook.send(ctx, 5*time.Second)
	mux := http.NewServeMux()
	mux.Handle("POST "+webhookPath, hook)
	mux.Handle("/", httputil.NewSingleHostReverseProxy(&url.URL{Scheme: "http", Host: site.Addr}))
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute}
	fmt.Fprintf(cmd.OutOrStdout(), "serving the functions and the purge webhook (POST %s) on http://%s/\n", webhookPath, ln.Addr())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case err := <-done:
		return err
	case <-site.Done():
		return fmt.Errorf("the site program's origin stopped: %v", site.Err())
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		return srv.Shutdown(sctx)
	}
}
