package cloudflare_test

import (
	"context"
	"errors"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vergehq/verge/edge/cloudflare"
	"github.com/vergehq/verge/internal/cffake"
	"github.com/vergehq/verge/internal/manifest"
)

// env is a fake Cloudflare with the site of one Worker served from it.
type env struct {
	fake *cffake.Server
	api  *httptest.Server
	site *httptest.Server
	cfg  cloudflare.Config
}

func newEnv(t *testing.T, opts cffake.Options) *env {
	t.Helper()
	fake := cffake.New(opts)
	api := httptest.NewServer(fake)
	t.Cleanup(api.Close)
	site := httptest.NewServer(fake.Site("blog"))
	t.Cleanup(site.Close)
	return &env{fake: fake, api: api, site: site, cfg: cloudflare.Config{
		AccountID: "acct", Script: "blog", Token: "test-token", BaseURL: api.URL + "/client/v4/",
		StateDir: t.TempDir(), Backoff: time.Millisecond, RequestTimeout: 5 * time.Second,
	}}
}

func (e *env) target(t *testing.T) *cloudflare.Target {
	t.Helper()
	tg, err := cloudflare.New(e.cfg)
	if err != nil {
		t.Fatal(err)
	}
	return tg
}

func (e *env) get(t *testing.T, p string) (*http.Response, string) {
	t.Helper()
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Get(e.site.URL + p)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body)
}

// writeDist writes a build output: files by URL path, and the manifest
// verge build would write for them (pages under /_assets/ are assets).
func writeDist(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	m := &manifest.Manifest{Schema: manifest.SchemaVersion}
	for _, p := range slices.Sorted(maps.Keys(files)) {
		data := []byte(files[p])
		dst := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(dst, data, 0o644); err != nil {
			t.Fatal(err)
		}
		f := manifest.File{Path: p, Size: int64(len(data)), SHA256: manifest.SHA256(data), AssetHash: manifest.AssetHash(p, data)}
		switch {
		case strings.HasPrefix(p, "/_assets/"):
			f.Kind, f.CacheControl = manifest.KindAsset, "public, max-age=31536000, immutable"
			f.ContentType = "text/css; charset=utf-8"
		case strings.HasSuffix(p, ".html"):
			f.Kind, f.CacheControl, f.CDNCacheControl = manifest.KindPage, "public, max-age=60, must-revalidate", "public, max-age=31536000"
			f.ContentType = "text/html; charset=utf-8"
			f.Route = strings.TrimSuffix(p, "index.html")
		default:
			f.Kind, f.CacheControl = manifest.KindStatic, "public, max-age=3600"
			f.ContentType = "text/plain; charset=utf-8"
		}
		m.Files = append(m.Files, f)
		m.BuildID += f.SHA256[:4]
	}
	m.BuildID = manifest.SHA256([]byte(m.BuildID))[:24]
	if err := manifest.Write(dir, m); err != nil {
		t.Fatal(err)
	}
}

func siteFiles(n int, css string) map[string]string {
	files := map[string]string{
		"/index.html":                   "<h1>home</h1>",
		"/404.html":                     "<h1>not here</h1>",
		"/robots.txt":                   "User-agent: *",
		"/_assets/main-" + css + ".css": "body{color:#" + css + "}",
	}
	for i := range n {
		files[path.Join("/posts", string(rune('a'+i%26))+strings.Repeat("x", i/26), "index.html")] = "<p>post " + strings.Repeat("words ", i) + "</p>"
	}
	return files
}

