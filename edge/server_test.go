package edge

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/andybalholm/brotli"

	"github.com/vergehq/verge/edge/front"
	"github.com/vergehq/verge/internal/manifest"
)

// distFile is one file of a test build.
type distFile struct {
	path, route, kind, content, ct string
}

// siteFiles is a small site as a build would write it; v marks the
// version in every page.
func siteFiles(v string) []distFile {
	long := strings.Repeat("<p>Lorem ipsum dolor sit amet, consectetur adipiscing elit.</p>", 20)
	return []distFile{
		{"/index.html", "/", "page", "<!doctype html><title>home " + v + "</title>" + long, "text/html; charset=utf-8"},
		{"/posts/a/index.html", "/posts/a/", "page", "<!doctype html><title>a " + v + "</title>" + long, "text/html; charset=utf-8"},
		{"/404.html", "/404.html", "page", "<!doctype html><title>not found " + v + "</title>", "text/html; charset=utf-8"},
		{"/_assets/app-" + v + ".css", "", "asset", "body{color:red}/*" + v + "*/" + strings.Repeat(" ", 300), "text/css; charset=utf-8"},
		{"/docs/index.html", "", "static", "<!doctype html><title>docs</title>", "text/html; charset=utf-8"},
		{"/robots.txt", "", "static", "User-agent: *\n", "text/plain; charset=utf-8"},
		{"/logo.png", "", "static", "\x89PNG not really", "image/png"},
	}
}

// serveStore deploys the builds in order and serves the store as verge
// edge does (see startEdge).
func serveStore(t *testing.T, builds ...[]distFile) (*Store, *testServer) {
	t.Helper()
	s, err := OpenStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range builds {
		if _, err := s.Deploy(context.Background(), makeRichDist(t, b), 0); err != nil {
			t.Fatal(err)
		}
	}
	sv := NewServer(s)
	return s, startEdge(t, sv, sv)
}

// testServer is a server running for a test, until it ends.
type testServer struct{ URL string }

// startEdge serves h as verge edge does: the front end answers what fast
// takes, net/http the rest.
func startEdge(t *testing.T, h http.Handler, fast front.Responder) *testServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Serve(ctx, ln, h, ServeOptions{Fast: fast}) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	return &testServer{URL: "http://" + ln.Addr().String()}
}

// client neither follows redirects nor decompresses: the tests look at
// what the server sent.
var client = &http.Client{
	Transport:     &http.Transport{DisableCompression: true},
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

func do(t *testing.T, method, url string, hdr ...string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, body
}

func TestServerHTTP(t *testing.T) {
	_, ts := serveStore(t, siteFiles("v1"))
	etag := func() string {
		resp, _ := do(t, "GET", ts.URL+"/")
		return resp.Header.Get("ETag")
	}()
	tests := []struct {
		name, method, path string
		hdr                []string
		status             int
		want               map[string]string // headers; "" means absent
		body               string            // substring; "-" means empty
	}{
		{name: "page", path: "/", status: 200, body: "home v1", want: map[string]string{
			"Content-Type": "text/html; charset=utf-8", "Cache-Control": "public, max-age=60, must-revalidate",
			"CDN-Cache-Control": "public, max-age=31536000", "Cache-Tag": "site,e:posts/a",
			"X-Content-Type-Options": "nosniff", "Content-Encoding": "", "Vary": "Accept-Encoding"}},
		{name: "page route", path: "/posts/a/", status: 200, body: "a v1"},
		{name: "index.html is not a second URL", path: "/posts/a/index.html", status: 301, want: map[string]string{"Location": "/posts/a/"}},
		{name: "missing slash", path: "/posts/a?x=1", status: 301, want: map[string]string{"Location": "/posts/a/?x=1"}},
		{name: "dot segments", path: "/posts/./b/../a/", status: 301, want: map[string]string{"Location": "/posts/a/"}},
		{name: "static index", path: "/docs/", status: 200, body: "docs"},
		{name: "asset", path: "/_assets/app-v1.css", status: 200, body: "color:red", want: map[string]string{"Cache-Control": "public, max-age=31536000, immutable"}},
		{name: "binary not compressed", path: "/logo.png", hdr: []string{"Accept-Encoding", "br, gzip"}, status: 200, want: map[string]string{"Content-Encoding": "", "Vary": ""}},
		{name: "404 page", path: "/no/such/", status: 404, body: "not found v1", want: map[string]string{"Content-Type": "text/html; charset=utf-8"}},
		{name: "escape attempt", path: "/../../etc/passwd", status: 301, want: map[string]string{"Location": "/etc/passwd"}},
		{name: "encoded escape", path: "/%2e%2e/%2e%2e/etc/passwd", status: 301, want: map[string]string{"Location": "/etc/passwd"}},
		{name: "escaped target", path: "/etc/passwd", status: 404, body: "not found v1"},
		{name: "no open redirect", path: "/%5Cevil.com/x/..", status: 301, want: map[string]string{"Location": "/%5Cevil.com"}},
		{name: "no scheme-relative redirect", path: "//evil.com/x/..", status: 301, want: map[string]string{"Location": "/evil.com"}},
		{name: "HEAD", method: "HEAD", path: "/", status: 200, body: "-"},
		{name: "If-None-Match", path: "/", hdr: []string{"If-None-Match", etag}, status: 304, body: "-", want: map[string]string{"ETag": etag}},
		{name: "If-None-Match weak", path: "/", hdr: []string{"If-None-Match", "W/" + etag}, status: 304},
		{name: "If-None-Match other", path: "/", hdr: []string{"If-None-Match", `"nope"`}, status: 200},
		{name: "Range", path: "/robots.txt", hdr: []string{"Range", "bytes=0-9"}, status: 206, body: "User-agent", want: map[string]string{"Content-Range": "bytes 0-9/14"}},
		{name: "unsatisfiable Range", path: "/robots.txt", hdr: []string{"Range", "bytes=100-200"}, status: 416},
		{name: "POST", method: "POST", path: "/", status: 405, want: map[string]string{"Allow": "GET, HEAD"}},
		{name: "gzip refused", path: "/", hdr: []string{"Accept-Encoding", "gzip;q=0, br;q=0"}, status: 200, want: map[string]string{"Content-Encoding": ""}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			method := tc.method
			if method == "" {
				method = "GET"
			}
			resp, body := do(t, method, ts.URL+tc.path, tc.hdr...)
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d (body %q)", resp.StatusCode, tc.status, body)
			}
			for k, v := range tc.want {
				if got := resp.Header.Get(k); got != v {
					t.Errorf("%s = %q, want %q", k, got, v)
				}
			}
			switch {
			case tc.body == "-" && len(body) > 0:
				t.Errorf("body %q, want none", body)
			case tc.body != "-" && !strings.Contains(string(body), tc.body):
				t.Errorf("body %q lacks %q", body, tc.body)
			}
		})
	}
}

