package cache

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/vergehq/verge/edge/front"
	"github.com/vergehq/verge/internal/attacktest"
)

// ---- Shared-cache attacks: Set-Cookie, Host, path (issue 12 items 1, 2, 6) ----
//
// Each sends the attack's bytes over TCP to a proxy served as verge edge
// --origin serves it (the front end, net/http behind it), in front of a
// real origin on 127.0.0.1.

// newAttackOrigin is the origin of the attacks: it records what reaches it.
func newAttackOrigin() *attacktest.Origin {
	return &attacktest.Origin{Answer: http.Header{"Cache-Control": {"max-age=3600"}}}
}

// attackSetup starts an origin and a proxy in front of it, served with
// the front end; it returns the proxy's address (host:port).
func attackSetup(t *testing.T, o *attacktest.Origin, configure func(*Proxy)) (*Proxy, *url.URL, string) {
	t.Helper()
	os := httptest.NewServer(o)
	t.Cleanup(os.Close)
	u, _ := url.Parse(os.URL)
	p := NewProxy(u, NewStore(16<<20))
	if configure != nil {
		configure(p)
	}
	base := serveFronted(t, p)
	return p, u, strings.TrimPrefix(base, "http://")
}

// A response with Set-Cookie is not stored, as a function with EdgeTTL
// sends it (Cache-Control: max-age=0, CDN-Cache-Control: max-age=3600),
// unless it names Set-Cookie in a qualified private or no-cache; then it
// is stored without the cookie. No client ever gets another's cookie,
// through the front end, net/http, or a collapsed fetch.
func TestAttackSetCookie(t *testing.T) {
	tests := []struct {
		name      string
		fields    []string // besides Set-Cookie
		stored    bool
		direction string // what Cache-Status must say on the first answer (and later ones not stored)
	}{
		{"function headers", []string{"Cache-Control", "public, max-age=0, must-revalidate", "CDN-Cache-Control", "public, max-age=3600"}, false, "detail=set-cookie"},
		{"plain max-age", []string{"Cache-Control", "max-age=3600"}, false, "detail=set-cookie"},
		{"s-maxage public", []string{"Cache-Control", "public, s-maxage=3600"}, false, "detail=set-cookie"},
		{"qualified private in Cache-Control", []string{"Cache-Control", `max-age=0, private="Set-Cookie"`, "CDN-Cache-Control", "max-age=3600"}, true, "stored"},
		{"qualified no-cache in Cache-Control", []string{"Cache-Control", `max-age=3600, no-cache="set-cookie"`}, true, "stored"},
		{"qualified private in the targeted field", []string{"Cache-Control", "public, max-age=0, must-revalidate", "CDN-Cache-Control", `public, max-age=3600, private="Set-Cookie"`}, true, "stored"},
		{"qualified no-cache in Verge-CDN-Cache-Control", []string{"Cache-Control", "no-store", "Verge-CDN-Cache-Control", `max-age=3600, no-cache="Set-Cookie"`}, true, "stored"},
		{"qualified in Cache-Control, unqualified private in the targeted field", []string{"Cache-Control", `max-age=3600, private="Set-Cookie"`, "CDN-Cache-Control", "private"}, false, ""},
		{"another field qualified", []string{"Cache-Control", `max-age=3600, private="X-Other"`}, false, "detail=set-cookie"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := &attacktest.Origin{Handle: func(w http.ResponseWriter, r *http.Request, n int64) {
				for i := 0; i+1 < len(tc.fields); i += 2 {
					w.Header().Add(tc.fields[i], tc.fields[i+1])
				}
				w.Header().Set("Set-Cookie", fmt.Sprintf("sid=client%d; HttpOnly", n))
				io.WriteString(w, "page")
			}}
			p, _, addr := attackSetup(t, o, nil)
			plain := strings.TrimPrefix(plainURL(t, p), "http://")
			req := "GET /account HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
			first := attacktest.Send(t, addr, req)
			if got := first.Header.Get("Set-Cookie"); got != "sid=client1; HttpOnly" {
				t.Fatalf("first client: Set-Cookie %q, want its own", got)
			}
			if cs := first.Header.Get("Cache-Status"); !strings.Contains(cs, tc.direction) {
				t.Errorf("first: Cache-Status %q, want %q in it", cs, tc.direction)
			}
			for i, a := range []string{addr, plain} { // the front end, then net/http alone
				got := attacktest.Send(t, a, req)
				cookie := got.Header.Get("Set-Cookie")
				if tc.stored {
					if o.Hits.Load() != 1 || cookie != "" || got.Body != "page" || !strings.Contains(got.Header.Get("Cache-Status"), "hit") {
						t.Errorf("request %d: %d origin hits, Set-Cookie %q, Cache-Status %q: want a hit without a cookie", i+2, o.Hits.Load(), cookie, got.Header.Get("Cache-Status"))
					}
					continue
				}
				want := fmt.Sprintf("sid=client%d; HttpOnly", i+2)
				if o.Hits.Load() != int64(i+2) || cookie != want {
					t.Errorf("request %d: %d origin hits, Set-Cookie %q: want a miss to the origin with %q", i+2, o.Hits.Load(), cookie, want)
				}
				if cs := got.Header.Get("Cache-Status"); !strings.Contains(cs, tc.direction) || strings.Contains(cs, "hit") {
					t.Errorf("request %d: Cache-Status %q", i+2, cs)
				}
			}
		})
	}
}

