package devserve

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"

	"github.com/vergehq/verge/edge"
	"github.com/vergehq/verge/internal/childproc"
	"github.com/vergehq/verge/internal/devserver"
	"github.com/vergehq/verge/internal/gosite"
	"github.com/vergehq/verge/internal/supervise"
)

// RunProd serves the site exactly as production would, until ctx is done:
// it builds it into a temporary directory, deploys that into a temporary
// local store, and serves it through the edge server, with the site's API
// functions run by its program in origin mode behind it. Nothing of it
// watches for changes: it is the check before a deploy. The program is
// supervised as by verge origin, and stopped before RunProd returns.
func RunProd(ctx context.Context, opts Options) error {
	root, cache, err := opts.resolve()
	if err != nil {
		return err
	}
	ln, err := devserver.Listen(opts.Port)
	if err != nil {
		return err
	}
	defer ln.Close()
	work, err := os.MkdirTemp("", "verge-prod-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)

	bin, _, err := gosite.Build(ctx, root, cache)
	if err != nil {
		return fmt.Errorf("compile: %w", err)
	}
	dist := filepath.Join(work, "dist")
	build := gosite.Command(ctx, root, bin, "build", "--out", dist, "--quiet")
	build.Stdout, build.Stderr = opts.Stdout, opts.Stderr
	if err := childproc.Run(build); err != nil {
		return fmt.Errorf("build failed: %w", err)
	}
	store, err := edge.OpenStore(filepath.Join(work, "store"))
	if err != nil {
		return err
	}
	rep, err := store.Deploy(ctx, dist, 1)
	if err != nil {
		return err
	}

	// The origin: the site program serving its functions on a loopback
	// socket, supervised (restarted when it dies, 503s meanwhile).
	back, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	defer back.Close()
	octx, stopOrigin := context.WithCancel(ctx)
	supervised, ready := make(chan error, 1), make(chan struct{})
	go func() {
		supervised <- supervise.Run(octx, supervise.Config{Root: root, Bin: bin, Args: []string{"origin"},
			Listener: back.(*net.TCPListener), Output: opts.Stderr, Log: opts.Stderr, Ready: func() { close(ready) }})
	}()
	defer func() { stopOrigin(); <-supervised }()
	select { // the site serves whole, or not yet
	case <-ready:
	case err := <-supervised:
		supervised <- err
		return err
	case <-ctx.Done():
		return nil
	}

	sv := edge.NewServer(store)
	sv.SetOrigin(&url.URL{Scheme: "http", Host: back.Addr().String()})
	fmt.Fprintf(opts.Stdout, "serving http://%s/  (production build %s, through the local edge; functions at the origin)\n", ln.Addr(), rep.Version)
	return edge.Serve(ctx, ln, sv, edge.ServeOptions{Fast: sv})
}
