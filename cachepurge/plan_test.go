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

// site is a small build: each page is "route sha tag tag...", its tags
// what it read; its Cache-Tag the route's page tags.
func site(versions map[string]string, pages ...string) cachepurge.Build {
	m := &manifest.Manifest{}
	for _, p := range pages {
		f := strings.Fields(p)
		m.Files = append(m.Files, manifest.File{Path: f[0] + "index.html", Route: f[0], SHA256: f[1], Tags: f[2:], CacheTags: manifest.PageTags(f[0])})
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
		{name: "one post's body, its page alone changed: that page, and the functions that read the post",
			live: live,
			next: site(v("site=1", "c:posts=1", "e:posts/a=2", "e:posts/b=1", "d:nav=1"),
				"/ h1 site c:posts e:posts/a e:posts/b d:nav",
				"/posts/ h2 site c:posts e:posts/a e:posts/b d:nav",
				"/posts/a/ h3b site e:posts/a d:nav",
				"/posts/b/ h4 site e:posts/b d:nav",
				"/about/ h5 site d:nav"),
			tags: []string{"tree:/posts/a/", "fn:e:posts/a"}, urls: []string{"/posts/a/"}, changedURLs: 1},
		{name: "a new post: the lists by their page tags, the new URL by URL (a cache may hold its old 404)",
			live: live,
			next: site(v("site=1", "c:posts=2", "e:posts/a=1", "e:posts/b=1", "e:posts/c=1", "d:nav=1"),
				"/ h1c site c:posts e:posts/a e:posts/b e:posts/c d:nav",
				"/posts/ h2c site c:posts e:posts/a e:posts/b e:posts/c d:nav",
				"/posts/a/ h3 site e:posts/a d:nav",
				"/posts/b/ h4 site e:posts/b d:nav",
				"/posts/c/ h6 site e:posts/c d:nav",
				"/about/ h5 site d:nav"),
			tags: []string{"page:/", "page:/posts/", "fn:c:posts", "fn:e:posts/c"}, urls: []string{"/", "/posts/"}, files: []string{"/posts/c/"}, changedURLs: 3},
		{name: "every post changed: the kids tag of their directory",
			live: live,
			next: site(v("site=1", "c:posts=1", "e:posts/a=2", "e:posts/b=2", "d:nav=1"),
				"/ h1 site c:posts e:posts/a e:posts/b d:nav",
				"/posts/ h2 site c:posts e:posts/a e:posts/b d:nav",
				"/posts/a/ h3x site e:posts/a d:nav",
				"/posts/b/ h4x site e:posts/b d:nav",
				"/about/ h5 site d:nav"),
			tags: []string{"kids:/posts/", "fn:e:posts/a", "fn:e:posts/b"}, urls: []string{"/posts/a/", "/posts/b/"}, changedURLs: 2},
		{name: "the templates: every page and every function response, so everything",
			live: live,
			next: site(v("site=2", "c:posts=1", "e:posts/a=1", "e:posts/b=1", "d:nav=1"),
				"/ h1t site c:posts e:posts/a e:posts/b d:nav",
				"/posts/ h2t site c:posts e:posts/a e:posts/b d:nav",
				"/posts/a/ h3t site e:posts/a d:nav",
				"/posts/b/ h4t site e:posts/b d:nav",
				"/about/ h5t site d:nav"),
			tags: []string{"tree:/", "fn:site"}, urls: []string{"/", "/about/", "/posts/", "/posts/a/", "/posts/b/"}, everything: true, changedURLs: 5},
		{name: "a data file whose change left every page as it was: the functions only",
			live: live,
			next: site(v("site=1", "c:posts=1", "e:posts/a=1", "e:posts/b=1", "d:nav=2"),
				"/ h1 site c:posts e:posts/a e:posts/b d:nav",
				"/posts/ h2 site c:posts e:posts/a e:posts/b d:nav",
				"/posts/a/ h3 site e:posts/a d:nav",
				"/posts/b/ h4 site e:posts/b d:nav",
				"/about/ h5 site d:nav"),
			tags: []string{"fn:d:nav"}},
		{name: "a build from before page tags: every page retagged once, so everything",
			live: oldStyle(site(v("site=1", "e:posts/a=1", "e:posts/b=1"),
				"/posts/a/ h3 site e:posts/a", "/posts/b/ h4 site e:posts/b", "/plain/ p1")),
			next: site(v("site=1", "e:posts/a=1", "e:posts/b=2"),
				"/posts/a/ h3 site e:posts/a", "/posts/b/ h4x site e:posts/b", "/plain/ p2"),
			tags:  []string{"site", "fn:e:posts/b"},
			urls:  []string{"/posts/a/", "/posts/b/"},
			files: []string{"/plain/"}, everything: true, changedURLs: 2},
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

// oldStyle is b as a build from before page tags wrote it: its pages
// carried what they read.
func oldStyle(b cachepurge.Build) cachepurge.Build {
	for i := range b.Manifest.Files {
		b.Manifest.Files[i].CacheTags = nil
	}
	return b
}

// Tags go out in requests of at most the target's limit.
func TestPlanBatches(t *testing.T) {
	var livePages, nextPages []string
	for i := range 250 {
		livePages = append(livePages, fmt.Sprintf("/p/%d/ h site", i))
		nextPages = append(nextPages, fmt.Sprintf("/p/%d/ h site", i))
		if i%2 == 0 { // every other page changed: no group tag is exact
			nextPages[i] = fmt.Sprintf("/p/%d/ h2 site", i)
		}
	}
	for i := range 50 {
		livePages = append(livePages, fmt.Sprintf("/q/%d/ h site", i))
		nextPages = append(nextPages, fmt.Sprintf("/q/%d/ h2 site", i))
	}
	p := cachepurge.New(site(nil, livePages...), site(nil, nextPages...), cachepurge.Limits{TagsPerRequest: 100})
	var sizes []int
	for _, b := range p.Batches {
		sizes = append(sizes, len(b))
	}
	// 125 page tags for /p/, and tree:/q/.
	if !reflect.DeepEqual(sizes, []int{100, 26}) || p.Requests() != 2 || p.Everything {
		t.Errorf("batches of %v, %d requests (everything %v); want 100, 26 in 2", sizes, p.Requests(), p.Everything)
	}
}

// served reports whether b serves route u.
func served(b cachepurge.Build, u string) bool {
	return b.Manifest != nil && slices.ContainsFunc(b.Manifest.Files, func(f manifest.File) bool { return f.Route == u })
}