// Requests that wait for the fetch of a response stored without its
// Set-Cookie (opted in) get the response without it: the cookie is the
// fetching client's alone.
func TestAttackSetCookieCollapsed(t *testing.T) {
	release := make(chan struct{})
	o := &attacktest.Origin{Handle: func(w http.ResponseWriter, r *http.Request, n int64) {
		w.Header().Set("Cache-Control", `max-age=0, private="Set-Cookie"`)
		w.Header().Set("CDN-Cache-Control", "max-age=3600")
		w.Header().Set("Set-Cookie", fmt.Sprintf("sid=client%d", n))
		w.Header().Set("Content-Length", "4")
		w.WriteHeader(200)
		io.WriteString(w, "pa")
		w.(http.Flusher).Flush()
		<-release
		io.WriteString(w, "ge")
	}}
	p, _, addr := attackSetup(t, o, nil)
	req := "GET /slow HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
	results := make(chan attacktest.Answer, 2)
	go func() { results <- attacktest.Send(t, addr, req) }()
	waitFor(t, "the first fetch", func() bool { return o.Hits.Load() == 1 })
	go func() { results <- attacktest.Send(t, addr, req) }()
	waitFor(t, "the second request to join the fetch", func() bool {
		p.mu.Lock()
		defer p.mu.Unlock()
		f := p.flights[key("/slow")]
		return f != nil && f.joined == 1
	})
	close(release)
	cookies := map[string]int{}
	for range 2 {
		r := <-results
		if r.Body != "page" {
			t.Errorf("body %q", r.Body)
		}
		cookies[r.Header.Get("Set-Cookie")]++
	}
	if o.Hits.Load() != 1 || cookies["sid=client1"] != 1 || cookies[""] != 1 {
		t.Errorf("%d origin hits, cookies %v: want one fetch, its cookie to one client only", o.Hits.Load(), cookies)
	}
}

// A client cannot make the origin answer for another host and have the
// cache give that answer to everyone: Host, an absolute-form target and
// the forwarding fields are not forwarded as the client sent them. The
// origin sees its own host, X-Forwarded-For and X-Forwarded-Proto as the
// proxy sets them, and none of the fields that rename the target.
func TestAttackHost(t *testing.T) {
	tests := []struct {
		name, attack string
	}{
		{"Host", "GET /p1 HTTP/1.1\r\nHost: evil.example\r\n\r\n"},
		{"absolute-form", "GET http://evil.example/p1 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"},
		{"X-Forwarded-Host", "GET /p1 HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Forwarded-Host: evil.example\r\n\r\n"},
		{"Forwarded", "GET /p1 HTTP/1.1\r\nHost: 127.0.0.1\r\nForwarded: host=evil.example;proto=https\r\n\r\n"},
		{"X-Original-URL", "GET /p1 HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Original-URL: /evil.example\r\nX-Rewrite-URL: /evil.example\r\n\r\n"},
		{"X-Forwarded-Proto and -For", "GET /p1 HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Forwarded-Proto: evil.example\r\nX-Forwarded-For: evil.example\r\n\r\n"},
		{"method override", "GET /p1 HTTP/1.1\r\nHost: 127.0.0.1\r\nX-HTTP-Method-Override: evil.example\r\n\r\n"},
		// CGI, WSGI and PHP read a field as HTTP_X_FORWARDED_HOST, with
		// "-" and "_" alike: these are X-Forwarded-Host to such an origin.
		{"X-Forwarded_Host", "GET /p1 HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Forwarded_Host: evil.example\r\n\r\n"},
		{"X_Forwarded_Proto and X_Forwarded-For", "GET /p1 HTTP/1.1\r\nHost: 127.0.0.1\r\nX_Forwarded_Proto: evil.example\r\nX_Forwarded-For: evil.example\r\n\r\n"},
		{"X-Original_URL", "GET /p1 HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Original_URL: /evil.example\r\nX_HTTP_Method_Override: evil.example\r\n\r\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := newAttackOrigin()
			_, origin, addr := attackSetup(t, o, nil)
			attacktest.Send(t, addr, tc.attack)
			seen := o.Last(t)
			if seen.Host != origin.Host || seen.RequestURI != "/p1" {
				t.Errorf("the origin got %s with Host %q, want /p1 with its own %q", seen.RequestURI, seen.Host, origin.Host)
			}
			for k, v := range seen.Header {
				if strings.Contains(strings.Join(v, ","), "evil.example") {
					t.Errorf("the origin got %s: %q", k, v)
				}
			}
			if xff, xfp := seen.Header.Get("X-Forwarded-For"), seen.Header.Get("X-Forwarded-Proto"); xff != "127.0.0.1" || xfp != "http" {
				t.Errorf("X-Forwarded-For %q, X-Forwarded-Proto %q: want the proxy's own, 127.0.0.1 and http", xff, xfp)
			}
			victim := attacktest.Send(t, addr, "GET /p1 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
			if strings.Contains(victim.Body, "evil.example") {
				t.Errorf("the next client got %q (Cache-Status %q)", victim.Body, victim.Header.Get("Cache-Status"))
			}
		})
	}
}

