package engine

// This file holds the render stage of the build to disk, and how a
// page's failure is reported.

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/vergehq/verge/internal/diag"
	"github.com/vergehq/verge/render"
)

// renderPages renders every job that the previous build cannot prove
// unchanged, in parallel, writing each page out as soon as it is done, and
// reports each failing page at its source.
func renderPages(ctx context.Context, b *Build, jobs []PageJob, prev *previous, w *outWriter, prog *progress, errs *diag.List) []*renderedPage {
	pages := make([]*renderedPage, len(jobs))
	var todo []render.Page
	var todoIdx []int
	for i, j := range jobs {
		if old := prev.reusable(b, j.Route); old != nil {
			links := make([]render.Link, len(old.Links))
			for k, l := range old.Links {
				links[k] = render.Link{URL: l, Path: l}
			}
			pages[i] = &renderedPage{job: j, tags: old.Tags, links: links, prev: old}
			continue
		}
		todo = append(todo, render.Page{Route: j.Route, Render: pageRenderer(b, j)})
		todoIdx = append(todoIdx, i)
	}
	r := newRenderer(b)
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
		if old := prev.unchanged(j.Route, f.rec.SHA256); old != nil {
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

// reportPageErr files a page's failure under the most useful location:
// a diagnostic the page raised keeps its own; anything else is filed
// under the page's source, with the line of an empty attribute found in
// a Markdown source when it can be located there.
func reportPageErr(b *Build, j PageJob, err error, errs *diag.List) {
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
			errs.Add(&diag.Diagnostic{File: j.Source, Line: lineOf(b.Root, j.Source, "]()", empty.Attr+`=""`),
				Msg:  fmt.Sprintf("page %s: empty %s on <%s>", j.Route, empty.Attr, empty.Tag),
				Hint: "an empty src or href makes the browser request the page again: give it a URL or remove the attribute"})
			continue
		}
		errs.Add(&diag.Diagnostic{File: j.Source, Msg: fmt.Sprintf("render %s: %v", j.Route, e)})
	}
}

// addAssetTags adds the tags of assets the HTML referenced by source path
// ("/assets/css/main.css"), which the Ctx never saw.
func addAssetTags(b *Build, tags, refs []string) []string {
	set := map[string]bool{}
	for _, t := range tags {
		set[t] = true
	}
	for _, ref := range refs {
		if i := strings.IndexAny(ref, "?#"); i >= 0 {
			ref = ref[:i]
		}
		if f, ok := b.Assets.sourceRef(ref); ok {
			set[AssetTag(f)] = true
		} else if f, ok := b.Assets.servedAt(ref); ok && f.Source != "" {
			set[AssetTag(f)] = true // a static file the page read (an image's size)
		}
	}
	out := make([]string, 0, len(set))
	for t := range set {
		out = append(out, t)
	}
	sort.Strings(out)
	return out
}
