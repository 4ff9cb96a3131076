package site_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vergehq/verge/site"
)

// originSite declares the ok fixture's posts and functions that exercise
// the runtime's limits.
func originSite(t *testing.T) (*httptest.Server, *syncBuffer) {
	t.Helper()
	dir, _ := extractSite(t, "ok")
	s := site.NewAt(dir)
	posts := site.Markdown[postMeta](s, "posts")
	s.Func("GET /api/count", func(c *site.Ctx, w http.ResponseWriter, r *http.Request) error {
		_, err := fmt.Fprint(w, len(posts.All(c)))
		return err
	}, site.EdgeTTL(time.Hour), site.BrowserTTL(time.Minute), site.StaleWhileRevalidate(time.Minute), site.StaleIfError(time.Hour), site.Vary("Accept-Language"))
	s.Func("GET /api/panic", func(c *site.Ctx, w http.ResponseWriter, r *http.Request) error {
		panic("boom")
	})
	s.Func("GET /api/slow", func(c *site.Ctx, w http.ResponseWriter, r *http.Request) error {
		select {
		case <-time.After(5 * time.Second):
		case <-c.Done():
		}
		return nil
	}, site.Timeout(100*time.Millisecond))
	s.Func("POST /api/echo", func(c *site.Ctx, w http.ResponseWriter, r *http.Request) error {
		_, err := io.Copy(w, r.Body)
		return err
	}, site.MaxBody(1024))
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	s.Func("GET /api/one-at-a-time", func(c *site.Ctx, w http.ResponseWriter, r *http.Request) error {
		select {
		case <-release:
		case <-c.Done():
		}
		return nil
	}, site.Concurrency(1), site.Timeout(3*time.Second))
	s.Func("GET /api/stuck", func(c *site.Ctx, w http.ResponseWriter, r *http.Request) error {
		time.Sleep(400 * time.Millisecond) // ignores its deadline
		return nil
	}, site.Concurrency(1), site.Timeout(50*time.Millisecond))
	var logs syncBuffer
	o, err := site.NewOrigin(context.Background(), s, slog.New(slog.NewJSONHandler(&logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(o)
	t.Cleanup(ts.Close)
	return ts, &logs
}

func TestOriginRuntime(t *testing.T) {
	ts, logs := originSite(t)
	call := func(method, path string, body io.Reader) (*http.Response, string) {
		t.Helper()
		req, _ := http.NewRequest(method, ts.URL+path, body)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}
	tests := []struct {
		name, method, path string
		body               string
		status             int
		header             map[string]string
		bodyHas            string
	}{
		{name: "tags and policy", method: "GET", path: "/api/count", status: 200, bodyHas: "3", header: map[string]string{
			"Cache-Control":     "max-age=60",
			"CDN-Cache-Control": "max-age=3600, stale-while-revalidate=60, stale-if-error=3600",
			"Vary":              "Accept-Language",
			"Cache-Tag":         "fn:c:posts,fn:site"}},
		{name: "panic", method: "GET", path: "/api/panic", status: 500, header: map[string]string{"Cache-Control": "no-store"}},
		{name: "timeout", method: "GET", path: "/api/slow", status: 504, bodyHas: "within 100ms"},
		{name: "body under the limit", method: "POST", path: "/api/echo", body: "hello", status: 200, bodyHas: "hello", header: map[string]string{"Cache-Control": "no-store"}},
		{name: "body over the limit", method: "POST", path: "/api/echo", body: strings.Repeat("x", 2000), status: 413},
		{name: "wrong method", method: "PUT", path: "/api/count", status: 405},
		{name: "no such function", method: "GET", path: "/api/nope", status: 404},
		{name: "after a panic, still serving", method: "GET", path: "/api/count", status: 200},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			resp, body := call(tc.method, tc.path, strings.NewReader(tc.body))
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d (%q)", resp.StatusCode, tc.status, body)
			}
			for k, v := range tc.header {
				if got := resp.Header.Get(k); got != v {
					t.Errorf("%s = %q, want %q", k, got, v)
				}
			}
			if !strings.Contains(body, tc.bodyHas) {
				t.Errorf("body %q lacks %q", body, tc.bodyHas)
			}
			if time.Since(start) > 2*time.Second {
				t.Errorf("took %s", time.Since(start))
			}
		})
	}
	if !strings.Contains(logs.String(), `"panic":"boom"`) || !strings.Contains(logs.String(), `"func":"GET /api/count"`) {
		t.Errorf("logs lack the panic or the access lines:\n%s", logs.String())
	}
}

// A function at its concurrency limit turns further requests away at
// once with 429 and Retry-After, rather than queueing them.
func TestOriginConcurrencyLimit(t *testing.T) {
	ts, _ := originSite(t)
	var wg sync.WaitGroup
	wg.Go(func() {
		resp, err := http.Get(ts.URL + "/api/one-at-a-time")
		if err == nil {
			resp.Body.Close()
		}
	})
	time.Sleep(100 * time.Millisecond) // the first holds the only slot
	resp, err := http.Get(ts.URL + "/api/one-at-a-time")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" {
		t.Errorf("second request: %d, Retry-After %q; want 429 with Retry-After", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	ts.CloseClientConnections()
}

// A function stuck past its timeout gives its concurrency slot back at
// the timeout, and is refused with 503 once twice its Concurrency of
// calls run past it; it serves again once they return.
func TestOriginStuckFunctionGivesBackItsSlot(t *testing.T) {
	ts, _ := originSite(t)
	get := func() int {
		resp, err := http.Get(ts.URL + "/api/stuck")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	for i, want := range []int{http.StatusGatewayTimeout, http.StatusGatewayTimeout, http.StatusServiceUnavailable} {
		if got := get(); got != want {
			t.Fatalf("request %d: %d, want %d", i, got, want)
		}
	}
	deadline := time.Now().Add(3 * time.Second)
	for get() != http.StatusGatewayTimeout {
		if time.Now().After(deadline) {
			t.Fatal("still refused after the stuck calls returned")
		}
		time.Sleep(20 * time.Millisecond)
	}
}
