package cache

// Rules for storing responses and choosing among them (see rules_test.go).

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

// Only final responses to understood methods are stored; 1xx never.
func TestRuleStoreOnlyFinalResponses(t *testing.T) {
	for _, tc := range []struct {
		method string
		status int
		want   bool
	}{
		{"GET", 100, false}, {"GET", 101, false}, {"GET", 103, false}, {"GET", 199, false},
		{"GET", 200, true}, {"GET", 404, true},
		{"POST", 200, false}, {"PUT", 200, false}, {"DELETE", 200, false}, {"FROB", 200, false},
	} {
		if got, why := Storable(tc.method, http.Header{}, tc.status, header("Cache-Control", "max-age=60"), now); got != tc.want {
			t.Errorf("%s %d: storable %v (%s), want %v", tc.method, tc.status, got, why, tc.want)
		}
	}
	// Through the proxy: an interim 103 goes by, the final 200 is what
	// is stored and served.
	o, _, _, base := setup(t)
	o.set(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Link", "</style.css>; rel=preload")
		w.WriteHeader(http.StatusEarlyHints)
		w.Header().Del("Link")
		respond(200, "final", "Cache-Control", "max-age=60")(w, r)
	})
	fget(t, base+"/hints")
	resp, body := fget(t, base+"/hints")
	if resp.StatusCode != 200 || body != "final" || o.hits.Load() != 1 {
		t.Errorf("after a 103 then a 200: %d %q, %d origin hits; want the stored 200", resp.StatusCode, body, o.hits.Load())
	}
}

// no-store, unqualified private, and Authorization without public,
// s-maxage or must-revalidate keep a response out of the store.
func TestRuleNotStored(t *testing.T) {
	tests := []struct {
		name   string
		cc     string
		auth   bool
		stored bool
	}{
		{"max-age", "max-age=60", false, true},
		{"no-store", "max-age=60, no-store", false, false},
		{"NO-STORE, any case", "max-age=60, NO-STORE", false, false},
		{"private", "private, max-age=60", false, false},
		{"private, any case", "Private, max-age=60", false, false},
		{"qualified private stores the rest", `private="X-User", max-age=60`, false, true},
		{"Authorization", "max-age=60", true, false},
		{"Authorization, public", "public, max-age=60", true, true},
		{"Authorization, s-maxage", "s-maxage=60", true, true},
		{"Authorization, must-revalidate", "max-age=60, must-revalidate", true, true},
		{"Authorization, private", "private, s-maxage=60", true, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o, c, _, base := setup(t)
			o.set(respond(200, "body", "Cache-Control", tc.cc, "Content-Type", "text/plain"))
			var kv []string
			if tc.auth {
				kv = []string{"Authorization", "Bearer x"}
			}
			fget(t, base+"/n", kv...)
			c.Add(time.Second)
			resp, body := fget(t, base+"/n", kv...)
			if stored := o.hits.Load() == 1; stored != tc.stored || body != "body" {
				t.Errorf("stored %v (body %q, Cache-Status %q), want %v", stored, body, resp.Header.Get("Cache-Status"), tc.stored)
			}
		})
	}
}