// From a trusted proxy X-Forwarded-Host and X-Forwarded-Proto reach the
// origin, and the cache keys on them (Vary): a load balancer's clients
// of one host never get another host's page. From an address not in the
// list they are dropped still.
func TestAttackHostTrustedProxy(t *testing.T) {
	trust := func(list ...string) func(*Proxy) {
		return func(p *Proxy) {
			prefixes, err := ParseTrustedProxies(list)
			if err != nil {
				t.Fatal(err)
			}
			p.SetTrustedProxies(prefixes)
		}
	}
	get := func(host string) string {
		return "GET /t HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Forwarded-Host: " + host + "\r\nX-Forwarded-For: 192.0.2.9\r\n\r\n"
	}
	t.Run("trusted", func(t *testing.T) {
		o := newAttackOrigin()
		_, _, addr := attackSetup(t, o, trust("127.0.0.0/8"))
		a := attacktest.Send(t, addr, get("a.example"))
		if a.Body != "made for host="+o.Last(t).Host+" xfh=a.example" {
			t.Errorf("a: %q", a.Body)
		}
		if xff := o.Last(t).Header.Get("X-Forwarded-For"); xff != "192.0.2.9, 127.0.0.1" {
			t.Errorf("X-Forwarded-For %q: want the proxy's chain with its peer added", xff)
		}
		b := attacktest.Send(t, addr, get("b.example"))
		if !strings.HasSuffix(b.Body, "xfh=b.example") || o.Hits.Load() != 2 {
			t.Errorf("b: %q after %d origin hits: want its own page", b.Body, o.Hits.Load())
		}
		again := attacktest.Send(t, addr, get("a.example"))
		if !strings.HasSuffix(again.Body, "xfh=a.example") || o.Hits.Load() != 2 {
			t.Errorf("a again: %q after %d origin hits: want a's page from the cache", again.Body, o.Hits.Load())
		}
		none := attacktest.Send(t, addr, "GET /t HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
		if !strings.HasSuffix(none.Body, "xfh=") {
			t.Errorf("no X-Forwarded-Host: %q", none.Body)
		}
	})
	t.Run("not trusted", func(t *testing.T) {
		o := newAttackOrigin()
		_, _, addr := attackSetup(t, o, trust("10.0.0.0/8", "192.0.2.1"))
		attacktest.Send(t, addr, get("evil.example"))
		if h := o.Last(t).Header; h.Get("X-Forwarded-Host") != "" || h.Get("X-Forwarded-For") != "127.0.0.1" {
			t.Errorf("from an untrusted peer the origin got X-Forwarded-Host %q, X-Forwarded-For %q", h.Get("X-Forwarded-Host"), h.Get("X-Forwarded-For"))
		}
	})
	if _, err := ParseTrustedProxies([]string{"10.0.0.0/8", "::1", "192.0.2.7", "nonsense"}); err == nil {
		t.Error("a trusted proxy that is not an address was accepted")
	}
	if got, _ := ParseTrustedProxies([]string{"::ffff:10.1.2.3"}); len(got) != 1 || !got[0].Contains(netip.MustParseAddr("10.1.2.3")) {
		t.Errorf("a v4-mapped address: %v", got)
	}
}

// With ServeKeepingHost (function patterns that name a host) the
// client's Host is forwarded, and the cache keys on it: each host its
// own answer, through the front end as through net/http.
func TestAttackHostKept(t *testing.T) {
	o := newAttackOrigin()
	os := httptest.NewServer(o)
	t.Cleanup(os.Close)
	u, _ := url.Parse(os.URL)
	p := NewProxy(u, NewStore(16<<20))
	keptAddr := serveFrontHandler(t, http.HandlerFunc(p.ServeKeepingHost), p)
	attacktest.Send(t, keptAddr, "GET /k HTTP/1.1\r\nHost: evil.example\r\n\r\n")
	if o.Last(t).Host != "evil.example" {
		t.Fatalf("the origin got Host %q, want the client's", o.Last(t).Host)
	}
	victim := attacktest.Send(t, keptAddr, "GET /k HTTP/1.1\r\nHost: site.example\r\n\r\n")
	if !strings.Contains(victim.Body, "host=site.example") || o.Hits.Load() != 2 {
		t.Errorf("another host got %q after %d origin hits", victim.Body, o.Hits.Load())
	}
	if v := victim.Header.Get("Vary"); !strings.Contains(v, "Host") {
		t.Errorf("Vary %q: want Host in it", v)
	}
	for _, host := range []string{"site.example", "evil.example"} {
		again := attacktest.Send(t, keptAddr, "GET /k HTTP/1.1\r\nHost: "+host+"\r\n\r\n")
		if !strings.Contains(again.Body, "host="+host) || o.Hits.Load() != 2 || !strings.Contains(again.Header.Get("Cache-Status"), "hit") {
			t.Errorf("%s again: %q after %d origin hits, want a hit", host, again.Body, o.Hits.Load())
		}
	}
}

// serveFrontHandler serves h behind the front end with fast answering
// what it takes, as edge.Serve does; it returns the address.
func serveFrontHandler(t *testing.T, h http.Handler, fast front.Responder) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	fs := &front.Server{Responder: fast, Fallback: &http.Server{Handler: h}, ReadHeaderTimeout: 5 * time.Second, IdleTimeout: time.Minute}
	done := make(chan error, 1)
	go func() { done <- fs.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = fs.Shutdown(ctx)
		<-done
	})
	return ln.Addr().String()
}

