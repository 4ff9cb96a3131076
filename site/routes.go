package site

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"strconv"
	"strings"

	"github.com/a-h/templ"

	"github.com/vergehq/verge/internal/engine"
)

// PageFunc renders one page. It reads content through c, which records
// what the page depends on.
type PageFunc func(c *Ctx) (templ.Component, error)

// pageJob is the engine's job for a page that runs fn under a Ctx
// reading through the engine's recorder, and renders what it returns.
func pageJob(route, source, decl string, fn PageFunc) engine.PageJob {
	return engine.PageJob{Route: route, Source: source, Decl: decl, Render: func(ctx context.Context, rec *engine.Recorder, w io.Writer) error {
		c := newCtx(ctx, rec)
		comp, err := fn(c)
		if err != nil {
			return err
		}
		if comp == nil {
			return fmt.Errorf("page function returned no component")
		}
		return comp.Render(c, w)
	}}
}

// declSite is "file:line" of the site code that called a declaring
// function, skip frames above declSite's caller.
func (s *Site) declSite(skip int) string {
	_, file, line, ok := runtime.Caller(skip + 1)
	if !ok {
		return "main.go"
	}
	return fmt.Sprintf("%s:%d", relPath(s.root, file), line)
}

type singlePage struct {
	route string
	decl  string
	fn    PageFunc
}

func (p singlePage) Input(*engine.Build) any { return nil }

func (p singlePage) Expand(*engine.Build) []engine.PageJob {
	return []engine.PageJob{pageJob(p.route, p.decl, p.decl, p.fn)}
}

// Page declares a single page at route.
func (s *Site) Page(route string, fn PageFunc) {
	decl := s.declSite(1)
	if err := engine.ValidRoute(route); err != nil {
		s.declError("%v", err)
		return
	}
	s.routes = append(s.routes, singlePage{route: route, decl: decl, fn: fn})
}

type eachRoute[T any] struct {
	coll *Collection[T]
	decl string
	fn   func(c *Ctx, e *Entry[T]) (templ.Component, error)
}

func (r eachRoute[T]) Input(b *engine.Build) any { return r.coll.state(b) }

func (r eachRoute[T]) Expand(b *engine.Build) []engine.PageJob {
	st := r.coll.state(b)
	jobs := make([]engine.PageJob, 0, len(st.entries))
	for _, e := range st.entries {
		jobs = append(jobs, r.job(e))
	}
	return jobs
}

func (r eachRoute[T]) job(e *entry[T]) engine.PageJob {
	return pageJob(e.url, e.file, r.decl, func(c *Ctx) (templ.Component, error) {
		// The page is its entry's: purging the entry reaches it. What it
		// shows of the entry is recorded as it reads it.
		c.rec.Tag(e.tagName)
		return r.fn(c, e.view(c.rec))
	})
}

// Reexpand is Expand reusing prev, the jobs expanded from the state was,
// for every entry that is still there.
func (r eachRoute[T]) Reexpand(b *engine.Build, was any, prev []engine.PageJob) []engine.PageJob {
	old, _ := was.(*collState[T])
	if old == nil || len(old.entries) != len(prev) {
		return r.Expand(b)
	}
	st := r.coll.state(b)
	jobs := make([]engine.PageJob, 0, len(st.entries))
	i := 0
	for _, e := range st.entries {
		// Both lists are in the collection's order: skip the old entries
		// that went, and take e's job if e was there.
		for i < len(old.entries) && old.entries[i] != e && r.coll.order(old.entries[i], e) < 0 {
			i++
		}
		if i < len(old.entries) && old.entries[i] == e {
			jobs = append(jobs, prev[i])
			i++
			continue
		}
		jobs = append(jobs, r.job(e))
	}
	return jobs
}

// Each declares one page per entry of coll at pattern, e.g.
// "/posts/{slug}/". Placeholders: {slug}, {id}, {year}, {month}, {day}.
// It also gives the entries their URL.
func Each[T any](s *Site, pattern string, coll *Collection[T], fn func(c *Ctx, e *Entry[T]) (templ.Component, error)) {
	decl := s.declSite(1)
	if err := engine.ValidRoute(pattern); err != nil {
		s.declError("%v", err)
		return
	}
	if !strings.Contains(pattern, "{slug}") && !strings.Contains(pattern, "{id}") {
		s.declError("pattern %q must contain {slug} or {id} so every entry gets its own page", pattern)
		return
	}
	for rest := pattern; strings.Contains(rest, "{"); {
		i, j := strings.IndexByte(rest, '{'), strings.IndexByte(rest, '}')
		if j < i || !map[string]bool{"slug": true, "id": true, "year": true, "month": true, "day": true}[rest[i+1:j]] {
			s.declError("pattern %q: unknown placeholder (use {slug}, {id}, {year}, {month} or {day})", pattern)
			return
		}
		rest = rest[j+1:]
	}
	coll.permalink = pattern
	s.routes = append(s.routes, eachRoute[T]{coll: coll, decl: decl, fn: fn})
}

