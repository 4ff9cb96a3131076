package engine

// This file holds how a page's failure is reported.

import (
	"errors"
	"fmt"

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