// The path the origin gets is the one the proxy routed and keyed on:
// escapes as sent, and a dot segment refused rather than resolved into
// another route ("/_verge/./purge" is not the purge API, and must not
// reach the origin as "/_verge/purge").
func TestAttackPath(t *testing.T) {
	tests := []struct {
		name, request string
		status        int    // 0: whatever the origin says
		forwarded     string // the request target the origin must get; "" for none
	}{
		{"dot segment to purge", "POST /_verge/./purge HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 2\r\n\r\n{}", 400, ""},
		{"dot-dot to purge", "POST /x/../_verge/purge HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 2\r\n\r\n{}", 400, ""},
		{"escaped dot segment", "POST /_verge/%2e/purge HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 2\r\n\r\n{}", 400, ""},
		{"dot segment GET", "GET /a/./b HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", 400, ""},
		{"trailing dot-dot GET", "GET /a/b/.. HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", 400, ""},
		{"escaped slash GET", "GET /a%2Fb?q=%2F HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", 200, "/a%2Fb?q=%2F"},
		{"escaped slash POST", "POST /a%2fb HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n\r\n", 200, "/a%2fb"},
		{"escaped slash to purge", "POST /_verge%2Fpurge HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n\r\n", 200, "/_verge%2Fpurge"},
		{"double slash", "GET //a//b HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", 200, "//a//b"},
		{"absolute-form keeps its path", "GET http://evil.example/a%2Fb HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", 200, "/a%2Fb"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := newAttackOrigin()
			_, _, addr := attackSetup(t, o, func(p *Proxy) { p.SetPurgeToken("secret") })
			got := attacktest.Send(t, addr, tc.request)
			if tc.status != 0 && got.Status != tc.status {
				t.Errorf("status %d, want %d (%q)", got.Status, tc.status, got.Body)
			}
			switch {
			case tc.forwarded == "" && o.Hits.Load() != 0:
				t.Errorf("the origin got %s", o.Last(t).RequestURI)
			case tc.forwarded != "":
				if o.Hits.Load() != 1 || o.Last(t).RequestURI != tc.forwarded {
					t.Errorf("the origin got %d requests, the last for %s, want one for %s", o.Hits.Load(), o.Last(t).RequestURI, tc.forwarded)
				}
			}
		})
	}
}

// What counts as a dot segment: whole segments only, and without
// allocating (the front end asks it of every request).
func TestAttackPathDotSegments(t *testing.T) {
	for p, want := range map[string]bool{
		"/": false, "/a/b": false, "/.well-known/x": false, "/a/..b": false, "/a/...": false, "//": false, "/a.b/c.": false,
		"/.": true, "/..": true, "/a/./b": true, "/a/../b": true, "/a/.": true, "/a/..": true, "//./": true,
	} {
		if got := hasDotSegment(p); got != want {
			t.Errorf("hasDotSegment(%q) = %v, want %v", p, got, want)
		}
	}
	if n := testing.AllocsPerRun(100, func() { hasDotSegment("/posts/a/b/./c") }); n != 0 {
		t.Errorf("%v allocations", n)
	}
}

// ---- end of the Set-Cookie, Host and path attacks ----
