package engine

// This file holds the build of the dev server: the same stages as the
// build to disk, in memory, each build made from the last good one and
// the changes since, rendering first what a browser has open.

import (
	"context"
	"fmt"
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

// DevBuild is one build of the dev server, held in memory: nothing of it
// is written to disk. It is never modified once made; a rebuild makes a
// new one that shares what did not change.
type DevBuild struct {
	b        *Build
	res      *assets.Result
	versions *versionSet
	pages    map[string]*DevPage     // by URL path of the file, "/posts/a/index.html"
	files    map[string]*assets.File // asset and static outputs by URL path
	seq      int                     // counts good builds
	// lazy holds the pages not rendered yet; nil once the build is
	// complete (see eagerPages).
	lazy *lazyPages
}

// DevPage is a rendered page.
type DevPage struct {
	Job   PageJob
	HTML  []byte
	tags  []string
	facts Facts
	links []render.Link
}

// Content is the loaded state of the build, which API functions read.
func (nb *DevBuild) Content() *Build { return nb.b }

// Seq counts the good builds up to this one.
func (nb *DevBuild) Seq() int { return nb.seq }

// Lazy is how many of the build's pages are still to render.
func (nb *DevBuild) Lazy() int {
	if nb.lazy == nil {
		return 0
	}
	return len(nb.lazy.pages)
}

// Pages are the rendered pages by output path; read-only.
func (nb *DevBuild) Pages() map[string]*DevPage { return nb.pages }

// Files are the asset and static outputs by URL path; read-only.
func (nb *DevBuild) Files() map[string]*assets.File { return nb.files }

// DevBuilder makes DevBuilds, each from the last good one and the changes
// since. It is used by one goroutine at a time.
type DevBuilder struct {
	s       *Site
	key     string // identifies the site program (see BuildOptions.BuildKey)
	assets  changedAssets
	textGen int         // counts .templ text changes: part of every page's site tag
	index   *tagIndex   // of the last good build
	routes  *routeCache // the last expansion of the routes without errors
}

// DevResult is the outcome of a rebuild, or of completing one.
type DevResult struct {
	Build    *DevBuild // nil when the build failed
	Errs     *diag.List
	Changed  []string       // routes whose HTML changed, appeared or vanished
	Assets   []*assets.File // outputs whose bytes changed, or that appeared
	Rendered []string       // output paths rendered
	Stopped  bool           // Complete gave up for newer changes
	Took     time.Duration
	Phases   []Phase
}

// NewDevBuilder makes the builder of the site program identified by key
// (see BuildOptions.BuildKey).
func NewDevBuilder(s *Site, key string) *DevBuilder {
	return &DevBuilder{s: s, key: key, index: newTagIndex(), assets: changedAssets{root: s.Root}}
}

// Close releases esbuild's context.
func (d *DevBuilder) Close() { d.assets.reset() }

// Build makes the next build from old (nil: from scratch) and ch. When
// more than eagerPages pages need rendering, only those open in a browser
// (open, by output path) are rendered: the build comes back with the
// others lazy, for Complete to finish.
func (d *DevBuilder) Build(ctx context.Context, old *DevBuild, ch *ChangeSet, open map[string]bool) DevResult {
	start := time.Now()
	t := newTimer()
	s := d.s
	var errs diag.List
	res := DevResult{Errs: &errs}
	reload := old == nil || ch.All || ch.Has(filepath.Join(s.Root, ConfigFile))
	if reload {
		old, ch = nil, &ChangeSet{All: true, Paths: ch.Paths, Templ: ch.Templ}
		d.Close()
		d.index = newTagIndex()
	}
	cfg, err := s.Config(reload)
	if err != nil {
		errs.AddErr(ConfigFile, err)
		return res
	}
	if ch.Templ {
		d.textGen++
	}
	m := &memTarget{d: d, old: old, ch: ch, open: open, t: t, res: &res}
	err = run(ctx, s, cfg, fmt.Sprintf("%s/text-%d", d.key, d.textGen), m, t, &progress{}, &res.Phases, &errs)
	errs.AddErr("", err) // a memTarget fails only with diagnostics
	res.Took = time.Since(start)
	return res
}

// memTarget is the pipeline's target for a dev build: the previous state
// is the last good build, in memory, and the changes since; the pages go
// into a new DevBuild that shares what did not change.
type memTarget struct {
	d    *DevBuilder
	old  *DevBuild // nil: from scratch
	ch   *ChangeSet
	open map[string]bool // output paths open in a browser: rendered first
	t    *timer
	res  *DevResult

	nb    *DevBuild
	later []PageJob // pages left lazy
}

// streaming is false: the next build reuses this one's content.
func (m *memTarget) streaming() bool { return false }

func (m *memTarget) previous() (*Build, *assets.Result, *ChangeSet, *routeCache) {
	if m.old == nil {
		return nil, nil, m.ch, nil
	}
	return m.old.b, m.old.res, m.ch, m.d.routes
}

func (m *memTarget) assets() assetStage { return &m.d.assets }

// loaded starts the new build, versioned against the old one.
func (m *memTarget) loaded(b *Build) (bool, error) {
	old := m.old
	ares := b.Assets.Res
	nb := &DevBuild{b: b, res: ares, pages: map[string]*DevPage{}, files: map[string]*assets.File{}}
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
	m.nb = nb
	return false, nil
}

func (m *memTarget) plan(b *Build, jobs []PageJob, routes *routeCache, errs *diag.List) []PageJob {
	if errs.Len() > 0 {
		return nil
	}
	m.d.routes = routes
	m.res.Phases = append(m.res.Phases, m.t.lap("routes"))
	var todo []PageJob
	todo, m.later = m.d.stalePages(m.old, m.nb, jobs, m.open)
	return todo
}

// render renders the pages that matter now; the others are left lazy.
func (m *memTarget) render(ctx context.Context, b *Build, todo []PageJob, errs *diag.List) {
	nb := m.nb
	r := newRenderer(b)
	var mu sync.Mutex
	rendered := make([]string, 0, len(todo))
	renderStage(ctx, b, r, todo, &progress{}, errs, func(_ int, j PageJob, o pageOutput) {
		p := j.Out
		mu.Lock()
		pg := &DevPage{Job: j, HTML: o.HTML, tags: o.Tags, facts: o.facts, links: o.Links}
		nb.pages[p] = pg
		rendered = append(rendered, p)
		mu.Unlock()
		m.d.index.add(nb, p, pg)
	})
	if len(m.later) > 0 {
		index := m.d.index
		nb.lazy = newLazyPages(ctx, b, r, m.later, func(p string, pg *DevPage) { index.add(nb, p, pg) })
	}
	m.res.Rendered = rendered
	m.res.Phases = append(m.res.Phases, m.t.lap("render"))
}

// finish serves a build with lazy pages as it is; a complete one is
// checked and becomes the base of the next.
func (m *memTarget) finish(_ context.Context, _ *Build, _ *diag.List) error {
	res, nb := m.res, m.nb
	if nb.lazy != nil {
		res.Build = nb
		res.Changed, res.Assets = diffBuilds(m.old, nb, res.Rendered, nil)
		return nil
	}
	m.d.finish(m.old, nb, res.Rendered, nil, res)
	res.Phases = append(res.Phases, m.t.lap("check"))
	return nil
}

// Complete renders the lazy pages of nb, built from old with eager pages
// rendered, and returns the complete build; Changed lists only what
// changed among the pages rendered now. It gives up as soon as stop
// reports newer changes, which a new build will include: res.Build is
// then nil and res.Stopped set.
func (d *DevBuilder) Complete(old, nb *DevBuild, eager []string, stop func() bool) DevResult {
	start := time.Now()
	var errs diag.List
	res := DevResult{Errs: &errs}
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
		res.Stopped = true
		return res
	}
	if errs.Len() > 0 {
		return res
	}
	full := *nb
	full.lazy = nil
	full.pages = make(map[string]*DevPage, len(nb.pages)+len(paths))
	for p, pg := range nb.pages {
		full.pages[p] = pg
	}
	for _, p := range paths {
		full.pages[p] = nb.lazy.pages[p].page
	}
	res.Rendered = paths
	d.finish(old, &full, append(slices.Clip(eager), paths...), paths, &res)
	res.Took = time.Since(start)
	return res
}