func TestServerCompression(t *testing.T) {
	_, ts := serveStore(t, siteFiles("v1"))
	_, plain := do(t, "GET", ts.URL+"/", "Accept-Encoding", "identity")
	for _, tc := range []struct{ accept, enc string }{{"gzip, deflate, br", "br"}, {"gzip", "gzip"}, {"*", "br"}, {"br;q=0, gzip", "gzip"}} {
		for range 2 { // made once, then served from the store
			resp, body := do(t, "GET", ts.URL+"/", "Accept-Encoding", tc.accept)
			if got := resp.Header.Get("Content-Encoding"); got != tc.enc {
				t.Fatalf("Accept-Encoding %q: Content-Encoding %q, want %q", tc.accept, got, tc.enc)
			}
			var r io.Reader = brotli.NewReader(bytes.NewReader(body))
			if tc.enc == "gzip" {
				gr, err := gzip.NewReader(bytes.NewReader(body))
				if err != nil {
					t.Fatal(err)
				}
				r = gr
			}
			got, err := io.ReadAll(r)
			if err != nil || !bytes.Equal(got, plain) || len(body) >= len(plain) {
				t.Fatalf("%s: %d bytes decoding to %d (%v), want smaller than %d and equal", tc.enc, len(body), len(got), err, len(plain))
			}
			if etag := resp.Header.Get("ETag"); !strings.HasSuffix(etag, map[string]string{"br": `-br"`, "gzip": `-gz"`}[tc.enc]) {
				t.Errorf("%s ETag %s: a compressed representation needs its own", tc.enc, etag)
			}
		}
	}
}

// Deploys and rollbacks switch what every following request sees at
// once, each response is wholly of one version, and the assets of the
// version before stay served.
func TestServerSwitchesVersions(t *testing.T) {
	s, ts := serveStore(t, siteFiles("v1"))
	if _, body := do(t, "GET", ts.URL+"/"); !strings.Contains(string(body), "home v1") {
		t.Fatalf("before: %q", body)
	}
	if _, err := s.Deploy(context.Background(), makeRichDist(t, siteFiles("v2")), 0); err != nil {
		t.Fatal(err)
	}
	if _, body := do(t, "GET", ts.URL+"/"); !strings.Contains(string(body), "home v2") {
		t.Fatalf("right after the deploy: %q", body)
	}
	if resp, _ := do(t, "GET", ts.URL+"/_assets/app-v1.css"); resp.StatusCode != 200 {
		t.Errorf("the previous version's asset: %d, want 200 (open tabs still use it)", resp.StatusCode)
	}

	// Under load, while versions switch back and forth.
	var bad atomic.Int64
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for range 8 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				resp, err := http.Get(ts.URL + "/posts/a/")
				if err != nil {
					bad.Add(1)
					continue
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				b := string(body)
				if resp.StatusCode != 200 || (strings.Contains(b, "a v1") == strings.Contains(b, "a v2")) {
					bad.Add(1)
				}
			}
		})
	}
	for i := range 20 {
		if _, _, err := s.Rollback(""); err != nil {
			t.Fatalf("switch %d: %v", i, err)
		}
	}
	close(stop)
	wg.Wait()
	if n := bad.Load(); n > 0 {
		t.Errorf("%d responses failed or mixed versions", n)
	}
}

