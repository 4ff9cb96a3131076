package cloudflare

import (
	"fmt"
	"strings"
	"testing"

	"github.com/vergehq/verge/internal/manifest"
)

const (
	pageCC   = "public, max-age=60, must-revalidate"
	assetCC  = "public, max-age=31536000, immutable"
	staticCC = "public, max-age=3600"
)

// The build's cache policies in few rules: the pages' for everything,
// a directory rule for the fingerprinted assets, single paths for the
// rest; and within Cloudflare's 100 rules, whatever the build.
func TestHeadersFile(t *testing.T) {
	m := &manifest.Manifest{Files: []manifest.File{
		{Path: "/index.html", Route: "/", CacheControl: pageCC},
		{Path: "/posts/a/index.html", Route: "/posts/a/", CacheControl: pageCC},
		{Path: "/posts/b/index.html", Route: "/posts/b/", CacheControl: pageCC},
		{Path: "/_assets/css/main-X.css", CacheControl: assetCC},
		{Path: "/_assets/js/main-Y.js", CacheControl: assetCC},
		{Path: "/robots.txt", CacheControl: staticCC},
		{Path: "/posts/a/photo.png", CacheControl: staticCC},
	}}
	text, warning, err := headersFile(m)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"/*\n  Cache-Control: " + pageCC, "/_assets/*\n  ! Cache-Control\n  ! CDN-Cache-Control\n  Cache-Control: " + assetCC,
		"/robots.txt\n", "/posts/a/photo.png\n"}
	for _, w := range want {
		if !strings.Contains(text, w) {
			t.Errorf("_headers lacks %q:\n%s", w, text)
		}
	}
	if strings.Contains(text, "/posts/a/*") || warning != "" {
		t.Errorf("a rule would take the page /posts/a/ (warning %q):\n%s", warning, text)
	}

	// 150 static files, each alone among pages: past the limit.
	for i := range 150 {
		m.Files = append(m.Files,
			manifest.File{Path: fmt.Sprintf("/p%d/index.html", i), Route: fmt.Sprintf("/p%d/", i), CacheControl: pageCC},
			manifest.File{Path: fmt.Sprintf("/p%d/x.png", i), CacheControl: staticCC})
	}
	text, warning, err = headersFile(m)
	if err != nil {
		t.Fatal(err)
	}
	rules := 0
	for _, line := range strings.Split(text, "\n") {
		if strings.HasPrefix(line, "/") {
			rules++
		}
	}
	if rules != maxHeaderRules || !strings.Contains(text, "/_assets/*") || !strings.Contains(warning, "served with the common cache policy") {
		t.Errorf("%d rules, warning %q", rules, warning)
	}
}

// Past the limit, no file may fall back to a policy that caches it
// longer than its own: the common policy is never immutable while others
// exist, and when the files that must stay fresher need more than 100
// rules, the deploy stops and says why.
func TestHeadersFileNeverCachesLonger(t *testing.T) {
	m := &manifest.Manifest{}
	for i := range 1000 { // more assets than pages
		m.Files = append(m.Files, manifest.File{Path: fmt.Sprintf("/_assets/a%d.css", i), CacheControl: assetCC})
	}
	for i := range 150 {
		m.Files = append(m.Files, manifest.File{Path: fmt.Sprintf("/p%d/index.html", i), Route: fmt.Sprintf("/p%d/", i), CacheControl: pageCC},
			manifest.File{Path: fmt.Sprintf("/p%d/x.png", i), CacheControl: staticCC})
	}
	text, _, err := headersFile(m)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(text, "/*\n  Cache-Control: "+pageCC) {
		t.Errorf("the common policy is not the pages':\n%.300s", text)
	}
	// Mostly static files, and 150 pages each alone among them: the
	// static files' policy is the most frequent, but the pages would need
	// 150 rules; the pages' policy covers "/*" instead, and the static
	// files past the limit are only cached less.
	m = &manifest.Manifest{}
	for i := range 150 {
		for j := range 3 {
			m.Files = append(m.Files, manifest.File{Path: fmt.Sprintf("/d%d/f%d.png", i, j), CacheControl: staticCC})
		}
		m.Files = append(m.Files, manifest.File{Path: fmt.Sprintf("/d%d/index.html", i), Route: fmt.Sprintf("/d%d/", i), CacheControl: pageCC})
	}
	text, warning, err := headersFile(m)
	if err != nil || !strings.Contains(text, "/*\n  Cache-Control: "+pageCC) || !strings.Contains(warning, "cached longer") {
		t.Errorf("err %v, warning %q:\n%.300s", err, warning, text)
	}
}
