package edge

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/vergehq/verge/internal/attacktest"
	"github.com/vergehq/verge/internal/manifest"
)

// ---- Shared-cache attacks on verge edge --functions: Set-Cookie, Host, path (issue 12 items 1, 2, 6) ----
//
// Raw requests over TCP to the store's server as verge edge --functions
// serves it (front end and net/http), with the function requests going
// through its cache to a real origin on 127.0.0.1.

// newFuncOrigin is the origin of the attacks: it records what reaches it.
func newFuncOrigin() *attacktest.Origin {
	return &attacktest.Origin{Answer: http.Header{
		// What a function with site.EdgeTTL(time.Hour) sent before issue 12:
		// the worst case for the edge, public to every cache.
		"Cache-Control":     {"public, max-age=0, must-revalidate"},
		"Cdn-Cache-Control": {"public, max-age=3600"},
	}}
}

// functionEdge deploys siteFiles("v1") with fns and serves it with its
// functions at o; it returns the edge's address and the origin's URL.
func functionEdge(t *testing.T, o *attacktest.Origin, fns ...manifest.Function) (string, *url.URL) {
	t.Helper()
	s, err := OpenStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Deploy(context.Background(), makeRichDist(t, siteFiles("v1"), fns...), 0); err != nil {
		t.Fatal(err)
	}
	os := httptest.NewServer(o)
	t.Cleanup(os.Close)
	u, _ := url.Parse(os.URL)
	sv := NewServer(s)
	sv.SetOrigin(u)
	sv.SetPurgeToken("secret")
	return strings.TrimPrefix(startEdge(t, sv, sv).URL, "http://"), u
}

var relatedFn = manifest.Function{Pattern: "GET /api/related/{slug}", Method: "GET", Path: "/api/related/{slug}"}

// A function with EdgeTTL that sets a cookie, asked twice: the second
// client gets a fresh answer and its own cookie, never the first's.
func TestAttackSetCookieFunctions(t *testing.T) {
	o := &attacktest.Origin{Handle: func(w http.ResponseWriter, r *http.Request, n int64) {
		w.Header().Set("Cache-Control", "public, max-age=0, must-revalidate")
		w.Header().Set("CDN-Cache-Control", "public, max-age=3600")
		w.Header().Set("Set-Cookie", fmt.Sprintf("sid=client%d; Path=/; HttpOnly", n))
		io.WriteString(w, `{"related":[]}`)
	}}
	addr, _ := functionEdge(t, o, relatedFn)
	req := "GET /api/related/a HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
	for i := int64(1); i <= 3; i++ {
		got := attacktest.Send(t, addr, req)
		want := fmt.Sprintf("sid=client%d; Path=/; HttpOnly", i)
		if c := got.Header.Get("Set-Cookie"); c != want || o.Hits.Load() != i {
			t.Errorf("request %d: Set-Cookie %q after %d origin hits, want %q from the origin", i, c, o.Hits.Load(), want)
		}
		if cs := got.Header.Get("Cache-Status"); !strings.Contains(cs, "detail=set-cookie") {
			t.Errorf("request %d: Cache-Status %q, want it to say why it was not stored", i, cs)
		}
	}
}

// Host, an absolute-form target and X-Forwarded-Host do not reach the
// function's origin, so the answer cached for a URL is the same for all.
func TestAttackHostFunctions(t *testing.T) {
	for name, attack := range map[string]string{
		"Host":             "GET /api/related/p1 HTTP/1.1\r\nHost: evil.example\r\n\r\n",
		"absolute-form":    "GET http://evil.example/api/related/p1 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
		"X-Forwarded-Host": "GET /api/related/p1 HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Forwarded-Host: evil.example\r\n\r\n",
	} {
		t.Run(name, func(t *testing.T) {
			o := newFuncOrigin()
			addr, origin := functionEdge(t, o, relatedFn)
			attacktest.Send(t, addr, attack)
			if seen := o.Last(t); seen.Host != origin.Host || seen.Header.Get("X-Forwarded-Host") != "" {
				t.Errorf("the origin got Host %q, X-Forwarded-Host %q", seen.Host, seen.Header.Get("X-Forwarded-Host"))
			}
			victim := attacktest.Send(t, addr, "GET /api/related/p1 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
			if strings.Contains(victim.Body, "evil") {
				t.Errorf("the next client got %q (Cache-Status %q)", victim.Body, victim.Header.Get("Cache-Status"))
			}
		})
	}
}

// A function whose pattern names a host is routed on Host by the edge
// and by the origin: the client's Host goes through, and the cache keys
// on it, so no other host's answer is ever served for it.
func TestAttackHostFunctionsHostPattern(t *testing.T) {
	o := newFuncOrigin()
	addr, _ := functionEdge(t, o, manifest.Function{Pattern: "GET site.example/api/h", Method: "GET", Path: "/api/h"},
		manifest.Function{Pattern: "GET /api/any", Method: "GET", Path: "/api/any"})
	for _, host := range []string{"site.example", "site.example", "evil.example"} {
		got := attacktest.Send(t, addr, "GET /api/any HTTP/1.1\r\nHost: "+host+"\r\n\r\n")
		if !strings.Contains(got.Body, "host="+host+" ") {
			t.Errorf("Host %s: %q (Cache-Status %q)", host, got.Body, got.Header.Get("Cache-Status"))
		}
	}
	if o.Hits.Load() != 2 {
		t.Errorf("%d origin hits, want 2: one per host", o.Hits.Load())
	}
	if got := attacktest.Send(t, addr, "GET /api/h HTTP/1.1\r\nHost: site.example\r\n\r\n"); o.Last(t).Host != "site.example" || got.Status != 200 {
		t.Errorf("the host's own function: %d, origin saw Host %q", got.Status, o.Last(t).Host)
	}
}

// The origin gets a function's path exactly as the edge routed it: a
// path the mux would only match once cleaned is redirected to its clean
// form, never forwarded cleaned; an escaped slash stays escaped; and
// /_verge/./purge is neither the purge API nor forwarded.
func TestAttackPathFunctions(t *testing.T) {
	tests := []struct {
		name, request string
		status        int
		forwarded     string // "" for none
	}{
		{"dot segment", "GET /api/related/./a HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", 307, ""},
		{"escaped dot segment", "GET /api/related/%2e/a HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", 301, ""},
		{"double slash", "GET /api//related/a HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", 307, ""},
		{"escaped slash", "GET /api/related/a%2Fb HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", 200, "/api/related/a%2Fb"},
		{"dot segment to purge", "POST /_verge/./purge HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer secret\r\nContent-Length: 19\r\n\r\n{\"everything\":true}", 405, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := newFuncOrigin()
			addr, _ := functionEdge(t, o, relatedFn)
			got := attacktest.Send(t, addr, tc.request)
			if got.Status != tc.status {
				t.Errorf("status %d, want %d (%q)", got.Status, tc.status, got.Body)
			}
			switch {
			case tc.forwarded == "" && o.Hits.Load() != 0:
				t.Errorf("the origin got %s", o.Last(t).RequestURI)
			case tc.forwarded != "" && (o.Hits.Load() != 1 || o.Last(t).RequestURI != tc.forwarded):
				t.Errorf("the origin got %d requests, want one for %s", o.Hits.Load(), tc.forwarded)
			}
		})
	}
}

// ---- end of the Set-Cookie, Host and path attacks ----
