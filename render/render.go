// Package render owns turning a site's routes into finished HTML: it runs
// every page on every core, then post-processes each page (asset
// references rewritten to fingerprinted URLs with SRI, internal links
// collected for checking, empty src/href caught, HTML minified) and keeps
// the tags each page recorded.
package render

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"runtime"
	"strings"
	"sync"
)

// Page is one route to render.
type Page struct {
	Route string // URL path, e.g. "/posts/hello/"
	// Render writes the page's HTML and returns the tags of what it read.
	Render func(ctx context.Context, w io.Writer) (tags []string, err error)
}

// Output is a rendered page.
type Output struct {
	Route  string
	HTML   []byte
	Tags   []string
	Links  []Link   // internal references to check against the build
	Assets []string // logical asset paths the HTML referenced by source path
	Err    error    // rendering or post-processing failed; HTML is nil
}

// Link is a reference found in a page's HTML.
type Link struct {
	URL  string // as written
	Path string // resolved absolute URL path, query and fragment removed
	Attr string // attribute it came from: href, src, srcset, ...
}

// Options configures rendering.
type Options struct {
	Minify bool
	// Asset maps a reference written in HTML (e.g. "/assets/css/main.css")
	// to the fingerprinted URL and SRI hash of its build output.
	Asset func(ref string) (url, integrity string, ok bool)
	// ImageSize gives the intrinsic size of an image a page references
	// (its src as written), so that an <img> without width and height
	// gets them and the page does not shift as images load; nil, or ok
	// false: left as written.
	ImageSize func(ref string) (width, height int, ok bool)
	// Workers bounds parallelism; 0 means GOMAXPROCS.
	Workers int
}

// Renderer renders and post-processes pages. It is safe for concurrent use.
type Renderer struct {
	opts Options
	min  *minifier
	pool sync.Pool // render buffers
	outs sync.Pool // *[]byte: processed HTML handed back through Recycle
}

// Recycle hands back an Output's HTML once nothing holds it any more (a
// build to disk, once the page is written), for a later page to be
// processed into: a 100,000-page build allocated half a gigabyte of
// them. The caller must not touch html afterwards.
func (r *Renderer) Recycle(html []byte) {
	if cap(html) > 0 && cap(html) <= 1<<20 { // a huge page's buffer would pin memory
		r.outs.Put(&html)
	}
}

// outBuf is an empty buffer of at least n bytes, recycled if one is.
func (r *Renderer) outBuf(n int) []byte {
	if p, _ := r.outs.Get().(*[]byte); p != nil && cap(*p) >= n {
		return (*p)[:0]
	}
	return make([]byte, 0, n)
}

// New returns a Renderer for opts.
func New(opts Options) *Renderer {
	if opts.Workers <= 0 {
		opts.Workers = runtime.GOMAXPROCS(0)
	}
	r := &Renderer{opts: opts, min: newMinifier()}
	r.pool.New = func() any { return new(bytes.Buffer) }
	return r
}

// RenderAll renders pages in parallel and hands each result to each, from
// the worker that rendered it, so a caller can write and drop a page's
// HTML at once instead of holding the whole site in memory. each must be
// safe for concurrent use.
func (r *Renderer) RenderAll(ctx context.Context, pages []Page, each func(i int, o Output)) {
	next := make(chan int, r.opts.Workers)
	var wg sync.WaitGroup
	for range min(r.opts.Workers, max(1, len(pages))) {
		wg.Go(func() {
			for i := range next {
				each(i, r.Render(ctx, pages[i]))
			}
		})
	}
	for i := range pages {
		if ctx.Err() != nil {
			break
		}
		next <- i
	}
	close(next)
	wg.Wait()
}

// Render renders and post-processes one page.
func (r *Renderer) Render(ctx context.Context, p Page) (o Output) {
	o.Route = p.Route
	buf := r.pool.Get().(*bytes.Buffer)
	buf.Reset()
	defer r.pool.Put(buf)
	defer func() {
		// A panicking page must fail that page, not the whole build.
		if v := recover(); v != nil {
			o = Output{Route: p.Route, Err: fmt.Errorf("panic: %v", v)}
		}
	}()
	tags, err := p.Render(ctx, buf)
	if err != nil {
		o.Err = err
		return o
	}
	o.Tags = tags
	if !isHTML(p.Route) {
		o.HTML = bytes.Clone(buf.Bytes())
		return o
	}
	pr, err := r.process(p.Route, buf.Bytes())
	if err != nil {
		o.Err = err
		return o
	}
	o.Links, o.Assets = pr.links, pr.assets
	o.HTML = pr.html
	return o
}

// isHTML reports whether a route's output is an HTML document.
func isHTML(route string) bool {
	return route == "" || strings.HasSuffix(route, "/") || strings.HasSuffix(route, ".html") || strings.HasSuffix(route, ".htm")
}
