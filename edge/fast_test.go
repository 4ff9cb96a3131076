package edge

import (
	"bytes"
	"fmt"
	"io"
	stdmaps "maps"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vergehq/verge/edge/front"
)

// counting counts the requests a Responder answers.
type counting struct {
	front.Responder
	n atomic.Int64
}

func (c *counting) Respond(w *front.Writer, r *front.Request) bool {
	ok := c.Responder.Respond(w, r)
	if ok {
		c.n.Add(1)
	}
	return ok
}

// What the front end answers itself is what net/http and ServeHTTP
// answer, field for field and byte for byte (Date aside), and it does
// answer the common requests.
func TestServerFastPathSameAnswers(t *testing.T) {
	s, _ := serveStore(t, siteFiles("v1"))
	sv := NewServer(s)
	plain := httptest.NewServer(sv)
	defer plain.Close()
	fast := &counting{Responder: sv}
	fronted := startEdge(t, sv, fast)
	etag := func() string {
		resp, _ := do(t, "GET", plain.URL+"/")
		return resp.Header.Get("ETag")
	}()
	tests := []struct {
		name, method, path string
		hdr                []string
		fast               bool // the front end answers it
	}{
		{"page", "GET", "/", nil, true},
		{"page route", "GET", "/posts/a/", nil, true},
		{"HEAD", "HEAD", "/posts/a/", nil, true},
		{"br", "GET", "/", []string{"Accept-Encoding", "br, gzip"}, true},
		{"gzip", "GET", "/", []string{"Accept-Encoding", "gzip"}, true},
		{"refused encodings", "GET", "/", []string{"Accept-Encoding", "gzip;q=0, br;q=0"}, true},
		{"If-None-Match", "GET", "/", []string{"If-None-Match", etag}, true},
		{"If-None-Match weak, listed", "GET", "/", []string{"If-None-Match", `"x", W/` + etag}, true},
		{"If-None-Match other", "GET", "/", []string{"If-None-Match", `"nope"`}, true},
		{"asset", "GET", "/_assets/app-v1.css", nil, true},
		{"static", "GET", "/robots.txt", nil, true},
		{"binary", "GET", "/logo.png", []string{"Accept-Encoding", "br"}, true},
		{"static index", "GET", "/docs/", nil, false},
		{"query", "GET", "/posts/a/?utm=1", nil, true},
		{"index.html redirect", "GET", "/posts/a/index.html", nil, false},
		{"missing slash", "GET", "/posts/a", nil, false},
		{"404", "GET", "/nope/", nil, false},
		{"range", "GET", "/robots.txt", []string{"Range", "bytes=0-3"}, false},
		{"If-Modified-Since", "GET", "/", []string{"If-Modified-Since", "Mon, 02 Jan 2006 15:04:05 GMT"}, false},
		{"dot segments", "GET", "/posts/./a/", nil, false},
		{"POST", "POST", "/", nil, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// Twice: the first request for a compressed form makes it.
			do(t, tc.method, plain.URL+tc.path, tc.hdr...)
			want, wantBody := do(t, tc.method, plain.URL+tc.path, tc.hdr...)
			// A connection the front end handed to net/http stays there:
			// each request here gets a new one.
			client.CloseIdleConnections()
			before := fast.n.Load()
			got, gotBody := do(t, tc.method, fronted.URL+tc.path, tc.hdr...)
			if answered := fast.n.Load() > before; answered != tc.fast {
				t.Errorf("front end answered: %v, want %v", answered, tc.fast)
			}
			if got.StatusCode != want.StatusCode || !bytes.Equal(gotBody, wantBody) {
				t.Fatalf("got %d %q, want %d %q", got.StatusCode, gotBody, want.StatusCode, wantBody)
			}
			for _, h := range []http.Header{got.Header, want.Header} {
				if h.Get("Date") == "" {
					t.Error("no Date")
				}
				h.Del("Date")
			}
			if !stdmaps.EqualFunc(got.Header, want.Header, slices.Equal) {
				t.Errorf("fields differ:\n got %v\nwant %v", got.Header, want.Header)
			}
		})
	}
}

