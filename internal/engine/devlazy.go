package engine

// This file holds the pages of a dev build rendered on demand: by the
// first browser to ask, or by the build's completion in the background.

import (
	"context"
	"maps"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/vergehq/verge/render"
)

// eagerPages is how many pages a rebuild renders before it serves. Above
// it only the pages open in a browser are rendered at once, the others
// when first asked for or when the build completes in the background: a
// templ text edit or a restart makes every page of a 10,000-page site
// stale, and the page being looked at should not wait for all of them.
const eagerPages = 64

// lazyPages are a build's pages not rendered yet. Each is rendered once,
// by whoever asks first: a browser's request or the build's completion.
type lazyPages struct {
	ctx   context.Context // not a request's: a render outlives the request that started it
	b     *Build
	r     *render.Renderer
	pages map[string]*lazyPage // by output path; fixed once made
	// rendered is told of each page as it renders (for the tag index).
	rendered func(p string, pg *DevPage)
}

type lazyPage struct {
	job  PageJob
	once sync.Once
	page *DevPage
	err  error
	done atomic.Pointer[DevPage] // page, once rendered: for readers outside once
}

func newLazyPages(ctx context.Context, b *Build, r *render.Renderer, jobs []PageJob, rendered func(p string, pg *DevPage)) *lazyPages {
	l := &lazyPages{ctx: ctx, b: b, r: r, pages: make(map[string]*lazyPage, len(jobs)), rendered: rendered}
	// One allocation for all: every rebuild while pages remain to render
	// makes this anew for thousands of pages.
	lps := make([]lazyPage, len(jobs))
	for i, j := range jobs {
		lps[i].job = j
		l.pages[j.Out] = &lps[i]
	}
	return l
}

// get renders the page at output path p if no one has yet. ok is false
// when p is not one of the lazy pages.
func (l *lazyPages) get(p string) (pg *DevPage, err error, ok bool) {
	lp := l.pages[p]
	if lp == nil {
		return nil, nil, false
	}
	lp.once.Do(func() {
		o := renderPage(l.ctx, l.b, l.r, lp.job)
		if o.Err != nil {
			lp.err = o.Err
			return
		}
		lp.page = &DevPage{Job: lp.job, HTML: o.HTML, tags: o.Tags, facts: o.facts, links: o.Links}
		l.rendered(p, lp.page)
		lp.done.Store(lp.page)
	})
	return lp.page, lp.err, true
}

// paths lists the lazy pages' output paths, sorted.
func (l *lazyPages) paths() []string {
	return slices.Sorted(maps.Keys(l.pages))
}

// rendered returns the build's page at output path p if it has been
// rendered (at once, or on demand since), else nil.
func (nb *DevBuild) rendered(p string) *DevPage {
	if pg := nb.pages[p]; pg != nil {
		return pg
	}
	if nb.lazy != nil {
		if lp := nb.lazy.pages[p]; lp != nil {
			return lp.done.Load()
		}
	}
	return nil
}

// Page returns the build's page at output path p, rendering it now if it
// is one of the lazy ones; nil when there is none (or it failed: the
// error is then returned).
func (nb *DevBuild) Page(p string) (*DevPage, error) {
	if pg := nb.pages[p]; pg != nil {
		return pg, nil
	}
	if nb.lazy == nil {
		return nil, nil
	}
	pg, err, _ := nb.lazy.get(p)
	return pg, err
}
