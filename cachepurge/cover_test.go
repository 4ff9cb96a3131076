package cachepurge_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/vergehq/verge/cachepurge"
	"github.com/vergehq/verge/internal/manifest"
)

// routeTree makes n routes under a few sections, nested up to three
// levels, with a feed or two: the shape of a docs site or a blog.
func routeTree(r *rand.Rand, n int) []string {
	routes := []string{"/", "/index.xml"}
	dirs := []string{"/"}
	for len(routes) < n {
		parent := dirs[r.IntN(len(dirs))]
		if strings.Count(parent, "/") > 4 {
			continue
		}
		var route string
		if r.IntN(8) == 0 {
			route = parent + "index.xml"
		} else {
			route = fmt.Sprintf("%s%c%d/", parent, 'a'+rune(r.IntN(5)), r.IntN(4))
			dirs = append(dirs, route)
		}
		if !slices.Contains(routes, route) {
			routes = append(routes, route)
		}
	}
	return routes
}

// build is a build serving routes, those in changed with other bytes.
func build(routes []string, changed map[string]bool) cachepurge.Build {
	var pages []string
	for _, u := range routes {
		sha := "h"
		if changed[u] {
			sha = "h2"
		}
		pages = append(pages, u+" "+sha+" site")
	}
	return site(nil, pages...)
}

// The plan purges exactly the changed URLs, in the fewest tags a search
// over every pure tag finds, within the limits; on random changed sets
// (scattered, whole subtrees, whole directories) over random route trees.
func TestPlanExactOnRouteTrees(t *testing.T) {
	r := rand.New(rand.NewPCG(14, 2))
	lim := cachepurge.Limits{TagsPerRequest: 7, URLsPerRequest: 3}
	for trial := range 300 {
		n := 6 + r.IntN(14)
		if trial%50 == 0 {
			n = 2000
		}
		routes := routeTree(r, n)
		changed := map[string]bool{}
		shape := []string{"scattered", "subtrees", "directories"}[trial%3]
		switch shape {
		case "scattered":
			for _, u := range routes {
				if r.IntN(3) == 0 {
					changed[u] = true
				}
			}
		case "subtrees": // prefix-closed: with a route, every route under it
			for range 1 + r.IntN(3) {
				top := routes[r.IntN(len(routes))]
				for _, u := range routes {
					if strings.HasPrefix(u, strings.TrimSuffix(top, "index.xml")) && (strings.HasSuffix(top, "/") || u == top) {
						changed[u] = true
					}
				}
			}
		case "directories": // every page directly in a directory
			top := routes[r.IntN(len(routes))]
			for _, u := range routes {
				if u != top && strings.HasPrefix(u, top) && !strings.Contains(strings.TrimSuffix(u[len(top):], "/"), "/") {
					changed[u] = true
				}
			}
		}
		live, next := build(routes, nil), build(routes, changed)
		p := cachepurge.New(live, next, lim)
		name := fmt.Sprintf("trial %d (%s, %d routes, %d changed)", trial, shape, len(routes), len(changed))
		reached := map[string]bool{}
		for _, f := range live.Manifest.Files {
			if p.Everything || slices.ContainsFunc(f.CacheTags, func(t string) bool { return slices.Contains(p.Tags, t) }) || slices.Contains(p.Files, f.Route) {
				reached[f.Route] = true
			}
		}
		if !p.Everything {
			for _, u := range routes {
				if reached[u] != changed[u] {
					t.Fatalf("%s: %s changed %v, purged %v (tags %v, files %v)", name, u, changed[u], reached[u], p.Tags, p.Files)
				}
			}
		} else if len(changed) < len(routes)*99/100 {
			t.Fatalf("%s: everything, for %d of %d", name, len(changed), len(routes))
		}
		for _, b := range p.Batches {
			if len(b) > lim.TagsPerRequest {
				t.Fatalf("%s: a request of %d tags", name, len(b))
			}
		}
		for _, b := range p.FileBatches {
			if len(b) > lim.URLsPerRequest {
				t.Fatalf("%s: a request of %d URLs", name, len(b))
			}
		}
		if n > 100 || p.Everything {
			continue
		}
		used := len(p.Tags) + len(p.Files)
		if best := fewestPureTags(live, changed, used); best < used {
			t.Errorf("%s: %d tags and URLs (%v %v), a search finds %d", name, used, p.Tags, p.Files, best)
		}
	}
}

// fewestPureTags is the fewest tags of b's Cache-Tags that reach exactly
// changed, by search, if fewer than limit (else limit).
func fewestPureTags(b cachepurge.Build, changed map[string]bool, limit int) int {
	byTag := map[string][]string{}
	for _, f := range b.Manifest.Files {
		for _, t := range f.CacheTags {
			byTag[t] = append(byTag[t], f.Route)
		}
	}
	pure := map[string]bool{}
	for t, us := range byTag {
		pure[t] = !slices.ContainsFunc(us, func(u string) bool { return !changed[u] })
	}
	var want []string
	for _, f := range b.Manifest.Files {
		if changed[f.Route] {
			want = append(want, f.Route)
		}
	}
	best := limit
	var search func(done map[string]bool, k int)
	search = func(done map[string]bool, k int) {
		if k >= best {
			return
		}
		i := slices.IndexFunc(want, func(u string) bool { return !done[u] })
		if i < 0 {
			best = k
			return
		}
		for _, t := range manifest.PageTags(want[i]) {
			if !pure[t] {
				continue
			}
			next := map[string]bool{}
			for u := range done {
				next[u] = true
			}
			for _, u := range byTag[t] {
				next[u] = true
			}
			search(next, k+1)
		}
	}
	search(map[string]bool{}, 0)
	return best
}
