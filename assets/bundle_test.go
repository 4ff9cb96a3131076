package assets

import (
	"regexp"
	"strings"
	"testing"
)

func TestBundleCSS(t *testing.T) {
	root := writeTree(t, map[string]string{
		"assets/css/main.css":  "@import \"./_vars.css\";\nbody { color: var(--fg); }\n.logo { background: url(../img/logo.png); }\n.ext { background: url(/static/bg.png); }\n@font-face { font-family: X; src: url(../fonts/x.woff2) format(\"woff2\"); }\n",
		"assets/css/_vars.css": ":root { --fg: #123456; }\n",
		"assets/img/logo.png":  "\x89PNG fake logo",
		"assets/fonts/x.woff2": "wOF2 fake font",
	})
	r := mustBuild(t, siteOptions(root))
	css := mustLookup(t, r, "css/main.css")
	if !regexp.MustCompile(`^/_assets/css/main-[A-Z0-9]{8}\.css$`).MatchString(css.Path) {
		t.Errorf("bundle path = %q", css.Path)
	}
	if css.Source != "css/main.css" || !css.Fingerprinted || css.ContentType != "text/css; charset=utf-8" {
		t.Errorf("bundle = %+v", css)
	}
	body := string(css.Data)
	if !strings.Contains(body, "#123456") {
		t.Errorf("partial not inlined:\n%s", body)
	}
	if strings.Contains(body, "@import") {
		t.Errorf("@import left in bundle:\n%s", body)
	}
	if !strings.Contains(body, "url(/static/bg.png)") {
		t.Errorf("absolute URL path not kept:\n%s", body)
	}
	for _, tc := range []struct{ logical, re string }{
		{"img/logo.png", `/_assets/media/logo-[A-Z0-9]{8}\.png`},
		{"fonts/x.woff2", `/_assets/media/x-[A-Z0-9]{8}\.woff2`},
	} {
		m := regexp.MustCompile(tc.re).FindString(body)
		if m == "" {
			t.Errorf("%s: bundle does not reference %s:\n%s", tc.logical, tc.re, body)
			continue
		}
		media := byPath(r, m)
		if media == nil {
			t.Errorf("%s: %s referenced but not output; files %v", tc.logical, m, paths(r))
			continue
		}
		// The same image used on its own is the same file: one URL, one download.
		if f := mustLookup(t, r, tc.logical); f != media {
			t.Errorf("Lookup(%q) = %s, want the media output %s", tc.logical, f.Path, media.Path)
		}
	}
	if f := byPath(r, mustLookup(t, r, "fonts/x.woff2").Path); f.ContentType != "font/woff2" || string(f.Data) != "wOF2 fake font" {
		t.Errorf("font = %+v", f)
	}
}

func TestBundleJS(t *testing.T) {
	root := writeTree(t, map[string]string{
		"assets/js/app.js":         "import { greet } from './_lib/greet.js';\nimport './app.css';\ndocument.title = greet('verge');\n",
		"assets/js/_lib/greet.js":  "export function greet(name) { return 'hello ' + name; }\n",
		"assets/js/app.css":        ".app { display: grid; }\n",
		"assets/js/typed.ts":       "import type { T } from './_types';\nconst n: number = 41;\nenum E { A = 1 }\nexport const v: T = { n: n + E.A };\nconsole.log(v);\n",
		"assets/js/_types.ts":      "export interface T { n: number }\n",
		"assets/js/view.tsx":       "/** @jsx h */\nimport { h } from './_h';\nconsole.log(<p class=\"x\">hi</p>);\n",
		"assets/js/_h.ts":          "export const h = (tag: string, props: any, ...kids: any[]) => ({ tag, props, kids });\n",
		"assets/js/mod.mjs":        "export const m = 1;\n",
		"assets/js/ext.js":         "import '/vendor/x.js';\nconsole.log(1);\n",
		"assets/js/types.d.ts":     "declare const x: number;\n",
		"assets/js/legacy/old.cjs": "module.exports = 1;\n",
	})
	r := mustBuild(t, siteOptions(root))
	tests := []struct {
		logical   string
		want      []string
		notWant   []string
		pathRegex string
	}{
		{"js/app.js", []string{"hello ", "document.title"}, []string{"import "}, `^/_assets/js/app-[A-Z0-9]{8}\.js$`},
		{"js/typed.ts", []string{"console.log(v)"}, []string{": number", "interface", "import"}, `^/_assets/js/typed-[A-Z0-9]{8}\.js$`},
		{"js/view.tsx", []string{`h("p"`}, []string{"<p"}, `^/_assets/js/view-[A-Z0-9]{8}\.js$`},
		{"js/mod.mjs", []string{"export"}, nil, `^/_assets/js/mod-[A-Z0-9]{8}\.js$`},
		{"js/ext.js", []string{`import "/vendor/x.js"`}, nil, `^/_assets/js/ext-[A-Z0-9]{8}\.js$`}, // URL paths stay external
	}
	for _, tc := range tests {
		t.Run(tc.logical, func(t *testing.T) {
			f := mustLookup(t, r, tc.logical)
			if !regexp.MustCompile(tc.pathRegex).MatchString(f.Path) {
				t.Errorf("path = %q", f.Path)
			}
			if f.ContentType != "text/javascript; charset=utf-8" {
				t.Errorf("content type = %q", f.ContentType)
			}
			for _, w := range tc.want {
				if !strings.Contains(string(f.Data), w) {
					t.Errorf("missing %q in\n%s", w, f.Data)
				}
			}
			for _, w := range tc.notWant {
				if strings.Contains(string(f.Data), w) {
					t.Errorf("unexpected %q in\n%s", w, f.Data)
				}
			}
		})
	}
	css, ok := r.CSSBundle("js/app.js")
	if !ok || !strings.Contains(string(css.Data), "display: grid") || !strings.HasSuffix(css.Path, ".css") {
		t.Errorf("CSSBundle(js/app.js) = %+v, %v", css, ok)
	}
	if _, ok := r.CSSBundle("js/typed.ts"); ok {
		t.Error("CSSBundle for an entry without CSS imports")
	}
	for _, p := range paths(r) {
		if strings.Contains(p, "types") || strings.Contains(p, "old") || strings.Contains(p, "_") && !strings.HasPrefix(p, "/_assets/") {
			t.Errorf("source-only file published: %s", p)
		}
	}
}

