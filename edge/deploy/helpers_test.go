package deploy

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/vergehq/verge/internal/manifest"
	"github.com/vergehq/verge/internal/purgeapi"
)

// page is one page of a test build: its body and the tags it read.
type page struct {
	body string
	tags []string
}

// writeBuild writes a build output to dir: the pages (by URL path of
// their file, e.g. "/posts/a/index.html"), their manifest, and tag
// versions when versions is not nil.
func writeBuild(t *testing.T, dir string, pages map[string]page, versions map[string]string) *manifest.Manifest {
	t.Helper()
	m := &manifest.Manifest{Schema: manifest.SchemaVersion}
	var paths []string
	for p := range pages {
		paths = append(paths, p)
	}
	slices.Sort(paths)
	id := ""
	for _, p := range paths {
		data := []byte(pages[p].body)
		dst := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(dst, data, 0o644); err != nil {
			t.Fatal(err)
		}
		route := strings.TrimSuffix(p, "index.html")
		m.Files = append(m.Files, manifest.File{Path: p, Route: route, Kind: manifest.KindPage,
			Size: int64(len(data)), SHA256: manifest.SHA256(data), AssetHash: manifest.AssetHash(p, data),
			ContentType: "text/html; charset=utf-8", CacheControl: "public, max-age=60, must-revalidate", Tags: pages[p].tags,
			CacheTags: manifest.PageTags(route)})
		id += manifest.SHA256(data)[:8]
	}
	m.BuildID = manifest.SHA256([]byte(id))[:24]
	if err := manifest.Write(dir, m); err != nil {
		t.Fatal(err)
	}
	if versions != nil {
		data, _ := json.Marshal(versions)
		if err := os.WriteFile(filepath.Join(dir, filepath.FromSlash(manifest.VersionsPath)), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return m
}

// testSite is a site in a temporary directory with cfg as its
// configuration, and the site package's content-file mapping for a
// collection in content/posts.
func testSite(t *testing.T, cfg Config) *Site {
	t.Helper()
	return NewSite(t.TempDir(), func() (Config, error) { return cfg, nil }, postTags)
}

// postTags is FileTags for a site whose only collection is posts.
func postTags(rel string) []string {
	rel = filepath.ToSlash(rel)
	if name, ok := strings.CutPrefix(rel, "content/posts/"); ok && strings.HasSuffix(name, ".md") {
		return []string{"e:posts/" + strings.TrimSuffix(name, ".md"), "e:/posts/" + strings.TrimSuffix(name, ".md")}
	}
	if name, ok := strings.CutPrefix(rel, "data/"); ok {
		return []string{"d:" + strings.TrimSuffix(name, filepath.Ext(name))}
	}
	return nil
}

// edgeServer is a Verge edge's purge API that records what it is sent,
// answering with status (200 when 0).
type edgeServer struct {
	*httptest.Server
	mu     sync.Mutex
	got    []purgeapi.Request
	status []int // answers, in turn; then 200
}

func newEdge(t *testing.T, token string, status ...int) *edgeServer {
	e := &edgeServer{status: status}
	e.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != purgeapi.Path || !purgeapi.Authorized(r, token) {
			purgeapi.Refuse(w, "no")
			return
		}
		var req purgeapi.Request
		if err := purgeapi.Decode(r.Body, &req); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		e.mu.Lock()
		defer e.mu.Unlock()
		if len(e.status) > 0 {
			st := e.status[0]
			e.status = e.status[1:]
			if st != http.StatusOK {
				w.Header().Set("Retry-After", "1")
				http.Error(w, "not now", st)
				return
			}
		}
		e.got = append(e.got, req)
		w.Write([]byte(`{}`))
	}))
	t.Cleanup(e.Close)
	return e
}

// received is what the edge took, in order.
func (e *edgeServer) received() []purgeapi.Request {
	e.mu.Lock()
	defer e.mu.Unlock()
	return slices.Clone(e.got)
}

// tags is every tag the edge was sent, sorted.
func (e *edgeServer) tags() []string {
	var out []string
	for _, r := range e.received() {
		out = append(out, r.Tags...)
	}
	slices.Sort(out)
	return out
}
