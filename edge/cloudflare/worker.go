package cloudflare

import (
	_ "embed"
	"encoding/json"
	"regexp"
	"strings"

	"github.com/vergehq/verge/internal/manifest"
)

// workerModule is the Worker's code, with its route table to fill in.
//
//go:embed worker.js
var workerModule string

// WorkerName is the module name of the generated Worker.
const WorkerName = "verge-worker.js"

// route is one function route as the Worker and the assets config see it.
type route struct {
	re   string // JavaScript regular expression over the URL path
	glob string // run_worker_first pattern
}

// functionRoutes turns the manifest's function patterns (net/http
// syntax: "{name}" one segment, "{name...}" the rest, "{$}" the end, a
// trailing "/" a prefix) into the Worker's routes.
func functionRoutes(fns []manifest.Function) []route {
	var out []route
	seen := map[string]bool{}
	for _, f := range fns {
		p := f.Path
		if seen[p] {
			continue
		}
		seen[p] = true
		var re, glob strings.Builder
		re.WriteString("^")
		segs := strings.Split(strings.TrimPrefix(p, "/"), "/")
		for i, s := range segs {
			last := i == len(segs)-1
			switch {
			case s == "{$}":
				re.WriteString("/")
				glob.WriteString("/")
			case last && s == "":
				re.WriteString("/.*")
				glob.WriteString("/*")
			case strings.HasPrefix(s, "{") && strings.HasSuffix(s, "...}"):
				re.WriteString("/.*")
				glob.WriteString("/*")
			case strings.HasPrefix(s, "{") && strings.HasSuffix(s, "}"):
				re.WriteString("/[^/]+")
				glob.WriteString("/*")
			default:
				re.WriteString("/" + regexp.QuoteMeta(s))
				glob.WriteString("/" + s)
			}
		}
		re.WriteString("$")
		out = append(out, route{re: re.String(), glob: glob.String()})
	}
	return out
}

// workerSource is the Worker module for the routes: requests on them go
// to the origin, the rest to the static assets.
func workerSource(routes []route) string {
	res := make([]string, len(routes))
	for i, r := range routes {
		res[i] = r.re
	}
	table, _ := json.Marshal(res)
	return strings.Replace(workerModule, "/*ROUTES*/[]", string(table), 1)
}

// runWorkerFirst is the assets config's run_worker_first: the function
// routes, so that no static file can shadow them.
func runWorkerFirst(routes []route) []string {
	var out []string
	for _, r := range routes {
		out = append(out, r.glob)
	}
	return out
}