func TestMinify(t *testing.T) {
	files := map[string]string{
		"assets/css/main.css": "/*! legal notice */\n.some-class   {\n  color:   #ff0000;\n  margin: 0px 0px 0px 0px;\n}\n",
		"assets/js/app.js":    "/*! legal notice */\nfunction computeSomething(longArgumentName) {\n  const intermediateValue = longArgumentName * 2;\n  return intermediateValue + 1;\n}\nconsole.log(computeSomething(20));\n",
	}
	root := writeTree(t, files)
	plain := mustBuild(t, siteOptions(root))
	opts := siteOptions(root)
	opts.Minify = true
	min := mustBuild(t, opts)
	for _, logical := range []string{"css/main.css", "js/app.js"} {
		p, m := mustLookup(t, plain, logical), mustLookup(t, min, logical)
		if len(m.Data) >= len(p.Data) {
			t.Errorf("%s: minified %d bytes >= plain %d", logical, len(m.Data), len(p.Data))
		}
		if strings.Contains(string(m.Data), "legal notice") {
			t.Errorf("%s: legal comment kept when minifying:\n%s", logical, m.Data)
		}
		if strings.Count(strings.TrimSpace(string(m.Data)), "\n") > 0 {
			t.Errorf("%s: minified output has several lines:\n%s", logical, m.Data)
		}
		if m.Path == p.Path {
			t.Errorf("%s: same fingerprint for different content", logical)
		}
	}
	if s := string(mustLookup(t, min, "css/main.css").Data); !strings.Contains(s, "red") && !strings.Contains(s, "#f00") {
		t.Errorf("CSS not minified: %s", s)
	}
	if s := string(mustLookup(t, min, "js/app.js").Data); strings.Contains(s, "intermediateValue") {
		t.Errorf("JS identifiers not minified: %s", s)
	}
}

func TestSourcemap(t *testing.T) {
	root := writeTree(t, map[string]string{"assets/js/app.ts": "const a: number = 1; console.log(a);\n"})
	opts := siteOptions(root)
	opts.Sourcemap = true
	r := mustBuild(t, opts)
	js := mustLookup(t, r, "js/app.ts")
	m := byPath(r, js.Path+".map")
	if m == nil {
		t.Fatalf("no map for %s in %v", js.Path, paths(r))
	}
	if m.Fingerprinted || m.Source != "" || m.ContentType != "application/json; charset=utf-8" {
		t.Errorf("map = %+v", m)
	}
	if !strings.Contains(string(js.Data), "sourceMappingURL="+js.Path+".map") {
		t.Errorf("bundle does not link its map:\n%s", js.Data)
	}
	if !strings.Contains(string(m.Data), `"app.ts"`) {
		t.Errorf("map does not name its source:\n%s", m.Data)
	}
}

func TestPublicPath(t *testing.T) {
	root := writeTree(t, map[string]string{
		"assets/css/main.css": ".a { background: url(../img/a.png); }\n",
		"assets/img/a.png":    "png",
		"assets/doc.pdf":      "pdf",
	})
	opts := siteOptions(root)
	opts.PublicPath = "/static-v/"
	r := mustBuild(t, opts)
	for _, f := range r.Files {
		if !strings.HasPrefix(f.Path, "/static-v/") {
			t.Errorf("%s not under the public path", f.Path)
		}
	}
	if css := mustLookup(t, r, "css/main.css"); !strings.Contains(string(css.Data), `url("/static-v/media/a-`) {
		t.Errorf("url() not under the public path:\n%s", css.Data)
	}
	if f := mustLookup(t, r, "doc.pdf"); !regexp.MustCompile(`^/static-v/doc-[A-Z0-9]{8}\.pdf$`).MatchString(f.Path) {
		t.Errorf("root-level asset path = %s", f.Path)
	}
}