// An activation that did not bump the generation counter (a deploy
// killed between the rename and the bump, or an older verge) is still
// seen, within statEvery.
func TestServerSeesActivationWithoutCounter(t *testing.T) {
	s, ts := serveStore(t, siteFiles("v1"), siteFiles("v2"))
	hist, err := s.history()
	if err != nil || len(hist) != 2 {
		t.Fatalf("history %v %v", hist, err)
	}
	if _, body := do(t, "GET", ts.URL+"/"); !bytes.Contains(body, []byte("home v2")) {
		t.Fatalf("before: %q", body)
	}
	if err := s.writeFile("active", []byte(hist[0]+"\n")); err != nil { // the rename alone
		t.Fatal(err)
	}
	deadline := time.Now().Add(time.Duration(statEvery) + 2*time.Second)
	for {
		_, body := do(t, "GET", ts.URL+"/")
		if bytes.Contains(body, []byte("home v1")) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("still %q after %v", body, time.Duration(statEvery)+2*time.Second)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// A function's cached answer comes from the front end as ServeHTTP gives
// it, security fields included; the purge API reaches the function cache.
func TestServerFastFunctionHits(t *testing.T) {
	s := storeWithFunction(t)
	var hits atomic.Int64
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Header().Set("Cache-Tag", "e:posts/a")
		w.Header().Set("CDN-Cache-Control", "max-age=600")
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"n":%d}`, hits.Load())
	}))
	defer origin.Close()
	sv := NewServer(s)
	u, _ := url.Parse(origin.URL)
	sv.SetOrigin(u)
	sv.SetPurgeToken("tok")
	plain := httptest.NewServer(sv)
	defer plain.Close()
	fast := &counting{Responder: sv}
	fronted := startEdge(t, sv, fast)

	do(t, "GET", plain.URL+"/api/related/a") // stored
	want, wantBody := do(t, "GET", plain.URL+"/api/related/a")
	client.CloseIdleConnections()
	got, gotBody := do(t, "GET", fronted.URL+"/api/related/a")
	if fast.n.Load() != 1 || !bytes.Equal(gotBody, wantBody) || string(gotBody) != `{"n":1}` {
		t.Fatalf("front end answered %d, body %q, want 1 and %q", fast.n.Load(), gotBody, wantBody)
	}
	for _, h := range []http.Header{got.Header, want.Header} {
		for _, k := range []string{"Date", "Age", "Cache-Status"} {
			h.Del(k)
		}
	}
	if !stdmaps.EqualFunc(got.Header, want.Header, slices.Equal) {
		t.Errorf("fields differ:\n got %v\nwant %v", got.Header, want.Header)
	}

	req, _ := http.NewRequest("POST", fronted.URL+"/_verge/purge", strings.NewReader(`{"tags":["e:posts/a"]}`))
	req.Header.Set("Authorization", "Bearer tok")
	if resp, err := client.Do(req); err != nil || resp.StatusCode != 200 {
		t.Fatalf("purge: %v %v", resp, err)
	}
	if _, body := do(t, "GET", fronted.URL+"/api/related/a"); string(body) != `{"n":2}` {
		t.Errorf("after the purge: %q, want a fresh answer", body)
	}
}

// Clients that hang up part way through large responses, small and
// served by the front end or large and served from disk, leave nothing
// behind: no goroutine, no stalled request for anyone else.
func TestServerClientsHangingUp(t *testing.T) {
	files := append(siteFiles("v1"),
		distFile{"/big.bin", "", "static", strings.Repeat("x", 4<<20), "application/octet-stream"},
		distFile{"/mid.bin", "", "static", strings.Repeat("y", 200<<10), "application/octet-stream"})
	_, ts := serveStore(t, files)
	for _, p := range []string{"/big.bin", "/mid.bin", "/mid.bin"} { // the last two: from memory
		if resp, _ := do(t, "GET", ts.URL+p); resp.StatusCode != 200 {
			t.Fatalf("GET %s: %d", p, resp.StatusCode)
		}
	}
	client.CloseIdleConnections()
	time.Sleep(100 * time.Millisecond)
	before := runtime.NumGoroutine()
	addr := strings.TrimPrefix(ts.URL, "http://")
	for i := range 40 {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		p := []string{"/big.bin", "/mid.bin"}[i%2]
		fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: x\r\n\r\n", p)
		buf := make([]byte, 1024)
		if _, err := io.ReadFull(c, buf); err != nil {
			t.Fatal(err)
		}
		c.Close() // mid-body
	}
	if resp, body := do(t, "GET", ts.URL+"/"); resp.StatusCode != 200 || !bytes.Contains(body, []byte("home v1")) {
		t.Errorf("another client meanwhile: %d", resp.StatusCode)
	}
	client.CloseIdleConnections()
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		t.Errorf("%d goroutines left, %d before the hang-ups", n, before)
	}
}
