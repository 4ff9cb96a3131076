package cache

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/vergehq/verge/internal/purgeapi"
)

func purge(t *testing.T, base, token, body string) int {
	t.Helper()
	req, _ := http.NewRequest("POST", base+purgeapi.Path, strings.NewReader(body))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

func TestPurgeAPI(t *testing.T) {
	tests := []struct {
		name    string
		body    string
		refetch []string // paths that must come from the origin afterwards
		cached  []string // paths still served from the cache
		stale   []string // paths served stale (soft purge), refreshed behind
	}{
		{"by tag", `{"tags":["Post-1"]}`, []string{"/a", "/b"}, []string{"/c"}, nil},
		{"by url", `{"urls":["https://example.org/a?x=1"]}`, []string{"/a?x=1"}, []string{"/a", "/b", "/c"}, nil},
		{"by prefix", `{"prefixes":["/a"]}`, []string{"/a", "/a?x=1"}, []string{"/b", "/c"}, nil},
		{"everything", `{"everything":true}`, []string{"/a", "/b", "/c"}, nil, nil},
		{"soft tag", `{"tags":["post-1"],"soft":true}`, nil, []string{"/c"}, []string{"/a", "/b"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o, _, p, base := setup(t)
			p.SetPurgeToken("s3cret")
			o.set(func(w http.ResponseWriter, r *http.Request) {
				tags := map[string]string{"/a": "post-1", "/b": "post-1 list", "/c": "list"}[r.URL.Path]
				respond(200, "x", "Cache-Control", "max-age=600", "Surrogate-Key", tags)(w, r)
			})
			for _, p := range []string{"/a", "/a?x=1", "/b", "/c"} {
				get(t, base+p)
			}
			if code := purge(t, base, "wrong", tc.body); code != 401 {
				t.Fatalf("wrong token: %d, want 401", code)
			}
			if code := purge(t, base, "", tc.body); code != 401 {
				t.Fatalf("no token: %d, want 401", code)
			}
			for _, p := range []string{"/a", "/a?x=1", "/b", "/c"} {
				if resp, _ := get(t, base+p); !strings.Contains(resp.Header.Get("Cache-Status"), "hit") {
					t.Fatalf("%s purged by a refused request", p)
				}
			}
			if code := purge(t, base, "s3cret", tc.body); code != 200 {
				t.Fatalf("purge: %d", code)
			}
			for _, p := range tc.refetch {
				if resp, _ := get(t, base+p); !strings.Contains(resp.Header.Get("Cache-Status"), "fwd=") || strings.Contains(resp.Header.Get("Cache-Status"), "hit") {
					t.Errorf("%s after the purge: %s, want fetched", p, resp.Header.Get("Cache-Status"))
				}
			}
			for _, p := range tc.cached {
				if resp, _ := get(t, base+p); !strings.HasPrefix(resp.Header.Get("Cache-Status"), "verge; hit; ttl") {
					t.Errorf("%s after the purge: %s, want a fresh hit", p, resp.Header.Get("Cache-Status"))
				}
			}
			for _, p := range tc.stale {
				if resp, _ := get(t, base+p); resp.Header.Get("Cache-Status") != "verge; hit; fwd=stale" {
					t.Errorf("%s after a soft purge: %s, want stale", p, resp.Header.Get("Cache-Status"))
				}
			}
		})
	}
}

// A purge while a fetch for a purged tag is in flight: that response is
// not served as fresh afterwards.
func TestPurgeDuringFetch(t *testing.T) {
	o, _, p, base := setup(t)
	p.SetPurgeToken("t")
	started := make(chan struct{})
	release := make(chan struct{})
	o.set(func(w http.ResponseWriter, r *http.Request) {
		close(started)
		<-release
		respond(200, "old", "Cache-Control", "max-age=600", "Cache-Tag", "post-1")(w, r)
	})
	done := make(chan struct{})
	go func() { get(t, base+"/p"); close(done) }()
	<-started
	time.Sleep(10 * time.Millisecond)
	if code := purge(t, base, "t", `{"tags":["post-1"]}`); code != 200 {
		t.Fatal(code)
	}
	close(release)
	<-done
	o.set(respond(200, "new", "Cache-Control", "max-age=600", "Cache-Tag", "post-1"))
	if _, body := get(t, base+"/p"); body != "new" {
		t.Errorf("after a purge during the fetch: %q, want the origin's new answer", body)
	}
}