// finish checks a complete build and makes it the base of the next:
// rendered are all the pages rendered for it, report those whose changes
// are still to be announced.
func (d *DevBuilder) finish(old, nb *DevBuild, rendered, report []string, res *DevResult) {
	removed := removedPages(old, nb)
	d.checkOutput(old, nb, rendered, removed, res.Errs)
	if res.Errs.Len() > 0 {
		return
	}
	if report == nil {
		report = rendered
		res.Changed, res.Assets = diffBuilds(old, nb, report, removed)
	} else {
		res.Changed, _ = diffBuilds(old, nb, report, removed)
	}
	res.Build = nb
}

// stalePages takes into nb the pages old rendered (at once or, while it
// was incomplete, on demand) whose dependencies did not change (no tag
// they read changed, or the facts they read of those that did kept their
// versions), and returns the others: those to render now (all of them,
// or when more than eagerPages, those open in a browser), and those to
// leave lazy. old may itself be incomplete: an edit made while pages
// remain to render costs what it changes, not what remains.
func (d *DevBuilder) stalePages(old, nb *DevBuild, jobs []PageJob, open map[string]bool) (todo, later []PageJob) {
	dirty := d.index.dirty(old, nb)
	var stale []PageJob
	nb.pages = make(map[string]*DevPage, len(jobs))
	for _, j := range jobs {
		if old != nil {
			if op := old.rendered(j.Out); op != nil && op.Job.Route == j.Route &&
				(!dirty[j.Out] || stillHold(nb.b, op.facts, old.versions.get, nb.versions.get)) {
				nb.pages[j.Out] = op
				continue
			}
		}
		stale = append(stale, j)
	}
	for _, j := range stale {
		if len(stale) > eagerPages && !open[j.Out] {
			later = append(later, j)
			continue
		}
		todo = append(todo, j)
	}
	return todo, later
}

// LoadContent loads everything API functions read (content, data and
// assets) as the dev server's first build does, for the origin. Bad
// content is an error, a *diag.List, as for a build.
func LoadContent(ctx context.Context, s *Site, key string) (*Build, error) {
	d := NewDevBuilder(s, key)
	defer d.Close()
	res := d.Build(ctx, nil, NewChangeSet(true), nil)
	if res.Build == nil {
		return nil, res.Errs
	}
	return res.Build.b, nil
}
