package cloudflare

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vergehq/verge/internal/manifest"
)

// The generated Worker, run in Node with a real origin server: function
// routes go to the origin (path and query kept), everything else to the
// static assets.
func TestWorkerRoutes(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node not installed (.ci/run installs it)")
	}
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		fmt.Fprintf(w, "origin %s %s%s", r.Method, r.URL.RequestURI(), body)
	}))
	defer origin.Close()
	routes := functionRoutes([]manifest.Function{
		{Path: "/api/related/{slug}", Policy: manifest.Policy{EdgeTTL: 60}},
		{Path: "/api/comments/"},
		{Path: "/api/search/{q...}"},
		{Path: "/api/ping/{$}"},
		{Path: "/files/{rest...}"},
	})
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "worker.mjs"), []byte(workerSource(routes)), 0o644); err != nil {
		t.Fatal(err)
	}
	harness := `import worker from "./worker.mjs";
const env = {
  VERGE_ORIGIN: process.argv[2],
  ASSETS: { fetch: async (req) => new Response("asset " + new URL(req.url).pathname) },
};
// Record whether the Worker asked Cloudflare's cache to keep the answer.
const realFetch = globalThis.fetch;
let cached = false;
globalThis.fetch = (req, opts) => { cached = !!(opts && opts.cf && opts.cf.cacheEverything); return realFetch(req); };
for (const arg of process.argv.slice(3)) {
  // "auth:" in front: the request carries Authorization.
  const auth = arg.startsWith("auth:");
  const p = auth ? arg.slice(5) : arg;
  cached = false;
  const req = new Request("https://site.example" + p, auth ? { headers: { Authorization: "Bearer a" } } : {});
  const res = await worker.fetch(req, env);
  console.log(arg + " -> " + (await res.text()) + (cached ? " +cache" : ""));
}
`
	if err := os.WriteFile(filepath.Join(dir, "run.mjs"), []byte(harness), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := map[string]string{
		"/api/related/hello": "origin GET /api/related/hello +cache",
		// One caller's answer is never kept for everyone.
		"auth:/api/related/hello": "origin GET /api/related/hello",
		"/api/related/a/b":        "asset /api/related/a/b",
		"/api/comments/new?x=1":   "origin GET /api/comments/new?x=1",
		"/api/search/a/b":         "origin GET /api/search/a/b",
		"/api/ping/":              "origin GET /api/ping/",
		"/api/ping/x":             "asset /api/ping/x",
		"/posts/a/":               "asset /posts/a/",
		// Never another host, whatever the path.
		"/files//evil.example/x": "origin GET /files//evil.example/x",
	}
	args := []string{"run.mjs", origin.URL}
	for p := range cases {
		args = append(args, p)
	}
	cmd := exec.Command(node, args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("node: %v\n%s", err, out)
	}
	got := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		p, res, _ := strings.Cut(line, " -> ")
		got[p] = res
	}
	for p, want := range cases {
		if got[p] != want {
			t.Errorf("%s: %q, want %q", p, got[p], want)
		}
	}
	if !routes[0].cache || routes[1].cache {
		t.Errorf("cacheable: %+v", routes)
	}
	if vary := functionRoutes([]manifest.Function{{Path: "/a", Policy: manifest.Policy{EdgeTTL: 60, Vary: []string{"Cookie"}}}}); vary[0].cache {
		t.Error("an answer that varies by Cookie would be kept in Cloudflare's cache, which ignores Vary")
	}
	if g := runWorkerFirst(routes); strings.Join(g, " ") != "/api/related/* /api/comments/* /api/search/* /api/ping/ /files/*" {
		t.Errorf("run_worker_first = %v", g)
	}
}
