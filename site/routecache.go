package site

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
	lists  [][]pageJob // by route: its pages, validated, out set
	jobs   []pageJob   // every page, as expandRoutes returns them
}

// reexpander is a route that can reuse an earlier expansion's pages.
type reexpander interface {
	// reexpand is expand, reusing prev, the pages expanded from the
	// input was, where they are still the same.
	reexpand(b *buildState, was any, prev []pageJob) []pageJob
}

// expandRoutesReusing is expandRoutes reusing what prev (nil: nothing)
// expanded. The cache it returns describes b; it is nil when errs has
// errors.
func (s *Site) expandRoutesReusing(b *buildState, prev *routeCache, errs *diag.List) ([]pageJob, *routeCache) {
	if prev != nil && len(prev.inputs) != len(s.routes) {
		prev = nil // not this program's routes
	}
	rc := &routeCache{inputs: make([]any, len(s.routes)), lists: make([][]pageJob, len(s.routes))}
	reused := 0
	n := 0
	for i, r := range s.routes {
		in := r.input(b)
		rc.inputs[i] = in
		switch re, ok := r.(reexpander); {
		case prev != nil && prev.inputs[i] == in:
			rc.lists[i] = prev.lists[i]
			reused++
		case prev != nil && ok:
			rc.lists[i] = re.reexpand(b, prev.inputs[i], prev.lists[i])
		default:
			rc.lists[i] = r.expand(b)
		}
		n += len(rc.lists[i])
	}
	if prev != nil && reused == len(s.routes) {
		rc.jobs = prev.jobs // nothing changed: already validated and deduplicated
		return rc.jobs, rc
	}
	before := errs.Len()
	jobs := make([]pageJob, 0, n)
	seen := make(map[string]int, n) // output path -> index in jobs
	for _, list := range rc.lists {
		for k := range list {
			j := &list[k]
			if j.out == "" { // new, not reused: check it
				if err := validRoute(j.route); err != nil {
					errs.Add(&diag.Diagnostic{File: j.source, Msg: err.Error(), Hint: "check the slug in the front matter or the route pattern at " + j.decl})
					continue
				}
				j.out = "/" + OutputPath(j.route)
			}
			if first, dup := seen[j.out]; dup {
				errs.Add(&diag.Diagnostic{File: j.source, Msg: fmt.Sprintf("route %s is produced twice: by %s and by %s", j.route, describe(jobs[first]), describe(*j)),
					Hint: "give one of them a different slug or route"})
				continue
			}
			seen[j.out] = len(jobs)
			jobs = append(jobs, *j)
		}
	}
	if errs.Len() > before {
		return jobs, nil
	}
	rc.jobs = jobs
	return jobs, rc
}