// A first deploy uploads every file with its MIME type and serves the
// site from the new version with the build's cache policy; deploying the
// same build again uploads nothing; an edit uploads only what changed.
func TestDeploy(t *testing.T) {
	e := newEnv(t, cffake.Options{BucketFiles: 7})
	dist := t.TempDir()
	files := siteFiles(40, "aaaa")
	writeDist(t, dist, files)
	ctx := context.Background()
	var last cloudflare.Progress
	rep, err := e.target(t).Deploy(ctx, dist, cloudflare.DeployOptions{Progress: func(p cloudflare.Progress) { last = p }})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Files != len(files) || rep.Uploaded != len(files) || rep.Records != 1 || rep.Version == "" {
		t.Errorf("first deploy: %+v, want %d files uploaded, and the kept-files record", rep, len(files))
	}
	if last.Files != last.TotalFiles || last.TotalFiles != rep.Uploaded+rep.Records {
		t.Errorf("progress ended at %+v", last)
	}
	resp, body := e.get(t, "/posts/b/")
	if body != files["/posts/b/index.html"] || resp.Header.Get("Content-Type") != "text/html; charset=utf-8" ||
		resp.Header.Get("Cache-Control") != "public, max-age=60, must-revalidate" {
		t.Errorf("/posts/b/: %q %v", body, resp.Header)
	}
	resp, _ = e.get(t, "/_assets/main-aaaa.css")
	if cc := resp.Header.Get("Cache-Control"); cc != "public, max-age=31536000, immutable" || resp.Header.Get("CDN-Cache-Control") != "" {
		t.Errorf("asset Cache-Control %q, CDN-Cache-Control %q", cc, resp.Header.Get("CDN-Cache-Control"))
	}
	if resp, _ := e.get(t, "/robots.txt"); resp.Header.Get("Cache-Control") != "public, max-age=3600" || resp.Header.Get("Content-Type") != "text/plain; charset=utf-8" {
		t.Errorf("robots.txt: %v", resp.Header)
	}
	if resp, body := e.get(t, "/nope/"); resp.StatusCode != 404 || body != files["/404.html"] {
		t.Errorf("/nope/: %d %q", resp.StatusCode, body)
	}

	before := e.fake.Uploads()
	rep, err = e.target(t).Deploy(ctx, dist, cloudflare.DeployOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Uploaded != 0 || e.fake.Uploads() != before {
		t.Errorf("unchanged redeploy uploaded %d files (fake saw %+v, before %+v)", rep.Uploaded, e.fake.Uploads(), before)
	}

	files["/posts/c/index.html"] = "<p>edited</p>"
	writeDist(t, dist, files)
	rep, err = e.target(t).Deploy(ctx, dist, cloudflare.DeployOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Uploaded != 1 || rep.UploadedBytes != int64(len("<p>edited</p>")) {
		t.Errorf("one-page edit: uploaded %d files, %d bytes, want 1 and %d", rep.Uploaded, rep.UploadedBytes, len("<p>edited</p>"))
	}
	if _, body := e.get(t, "/posts/c/"); body != "<p>edited</p>" {
		t.Errorf("edited page serves %q", body)
	}
}

// After a deploy that changes the stylesheet, the old stylesheet is
// still served (a page loaded before the switch still names it), from
// the state kept locally or, on a fresh checkout, read back from the
// site; three builds on, it goes.
func TestDeployKeepsEarlierAssets(t *testing.T) {
	e := newEnv(t, cffake.Options{})
	e.cfg.SiteURL = e.site.URL
	ctx := context.Background()
	dist := t.TempDir()
	for i, css := range []string{"aaaa", "bbbb", "cccc", "dddd"} {
		if i == 2 {
			e.cfg.StateDir = t.TempDir() // a fresh checkout: read back from the site
		}
		files := siteFiles(3, css)
		os.RemoveAll(dist)
		writeDist(t, dist, files)
		if _, err := e.target(t).Deploy(ctx, dist, cloudflare.DeployOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	for css, want := range map[string]int{"aaaa": 404, "bbbb": 200, "cccc": 200, "dddd": 200} {
		if resp, _ := e.get(t, "/_assets/main-"+css+".css"); resp.StatusCode != want {
			t.Errorf("main-%s.css after four deploys: %d, want %d", css, resp.StatusCode, want)
		}
	}
}

// A deploy whose upload dies part-way leaves the live version serving;
// the next deploy uploads only what is still missing. Passing faults (a
// 5xx, a stalled request) are retried within the deploy, and an upload
// token that expires mid-way is replaced by a new session.
func TestDeployInterruptedAndRetried(t *testing.T) {
	ctx := context.Background()
	t.Run("resumes", func(t *testing.T) {
		e := newEnv(t, cffake.Options{BucketFiles: 5})
		e.cfg.InFlight = 1
		dist := t.TempDir()
		files := siteFiles(3, "aaaa")
		writeDist(t, dist, files)
		if _, err := e.target(t).Deploy(ctx, dist, cloudflare.DeployOptions{}); err != nil {
			t.Fatal(err)
		}
		first := files
		files = siteFiles(30, "bbbb")
		writeDist(t, dist, files)
		missing := 1 // the kept-files record changes with the stylesheet
		for p, c := range files {
			if first[p] != c {
				missing++
			}
		}
		// The third bucket fails for good: more 5xx than the tries.
		e.cfg.Attempts = 2
		e.fake.FailAfter(cffake.OpUpload, 2, 2, 500)
		uploadsBefore := e.fake.Uploads().Files
		_, err := e.target(t).Deploy(ctx, dist, cloudflare.DeployOptions{})
		if err == nil || !strings.Contains(err.Error(), "the live version is unchanged") {
			t.Fatalf("interrupted deploy: %v", err)
		}
		if _, body := e.get(t, "/"); body != "<h1>home</h1>" {
			t.Errorf("live site after the failed deploy: %q", body)
		}
		if resp, _ := e.get(t, "/posts/z/"); resp.StatusCode != 404 {
			t.Errorf("a page of the failed deploy is live: %d", resp.StatusCode)
		}
		got := e.fake.Uploads().Files - uploadsBefore
		if got != 10 {
			t.Fatalf("interrupted deploy uploaded %d files, want the two buckets before the failure (10)", got)
		}
		rep, err := e.target(t).Deploy(ctx, dist, cloudflare.DeployOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if rep.Uploaded+rep.Records != missing-10 {
			t.Errorf("resumed deploy uploaded %d files, want the %d still missing", rep.Uploaded, missing-10)
		}
		if _, body := e.get(t, "/posts/z/"); body != files["/posts/z/index.html"] {
			t.Errorf("after resuming, /posts/z/ serves %q", body)
		}
	})
	t.Run("retries", func(t *testing.T) {
		e := newEnv(t, cffake.Options{BucketFiles: 4})
		e.cfg.RequestTimeout = 300 * time.Millisecond
		dist := t.TempDir()
		writeDist(t, dist, siteFiles(20, "aaaa"))
		e.fake.Fail(cffake.OpUpload, 2, 503)
		e.fake.Stall(cffake.OpUpload, 1)
		e.fake.Fail(cffake.OpSession, 1, 500)
		e.fake.Fail(cffake.OpScript, 1, 502)
		rep, err := e.target(t).Deploy(ctx, dist, cloudflare.DeployOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if rep.Retries != 3 || rep.Uploaded != 24 || rep.Records != 1 {
			t.Errorf("%+v: want 3 retried buckets, 24 files and the record", rep)
		}
	})
	t.Run("token expires", func(t *testing.T) {
		e := newEnv(t, cffake.Options{BucketFiles: 4, UploadTokenTTL: 400 * time.Millisecond})
		e.cfg.RequestTimeout = 600 * time.Millisecond
		e.cfg.InFlight = 1
		dist := t.TempDir()
		writeDist(t, dist, siteFiles(20, "aaaa"))
		e.fake.Stall(cffake.OpUpload, 1) // outlives the token
		rep, err := e.target(t).Deploy(ctx, dist, cloudflare.DeployOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if rep.Sessions != 2 || rep.Uploaded != 24 || rep.Records != 1 {
			t.Errorf("%+v: want a second session and every file uploaded once", rep)
		}
	})
}

// A site with API functions gets a Worker that routes them to the origin
// (bound as VERGE_ORIGIN), run before any asset could shadow them; a site
// without an origin set deploys assets only, and says so.
func TestDeployFunctionsWorker(t *testing.T) {
	e := newEnv(t, cffake.Options{})
	dist := t.TempDir()
	writeDist(t, dist, siteFiles(2, "aaaa"))
	addFunctions(t, dist, "/api/related/{slug}")
	rep, err := e.target(t).Deploy(context.Background(), dist, cloudflare.DeployOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Worker || !strings.Contains(rep.Warning, "origin") {
		t.Errorf("no origin: %+v", rep)
	}
	if _, main, _, _, _ := e.fake.LiveScript("blog"); main != "" {
		t.Errorf("a Worker without an origin to send to: %q", main)
	}
	e.cfg.Origin = "https://origin.example.com"
	files := siteFiles(2, "aaaa")
	files["/index.html"] = "changed"
	writeDist(t, dist, files)
	addFunctions(t, dist, "/api/related/{slug}")
	if rep, err = e.target(t).Deploy(context.Background(), dist, cloudflare.DeployOptions{}); err != nil || !rep.Worker {
		t.Fatalf("%+v %v", rep, err)
	}
	cfg, main, modules, bindings, _ := e.fake.LiveScript("blog")
	if main != cloudflare.WorkerName || !strings.Contains(modules[main], `["^/api/related/[^/]+$",false]`) {
		t.Errorf("main module %q: %s", main, modules[main])
	}
	if !slices.Equal(cfg.RunWorkerFirst, []string{"/api/related/*"}) || cfg.NotFoundHandling != "404-page" || cfg.HTMLHandling != "auto-trailing-slash" {
		t.Errorf("assets config %+v", cfg)
	}
	var origin string
	for _, b := range bindings {
		if b["name"] == "VERGE_ORIGIN" {
			origin, _ = b["text"].(string)
		}
	}
	if origin != "https://origin.example.com" {
		t.Errorf("bindings %v", bindings)
	}
}

// addFunctions adds API functions to the manifest in dist.
func addFunctions(t *testing.T, dist string, paths ...string) {
	t.Helper()
	m, err := manifest.Read(dist)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range paths {
		m.Functions = append(m.Functions, manifest.Function{Pattern: "GET " + p, Method: "GET", Path: p})
	}
	if err := manifest.Write(dist, m); err != nil {
		t.Fatal(err)
	}
}

// Answers lost after Cloudflare acted on the request: a bucket upload is
// sent again and the upload completes; a Worker upload whose every answer
// is lost is judged by what is live, and the deploy reports success.
func TestDeployLostAnswers(t *testing.T) {
	e := newEnv(t, cffake.Options{BucketFiles: 5})
	e.cfg.InFlight = 1
	dist := t.TempDir()
	writeDist(t, dist, siteFiles(10, "aaaa"))
	e.fake.Lose(cffake.OpUpload, 1)
	e.fake.Lose(cffake.OpScript, 5)
	rep, err := e.target(t).Deploy(context.Background(), dist, cloudflare.DeployOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Version == "" || rep.Retries != 1 {
		t.Errorf("%+v: want the live version and one retried bucket", rep)
	}
	if _, body := e.get(t, "/"); body != "<h1>home</h1>" {
		t.Errorf("site serves %q", body)
	}

	// Every answer lost, and what is live cannot be read back either:
	// the deploy cannot know, and says so.
	files := siteFiles(10, "aaaa")
	files["/index.html"] = "new home"
	writeDist(t, dist, files)
	e.fake.Lose(cffake.OpScript, 5)
	e.fake.Fail(cffake.OpVersions, 5, 502)
	if _, err := e.target(t).Deploy(context.Background(), dist, cloudflare.DeployOptions{}); !errors.Is(err, cloudflare.ErrMaybeLive) {
		t.Errorf("deploy with its outcome unknown: %v", err)
	}
}

// The record of kept files names files this account lacks (it was made
// deploying to another account): they are left out, not asked for
// forever, and the deploy goes through.
func TestDeployKeptFilesCloudflareLacks(t *testing.T) {
	ctx := context.Background()
	a := newEnv(t, cffake.Options{})
	dist := t.TempDir()
	writeDist(t, dist, siteFiles(2, "aaaa"))
	if _, err := a.target(t).Deploy(ctx, dist, cloudflare.DeployOptions{}); err != nil {
		t.Fatal(err)
	}
	b := newEnv(t, cffake.Options{})
	b.cfg.StateDir = a.cfg.StateDir // the same checkout
	os.RemoveAll(dist)
	writeDist(t, dist, siteFiles(2, "bbbb"))
	for i := range 2 {
		rep, err := b.target(t).Deploy(ctx, dist, cloudflare.DeployOptions{})
		if err != nil {
			t.Fatalf("deploy %d to the other account: %v", i, err)
		}
		// The first keeps nothing (this account never had aaaa: a
		// session to learn it, one to upload, one for the record without
		// it); the second keeps bbbb, which it has, in one session.
		if sessions := []int{3, 1}[i]; rep.Kept != i || rep.Sessions != sessions || rep.Skipped < 0 {
			t.Errorf("deploy %d: %+v, want %d kept files and %d sessions", i, rep, i, sessions)
		}
		os.RemoveAll(dist)
		writeDist(t, dist, siteFiles(2, "cccc"))
	}
	if resp, _ := b.get(t, "/_assets/main-bbbb.css"); resp.StatusCode != 200 {
		t.Errorf("the second account's previous stylesheet: %d", resp.StatusCode)
	}
}

// Buckets go three at a time, and a 429 on one waits as Retry-After says.
func TestDeployInFlightAndRetryAfter(t *testing.T) {
	e := newEnv(t, cffake.Options{BucketFiles: 2})
	dist := t.TempDir()
	writeDist(t, dist, siteFiles(20, "aaaa"))
	e.fake.Slow(cffake.OpUpload, 50*time.Millisecond)
	e.fake.Fail(cffake.OpUpload, 1, http.StatusTooManyRequests)
	start := time.Now()
	rep, err := e.target(t).Deploy(context.Background(), dist, cloudflare.DeployOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := e.fake.MaxInFlight(cffake.OpUpload); got != 3 {
		t.Errorf("%d bucket uploads at once, want 3", got)
	}
	// Backoff is 1ms in these tests: only Retry-After makes a second.
	if rep.Retries != 1 || time.Since(start) < time.Second {
		t.Errorf("retries %d in %s: the 429's Retry-After (1s) was not waited", rep.Retries, time.Since(start))
	}
}

// A _redirects file of the site's static/ becomes the version's redirect
// rules, not a file it serves.
func TestDeployRedirects(t *testing.T) {
	e := newEnv(t, cffake.Options{})
	dist := t.TempDir()
	files := siteFiles(2, "aaaa")
	files["/_redirects"] = "/old/ /posts/a/ 301\n"
	writeDist(t, dist, files)
	if _, err := e.target(t).Deploy(context.Background(), dist, cloudflare.DeployOptions{}); err != nil {
		t.Fatal(err)
	}
	cfg, _, _, _, _ := e.fake.LiveScript("blog")
	if cfg.Redirects != files["/_redirects"] {
		t.Errorf("redirects %q", cfg.Redirects)
	}
	if resp, _ := e.get(t, "/_redirects"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("/_redirects is served: %d", resp.StatusCode)
	}
}
