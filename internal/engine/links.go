package engine

// This file holds the check stage: links and asset references that
// resolve to nothing the build serves.

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"

	"github.com/vergehq/verge/assets"
	"github.com/vergehq/verge/internal/diag"
	"github.com/vergehq/verge/render"
)

// servedPaths is every URL path a build serves: its assets' and static
// files', and its pages' (known before they render, so that each page's
// links are checked as it renders).
func servedPaths(res *assets.Result, jobs []PageJob) map[string]bool {
	served := make(map[string]bool, len(jobs)*2)
	add := func(path, route string) {
		served[path] = true
		if route != "" {
			served[route] = true
		}
		if dir, ok := strings.CutSuffix(path, "/index.html"); ok {
			served[dir+"/"] = true // static/docs/index.html serves /docs/
		}
	}
	if res != nil {
		for _, a := range res.Files {
			add(a.Path, "")
		}
	}
	for _, j := range jobs {
		add(j.Out, j.Route)
	}
	return served
}

// pageLinks is a page's links, to check.
type pageLinks struct {
	job   PageJob
	links []render.Link
}

// checkLinks reports every internal link or asset reference of pages that
// resolves to nothing served (a 404), and links that only work through a
// redirect. Each is reported at the page's source.
func checkLinks(s *Site, b *Build, served func(path string) bool, pages []pageLinks, errs *diag.List) {
	for _, p := range pages {
		checkPageLinks(s, b, served, p.job, p.links, errs)
	}
}

// checkPageLinks is checkLinks for one page, j, linking to links.
func checkPageLinks(s *Site, b *Build, served func(path string) bool, j PageJob, links []render.Link, errs *diag.List) {
	if !b.Config.CheckLinks {
		return
	}
	var reported map[string]bool
	for _, l := range links {
		if served(l.Path) || reported[l.Path] || s.isFunctionPath(l.Path) {
			continue
		}
		if reported == nil {
			reported = map[string]bool{}
		}
		reported[l.Path] = true
		reportLink(b, served, j, l, errs)
	}
}

// checkPathLinks is checkPageLinks for a page kept from the previous
// build, whose links are known only by their paths (sorted, each once).
func checkPathLinks(s *Site, b *Build, served func(path string) bool, j PageJob, paths []string, errs *diag.List) {
	if !b.Config.CheckLinks {
		return
	}
	for _, p := range paths {
		if !served(p) && !s.isFunctionPath(p) {
			reportLink(b, served, j, render.Link{URL: p, Path: p}, errs)
		}
	}
}

// reportLink reports page j's link l, which resolves to nothing served.
func reportLink(b *Build, served func(path string) bool, j PageJob, l render.Link, errs *diag.List) {
	d := &diag.Diagnostic{File: j.Source, Line: lineOf(b.Root, j.Source, l.URL),
		Msg: fmt.Sprintf("page %s links to %s, which is not in the build (404)", j.Route, l.URL)}
	switch {
	case served(l.Path + "/"):
		d.Msg = fmt.Sprintf("page %s links to %s, which only exists as %s/ (a redirect)", j.Route, l.URL, l.Path)
		d.Hint = "link to the canonical URL with the trailing slash"
	case strings.HasPrefix(l.Path, "/assets/"):
		d.Hint = "no asset " + strings.TrimPrefix(l.Path, "/") + " exists: add the file or fix the path"
	default:
		d.Hint = "fix the link, or add the page or static file it points to"
	}
	errs.Add(d)
}

// linkPaths is the set of paths links point to, sorted, each string
// shared through in with every other page's: pages link to the same
// few hundred paths (the nav, the tags), and a 100,000-page build kept a
// copy per link.
func linkPaths(links []render.Link, in *interner) []string {
	if len(links) == 0 {
		return nil
	}
	out := make([]string, len(links))
	for i, l := range links {
		out[i] = l.Path
	}
	out = sortedUnique(out)
	for i, p := range out {
		out[i] = in.get(p)
	}
	return slices.Clip(out)
}

// interner shares equal strings; safe for concurrent use.
type interner struct {
	mu sync.Mutex
	m  map[string]string
}

func (in *interner) get(s string) string {
	in.mu.Lock()
	defer in.mu.Unlock()
	if v, ok := in.m[s]; ok {
		return v
	}
	if in.m == nil {
		in.m = map[string]string{}
	}
	in.m[s] = s
	return s
}

// lineOf finds the first line of a Markdown source that holds any of the
// needles, so an error found in rendered HTML points at the line its
// author wrote. It returns 0 for other sources or when nothing matches.
func lineOf(root, source string, needles ...string) int {
	if !strings.HasSuffix(source, ".md") {
		return 0
	}
	src, err := os.ReadFile(inDir(root, source))
	if err != nil {
		return 0
	}
	for i, l := range strings.Split(string(src), "\n") {
		for _, n := range needles {
			if strings.Contains(l, n) {
				return i + 1
			}
		}
	}
	return 0
}
