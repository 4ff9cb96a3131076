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
	text, warning := headersFile(m)
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
	text, warning = headersFile(m)
	rules := 0
	for _, line := range strings.Split(text, "\n") {
		if strings.HasPrefix(line, "/") {
			rules++
		}
	}
	if rules != MaxHeaderRules || !strings.Contains(text, "/_assets/*") || !strings.Contains(warning, "files get the common cache policy") {
		t.Errorf("%d rules, warning %q", rules, warning)
	}
}
