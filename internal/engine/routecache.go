package engine

// This file holds the expand stage: routes into pages, each route
// re-expanded only when its input changed (the dev server keeps the last
// expansion).

import (
	"fmt"

	"github.com/vergehq/verge/internal/diag"
)

// routeCache is how a build expanded its routes, kept by the dev server
// so that the next rebuild re-expands only the routes whose input
// changed, and of those only the pages of the entries or terms that
// changed: on a 10,000-post site, expanding every route anew costs more
// than rendering the page that was edited.
type routeCache struct {
	inputs []any       // by route: the state it was expanded from
	lists  [][]PageJob // by route: its pages, validated, out set
	jobs   []PageJob   // every page, as expandRoutes returns them
}

// expandRoutes turns the site's routes into pages and rejects two routes
// that would write the same file, reusing what prev (nil: nothing)
// expanded. The cache it returns describes b; it is nil when errs has
// errors.
func expandRoutes(s *Site, b *Build, prev *routeCache, errs *diag.List) ([]PageJob, *routeCache) {
	if prev != nil && len(prev.inputs) != len(s.Routes) {
		prev = nil // not this program's routes
	}
	rc := &routeCache{inputs: make([]any, len(s.Routes)), lists: make([][]PageJob, len(s.Routes))}
	reused := 0
	n := 0
	for i, r := range s.Routes {
		in := r.Input(b)
		rc.inputs[i] = in
		switch re, ok := r.(Reexpander); {
		case prev != nil && prev.inputs[i] == in:
			rc.lists[i] = prev.lists[i]
			reused++
		case prev != nil && ok:
			rc.lists[i] = re.Reexpand(b, prev.inputs[i], prev.lists[i])
		default:
			rc.lists[i] = r.Expand(b)
		}
		n += len(rc.lists[i])
	}
	if prev != nil && reused == len(s.Routes) {
		rc.jobs = prev.jobs // nothing changed: already validated and deduplicated
		return rc.jobs, rc
	}
	before := errs.Len()
	jobs := make([]PageJob, 0, n)
	seen := make(map[string]int, n) // output path -> index in jobs
	for _, list := range rc.lists {
		for k := range list {
			j := &list[k]
			if j.Out == "" { // new, not reused: check it
				if err := ValidRoute(j.Route); err != nil {
					errs.Add(&diag.Diagnostic{File: j.Source, Msg: err.Error(), Hint: "check the slug in the front matter or the route pattern at " + j.Decl})
					continue
				}
				j.Out = "/" + OutputPath(j.Route)
			}
			if first, dup := seen[j.Out]; dup {
				errs.Add(&diag.Diagnostic{File: j.Source, Msg: fmt.Sprintf("route %s is produced twice: by %s and by %s", j.Route, describe(jobs[first]), describe(*j)),
					Hint: "give one of them a different slug or route"})
				continue
			}
			seen[j.Out] = len(jobs)
			jobs = append(jobs, *j)
		}
	}
	if errs.Len() > before {
		return jobs, nil
	}
	rc.jobs = jobs
	return jobs, rc
}
