package engine

// This file holds the one pipeline every build runs, to disk (verge
// build), in memory (verge serve, and the origin's content): load
// content -> expand routes -> render -> check -> write or serve. A
// build's target decides only where its previous state comes from (dist/
// and its manifest, or the last in-memory build) and where its output
// goes (a directory committed atomically, or memory the dev server
// serves); the stages and their order are the pipeline's.

import (
	"context"

	"github.com/vergehq/verge/assets"
	"github.com/vergehq/verge/internal/diag"
	"github.com/vergehq/verge/render"
)

// target is one end of the pipeline: the previous state a build reuses,
// and where its pages go.
type target interface {
	// previous is what the build reuses: the last build's loaded state
	// and assets, what changed on disk since, and how it expanded its
	// routes (each nil for none: every source loads afresh).
	previous() (b *Build, res *assets.Result, ch *ChangeSet, routes *routeCache)
	// streaming reports whether no later build reuses this one's content
	// (see Build.Streaming).
	streaming() bool
	// assets makes the build's assets.
	assets() assetStage
	// loaded sees the loaded build before its routes are expanded; done
	// reports that the target already holds this build's output, which
	// ends the pipeline.
	loaded(b *Build) (done bool, err error)
	// plan takes the expanded pages (and the expansion, for the next
	// build): it keeps those the previous state proves unchanged and
	// returns the others, to render.
	plan(b *Build, jobs []PageJob, routes *routeCache, errs *diag.List) []PageJob
	// render renders todo (with renderStage) into the target.
	render(ctx context.Context, b *Build, todo []PageJob, errs *diag.List)
	// finish checks the output and writes or serves it.
	finish(ctx context.Context, b *Build, errs *diag.List) error
}

// run builds s under cfg, by the site program key, into t. A build with
// problems stops at the end of the stage that found them: rendering on
// top of broken content or assets would only repeat the same problems
// page by page. The problems are in errs; err is a failure of the
// target's own (writing the output, say).
//
// The load stage's phases go to phases; the target times its own stages.
func run(ctx context.Context, s *Site, cfg *Config, key string, t target, tm *timer, prog *progress, phases *[]Phase, errs *diag.List) error {
	oldB, oldAssets, ch, oldRoutes := t.previous()
	b, loadPhases := loadStage(ctx, s, cfg, key, t.streaming(), oldB, oldAssets, ch, t.assets(), tm, prog, errs)
	*phases = append(*phases, loadPhases...)
	if errs.Len() > 0 {
		return nil
	}
	if done, err := t.loaded(b); done || err != nil {
		return err
	}
	jobs, routes := expandRoutes(s, b, oldRoutes, errs)
	todo := t.plan(b, jobs, routes, errs)
	if errs.Len() > 0 {
		return nil
	}
	t.render(ctx, b, todo, errs)
	if errs.Len() > 0 {
		return nil
	}
	return t.finish(ctx, b, errs)
}

// renderStage renders todo in parallel with r, and hands each page that
// rendered to page (from any goroutine; k is its index in todo) with the
// tags and facts it read, the assets its HTML refers to included; each
// failing page is reported at its source.
func renderStage(ctx context.Context, b *Build, r *render.Renderer, todo []PageJob, prog *progress, errs *diag.List,
	page func(k int, j PageJob, o pageOutput)) {
	renderPages(ctx, b, r, todo, func(k int, o pageOutput) {
		defer prog.tick()
		j := todo[k]
		if o.Err != nil {
			reportPageErr(b, j, o.Err, errs)
			return
		}
		page(k, j, o)
	}, true)
	if ctx.Err() != nil {
		errs.AddErr("", ctx.Err())
	}
}
