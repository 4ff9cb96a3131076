package engine

// This file holds the check stage: links and asset references that
// resolve to nothing the build serves.

import (
	"fmt"
	"os"
	"strings"

	"github.com/vergehq/verge/internal/diag"
)

// servedPaths is every URL path the files are served at.
func servedPaths(files []*outputFile) map[string]bool {
	served := make(map[string]bool, len(files)*2)
	for _, f := range files {
		served[f.path] = true
		if f.rec.Route != "" {
			served[f.rec.Route] = true
		}
		if dir, ok := strings.CutSuffix(f.path, "/index.html"); ok {
			served[dir+"/"] = true // static/docs/index.html serves /docs/
		}
	}
	return served
}

// checkLinks reports every internal link or asset reference of pages that
// resolves to nothing served (a 404), and links that only work through a
// redirect. Each is reported at the page's source.
func checkLinks(s *Site, b *Build, served func(path string) bool, pages []*renderedPage, errs *diag.List) {
	if !b.Config.CheckLinks {
		return
	}
	for _, p := range pages {
		reported := map[string]bool{}
		for _, l := range p.links {
			if served(l.Path) || reported[l.Path] || s.isFunctionPath(l.Path) {
				continue
			}
			reported[l.Path] = true
			d := &diag.Diagnostic{File: p.job.Source, Line: lineOf(b.Root, p.job.Source, l.URL),
				Msg: fmt.Sprintf("page %s links to %s, which is not in the build (404)", p.job.Route, l.URL)}
			switch {
			case served(l.Path + "/"):
				d.Msg = fmt.Sprintf("page %s links to %s, which only exists as %s/ (a redirect)", p.job.Route, l.URL, l.Path)
				d.Hint = "link to the canonical URL with the trailing slash"
			case strings.HasPrefix(l.Path, "/assets/"):
				d.Hint = "no asset " + strings.TrimPrefix(l.Path, "/") + " exists: add the file or fix the path"
			default:
				d.Hint = "fix the link, or add the page or static file it points to"
			}
			errs.Add(d)
		}
	}
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