// Every field is stored and served as received, unknown ones included,
// repeated ones in order (Set-Cookie, which keeps a response from being
// stored, has its own tests in attack_test.go); hop-by-hop fields are not
// (RFC 9111 section 3.1, RFC 9110 section 7.6.1). Checked on the miss
// and on hits through both the front end and plain net/http.
func TestRuleStoredHeaders(t *testing.T) {
	kept := [][2]string{
		{"X-Unknown-Field", "kept"},
		{"Warning", "a=1, b=2"},
		{"X-Multi", "one, two"},
		{"Content-Type", "text/x-verge"},
		{"Link", `</a.css>; rel=preload, </b.js>; rel=preload`},
	}
	tests := []struct {
		name    string
		fields  []string // sent besides the kept ones
		dropped []string // must not reach the client
		gap     string
	}{
		{"Connection and what it lists", []string{"Connection", "X-Hop, X-Hop2", "X-Hop", "1", "X-Hop2", "2"}, []string{"X-Hop", "X-Hop2"}, ""},
		{"Connection: close and what it lists", []string{"Connection", "close, X-Hop", "X-Hop", "1"}, []string{"X-Hop"},
			"with \"Connection: close, X-Hop\" from the origin, X-Hop is stored and served: net/http's Transport deletes a Connection field that says close before copyHeaders reads the names it lists"},
		{"Keep-Alive, Upgrade, TE", []string{"Keep-Alive", "timeout=5", "Upgrade", "example/1", "TE", "trailers"}, []string{"Keep-Alive", "Upgrade", "Te"}, ""},
		{"Proxy-Connection, Proxy-Authenticate", []string{"Proxy-Connection", "keep-alive", "Proxy-Authenticate", `Basic realm="p"`}, []string{"Proxy-Connection", "Proxy-Authenticate"}, ""},
		{"Proxy-Authentication-Info", []string{"Proxy-Authentication-Info", `nextnonce="x"`}, []string{"Proxy-Authentication-Info"}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.gap != "" {
				knownGap(t, tc.gap)
			}
			o, c, p, base := setup(t)
			plain := plainURL(t, p)
			kv := []string{"Cache-Control", "max-age=60", "X-Unknown-Field", "kept", "Warning", "a=1", "Warning", "b=2",
				"X-Multi", "one", "X-Multi", "two", "Content-Type", "text/x-verge", "Link", "</a.css>; rel=preload", "Link", "</b.js>; rel=preload"}
			o.set(rawOrigin(o, "200 OK", "body", append(kv, tc.fields...)...))
			check := func(what string, resp *http.Response, body string) {
				t.Helper()
				if body != "body" {
					t.Errorf("%s: body %q", what, body)
				}
				for _, f := range kept {
					if got := joined(resp.Header, f[0]); got != f[1] {
						t.Errorf("%s: %s %q, want %q", what, f[0], got, f[1])
					}
				}
				for _, f := range tc.dropped {
					if v := resp.Header.Values(f); len(v) > 0 {
						t.Errorf("%s: hop-by-hop %s %q reached the client", what, f, v)
					}
				}
				if conn := strings.ToLower(joined(resp.Header, "Connection")); strings.Contains(conn, "x-hop") {
					t.Errorf("%s: Connection %q forwarded", what, conn)
				}
			}
			resp, body := fget(t, base+"/h")
			check("miss", resp, body)
			c.Add(time.Second)
			resp, body = fget(t, base+"/h")
			check("hit, front end", resp, body)
			resp, body = fget(t, plain+"/h")
			check("hit, net/http", resp, body)
			if o.hits.Load() != 1 {
				t.Errorf("%d origin hits, want 1", o.hits.Load())
			}
		})
	}
}

// The proxy adds no field the origin did not send but Age and
// Cache-Status: a response without Content-Type is served without one.
func TestRuleNoAddedContentType(t *testing.T) {
	o, c, p, base := setup(t)
	plain := plainURL(t, p)
	o.set(rawOrigin(o, "200 OK", "<p>no type</p>", "Cache-Control", "max-age=60", "X-Other", "1"))
	for i, u := range []string{base, base, plain} {
		resp, body := fget(t, u+"/untyped")
		if body != "<p>no type</p>" || resp.Header.Get("X-Other") != "1" {
			t.Fatalf("request %d: %q %v", i, body, resp.Header)
		}
		if ct := resp.Header.Values("Content-Type"); len(ct) > 0 {
			t.Errorf("request %d: Content-Type %q added", i, ct)
		}
		c.Add(time.Second)
	}
}

