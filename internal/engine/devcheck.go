package engine

// This file holds the check stage of a dev build: duplicate paths and
// broken links, checked only where a rebuild could have made them.

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/vergehq/verge/assets"
	"github.com/vergehq/verge/internal/diag"
)

// checkOutput reports two sources producing one path, and broken links:
// those of pages whose HTML changed, or of every page when the set of
// served paths changed (a link elsewhere may have lost its target).
func (d *DevBuilder) checkOutput(old, nb *DevBuild, rendered, removed []string, errs *diag.List) {
	sameSet := old != nil && len(removed) == 0 && len(old.pages) == len(nb.pages) && sameFiles(old, nb)
	if !sameSet {
		for p := range nb.files {
			if pg := nb.pages[p]; pg != nil {
				errs.Add(&diag.Diagnostic{File: "static" + p, Msg: fmt.Sprintf("%s is produced twice: by %s and by %s", p, "static"+p, describe(pg.Job)),
					Hint: "rename the static file or change the route"})
			}
		}
	}
	var check []pageLinks
	if sameSet {
		for _, p := range rendered {
			pg := nb.pages[p]
			if op := old.pages[p]; op == nil || !bytes.Equal(op.HTML, pg.HTML) {
				check = append(check, pageLinks{pg.Job, pg.links})
			}
		}
	} else {
		for _, pg := range nb.pages {
			check = append(check, pageLinks{pg.Job, pg.links})
		}
	}
	checkLinks(d.s, nb.b, nb.serves, check, errs)
}

// sameFiles reports whether two builds have the same asset and static
// paths.
func sameFiles(old, nb *DevBuild) bool {
	if old.res == nb.res {
		return true
	}
	if len(old.files) != len(nb.files) {
		return false
	}
	for p := range nb.files {
		if old.files[p] == nil {
			return false
		}
	}
	return true
}

// serves reports whether the build answers the URL path p with a page or
// a file (not a redirect).
func (nb *DevBuild) serves(p string) bool {
	if nb.files[p] != nil {
		return true
	}
	if pg := nb.pages["/"+OutputPath(p)]; pg != nil && (pg.Job.Route == p || strings.HasSuffix(p, "/") || strings.HasSuffix(p, "/index.html")) {
		return true
	}
	return strings.HasSuffix(p, "/") && nb.files[p+"index.html"] != nil
}

// removedPages lists the output paths old has and nb does not.
func removedPages(old, nb *DevBuild) []string {
	if old == nil {
		return nil
	}
	var out []string
	for p := range old.pages {
		if nb.pages[p] == nil {
			out = append(out, p)
		}
	}
	if old.lazy != nil {
		// Pages old rendered on demand were served too.
		for p, lp := range old.lazy.pages {
			if lp.done.Load() != nil && nb.pages[p] == nil && (nb.lazy == nil || nb.lazy.pages[p] == nil) {
				out = append(out, p)
			}
		}
	}
	return out
}

// diffBuilds lists the routes whose HTML differs between old and nb
// (among the rendered and removed paths), and the asset and static
// outputs whose bytes changed or that are new.
func diffBuilds(old, nb *DevBuild, rendered, removed []string) (routes []string, changed []*assets.File) {
	if old == nil {
		return nil, nil
	}
	for _, p := range rendered {
		pg := nb.pages[p]
		if op := old.rendered(p); op == nil || !bytes.Equal(op.HTML, pg.HTML) {
			routes = append(routes, pg.Job.Route)
		}
	}
	for _, p := range removed {
		routes = append(routes, old.rendered(p).Job.Route)
	}
	if old.res != nb.res {
		for p, f := range nb.files {
			if of := old.files[p]; of == nil || of.Integrity != f.Integrity {
				changed = append(changed, f)
			}
		}
	}
	return routes, changed
}
