package cachepurge_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/vergehq/verge/cachepurge"
	"github.com/vergehq/verge/edge/cache"
	"github.com/vergehq/verge/internal/manifest"
)

// Pages and function responses sit in one real edge cache, tagged as the
// edge serves pages (manifest.PageTags) and the runtime function
// responses (manifest.FuncTag of what they read). A deploy's plan sent
// through the purge API clears the function responses when only a tag
// they read changed, and the changed page when only its bytes did, and
// nothing else.
func TestPurgeNamespacesInTheEdgeCache(t *testing.T) {
	var mu sync.Mutex
	fetched := map[string]int{}
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		fetched[r.URL.Path]++
		mu.Unlock()
		w.Header().Set("Cache-Control", "public, max-age=600")
		if strings.HasPrefix(r.URL.Path, "/api/") {
			w.Header().Set("Cache-Tag", manifest.FuncTag("e:posts/a")+","+manifest.FuncTag("site"))
		} else {
			w.Header().Set("Cache-Tag", strings.Join(manifest.PageTags(r.URL.Path), ","))
		}
		io.WriteString(w, "body of "+r.URL.Path)
	}))
	defer origin.Close()
	u, _ := url.Parse(origin.URL)
	live := site(v("site=1", "e:posts/a=1", "e:posts/b=1"),
		"/posts/ h1 site e:posts/a e:posts/b", "/posts/a/ h2 site e:posts/a", "/posts/b/ h3 site e:posts/b")
	paths := []string{"/posts/", "/posts/a/", "/posts/b/", "/api/related/a"}
	for _, tc := range []struct {
		name    string
		next    cachepurge.Build
		refetch []string
	}{
		{"a tag a function read changed, no page's bytes: the function response alone",
			site(v("site=1", "e:posts/a=2", "e:posts/b=1"),
				"/posts/ h1 site e:posts/a e:posts/b", "/posts/a/ h2 site e:posts/a", "/posts/b/ h3 site e:posts/b"),
			[]string{"/api/related/a"}},
		{"a page's bytes changed, no tag a function read: that page alone",
			site(v("site=1", "e:posts/a=1", "e:posts/b=1"),
				"/posts/ h1 site e:posts/a e:posts/b", "/posts/a/ h2x site e:posts/a", "/posts/b/ h3 site e:posts/b"),
			[]string{"/posts/a/"}},
		{"the entry's page and the function that read it, not its sibling nor the list",
			site(v("site=1", "e:posts/a=2", "e:posts/b=1"),
				"/posts/ h1 site e:posts/a e:posts/b", "/posts/a/ h2x site e:posts/a", "/posts/b/ h3 site e:posts/b"),
			[]string{"/posts/a/", "/api/related/a"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			proxy := cache.NewProxy(u, cache.NewStore(1<<20))
			proxy.SetPurgeToken("tok")
			edge := httptest.NewServer(proxy)
			defer edge.Close()
			get := func(p string) {
				resp, err := http.Get(edge.URL + p)
				if err != nil {
					t.Fatal(err)
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
			for _, p := range paths {
				get(p)
			}
			mu.Lock()
			before := map[string]int{}
			for k, n := range fetched {
				before[k] = n
			}
			mu.Unlock()
			plan := cachepurge.New(live, tc.next, cachepurge.Limits{TagsPerRequest: 100})
			purger := &cachepurge.EdgePurger{Edges: []string{edge.URL}, Token: "tok"}
			for _, b := range plan.Batches {
				if err := purger.Purge(context.Background(), cachepurge.Purge{Tags: b}); err != nil {
					t.Fatal(err)
				}
			}
			for _, p := range paths {
				get(p)
			}
			mu.Lock()
			defer mu.Unlock()
			for _, p := range paths {
				want := 0
				for _, r := range tc.refetch {
					if r == p {
						want = 1
					}
				}
				if got := fetched[p] - before[p]; got != want {
					t.Errorf("%s fetched %d times after the purge of %v, want %d", p, got, plan.Tags, want)
				}
			}
		})
	}
}
