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
	re    string // JavaScript regular expression over the URL path
	glob  string // run_worker_first pattern
	cache bool   // Cloudflare's cache may keep its answers (see cacheable)
}

// functionRoutes turns the manifest's function patterns (net/http
// syntax: "{name}" one segment, "{name...}" the rest, "{$}" the end, a
// trailing "/" a prefix) into the Worker's routes.
func functionRoutes(fns []manifest.Function) []route {
	var out []route
	at := map[string]int{} // path -> index in out
	for _, f := range fns {
		p := f.Path
		if i, ok := at[p]; ok {
			out[i].cache = out[i].cache && cacheable(f)
			continue
		}
		at[p] = len(out)
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
		out = append(out, route{re: re.String(), glob: glob.String(), cache: cacheable(f)})
	}
	return out
}

// workerSource is the Worker module for the routes: requests on them go
// to the origin, the rest to the static assets.
func workerSource(routes []route) string {
	res := make([][2]any, len(routes))
	for i, r := range routes {
		res[i] = [2]any{r.re, r.cache}
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

// cacheable says whether Cloudflare's cache may keep a function's
// answers: Cloudflare ignores Vary (but for Accept-Encoding), so an answer
// that varies by another request header must not be kept there, or one
// visitor's answer would go to all.
func cacheable(f manifest.Function) bool {
	for _, v := range f.Policy.Vary {
		if !strings.EqualFold(v, "Accept-Encoding") {
			return false
		}
	}
	return f.Policy.EdgeTTL > 0 || f.Policy.CDNCacheControl != ""
}
