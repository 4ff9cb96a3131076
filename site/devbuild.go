package site

import (
	"context"
	"fmt"
	"maps"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vergehq/verge/assets"
	"github.com/vergehq/verge/internal/diag"
	"github.com/vergehq/verge/render"
)

// devBuild is one build of the dev server, held in memory: nothing of it
// is written to disk. It is never modified once made; a rebuild makes a
// new one that shares what did not change.
type devBuild struct {
	b        *buildState
	res      *assets.Result
	versions *versionSet
	pages    map[string]*devPage     // by URL path of the file, "/posts/a/index.html"
	files    map[string]*assets.File // asset and static outputs by URL path
	seq      int                     // counts good builds
	// lazy holds the pages not rendered yet; nil once the build is
	// complete (see eagerPages).
	lazy *lazyPages
}

// devPage is a rendered page.
type devPage struct {
	job   pageJob
	html  []byte
	tags  []string
	links []render.Link
}

// devBuilder makes devBuilds, each from the last good one and the changes
// since. It is used by one goroutine at a time.
type devBuilder struct {
	s       *Site
	key     string // identifies the site program (see BuildOptions.BuildKey)
	assets  *assets.Builder
	textGen int         // counts .templ text changes: part of every page's site tag
	index   *tagIndex   // of the last good build
	routes  *routeCache // the last expansion of the routes without errors
}

// devResult is the outcome of a rebuild, or of completing one.
type devResult struct {
	build    *devBuild // nil when the build failed
	errs     *diag.List
	changed  []string       // routes whose HTML changed, appeared or vanished
	assets   []*assets.File // outputs whose bytes changed, or that appeared
	rendered []string       // output paths rendered
	stopped  bool           // complete gave up for newer changes
	took     time.Duration
	phases   []Phase
}

func newDevBuilder(s *Site, key string) *devBuilder {
	return &devBuilder{s: s, key: key, index: newTagIndex()}
}

// close releases esbuild's context.
func (d *devBuilder) close() {
	if d.assets != nil {
		d.assets.Dispose()
	}
}

// build makes the next build from old (nil: from scratch) and ch. When
// more than eagerPages pages need rendering, only those open in a browser
// (open, by output path) are rendered: the build comes back with the
// others lazy, for complete to finish.
func (d *devBuilder) build(ctx context.Context, old *devBuild, ch *changeSet, open map[string]bool) devResult {
	start := time.Now()
	t := newTimer()
	s := d.s
	var errs diag.List
	res := devResult{errs: &errs}
	if old == nil || ch.all || ch.has(filepath.Join(s.root, ConfigFile)) {
		s.cfg, s.cfgErr = LoadConfig(s.root)
		old, ch = nil, &changeSet{all: true, paths: ch.paths, templ: ch.templ}
		d.close()
		d.assets = nil
	}
	if s.cfgErr != nil {
		errs.AddErr(ConfigFile, s.cfgErr)
		return res
	}
	for _, e := range s.declErrs.Items() {
		errs.Add(e)
	}
	if ch.templ {
		d.textGen++
	}
	b, err := s.newBuildState(fmt.Sprintf("%s/text-%d", d.key, d.textGen))
	if err != nil {
		errs.AddErr("", err)
		return res
	}

	// Assets, if they may have changed, alongside content.
	var ares *assets.Result
	var wg sync.WaitGroup
	if old == nil || ch.touches(filepath.Join(s.root, "assets")) || ch.touches(filepath.Join(s.root, "static")) {
		wg.Go(func() {
			if d.assets == nil {
				ab, err := assets.NewBuilder(d.assetOptions())
				if err != nil {
					errs.AddErr("assets", err)
					return
				}
				d.assets = ab
			}
			r, err := d.assets.BuildChanged(ctx, assetChanges(old, ch))
			errs.AddErr("assets", err)
			ares = r
		})
	} else {
		ares = old.res
	}
	for _, l := range s.loaders {
		if r, ok := l.(reloader); ok && old != nil {
			r.reload(b, old.b, ch, &errs)
		} else {
			l.load(b, &errs)
		}
	}
	res.phases = append(res.phases, t.lap("content"))
	wg.Wait()
	res.phases = append(res.phases, t.lap("assets"))
	if errs.Len() > 0 {
		return res
	}
	b.assets = assetLookup{res: ares, stable: true}

	nb := &devBuild{b: b, res: ares, pages: map[string]*devPage{}, files: map[string]*assets.File{}}
	if old != nil {
		nb.seq = old.seq
		nb.versions = devVersions(b, old.versions, old.res)
	} else {
		nb.versions = devVersions(b, nil, nil)
	}
	nb.seq++
	for _, f := range ares.Files {
		nb.files[f.Path] = f
	}
	var prevRoutes *routeCache
	if old != nil {
		prevRoutes = d.routes
	}
	jobs, routes := s.expandRoutesReusing(b, prevRoutes, &errs)
	if errs.Len() > 0 {
		return res
	}
	d.routes = routes
	res.phases = append(res.phases, t.lap("routes"))
	res.rendered = d.renderPages(ctx, b, old, nb, jobs, open, &errs)
	res.phases = append(res.phases, t.lap("render"))
	if errs.Len() > 0 {
		return res
	}
	if nb.lazy != nil {
		res.build = nb
		res.changed, res.assets = diffBuilds(old, nb, res.rendered, nil)
		res.took = time.Since(start)
		return res
	}
	d.finish(old, nb, res.rendered, nil, &res)
	res.phases = append(res.phases, t.lap("check"))
	res.took = time.Since(start)
	return res
}

