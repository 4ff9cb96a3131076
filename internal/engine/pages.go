package engine

// This file holds how a page's failure is reported, and the tags of the
// assets its HTML refers to.

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/vergehq/verge/internal/diag"
	"github.com/vergehq/verge/render"
)

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