// expandPermalink fills a pattern's placeholders from an entry. It runs
// once per entry per build, so it scans the pattern itself rather than
// building a strings.Replacer each time.
func expandPermalink[T any](pattern string, e *entry[T]) string {
	var b strings.Builder
	b.Grow(len(pattern) + len(e.slug))
	for {
		i := strings.IndexByte(pattern, '{')
		j := strings.IndexByte(pattern, '}')
		if i < 0 || j < i {
			b.WriteString(pattern)
			return b.String()
		}
		b.WriteString(pattern[:i])
		switch pattern[i+1 : j] {
		case "slug":
			b.WriteString(e.slug)
		case "id":
			b.WriteString(e.id)
		case "year":
			fmt.Fprintf(&b, "%04d", e.date.Year())
		case "month":
			fmt.Fprintf(&b, "%02d", int(e.date.Month()))
		case "day":
			fmt.Fprintf(&b, "%02d", e.date.Day())
		default:
			b.WriteString(pattern[i : j+1])
		}
		pattern = pattern[j+1:]
	}
}

// Pager is one page of a paginated list, as the page showing it reads
// it: which entries it shows, and how many pages and entries the list has,
// are recorded with it.
type Pager[T any] struct {
	Items      []*Entry[T] // the entries on this page
	Number     int         // 1-based page number
	Total      int         // number of pages (at least 1)
	PerPage    int
	TotalItems int
	base       string
}

// URLFor is the URL of page n: the base route for page 1, base+"page/n/"
// after it.
func (p *Pager[T]) URLFor(n int) string { return pageURL(p.base, n) }

func pageURL(base string, n int) string {
	if n <= 1 {
		return base
	}
	return base + "page/" + strconv.Itoa(n) + "/"
}

// URL is this page's URL.
func (p *Pager[T]) URL() string { return p.URLFor(p.Number) }

// Prev is the previous page's URL, or "" on the first page.
func (p *Pager[T]) Prev() string {
	if p.Number <= 1 {
		return ""
	}
	return p.URLFor(p.Number - 1)
}

// Next is the next page's URL, or "" on the last page.
func (p *Pager[T]) Next() string {
	if p.Number >= p.Total {
		return ""
	}
	return p.URLFor(p.Number + 1)
}

// listPage is one page of a paginated list as a build expands it: the
// entries [lo, hi) of list.
type listPage[T any] struct {
	list          []*entry[T]
	lo, hi        int
	number, total int
	per           int
	base          string
}

func (lp listPage[T]) url() string { return pageURL(lp.base, lp.number) }

// pager is lp as read by the page recording in rec.
func (lp listPage[T]) pager(rec *engine.Recorder) *Pager[T] {
	return &Pager[T]{Items: views(lp.list[lp.lo:lp.hi], rec), Number: lp.number, Total: lp.total,
		PerPage: lp.per, TotalItems: len(lp.list), base: lp.base}
}

// paginate splits list into pages; an empty list still has page 1.
func paginate[T any](base string, list []*entry[T], per int) []listPage[T] {
	total := max(1, (len(list)+per-1)/per)
	out := make([]listPage[T], total)
	for i := range total {
		out[i] = listPage[T]{list: list, lo: i * per, hi: min((i+1)*per, len(list)), number: i + 1, total: total, per: per, base: base}
	}
	return out
}

type paginateRoute[T any] struct {
	base string
	coll *Collection[T]
	per  int
	decl string
	fn   func(c *Ctx, p *Pager[T]) (templ.Component, error)
}

func (r paginateRoute[T]) Input(b *engine.Build) any { return r.coll.state(b) }

func (r paginateRoute[T]) Expand(b *engine.Build) []engine.PageJob {
	st := r.coll.state(b)
	var jobs []engine.PageJob
	tag := r.coll.tag()
	for _, p := range paginate(r.base, st.entries, r.per) {
		jobs = append(jobs, pageJob(p.url(), r.decl, r.decl, func(c *Ctx) (templ.Component, error) {
			c.rec.ReadFact(tag, sliceField(p.lo, p.hi, r.per), sliceVersion(st.entries, p.lo, p.hi))
			return r.fn(c, p.pager(c.rec))
		}))
	}
	return jobs
}

// Paginate declares a list of coll's entries split into pages of perPage:
// page 1 at base (e.g. "/posts/"), page K at base+"page/K/".
func Paginate[T any](s *Site, base string, coll *Collection[T], perPage int, fn func(c *Ctx, p *Pager[T]) (templ.Component, error)) {
	decl := s.declSite(1)
	if err := engine.ValidRoute(base); err != nil || !strings.HasSuffix(base, "/") {
		s.declError("paginated route %q must start and end with /", base)
		return
	}
	if perPage < 1 {
		s.declError("perPage must be at least 1, not %d", perPage)
		return
	}
	s.routes = append(s.routes, paginateRoute[T]{base: base, coll: coll, per: perPage, decl: decl, fn: fn})
}
