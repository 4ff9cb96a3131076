package assets

import (
	"bytes"
	"context"
	"reflect"
	"regexp"
	"strings"
	"testing"
)

// site is a small but complete site used by several tests.
var site = map[string]string{
	"assets/css/main.css":     "@import './_vars.css';\nbody { color: var(--fg); background: url(../img/bg.png); }\n",
	"assets/css/_vars.css":    ":root { --fg: #222; }\n",
	"assets/css/print.css":    "body { color: black; }\n",
	"assets/js/app.ts":        "import { n } from './_lib/n';\nconsole.log(n as number);\n",
	"assets/js/_lib/n.ts":     "export const n = 1;\n",
	"assets/js/.scratch.js":   "syntax error here (",
	"assets/img/bg.png":       "background image",
	"assets/img/logo.svg":     "<svg xmlns='http://www.w3.org/2000/svg'/>",
	"assets/_drafts/x.png":    "draft",
	"assets/data/site.json":   `{"a":1}`,
	"static/favicon.ico":      "icon",
	"static/robots.txt":       "User-agent: *\n",
	"static/.well-known/x":    "well known",
	"static/.DS_Store":        "junk",
	"static/img/.hidden.png":  "junk",
	"static/docs/guide/a.pdf": "pdf",
}

func TestIntegrityAndContentTypes(t *testing.T) {
	r := mustBuild(t, siteOptions(writeTree(t, site)))
	if len(r.Files) == 0 {
		t.Fatal("no files")
	}
	for _, f := range r.Files {
		if f.Integrity != sri(f.Data) {
			t.Errorf("%s: integrity %s, want %s", f.Path, f.Integrity, sri(f.Data))
		}
		if f.ContentType == "" || f.ContentType != ContentType(f.Path) {
			t.Errorf("%s: content type %q", f.Path, f.ContentType)
		}
	}
}

func TestFilesSortedAndUnique(t *testing.T) {
	r := mustBuild(t, siteOptions(writeTree(t, site)))
	for i := 1; i < len(r.Files); i++ {
		if r.Files[i-1].Path >= r.Files[i].Path {
			t.Errorf("files not sorted/unique at %s, %s", r.Files[i-1].Path, r.Files[i].Path)
		}
	}
}

func TestStaticFiles(t *testing.T) {
	r := mustBuild(t, siteOptions(writeTree(t, site)))
	for _, tc := range []struct{ path, data, ct string }{
		{"/favicon.ico", "icon", "image/x-icon"},
		{"/robots.txt", "User-agent: *\n", "text/plain; charset=utf-8"},
		{"/.well-known/x", "well known", "application/octet-stream"},
		{"/docs/guide/a.pdf", "pdf", "application/pdf"},
	} {
		f := byPath(r, tc.path)
		if f == nil {
			t.Errorf("%s not copied; files %v", tc.path, paths(r))
			continue
		}
		if string(f.Data) != tc.data || f.ContentType != tc.ct || f.Fingerprinted || f.Source != strings.TrimPrefix(tc.path, "/") {
			t.Errorf("%s = %+v", tc.path, f)
		}
	}
	for _, p := range []string{"/.DS_Store", "/img/.hidden.png"} {
		if byPath(r, p) != nil {
			t.Errorf("%s published", p)
		}
	}
	if f, ok := r.Lookup("/favicon.ico"); !ok || f.Path != "/favicon.ico" {
		t.Errorf("Lookup(/favicon.ico) = %v, %v", f, ok)
	}
}

func TestPartialsExcluded(t *testing.T) {
	r := mustBuild(t, siteOptions(writeTree(t, site)))
	for _, f := range r.Files {
		if strings.Contains(f.Path, "_vars") || strings.Contains(f.Path, "/_lib") || strings.Contains(f.Path, "scratch") || strings.Contains(f.Path, "draft") {
			t.Errorf("partial published: %s", f.Path)
		}
	}
	for _, logical := range []string{"css/_vars.css", "js/_lib/n.ts", "js/.scratch.js", "_drafts/x.png"} {
		if _, ok := r.Lookup(logical); ok {
			t.Errorf("Lookup(%q) found a partial", logical)
		}
	}
	for _, logical := range []string{"css/main.css", "css/print.css", "js/app.ts", "img/bg.png", "img/logo.svg", "data/site.json"} {
		mustLookup(t, r, logical)
	}
	if f := mustLookup(t, r, "img/logo.svg"); !regexp.MustCompile(`^/_assets/img/logo-[A-Z2-7]{8}\.svg$`).MatchString(f.Path) || !f.Fingerprinted {
		t.Errorf("svg = %+v", f)
	}
}

func TestInputs(t *testing.T) {
	root := writeTree(t, site)
	r := mustBuild(t, siteOptions(root))
	in := strings.Join(r.Inputs(), "\n")
	for _, p := range []string{"assets/css/_vars.css", "assets/js/_lib/n.ts", "assets/img/bg.png", "assets/img/logo.svg", "static/robots.txt", "assets/js/app.ts"} {
		if !strings.Contains(in, root+"/"+p) {
			t.Errorf("inputs miss %s:\n%s", p, in)
		}
	}
	if strings.Contains(in, "scratch") {
		t.Errorf("inputs list an unread file:\n%s", in)
	}
}

