package cache

import (
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync/atomic"
	"testing"

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

// A hit the front end answers is the hit ServeHTTP answers: status,
// fields (Date aside), body; and it takes only what it should.
func TestProxyFastPathSameAnswers(t *testing.T) {
	o, _, p, _ := setup(t)
	plain := httptest.NewServer(p)
	defer plain.Close()
	fast := &counting{Responder: p}
	fronted := serveFrontedWith(t, p, fast)
	tr := &http.Transport{DisableCompression: true}
	defer tr.CloseIdleConnections()
	do := func(method, url string, kv ...string) (*http.Response, string) {
		tr.CloseIdleConnections() // a handed-off connection stays with net/http
		req, _ := http.NewRequest(method, url, nil)
		for i := 0; i+1 < len(kv); i += 2 {
			req.Header.Set(kv[i], kv[i+1])
		}
		resp, err := tr.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}
	tests := []struct {
		name   string
		origin http.HandlerFunc
		method string
		hdr    []string
		fast   bool
	}{
		{"hit", respond(200, "hello", "Cache-Control", "max-age=60", "Content-Type", "text/plain"), "GET", nil, true},
		{"HEAD hit", respond(200, "hello", "Cache-Control", "max-age=60", "Content-Type", "text/plain"), "HEAD", nil, true},
		{"tags stripped", respond(200, "t", "Cache-Control", "max-age=60", "Content-Type", "text/plain", "Cache-Tag", "a,b", "Surrogate-Key", "c"), "GET", nil, true},
		{"targeted field", respond(200, "t", "Cache-Control", "no-store", "CDN-Cache-Control", "max-age=60", "Content-Type", "text/plain"), "GET", nil, true},
		{"origin Date and Age", respond(200, "d", "Cache-Control", "max-age=600", "Content-Type", "text/plain", "Age", "30"), "GET", nil, true},
		{"If-None-Match", respond(200, "e", "Cache-Control", "max-age=60", "Content-Type", "text/plain", "ETag", `"v1"`), "GET", []string{"If-None-Match", `"v1"`}, true},
		{"If-None-Match other", respond(200, "e", "Cache-Control", "max-age=60", "Content-Type", "text/plain", "ETag", `"v1"`), "GET", []string{"If-None-Match", `"v2"`}, true},
		{"Vary", respond(200, "v", "Cache-Control", "max-age=60", "Content-Type", "text/plain", "Vary", "Accept-Language"), "GET", []string{"Accept-Language", "fr"}, true},
		{"404 cached", respond(404, "gone", "Cache-Control", "max-age=60", "Content-Type", "text/plain"), "GET", nil, true},
		{"request no-cache", respond(200, "n", "Cache-Control", "max-age=60", "Content-Type", "text/plain"), "GET", []string{"Cache-Control", "no-cache"}, false},
		{"credentials", respond(200, "c", "Cache-Control", "public, max-age=60", "Content-Type", "text/plain"), "GET", []string{"Authorization", "Bearer x"}, false},
		{"response no-cache", respond(200, "r", "Cache-Control", "no-cache", "ETag", `"r"`, "Content-Type", "text/plain"), "GET", nil, false},
		{"no Content-Type", func(w http.ResponseWriter, r *http.Request) {
			w.Header()["Content-Type"] = nil // none, and none added
			w.Header().Set("Cache-Control", "max-age=60")
			io.WriteString(w, "<p>sniffed</p>")
		}, "GET", nil, true},
		{"range", respond(200, "hello", "Cache-Control", "max-age=60", "Content-Type", "text/plain"), "GET", []string{"Range", "bytes=0-1"}, false},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o.set(tc.origin)
			path := "/case/" + string(rune('a'+i))
			prime := append([]string(nil), tc.hdr...)
			if tc.name == "If-None-Match" || tc.name == "If-None-Match other" || tc.name == "range" {
				prime = nil
			}
			do("GET", plain.URL+path, prime...) // stored
			want, wantBody := do(tc.method, plain.URL+path, tc.hdr...)
			before := fast.n.Load()
			got, gotBody := do(tc.method, fronted+path, tc.hdr...)
			if answered := fast.n.Load() > before; answered != tc.fast {
				t.Errorf("front end answered: %v, want %v", answered, tc.fast)
			}
			if got.StatusCode != want.StatusCode || gotBody != wantBody {
				t.Fatalf("got %d %q, want %d %q", got.StatusCode, gotBody, want.StatusCode, wantBody)
			}
			if tc.fast {
				for _, h := range []http.Header{got.Header, want.Header} {
					h.Del("Date")
				}
				if !maps.EqualFunc(got.Header, want.Header, slices.Equal) {
					t.Errorf("fields differ:\n got %v\nwant %v", got.Header, want.Header)
				}
			}
		})
	}
}