func TestServerNothingDeployed(t *testing.T) {
	s, err := OpenStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	sv := NewServer(s)
	ts := startEdge(t, sv, sv)
	if resp, body := do(t, "GET", ts.URL+"/"); resp.StatusCode != 503 || !strings.Contains(string(body), "verge deploy") {
		t.Errorf("%d %q", resp.StatusCode, body)
	}
}

func TestNegotiate(t *testing.T) {
	for accept, want := range map[string]string{
		"": "", "identity": "", "gzip": "gz", "br": "br", "gzip, br": "br", "br;q=0": "", "br;q=0, gzip;q=0.5": "gz",
		"*": "br", "*;q=0": "", "GZIP": "gz", "deflate": "", "br;q=0, *": "gz",
	} {
		if got := negotiate(accept); got != want {
			t.Errorf("negotiate(%q) = %q, want %q", accept, got, want)
		}
	}
}

// A blob gone from the store (collected under an old version's asset)
// is a plain 404, not an error cached for a year; stored files are
// readable by an edge running as another user.
func TestServerMissingBlobAndModes(t *testing.T) {
	s, ts := serveStore(t, siteFiles("v1"))
	v, err := s.Version(active(t, s))
	if err != nil {
		t.Fatal(err)
	}
	f := v.Manifest.Lookup("/_assets/app-v1.css")
	st, err := os.Stat(s.BlobPath(f.SHA256))
	if err != nil || st.Mode().Perm() != 0o644 {
		t.Errorf("blob mode %v (%v), want 0644", st.Mode(), err)
	}
	if err := os.Remove(s.BlobPath(f.SHA256)); err != nil {
		t.Fatal(err)
	}
	resp, _ := do(t, "GET", ts.URL+"/_assets/app-v1.css")
	if resp.StatusCode != 404 || strings.Contains(resp.Header.Get("Cache-Control"), "immutable") {
		t.Errorf("missing blob: %d, Cache-Control %q", resp.StatusCode, resp.Header.Get("Cache-Control"))
	}
}

// Requests for the version's API functions go to the origin; other
// methods on those paths, and every other path, are the edge's.
func TestServerForwardsFunctions(t *testing.T) {
	s := storeWithFunction(t)
	var originHits atomic.Int64
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		originHits.Add(1)
		w.Header().Set("Cache-Tag", "c:posts")
		w.Header().Set("CDN-Cache-Control", "max-age=60")
		fmt.Fprintf(w, "origin %s %s", r.Method, r.URL.Path)
	}))
	defer origin.Close()
	sv := NewServer(s)
	ts := startEdge(t, sv, sv)
	if resp, body := do(t, "GET", ts.URL+"/api/related/a"); resp.StatusCode != 502 {
		t.Errorf("no origin: %d %q, want 502", resp.StatusCode, body)
	}
	u, _ := url.Parse(origin.URL)
	sv.SetOrigin(u)
	for range 2 {
		if resp, body := do(t, "GET", ts.URL+"/api/related/a"); resp.StatusCode != 200 || string(body) != "origin GET /api/related/a" || resp.Header.Get("Cache-Tag") != "" {
			t.Errorf("forwarded: %d %q, Cache-Tag %q", resp.StatusCode, body, resp.Header.Get("Cache-Tag"))
		}
	}
	if n := originHits.Load(); n != 1 {
		t.Errorf("%d origin hits, want 1: the edge caches function responses per their policy", n)
	}
	if resp, _ := do(t, "POST", ts.URL+"/api/related/a"); resp.StatusCode != 405 {
		t.Errorf("POST to a GET function: %d, want 405", resp.StatusCode)
	}
	if _, body := do(t, "GET", ts.URL+"/"); !strings.Contains(string(body), "home v1") {
		t.Errorf("pages still served by the edge: %q", body)
	}
}

// storeWithFunction is a store with one version deployed: siteFiles("v1")
// and the function GET /api/related/{slug}.
func storeWithFunction(t *testing.T) *Store {
	t.Helper()
	s, err := OpenStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	fn := manifest.Function{Pattern: "GET /api/related/{slug}", Method: "GET", Path: "/api/related/{slug}"}
	if _, err := s.Deploy(context.Background(), makeRichDist(t, siteFiles("v1"), fn), 0); err != nil {
		t.Fatal(err)
	}
	return s
}
