package engine

// This file holds what the engine knows of one page: the job that renders
// it, and the Recorder its reads of content go through.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"sync"

	"github.com/vergehq/verge/render"
)

// PageJob is one page a build renders.
type PageJob struct {
	Route  string // URL path, e.g. "/posts/hello/"
	Out    string // "/" + OutputPath(Route), set when the routes are expanded
	Source string // file the page comes from, for error messages
	Decl   string // "file:line" of the declaration in the site's code
	// Render writes the page, recording what it reads in rec. The site
	// supplies it: it runs the page function under its own context type,
	// which reads through rec.
	Render func(ctx context.Context, rec *Recorder, w io.Writer) error
}

// Recorder is one page's (or one function call's) view of a build: what
// it reads is recorded there, as tags (what it read: an entry, a
// collection) and facts (which part of it, at which version). Facts
// decide which pages an incremental rebuild redoes; tags go into the
// manifest and a function response's Cache-Tag.
type Recorder struct {
	Build *Build
	Route string
	tags  map[string]struct{}
	facts map[FactKey]uint64
	errs  []error // problems found while rendering (missing assets)
}

// NewRecorder starts the reads of the page or request at route; it
// depends on the site tag from the start.
func NewRecorder(b *Build, route string) *Recorder {
	m := recMapsPool.Get().(*recMaps)
	r := &Recorder{Build: b, Route: route, tags: m.tags, facts: m.facts}
	r.Read(SiteTag, b.SiteVersion)
	return r
}

// recMaps are a Recorder's maps, reused from page to page: growing two
// maps for each of 100,000 pages was a twentieth of what a build
// allocated.
type recMaps struct {
	tags  map[string]struct{}
	facts map[FactKey]uint64
}

var recMapsPool = sync.Pool{New: func() any {
	return &recMaps{tags: make(map[string]struct{}, 16), facts: make(map[FactKey]uint64, 32)}
}}

// release hands r's maps on to the next page once its tags and facts are
// taken. A read through r after that (a view kept beyond its page's
// render) panics rather than land in another page's record.
func (r *Recorder) release() {
	clear(r.tags)
	clear(r.facts)
	recMapsPool.Put(&recMaps{r.tags, r.facts})
	r.tags, r.facts = nil, nil
}

// Read records that the whole of what tag names was read, at version.
func (r *Recorder) Read(tag, version string) {
	r.live()
	r.tags[tag] = struct{}{}
	r.facts[FactKey{tag, ""}] = Hash(version)
}

// ReadFact records that field of what tag names was read, with the
// version of its value (see Hash).
func (r *Recorder) ReadFact(tag, field string, version uint64) {
	r.live()
	r.tags[tag] = struct{}{}
	r.facts[FactKey{tag, field}] = version
}

// Tag records that the page is of what tag names (an entry's own page),
// whether or not it reads any of it: editors purging that content reach
// the page. It decides nothing about rebuilding.
func (r *Recorder) Tag(tag string) {
	r.live()
	r.tags[tag] = struct{}{}
}

// live panics when r was released: its page rendered already.
func (r *Recorder) live() {
	if r.facts == nil {
		panic(fmt.Sprintf("verge: content read for page %s after it rendered: an Entry, Term or Ctx was kept beyond the page function's call", r.Route))
	}
}

// Tags lists what was read so far, sorted.
func (r *Recorder) Tags() []string { return slices.Sorted(maps.Keys(r.tags)) }

// Facts lists the facts read so far, sorted.
func (r *Recorder) Facts() Facts {
	out := make(Facts, 0, len(r.facts))
	for k, v := range r.facts {
		out = append(out, Fact{k, v})
	}
	sortFacts(out)
	return out
}

// Fail records a problem found while rendering; the page fails with it
// after rendering, together with any others.
func (r *Recorder) Fail(err error) { r.errs = append(r.errs, err) }

// readAssets records the assets a page's HTML referred to by source path
// ("/assets/css/main.css"), which the page's own reads never saw.
func (r *Recorder) readAssets(refs []string) {
	for _, ref := range refs {
		if i := strings.IndexAny(ref, "?#"); i >= 0 {
			ref = ref[:i]
		}
		b := r.Build
		if f, ok := b.Assets.sourceRef(ref); ok {
			r.Read(AssetTag(f), b.Assets.Version(f))
		} else if f, ok := b.Assets.servedAt(ref); ok && f.Source != "" {
			r.Read(AssetTag(f), b.Assets.Version(f)) // a static file the page read (an image's size)
		}
	}
}

// pageOutput is what rendering one page job produced.
type pageOutput struct {
	render.Output
	facts Facts
}

// renderPage renders j with r: see renderPages.
func renderPage(ctx context.Context, b *Build, r *render.Renderer, j PageJob) pageOutput {
	var out pageOutput
	renderPages(ctx, b, r, []PageJob{j}, func(_ int, o pageOutput) { out = o }, false)
	return out
}

// renderPages renders jobs with r, each under a fresh Recorder, and hands
// each to each (from the worker that rendered it) with its tags (those
// of the assets its HTML refers to included) and facts. parallel renders
// on every worker of r.
func renderPages(ctx context.Context, b *Build, r *render.Renderer, jobs []PageJob, each func(k int, o pageOutput), parallel bool) {
	recs := make([]*Recorder, len(jobs))
	pages := make([]render.Page, len(jobs))
	for i := range jobs {
		// The closure holds the index, not a copy of the job: there is one
		// per page.
		pages[i] = render.Page{Route: jobs[i].Route, Render: func(ctx context.Context, w io.Writer) ([]string, error) {
			j := &jobs[i]
			rec := NewRecorder(b, j.Route)
			recs[i] = rec
			if err := j.Render(ctx, rec, w); err != nil {
				return nil, err
			}
			if len(rec.errs) > 0 {
				return nil, errors.Join(rec.errs...)
			}
			return nil, nil
		}}
	}
	done := func(k int, o render.Output) {
		if o.Err != nil {
			each(k, pageOutput{Output: o})
			return
		}
		rec := recs[k]
		recs[k] = nil // a 100,000-page build must not hold every page's reads
		rec.readAssets(o.Assets)
		o.Tags = rec.Tags()
		facts := rec.Facts()
		rec.release()
		each(k, pageOutput{Output: o, facts: facts})
	}
	if !parallel {
		for k, p := range pages {
			done(k, r.Render(ctx, p))
		}
		return
	}
	r.RenderAll(ctx, pages, done)
}

// describe names where a page comes from, for messages.
func describe(j PageJob) string {
	if j.Source != j.Decl {
		return fmt.Sprintf("%s (declared at %s)", j.Source, j.Decl)
	}
	return j.Decl
}
