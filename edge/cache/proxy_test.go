package cache

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vergehq/verge/edge/front"
)

// clock is a settable time for the proxy.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// origin is a test origin whose answer the test sets.
type origin struct {
	clock   *clock // its Date, so that ages follow the test's time
	hits    atomic.Int64
	mu      sync.Mutex
	handler http.HandlerFunc
	lastINM atomic.Value
}

func (o *origin) set(h http.HandlerFunc) { o.mu.Lock(); o.handler = h; o.mu.Unlock() }

func (o *origin) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	o.hits.Add(1)
	o.lastINM.Store(r.Header.Get("If-None-Match"))
	o.mu.Lock()
	h := o.handler
	o.mu.Unlock()
	if o.clock != nil {
		w.Header().Set("Date", o.clock.Now().UTC().Format(http.TimeFormat))
	}
	h(w, r)
}

func respond(status int, body string, kv ...string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		for i := 0; i+1 < len(kv); i += 2 {
			w.Header().Add(kv[i], kv[i+1])
		}
		w.WriteHeader(status)
		io.WriteString(w, body)
	}
}

func setup(t *testing.T) (*origin, *clock, *Proxy, string) {
	t.Helper()
	o := &origin{}
	o.set(respond(200, "hello", "Cache-Control", "max-age=60"))
	os := httptest.NewServer(o)
	t.Cleanup(os.Close)
	u, _ := url.Parse(os.URL)
	c := &clock{t: time.Now()}
	o.clock = c
	p := NewProxy(u, NewStore(1<<20))
	p.now = c.Now
	return o, c, p, serveFronted(t, p)
}

// serveFronted serves p as verge edge --origin does: the front end
// answers the hits it takes, ServeHTTP the rest. It returns the base URL.
func serveFronted(t *testing.T, p *Proxy) string {
	t.Helper()
	return serveFrontedWith(t, p, p)
}

func serveFrontedWith(t *testing.T, p *Proxy, fast front.Responder) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	fs := &front.Server{Responder: fast, Fallback: &http.Server{Handler: p}, ReadHeaderTimeout: 5 * time.Second, IdleTimeout: time.Minute}
	done := make(chan error, 1)
	go func() { done <- fs.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := fs.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
		<-done
	})
	return "http://" + ln.Addr().String()
}

func get(t *testing.T, url string, kv ...string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	for i := 0; i+1 < len(kv); i += 2 {
		req.Header.Set(kv[i], kv[i+1])
	}
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func TestProxyHitAndMiss(t *testing.T) {
	o, c, _, base := setup(t)
	o.set(respond(200, "hello", "Cache-Control", "max-age=60", "Cache-Tag", "a,b", "ETag", `"v1"`))
	resp, body := get(t, base+"/x?q=1")
	if body != "hello" || !strings.Contains(resp.Header.Get("Cache-Status"), "fwd=uri-miss; stored") || resp.Header.Get("Cache-Tag") != "" {
		t.Fatalf("miss: %q %v", body, resp.Header)
	}
	c.Add(10 * time.Second)
	resp, body = get(t, base+"/x?q=1")
	if body != "hello" || !strings.HasPrefix(resp.Header.Get("Cache-Status"), "verge; hit") || resp.Header.Get("Age") != "10" || o.hits.Load() != 1 {
		t.Fatalf("hit: %q %v, origin hits %d", body, resp.Header, o.hits.Load())
	}
	if resp, _ := get(t, base+"/x?q=2"); !strings.Contains(resp.Header.Get("Cache-Status"), "uri-miss") {
		t.Error("another query is another key")
	}
	if resp, _ := get(t, base+"/x?q=1", "If-None-Match", `W/"v1"`); resp.StatusCode != 304 || resp.Header.Get("ETag") != `"v1"` {
		t.Errorf("client revalidation: %d %v", resp.StatusCode, resp.Header)
	}
}

func TestProxyNotStored(t *testing.T) {
	o, _, _, base := setup(t)
	o.set(respond(200, "private", "Cache-Control", "no-store"))
	get(t, base+"/x")
	get(t, base+"/x")
	if o.hits.Load() != 2 {
		t.Errorf("no-store response served from the cache: %d origin hits", o.hits.Load())
	}
}

// 1,000 concurrent requests for one cold key: one origin fetch.
func TestProxyCoalesces(t *testing.T) {
	o, _, _, base := setup(t)
	o.set(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(200 * time.Millisecond)
		respond(200, "slow", "Cache-Control", "max-age=60")(w, r)
	})
	var wg sync.WaitGroup
	var bad atomic.Int64
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1000}}
	for range 1000 {
		wg.Go(func() {
			resp, err := client.Get(base + "/cold")
			if err != nil {
				bad.Add(1)
				return
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if string(b) != "slow" {
				bad.Add(1)
			}
		})
	}
	wg.Wait()
	if o.hits.Load() != 1 || bad.Load() != 0 {
		t.Errorf("%d origin fetches, %d bad answers; want 1 and 0", o.hits.Load(), bad.Load())
	}
}

