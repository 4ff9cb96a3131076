package cachepurge_test

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/vergehq/verge/cachepurge"
	"github.com/vergehq/verge/internal/manifest"
)

// site is a small build: each page is "route sha tag tag...".
func site(versions map[string]string, pages ...string) cachepurge.Build {
	m := &manifest.Manifest{}
	for _, p := range pages {
		f := strings.Fields(p)
		m.Files = append(m.Files, manifest.File{Path: f[0] + "index.html", Route: f[0], SHA256: f[1], Tags: f[2:]})
	}
	slices.SortFunc(m.Files, func(a, b manifest.File) int { return strings.Compare(a.Path, b.Path) })
	return cachepurge.Build{Manifest: m, Versions: versions}
}

// v makes a versions map from "tag=version" pairs.
func v(pairs ...string) map[string]string {
	out := map[string]string{}
	for _, p := range pairs {
		k, val, _ := strings.Cut(p, "=")
		out[k] = val
	}
	return out
}

func TestPlan(t *testing.T) {
	liveVersions := v("site=1", "c:posts=1", "e:posts/a=1", "e:posts/b=1", "d:nav=1")
	live := site(liveVersions,
		"/ h1 site c:posts e:posts/a e:posts/b d:nav",
		"/posts/ h2 site c:posts e:posts/a e:posts/b d:nav",
		"/posts/a/ h3 site e:posts/a d:nav",
		"/posts/b/ h4 site e:posts/b d:nav",
		"/about/ h5 site d:nav",
	)
	tests := []struct {
		name        string
		live        cachepurge.Build
		next        cachepurge.Build
		tags, urls  []string
		files       []string
		everything  bool
		changedURLs int
	}{
		{name: "first deploy: nothing cached", live: cachepurge.Build{}, next: live},
		{name: "nothing changed", live: live, next: live},
		{name: "one post's body: its tag covers its page and the lists showing it",
			live: live,
			next: site(v("site=1", "c:posts=1", "e:posts/a=2", "e:posts/b=1", "d:nav=1"),
				"/ h1b site c:posts e:posts/a e:posts/b d:nav",
				"/posts/ h2b site c:posts e:posts/a e:posts/b d:nav",
				"/posts/a/ h3b site e:posts/a d:nav",
				"/posts/b/ h4 site e:posts/b d:nav",
				"/about/ h5 site d:nav"),
			tags: []string{"e:posts/a"}, urls: []string{"/", "/posts/", "/posts/a/"}, changedURLs: 3},
		{name: "a new post: the collection's tag, and the new URL by URL (a cache may hold its old 404)",
			live: live,
			next: site(v("site=1", "c:posts=2", "e:posts/a=1", "e:posts/b=1", "e:posts/c=1", "d:nav=1"),
				"/ h1c site c:posts e:posts/a e:posts/b e:posts/c d:nav",
				"/posts/ h2c site c:posts e:posts/a e:posts/b e:posts/c d:nav",
				"/posts/a/ h3 site e:posts/a d:nav",
				"/posts/b/ h4 site e:posts/b d:nav",
				"/posts/c/ h6 site e:posts/c d:nav",
				"/about/ h5 site d:nav"),
			tags: []string{"c:posts", "e:posts/c"}, urls: []string{"/", "/posts/"}, files: []string{"/posts/c/"}, changedURLs: 3},
		{name: "a page changed with no tag changed: its narrowest tag",
			live: live,
			next: site(liveVersions,
				"/ h1 site c:posts e:posts/a e:posts/b d:nav",
				"/posts/ h2 site c:posts e:posts/a e:posts/b d:nav",
				"/posts/a/ h3 site e:posts/a d:nav",
				"/posts/b/ h4x site e:posts/b d:nav",
				"/about/ h5 site d:nav"),
			tags: []string{"e:posts/b"}, urls: []string{"/", "/posts/", "/posts/b/"}, changedURLs: 1},
		{name: "the templates: every page, so everything",
			live: live,
			next: site(v("site=2", "c:posts=1", "e:posts/a=1", "e:posts/b=1", "d:nav=1"),
				"/ h1t site c:posts e:posts/a e:posts/b d:nav",
				"/posts/ h2t site c:posts e:posts/a e:posts/b d:nav",
				"/posts/a/ h3t site e:posts/a d:nav",
				"/posts/b/ h4t site e:posts/b d:nav",
				"/about/ h5t site d:nav"),
			tags: []string{"site"}, urls: []string{"/", "/about/", "/posts/", "/posts/a/", "/posts/b/"}, everything: true, changedURLs: 5},
		{name: "a page without tags: by URL",
			live:  site(v("site=1"), "/plain/ p1", "/ h1 site"),
			next:  site(v("site=1"), "/plain/ p2", "/ h1 site"),
			files: []string{"/plain/"}, changedURLs: 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := cachepurge.New(tc.live, tc.next, cachepurge.Limits{TagsPerRequest: 100})
			if !slices.Equal(p.Tags, tc.tags) || !slices.Equal(p.URLs, tc.urls) || !slices.Equal(p.Files, tc.files) {
				t.Errorf("tags %v urls %v files %v, want %v %v %v", p.Tags, p.URLs, p.Files, tc.tags, tc.urls, tc.files)
			}
			if p.Everything != tc.everything || len(p.ChangedURLs) != tc.changedURLs {
				t.Errorf("everything %v, %d changed URLs (%v); want %v, %d", p.Everything, len(p.ChangedURLs), p.ChangedURLs, tc.everything, tc.changedURLs)
			}
			// Never a changed URL live served left unpurged.
			for _, u := range p.ChangedURLs {
				if served(tc.live, u) && !p.Everything && !slices.Contains(p.URLs, u) && !slices.Contains(p.Files, u) {
					t.Errorf("changed URL %s is not purged", u)
				}
			}
		})
	}
}

// Tags go out in requests of at most the target's limit.
func TestPlanBatches(t *testing.T) {
	var liveV, nextV []string
	var pages []string
	for i := range 250 {
		liveV = append(liveV, fmt.Sprintf("e:p/%d=1", i))
		nextV = append(nextV, fmt.Sprintf("e:p/%d=2", i))
		pages = append(pages, fmt.Sprintf("/p/%d/ h site e:p/%d", i, i))
	}
	for i := range 150 {
		pages = append(pages, fmt.Sprintf("/q/%d/ h site", i)) // unchanged: not nearly everything
	}
	live := site(v(liveV...), pages...)
	p := cachepurge.New(live, site(v(nextV...), pages...), cachepurge.Limits{TagsPerRequest: 100})
	var sizes []int
	for _, b := range p.Batches {
		sizes = append(sizes, len(b))
	}
	if !reflect.DeepEqual(sizes, []int{100, 100, 50}) || p.Requests() != 3 {
		t.Errorf("batches of %v, %d requests; want 100, 100, 50 in 3", sizes, p.Requests())
	}
}

// served reports whether b serves route u.
func served(b cachepurge.Build, u string) bool {
	return b.Manifest != nil && slices.ContainsFunc(b.Manifest.Files, func(f manifest.File) bool { return f.Route == u })
}