// A response with neither explicit freshness nor a validator gets no
// default lifetime: the next request goes to the origin.
func TestRuleNoDefaultTTL(t *testing.T) {
	tests := []struct {
		name string
		kv   []string
		inm  string // the If-None-Match the origin should see on the second request
	}{
		{"nothing", []string{"Content-Type", "text/plain"}, ""},
		{"a validator only", []string{"Content-Type", "text/plain", "ETag", `"v"`}, `"v"`},
		{"public, nothing else", []string{"Content-Type", "text/plain", "Cache-Control", "public"}, ""},
		{"301 without Last-Modified", []string{"Location", "/x"}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o, _, _, base := setup(t)
			status := 200
			if tc.name == "301 without Last-Modified" {
				status = 301
			}
			o.set(respond(status, "b", tc.kv...))
			fget(t, base+"/d")
			resp, _ := fget(t, base+"/d")
			if o.hits.Load() != 2 || strings.Contains(resp.Header.Get("Cache-Status"), "hit") {
				t.Errorf("%d origin hits, Cache-Status %q: served without asking the origin", o.hits.Load(), resp.Header.Get("Cache-Status"))
			}
			if got := o.lastINM.Load(); got != tc.inm {
				t.Errorf("origin saw If-None-Match %q, want %q", got, tc.inm)
			}
		})
	}
}

// --- Reusing (RFC 9111 section 4) ---

// The key is the method and the whole URI, query included.
func TestRuleCacheKey(t *testing.T) {
	tests := []struct {
		first, second string
		same          bool
	}{
		{"/k?a=1", "/k?a=1", true},
		{"/k?a=1", "/k?a=2", false},
		{"/k?a=1", "/k", false},
		{"/k?a=1", "/k?a=1&b=2", false},
		{"/k", "/k?a=1", false},
		{"/k/x", "/K/x", false},
		{"/k/x", "/k/y", false},
	}
	for _, tc := range tests {
		t.Run(tc.first+" then "+tc.second, func(t *testing.T) {
			o, _, _, base := setup(t)
			o.set(func(w http.ResponseWriter, r *http.Request) {
				respond(200, r.URL.RequestURI(), "Cache-Control", "max-age=60", "Content-Type", "text/plain")(w, r)
			})
			fget(t, base+tc.first)
			_, body := fget(t, base+tc.second)
			if same := o.hits.Load() == 1; same != tc.same {
				t.Errorf("answered from %s's entry: %v, want %v (body %q)", tc.first, same, tc.same, body)
			}
		})
	}
	t.Run("POST is not served a stored GET", func(t *testing.T) {
		o, _, _, base := setup(t)
		fget(t, base+"/m")
		if _, body := mustSend(t, "POST", base+"/m", "x"); o.hits.Load() != 2 || body != "hello" {
			t.Errorf("%d origin hits, want 2", o.hits.Load())
		}
	})
}

// The Vary-nominated request fields must match; Vary: * never does.
func TestRuleVary(t *testing.T) {
	t.Run("variants", func(t *testing.T) {
		o, _, _, base := setup(t)
		o.set(func(w http.ResponseWriter, r *http.Request) {
			respond(200, "for "+r.Header.Get("X-Lang"), "Cache-Control", "max-age=60", "Content-Type", "text/plain", "Vary", "X-Lang")(w, r)
		})
		steps := []struct {
			lang      string
			wantHits  int64
			wantBody  string
			sendField bool
		}{
			{"en", 1, "for en", true},
			{"en", 1, "for en", true},
			{"fr", 2, "for fr", true},
			{"fr", 2, "for fr", true},
			{"en", 2, "for en", true},
			{"", 3, "for ", false}, // absent is a value of its own
			{"", 3, "for ", false},
		}
		for i, s := range steps {
			var kv []string
			if s.sendField {
				kv = []string{"X-Lang", s.lang}
			}
			_, body := fget(t, base+"/v", kv...)
			if body != s.wantBody || o.hits.Load() != s.wantHits {
				t.Errorf("step %d (%q): %q with %d origin hits, want %q with %d", i, s.lang, body, o.hits.Load(), s.wantBody, s.wantHits)
			}
		}
	})
	t.Run("Vary: *", func(t *testing.T) {
		o, _, _, base := setup(t)
		o.set(respond(200, "star", "Cache-Control", "max-age=60", "Content-Type", "text/plain", "Vary", "*"))
		for range 3 {
			fget(t, base+"/star")
		}
		if o.hits.Load() != 3 {
			t.Errorf("%d origin hits, want 3: Vary * never matches", o.hits.Load())
		}
	})
}