func TestProxyRevalidates(t *testing.T) {
	o, c, _, base := setup(t)
	o.set(respond(200, "v1", "Cache-Control", "max-age=60", "ETag", `"e1"`))
	get(t, base+"/r")
	c.Add(61 * time.Second)
	o.set(respond(304, "", "Cache-Control", "max-age=120", "ETag", `"e1"`))
	resp, body := get(t, base+"/r")
	if body != "v1" || resp.StatusCode != 200 || o.lastINM.Load() != `"e1"` {
		t.Fatalf("revalidated: %d %q, origin saw If-None-Match %v", resp.StatusCode, body, o.lastINM.Load())
	}
	c.Add(100 * time.Second) // fresh for 120 s since the 304
	if resp, _ := get(t, base+"/r"); !strings.Contains(resp.Header.Get("Cache-Status"), "hit") || o.hits.Load() != 2 {
		t.Errorf("after the 304: %v, %d origin hits", resp.Header.Get("Cache-Status"), o.hits.Load())
	}
}

func TestProxyStale(t *testing.T) {
	tests := []struct {
		name       string
		cc         string
		stale      time.Duration
		origin     http.HandlerFunc
		wantStatus int
		wantBody   string
		wantCS     string
	}{
		{"stale-if-error on 500", "max-age=1, stale-if-error=60", 10 * time.Second, respond(500, "down"), 200, "v1", "origin-error"},
		{"stale-if-error expired", "max-age=1, stale-if-error=5", 10 * time.Second, respond(500, "down"), 500, "down", "fwd=stale"},
		{"must-revalidate forbids stale", "max-age=1, stale-if-error=60, must-revalidate", 10 * time.Second, respond(503, "down"), 503, "down", "fwd=stale"},
		{"stale-while-revalidate", "max-age=1, stale-while-revalidate=60", 10 * time.Second, respond(200, "v2", "Cache-Control", "max-age=60"), 200, "v1", "fwd=stale"},
		{"targeted stale-if-error", "", 10 * time.Second, respond(502, "down"), 200, "v1", "origin-error"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o, c, _, base := setup(t)
			if tc.cc == "" {
				o.set(respond(200, "v1", "CDN-Cache-Control", "max-age=1, stale-if-error=60", "Cache-Control", "no-store"))
			} else {
				o.set(respond(200, "v1", "Cache-Control", tc.cc))
			}
			get(t, base+"/s")
			c.Add(tc.stale)
			o.set(tc.origin)
			resp, body := get(t, base+"/s")
			if resp.StatusCode != tc.wantStatus || body != tc.wantBody || !strings.Contains(resp.Header.Get("Cache-Status"), tc.wantCS) {
				t.Errorf("%d %q %q, want %d %q %q", resp.StatusCode, body, resp.Header.Get("Cache-Status"), tc.wantStatus, tc.wantBody, tc.wantCS)
			}
		})
	}
}

func TestProxyOriginDown(t *testing.T) {
	p := NewProxy(&url.URL{Scheme: "http", Host: "127.0.0.1:1"}, NewStore(1<<20))
	ps := httptest.NewServer(p)
	defer ps.Close()
	if resp, _ := get(t, ps.URL+"/x"); resp.StatusCode != 502 {
		t.Errorf("origin down: %d, want 502", resp.StatusCode)
	}
}

func TestProxyPurgeAndUnsafeMethods(t *testing.T) {
	o, _, p, base := setup(t)
	o.set(respond(200, "tagged", "Cache-Control", "max-age=60", "Surrogate-Key", "Post-1 list"))
	get(t, base+"/a")
	get(t, base+"/a")
	if o.hits.Load() != 1 {
		t.Fatal("not cached")
	}
	p.store.PurgeTags([]string{"post-1"}, false, time.Now())
	get(t, base+"/a")
	if o.hits.Load() != 2 {
		t.Errorf("after a purge of a tag it carries: %d origin hits, want 2", o.hits.Load())
	}
	req, _ := http.NewRequest("POST", base+"/a", strings.NewReader("x"))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	get(t, base+"/a")
	if o.hits.Load() != 4 {
		t.Errorf("after a POST: %d origin hits, want 4 (the POST, then a fresh GET)", o.hits.Load())
	}
}

// A body too large to buffer reaches the client whole and is not stored.
func TestProxyLargeBody(t *testing.T) {
	o, _, _, base := setup(t)
	big := strings.Repeat("0123456789abcdef", (maxBody+1<<20)/16)
	for _, tc := range []struct {
		name, detail string
		header       []string
	}{
		// Known too large from its Content-Length, or found so as it
		// streams through (chunked): either way not stored.
		{"Content-Length", "too-large", []string{"Cache-Control", "max-age=600", "Content-Length", fmt.Sprint(len(big))}},
		{"chunked", "", []string{"Cache-Control", "max-age=600"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o.hits.Store(0)
			o.set(respond(200, big, tc.header...))
			for i := range 2 {
				resp, body := get(t, base+"/big-"+tc.name)
				if len(body) != len(big) || body != big {
					t.Fatalf("request %d: %d bytes, want %d", i, len(body), len(big))
				}
				cs := resp.Header.Get("Cache-Status")
				if strings.Contains(cs, "stored") || !strings.Contains(cs, tc.detail) {
					t.Errorf("request %d: Cache-Status %q", i, cs)
				}
			}
			if o.hits.Load() != 2 {
				t.Errorf("%d origin fetches, want 2 (not stored)", o.hits.Load())
			}
		})
	}
}
