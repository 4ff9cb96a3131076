package site

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/vergehq/verge/internal/diag"
	"github.com/vergehq/verge/render"
)

// renderPages renders every job that the previous build cannot prove
// unchanged, in parallel, writing each page out as soon as it is done, and
// reports each failing page at its source.
func (s *Site) renderPages(ctx context.Context, b *buildState, jobs []pageJob, prev *previous, w *outWriter, prog *progress, errs *diag.List) []*renderedPage {
	pages := make([]*renderedPage, len(jobs))
	var todo []render.Page
	var todoIdx []int
	for i, j := range jobs {
		if old := prev.reusable(b, j.route); old != nil {
			links := make([]render.Link, len(old.Links))
			for k, l := range old.Links {
				links[k] = render.Link{URL: l, Path: l}
			}
			pages[i] = &renderedPage{job: j, tags: old.Tags, links: links, prev: old}
			continue
		}
		todo = append(todo, render.Page{Route: j.route, Render: s.pageRenderer(b, j)})
		todoIdx = append(todoIdx, i)
	}
	r := render.New(render.Options{
		Minify: s.cfg.Build.Minify,
		Asset: func(ref string) (string, string, bool) {
			f, ok := b.assets.sourceRef(ref)
			if !ok {
				return "", "", false
			}
			return f.Path, b.assets.integrity(f), true
		},
		ImageSize: newImageSizes(b.assets).size,
	})
	prog.start("render", len(todo))
	w.startWriters()
	defer func() { errs.AddErr("", w.drain()) }()
	r.RenderAll(ctx, todo, func(k int, o render.Output) {
		defer prog.tick()
		j := jobs[todoIdx[k]]
		if o.Err != nil {
			reportPageErr(b, j, o.Err, errs)
			return
		}
		if errs.Len() > 0 {
			return // the build fails anyway: spare the writes
		}
		tags := o.Tags
		if len(o.Assets) > 0 {
			tags = addAssetTags(b, tags, o.Assets)
		}
		p := &renderedPage{job: j, tags: tags, links: o.Links, rendered: true}
		f := newPageFile(j, o.HTML)
		// Rendered the same bytes as last time (the site program changed,
		// say, but not this page): link the old file rather than write.
		if old := prev.unchanged(j.route, f.rec.SHA256); old != nil {
			p.prev = old
		} else {
			w.writeAsync(f.path, o.HTML)
			p.file = f
		}
		pages[todoIdx[k]] = p
	})
	if ctx.Err() != nil {
		errs.AddErr("", ctx.Err())
	}
	return pages
}

// pageRenderer adapts a page job to render.Page: it runs the page function
// under a fresh Ctx and renders the component it returns.
func (s *Site) pageRenderer(b *buildState, j pageJob) func(ctx context.Context, w io.Writer) ([]string, error) {
	return func(ctx context.Context, w io.Writer) ([]string, error) {
		c := newCtx(ctx, b, j.route)
		comp, err := j.run(c)
		if err != nil {
			return nil, err
		}
		if comp == nil {
			return nil, fmt.Errorf("page function returned no component")
		}
		if err := comp.Render(c, w); err != nil {
			return nil, err
		}
		if len(c.errs) > 0 {
			return nil, errors.Join(c.errs...)
		}
		return c.Tags(), nil
	}
}

// reportPageErr files a page's failure under the most useful location:
// a diagnostic the page raised keeps its own; anything else is filed
// under the page's source, with the line of an empty attribute found in
// a Markdown source when it can be located there.
func reportPageErr(b *buildState, j pageJob, err error, errs *diag.List) {
	var multi interface{ Unwrap() []error }
	list := []error{err}
	if errors.As(err, &multi) {
		list = multi.Unwrap()
	}
	for _, e := range list {
		var d *diag.Diagnostic
		if errors.As(e, &d) {
			errs.Add(d)
			continue
		}
		var empty *render.EmptyRefError
		if errors.As(e, &empty) {
			errs.Add(&diag.Diagnostic{File: j.source, Line: lineOf(b.root, j.source, "]()", empty.Attr+`=""`),
				Msg:  fmt.Sprintf("page %s: empty %s on <%s>", j.route, empty.Attr, empty.Tag),
				Hint: "an empty src or href makes the browser request the page again: give it a URL or remove the attribute"})
			continue
		}
		errs.Add(&diag.Diagnostic{File: j.source, Msg: fmt.Sprintf("render %s: %v", j.route, e)})
	}
}

// addAssetTags adds the tags of assets the HTML referenced by source path
// ("/assets/css/main.css"), which the Ctx never saw.
func addAssetTags(b *buildState, tags, refs []string) []string {
	set := map[string]bool{}
	for _, t := range tags {
		set[t] = true
	}
	for _, ref := range refs {
		if i := strings.IndexAny(ref, "?#"); i >= 0 {
			ref = ref[:i]
		}
		if f, ok := b.assets.sourceRef(ref); ok {
			set[assetTag(f)] = true
		} else if f, ok := b.assets.servedAt(ref); ok && f.Source != "" {
			set[assetTag(f)] = true // a static file the page read (an image's size)
		}
	}
	out := make([]string, 0, len(set))
	for t := range set {
		out = append(out, t)
	}
	sort.Strings(out)
	return out
}