func TestDeterministic(t *testing.T) {
	for _, minify := range []bool{false, true} {
		root := writeTree(t, site)
		opts := siteOptions(root)
		opts.Minify, opts.Sourcemap = minify, true
		a, b := mustBuild(t, opts), mustBuild(t, opts)
		if !reflect.DeepEqual(a.Files, b.Files) {
			t.Errorf("minify=%v: builds differ:\n%v\n%v", minify, paths(a), paths(b))
		}
		// Another checkout of the same site at another path: the same bytes.
		c := mustBuild(t, siteOptions(writeTree(t, site)))
		d := mustBuild(t, siteOptions(writeTree(t, site)))
		if !reflect.DeepEqual(c.Files, d.Files) {
			t.Errorf("builds at different roots differ:\n%v\n%v", paths(c), paths(d))
		}
	}
}

func TestFingerprintFollowsContent(t *testing.T) {
	edits := []struct {
		name    string
		file    string
		content string
		changed []string // logical outputs whose path must change
	}{
		{"partial", "assets/css/_vars.css", ":root { --fg: #333; }\n", []string{"css/main.css"}},
		{"image", "assets/img/bg.png", "another background", []string{"img/bg.png", "css/main.css"}},
		{"script", "assets/js/_lib/n.ts", "export const n = 2;\n", []string{"js/app.ts"}},
		{"svg", "assets/img/logo.svg", "<svg xmlns='http://www.w3.org/2000/svg' width='1'/>", []string{"img/logo.svg"}},
		{"same content", "assets/css/print.css", site["assets/css/print.css"], nil},
	}
	logicals := []string{"css/main.css", "css/print.css", "js/app.ts", "img/bg.png", "img/logo.svg", "data/site.json"}
	for _, e := range edits {
		t.Run(e.name, func(t *testing.T) {
			root := writeTree(t, site)
			before := mustBuild(t, siteOptions(root))
			writeFiles(t, root, map[string]string{e.file: e.content})
			after := mustBuild(t, siteOptions(root))
			for _, l := range logicals {
				b, a := mustLookup(t, before, l), mustLookup(t, after, l)
				want := false
				for _, c := range e.changed {
					want = want || c == l
				}
				if got := a.Path != b.Path; got != want {
					t.Errorf("%s: path %s -> %s, want changed=%v", l, b.Path, a.Path, want)
				}
				if (a.Path == b.Path) != bytes.Equal(a.Data, b.Data) {
					t.Errorf("%s: same path with different data, or the reverse", l)
				}
			}
		})
	}
}

func TestMissingDirs(t *testing.T) {
	root := t.TempDir()
	r := mustBuild(t, siteOptions(root))
	if len(r.Files) != 0 || len(r.Inputs()) != 0 {
		t.Errorf("files %v inputs %v", paths(r), r.Inputs())
	}
	r = mustBuild(t, Options{Root: root})
	if len(r.Files) != 0 {
		t.Errorf("files %v", paths(r))
	}
}

func TestExplicitEntries(t *testing.T) {
	root := writeTree(t, site)
	opts := siteOptions(root)
	opts.Entries = []string{"/css/main.css", "js/app.ts"}
	r := mustBuild(t, opts)
	mustLookup(t, r, "css/main.css")
	mustLookup(t, r, "js/app.ts")
	mustLookup(t, r, "img/logo.svg")
	if _, ok := r.Lookup("css/print.css"); ok {
		t.Error("a file that is not an entry was bundled")
	}
}

func TestCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Build(ctx, siteOptions(writeTree(t, site))); err != context.Canceled {
		t.Errorf("err = %v", err)
	}
}

func TestContentType(t *testing.T) {
	for name, want := range map[string]string{
		"a.js": "text/javascript; charset=utf-8", "a.MJS": "text/javascript; charset=utf-8",
		"a.css": "text/css; charset=utf-8", "a.svg": "image/svg+xml", "a.woff2": "font/woff2",
		"a.js.map": "application/json; charset=utf-8", "site.webmanifest": "application/manifest+json; charset=utf-8",
		"a.png": "image/png", "a.html": "text/html; charset=utf-8", "LICENSE": "application/octet-stream",
		"/x/y.jpeg": "image/jpeg",
	} {
		if got := ContentType(name); got != want {
			t.Errorf("ContentType(%q) = %q, want %q", name, got, want)
		}
	}
}

func TestParseTargets(t *testing.T) {
	for _, tc := range []struct {
		in      []string
		engines int
		ok      bool
	}{
		{DefaultTarget, 3, true},
		{[]string{"esnext"}, 0, true},
		{[]string{"safari15.4", "ios15", "edge100"}, 3, true},
		{[]string{"es2020", "es2022"}, 0, false},
		{[]string{"netscape4"}, 0, false},
		{[]string{"chrome"}, 0, false},
		{[]string{"chromeX1"}, 0, false},
	} {
		_, engs, err := parseTargets(tc.in)
		if (err == nil) != tc.ok || (tc.ok && len(engs) != tc.engines) {
			t.Errorf("parseTargets(%v) = %v, %v", tc.in, engs, err)
		}
	}
	if _, err := NewBuilder(Options{Root: t.TempDir(), Target: []string{"netscape4"}}); err == nil {
		t.Error("NewBuilder accepted a bad target")
	}
	for _, pp := range []string{"_assets", "//cdn.example.com/a", "https://cdn.example.com"} {
		if _, err := NewBuilder(Options{Root: t.TempDir(), PublicPath: pp}); err == nil {
			t.Errorf("NewBuilder accepted public path %q", pp)
		}
	}
}
