package deploy

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"
)

// A content file maps to the page tags of exactly the live pages that
// read it (its entry or its card), and to its tags in the function
// namespace, and says what it covers.
func TestContentTags(t *testing.T) {
	for _, c := range []struct {
		name   string
		built  bool
		paths  []string
		tags   string
		says   string
		errHas string
	}{
		{"entry on pages", true, []string{"content/posts/a.md"}, "page:/,tree:/posts/a/,fn:e:posts/a,fn:m:posts/a", "content/posts/a.md: tag e:posts/a, read by 2 pages of the last build (nothing deployed from here)", ""},
		{"second candidate", true, []string{"content/posts/b.md"}, "tree:/posts/b/,fn:e:/posts/b,fn:m:/posts/b", "tag e:/posts/b, read by 1 pages", ""},
		{"on no page", true, []string{"data/authors.yaml"}, "fn:d:authors", "tag d:authors, read by no page of the last build", ""},
		{"nothing live", false, []string{"content/posts/a.md"}, "fn:e:posts/a,fn:m:posts/a", "tag e:posts/a (no live version to find its pages in)", ""},
		{"not content", true, []string{"content/posts/a.txt"}, "", "", "is not a content file"},
		{"outside the site", true, []string{"/etc/passwd"}, "", "", "is outside the site"},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := testSite(t, Config{OutputDir: "dist"})
			if c.built {
				writeBuild(t, filepath.Join(s.Dir, "dist"), map[string]page{
					"/index.html":         {body: "home", tags: []string{"m:posts/a"}},
					"/posts/a/index.html": {body: "a", tags: []string{"e:posts/a"}},
					"/posts/b/index.html": {body: "b", tags: []string{"e:/posts/b"}},
				}, nil)
			}
			var w bytes.Buffer
			ep, err := s.ContentTags(&w, c.paths)
			if c.errHas != "" {
				if err == nil || !strings.Contains(err.Error(), c.errHas) {
					t.Fatalf("err %v, want %q", err, c.errHas)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if strings.Join(ep.Tags, ",") != c.tags || len(ep.URLs) != 0 || !strings.Contains(w.String(), c.says) {
				t.Errorf("tags %v urls %v, said %q; want %s, saying %q", ep.Tags, ep.URLs, w.String(), c.tags, c.says)
			}
		})
	}
}

// What is live is the local store's active version, else the last build
// deployed to Cloudflare from here, else the last build.
func TestLiveManifest(t *testing.T) {
	s := testSite(t, Config{OutputDir: "dist"})
	if m, _ := s.liveManifest(); m != nil {
		t.Fatal("a live manifest where nothing is built")
	}
	dist := filepath.Join(s.Dir, "dist")
	built := writeBuild(t, dist, map[string]page{"/index.html": {body: "built"}}, nil)
	if m, where := s.liveManifest(); m == nil || m.BuildID != built.BuildID || where != "the last build (nothing deployed from here)" {
		t.Fatalf("live %v from %q", m, where)
	}
	cfOut := t.TempDir()
	cf := writeBuild(t, cfOut, map[string]page{"/index.html": {body: "on cloudflare"}}, nil)
	if err := saveCloudflareRecord(s.Layout, cf.BuildID, "v-1", cfOut); err != nil {
		t.Fatal(err)
	}
	if m, where := s.liveManifest(); m == nil || m.BuildID != cf.BuildID || where != "the version deployed to Cloudflare, v-1" {
		t.Fatalf("live %v from %q", m, where)
	}
	tg, err := Open("local", s)
	if err != nil {
		t.Fatal(err)
	}
	if err := tg.Deploy(t.Context(), dist, Options{Stdout: &bytes.Buffer{}, Stderr: &bytes.Buffer{}}); err != nil {
		t.Fatal(err)
	}
	if m, where := s.liveManifest(); m == nil || m.BuildID != built.BuildID || !strings.HasPrefix(where, "the live version ") {
		t.Fatalf("live %v from %q", m, where)
	}
}

// A content tag given by hand purges the live pages that read it, by
// their page tags, and the function responses that read it; page and
// function tags go as given.
func TestExpandTags(t *testing.T) {
	s := testSite(t, Config{OutputDir: "dist"})
	writeBuild(t, filepath.Join(s.Dir, "dist"), map[string]page{
		"/a/index.html": {body: "a", tags: []string{"c:posts"}},
		"/b/index.html": {body: "b", tags: []string{"c:posts", "e:posts/b"}},
		"/c/index.html": {body: "c", tags: []string{"site"}},
	}, nil)
	var w bytes.Buffer
	ep := s.ExpandTags(&w, []string{"c:posts", "e:posts/b", "d:none", "page:/x/", "fn:e:posts/q"})
	if want := "tree:/a/,tree:/b/,fn:c:posts,fn:e:posts/b,fn:d:none,page:/x/,fn:e:posts/q"; strings.Join(ep.Tags, ",") != want || len(ep.URLs) != 0 {
		t.Errorf("tags %v urls %v, want %s", ep.Tags, ep.URLs, want)
	}
	want := "tag c:posts: read by 2 pages of the last build (nothing deployed from here)\ntag e:posts/b: read by 1 pages of the last build (nothing deployed from here)\ntag d:none: read by 0 pages of the last build (nothing deployed from here)\n"
	if w.String() != want {
		t.Errorf("said %q, want %q", w.String(), want)
	}
}
