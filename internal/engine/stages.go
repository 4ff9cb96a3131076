package engine

// This file holds the stages every build runs, to disk or in memory: the
// load stage (the content, each source reloaded from the last build where
// it can, beside the assets), and the renderer the render stage uses. The
// expand stage is routecache.go, the check stage links.go.

import (
	"context"
	"sync"

	"github.com/vergehq/verge/assets"
	"github.com/vergehq/verge/internal/diag"
	"github.com/vergehq/verge/render"
)

// assetStage builds a build's assets: all at once for the build to disk,
// incrementally (and with stable URLs) for the dev server.
type assetStage interface {
	// build returns the assets of a build under cfg, given those of the
	// last build (nil: none) and what changed since.
	build(ctx context.Context, cfg *Config, old *assets.Result, ch *ChangeSet) (*assets.Result, error)
	// stable reports whether the asset URLs carry no hash (see
	// AssetLookup.Stable).
	stable() bool
}

// allAssets bundles every asset afresh, with fingerprinted URLs.
type allAssets struct{}

func (allAssets) build(ctx context.Context, cfg *Config, _ *assets.Result, _ *ChangeSet) (*assets.Result, error) {
	return assets.Build(ctx, cfg.Assets)
}

func (allAssets) stable() bool { return false }

// changedAssets rebuilds only the assets a change touches, keeping
// esbuild's contexts between builds; URLs are stable.
type changedAssets struct {
	root    string
	builder *assets.Builder // nil until the first build, and after reset
}

func (a *changedAssets) build(ctx context.Context, cfg *Config, old *assets.Result, ch *ChangeSet) (*assets.Result, error) {
	if old != nil && !ch.Touches(inDir(a.root, "assets")) && !ch.Touches(inDir(a.root, "static")) {
		return old, nil
	}
	if a.builder == nil {
		b, err := assets.NewBuilder(devAssetOptions(cfg))
		if err != nil {
			return nil, err
		}
		a.builder = b
	}
	var changed []string // nil: all, for a first build or a rescan
	if old != nil && !ch.All {
		changed = make([]string, 0, len(ch.Paths))
		for p := range ch.Paths {
			changed = append(changed, p)
		}
	}
	return a.builder.BuildChanged(ctx, changed)
}

func (a *changedAssets) stable() bool { return true }

// reset releases esbuild's contexts; the next build starts afresh.
func (a *changedAssets) reset() {
	if a.builder != nil {
		a.builder.Dispose()
		a.builder = nil
	}
}

// devAssetOptions are the site's asset options for the dev server:
// stable URLs (see AssetLookup) and one esbuild context per entry.
func devAssetOptions(cfg *Config) assets.Options {
	o := cfg.Assets
	o.StableNames, o.PerEntry = true, true
	return o
}

// loadStage makes the state of a build of s under cfg by the site
// program key: it loads the content, each source reusing what it loaded
// into old when it can (old nil: none), while the assets build beside it
// from oldAssets. Problems go to errs; the build is usable only when
// there are none.
func loadStage(ctx context.Context, s *Site, cfg *Config, key string, streaming bool, old *Build, oldAssets *assets.Result, ch *ChangeSet,
	as assetStage, t *timer, prog *progress, errs *diag.List) (*Build, []Phase) {
	for _, d := range s.DeclErrs {
		errs.Add(d)
	}
	b := newBuild(s, cfg, key)
	b.Streaming = streaming
	// Assets do not depend on content: bundle them while content loads.
	var res *assets.Result
	var wg sync.WaitGroup
	wg.Go(func() {
		var err error
		res, err = as.build(ctx, cfg, oldAssets, ch)
		errs.AddErr("assets", err)
	})
	for _, l := range s.Loaders {
		if r, ok := l.(Reloader); ok && old != nil {
			r.Reload(b, old, ch, errs)
		} else {
			l.Load(b, errs)
		}
	}
	phases := []Phase{t.lap("content")}
	prog.line("content loaded")
	wg.Wait()
	b.Assets = AssetLookup{Res: res, Stable: as.stable()}
	phases = append(phases, t.lap("assets"))
	prog.line("assets built")
	return b, phases
}

// newRenderer is the renderer of b's pages: asset references written as
// source paths become the built URLs (with SRI where the build has it),
// images get their size.
func newRenderer(b *Build) *render.Renderer {
	return render.New(render.Options{
		Minify: b.Config.Minify,
		Asset: func(ref string) (string, string, bool) {
			f, ok := b.Assets.sourceRef(ref)
			if !ok {
				return "", "", false
			}
			return f.Path, b.Assets.Integrity(f), true
		},
		ImageSize: newImageSizes(b.Assets).size,
	})
}
