package devserve

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"

	"github.com/vergehq/verge/edge"
	"github.com/vergehq/verge/internal/gosite"
	"github.com/vergehq/verge/site"
)

// RunProd serves the site exactly as production would, until ctx is done:
// it builds it into a temporary directory, deploys that into a temporary
// local store, and serves it through the edge server, with the site's API
// functions run by its program in origin mode behind it. Nothing of it
// watches for changes: it is the check before a deploy.
func RunProd(ctx context.Context, opts Options) error {
	root, cache, err := opts.resolve()
	if err != nil {
		return err
	}
	ln, err := site.Listen(opts.Port)
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
	if err := build.Run(); err != nil {
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

	// The origin: the site program serving its functions on a free port.
	origin, err := gosite.StartOrigin(ctx, root, bin, opts.Stderr)
	if err != nil {
		return fmt.Errorf("the site's origin did not start: %w", err)
	}
	defer origin.Stop()

	sv := edge.NewServer(store)
	sv.SetOrigin(&url.URL{Scheme: "http", Host: origin.Addr})
	fmt.Fprintf(opts.Stdout, "serving http://%s/  (production build %s, through the local edge; functions at the origin)\n", ln.Addr(), rep.Version)
	return edge.Serve(ctx, ln, sv, edge.ServeOptions{Fast: sv})
}