// complete renders the lazy pages of nb, built from old with eager pages
// rendered, and returns the complete build; changed lists only what
// changed among the pages rendered now. It gives up as soon as stop
// reports newer changes, which a new build will include: res.build is
// then nil and res.stopped set.
func (d *devBuilder) complete(old, nb *devBuild, eager []string, stop func() bool) devResult {
	start := time.Now()
	var errs diag.List
	res := devResult{errs: &errs}
	paths := nb.lazy.paths()
	// One core fewer than the machine has: the pages a browser asks for
	// meanwhile, and a recompile of the site, should not queue behind it.
	workers := max(1, runtime.GOMAXPROCS(0)-1)
	var next atomic.Int64
	var stopped atomic.Bool
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= len(paths) {
					return
				}
				if stop() || nb.lazy.ctx.Err() != nil {
					stopped.Store(true) // newer changes, or shutting down
					return
				}
				if _, err, _ := nb.lazy.get(paths[i]); err != nil {
					reportPageErr(nb.b, nb.lazy.pages[paths[i]].job, err, &errs)
				}
			}
		})
	}
	wg.Wait()
	if stopped.Load() {
		res.stopped = true
		return res
	}
	if errs.Len() > 0 {
		return res
	}
	full := *nb
	full.lazy = nil
	full.pages = make(map[string]*devPage, len(nb.pages)+len(paths))
	for p, pg := range nb.pages {
		full.pages[p] = pg
	}
	for _, p := range paths {
		full.pages[p] = nb.lazy.pages[p].page
	}
	res.rendered = paths
	d.finish(old, &full, append(slices.Clip(eager), paths...), paths, &res)
	res.took = time.Since(start)
	return res
}

// finish checks a complete build and makes it the base of the next:
// rendered are all the pages rendered for it, report those whose changes
// are still to be announced.
func (d *devBuilder) finish(old, nb *devBuild, rendered, report []string, res *devResult) {
	removed := removedPages(old, nb)
	d.checkOutput(old, nb, rendered, removed, res.errs)
	if res.errs.Len() > 0 {
		return
	}
	if report == nil {
		report = rendered
		res.changed, res.assets = diffBuilds(old, nb, report, removed)
	} else {
		res.changed, _ = diffBuilds(old, nb, report, removed)
	}
	d.index.update(old, nb, rendered, removed)
	res.build = nb
}

// assetOptions are the site's asset options for the dev server: stable
// URLs (see assetLookup) and one esbuild context per entry.
func (d *devBuilder) assetOptions() assets.Options {
	o := d.s.assetOptions()
	o.StableNames, o.PerEntry = true, true
	return o
}

// assetChanges are the changed paths for the asset builder: nil (all)
// for a first build or a rescan.
func assetChanges(old *devBuild, ch *changeSet) []string {
	if old == nil || ch.all {
		return nil
	}
	out := make([]string, 0, len(ch.paths))
	for p := range ch.paths {
		out = append(out, p)
	}
	return out
}

// reloader is a loader that can reuse what an earlier build loaded.
type reloader interface {
	reload(b, old *buildState, ch *changeSet, errs *diag.List)
}

// renderPages renders the jobs that are new or whose dependencies changed
// since old, and takes the others from old. It returns the output paths
// it rendered.
func (d *devBuilder) renderPages(ctx context.Context, b *buildState, old, nb *devBuild, jobs []pageJob, open map[string]bool, errs *diag.List) []string {
	dirty := d.index.dirty(old, nb)
	var stale []pageJob
	if old != nil {
		// Most pages stay as they were: start from a copy of old's and
		// drop what does not.
		nb.pages = maps.Clone(old.pages)
	}
	known := 0 // jobs with a page in old: when all old's pages have one, none went
	for _, j := range jobs {
		if old == nil {
			stale = append(stale, j)
			continue
		}
		op := old.pages[j.out]
		if op != nil {
			known++
			if !dirty[j.out] && op.job.route == j.route {
				continue
			}
		}
		delete(nb.pages, j.out)
		stale = append(stale, j)
	}
	if old != nil && known != len(old.pages) {
		seen := make(map[string]bool, len(jobs))
		for _, j := range jobs {
			seen[j.out] = true
		}
		for p := range nb.pages {
			if !seen[p] {
				delete(nb.pages, p) // a page no route produces any more
			}
		}
	}
	var todo []render.Page
	var todoJobs, later []pageJob
	for _, j := range stale {
		if len(stale) > eagerPages && !open[j.out] {
			later = append(later, j)
			continue
		}
		todo = append(todo, render.Page{Route: j.route, Render: d.s.pageRenderer(b, j)})
		todoJobs = append(todoJobs, j)
	}
	r := render.New(render.Options{
		Minify: d.s.cfg.Build.Minify,
		Asset: func(ref string) (string, string, bool) {
			f, ok := b.assets.sourceRef(ref)
			if !ok {
				return "", "", false
			}
			return f.Path, "", true
		},
		ImageSize: newImageSizes(b.assets).size,
	})
	var mu sync.Mutex
	rendered := make([]string, 0, len(todo))
	r.RenderAll(ctx, todo, func(k int, o render.Output) {
		j := todoJobs[k]
		if o.Err != nil {
			reportPageErr(b, j, o.Err, errs)
			return
		}
		tags := o.Tags
		if len(o.Assets) > 0 {
			tags = addAssetTags(b, tags, o.Assets)
		}
		p := j.out
		mu.Lock()
		nb.pages[p] = &devPage{job: j, html: o.HTML, tags: tags, links: o.Links}
		rendered = append(rendered, p)
		mu.Unlock()
	})
	if ctx.Err() != nil {
		errs.AddErr("", ctx.Err())
	}
	if len(later) > 0 {
		nb.lazy = newLazyPages(ctx, d.s, b, r, later)
	}
	return rendered
}
