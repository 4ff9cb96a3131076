package cache

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptrace"
	"net/textproto"
	"testing"
	"time"
)

// The request's own directives (RFC 9111 section 5.2.1): max-age,
// min-fresh, max-stale, no-cache and only-if-cached decide whether a
// stored response may answer, against one stored for 60 s.
func TestProxyRequestDirectives(t *testing.T) {
	tests := []struct {
		name       string
		after      time.Duration // the stored response's age
		cc         string        // the request's Cache-Control
		respCC     string        // the response's, default max-age=60
		wantOrigin bool          // the origin is asked
		wantStatus int
	}{
		{"fresh", 30 * time.Second, "", "", false, 200},
		{"max-age younger than the age", 30 * time.Second, "max-age=10", "", true, 200},
		{"max-age older than the age", 30 * time.Second, "max-age=40", "", false, 200},
		{"min-fresh beyond the lifetime left", 30 * time.Second, "min-fresh=40", "", true, 200},
		{"min-fresh within it", 30 * time.Second, "min-fresh=20", "", false, 200},
		{"no-cache", 30 * time.Second, "no-cache", "", true, 200},
		{"stale", 90 * time.Second, "", "", true, 200},
		{"max-stale covering it", 90 * time.Second, "max-stale=60", "", false, 200},
		{"max-stale too short", 90 * time.Second, "max-stale=10", "", true, 200},
		{"max-stale without a value", 90 * time.Second, "max-stale", "", false, 200},
		{"max-stale against must-revalidate", 90 * time.Second, "max-stale", "max-age=60, must-revalidate", true, 200},
		{"max-stale against s-maxage", 90 * time.Second, "max-stale", "s-maxage=60", true, 200},
		{"only-if-cached, fresh", 30 * time.Second, "only-if-cached", "", false, 200},
		{"only-if-cached, stale", 90 * time.Second, "only-if-cached", "", false, 504},
		{"only-if-cached with max-stale", 90 * time.Second, "only-if-cached, max-stale", "", false, 200},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o, c, _, base := setup(t)
			respCC := tc.respCC
			if respCC == "" {
				respCC = "max-age=60"
			}
			o.set(respond(200, "stored", "Cache-Control", respCC, "ETag", `"v"`))
			get(t, base+"/r")
			c.Add(tc.after)
			resp, _ := get(t, base+"/r", "Cache-Control", tc.cc)
			if asked := o.hits.Load() > 1; asked != tc.wantOrigin || resp.StatusCode != tc.wantStatus {
				t.Errorf("origin asked %v, status %d; want %v, %d (Cache-Status %q)", asked, resp.StatusCode, tc.wantOrigin, tc.wantStatus, resp.Header.Get("Cache-Status"))
			}
		})
	}
	t.Run("only-if-cached, nothing stored", func(t *testing.T) {
		o, _, _, base := setup(t)
		if resp, _ := get(t, base+"/none", "Cache-Control", "only-if-cached"); resp.StatusCode != 504 || o.hits.Load() != 0 {
			t.Errorf("status %d, %d origin hits; want 504 and none", resp.StatusCode, o.hits.Load())
		}
	})
}

// Fields a qualified private or no-cache names are not stored, so a hit
// never carries them; the response they came with does.
func TestProxyQualifiedPrivateAndNoCache(t *testing.T) {
	for _, cc := range []string{`max-age=60, private="Set-Cookie"`, `max-age=60, no-cache="Set-Cookie"`} {
		t.Run(cc, func(t *testing.T) {
			o, _, _, base := setup(t)
			o.set(respond(200, "body", "Cache-Control", cc, "Set-Cookie", "session=1", "X-Kept", "yes"))
			first, _ := get(t, base+"/q")
			hit, body := get(t, base+"/q")
			if o.hits.Load() != 1 || body != "body" {
				t.Fatalf("%d origin hits, body %q: want a hit", o.hits.Load(), body)
			}
			if first.Header.Get("Set-Cookie") == "" {
				t.Error("the origin's own answer lost Set-Cookie")
			}
			if got := hit.Header.Get("Set-Cookie"); got != "" || hit.Header.Get("X-Kept") != "yes" {
				t.Errorf("hit: Set-Cookie %q, X-Kept %q", got, hit.Header.Get("X-Kept"))
			}
		})
	}
}

// A Range request is answered from the whole stored response: 206 with
// the bytes asked for and the stored fields, without the origin; on a
// miss, from the whole response fetched.
func TestProxyRanges(t *testing.T) {
	o, _, _, base := setup(t)
	o.set(respond(200, "01234567890", "Cache-Control", "max-age=3600", "A", "1"))
	resp, body := get(t, base+"/range", "Range", "bytes=0-1")
	if resp.StatusCode != 206 || body != "01" {
		t.Errorf("miss: %d %q, want 206 \"01\"", resp.StatusCode, body)
	}
	o.set(respond(200, "changed", "Cache-Control", "max-age=3600", "A", "2"))
	resp, body = get(t, base+"/range", "Range", "bytes=2-4")
	if resp.StatusCode != 206 || body != "234" || resp.Header.Get("A") != "1" || resp.Header.Get("Content-Range") != "bytes 2-4/11" {
		t.Errorf("hit: %d %q A=%q Content-Range %q", resp.StatusCode, body, resp.Header.Get("A"), resp.Header.Get("Content-Range"))
	}
	if resp, _ := get(t, base+"/range", "Range", "bytes=50-60"); resp.StatusCode != 416 {
		t.Errorf("unsatisfiable: %d, want 416", resp.StatusCode)
	}
	if o.hits.Load() != 1 {
		t.Errorf("%d origin hits, want 1", o.hits.Load())
	}
}

// The origin's 103 Early Hints reach the client on a miss; the hit later
// is a plain 200.
func TestProxyForwardsEarlyHints(t *testing.T) {
	o, _, _, base := setup(t)
	o.set(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Link", "</styles.css>; rel=preload; as=style")
		w.WriteHeader(http.StatusEarlyHints)
		w.Header().Del("Link")
		respond(200, "page", "Cache-Control", "max-age=600")(w, r)
	})
	fetch := func() (hints []string, status int) {
		trace := &httptrace.ClientTrace{Got1xxResponse: func(code int, h textproto.MIMEHeader) error {
			hints = append(hints, fmt.Sprintf("%d %s", code, h.Get("Link")))
			return nil
		}}
		req, _ := http.NewRequestWithContext(httptrace.WithClientTrace(context.Background(), trace), "GET", base+"/hinted", nil)
		resp, err := http.DefaultTransport.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.Header.Get("Link") != "" {
			t.Errorf("the final response has the hint's Link: %q", resp.Header.Get("Link"))
		}
		return hints, resp.StatusCode
	}
	if hints, status := fetch(); len(hints) != 1 || hints[0] != "103 </styles.css>; rel=preload; as=style" || status != 200 {
		t.Errorf("miss: hints %q, status %d", hints, status)
	}
	if hints, status := fetch(); len(hints) != 0 || status != 200 || o.hits.Load() != 1 {
		t.Errorf("hit: hints %q, status %d, %d origin hits", hints, status, o.hits.Load())
	}
}

// An origin whose body stalls part way loses the fetch after bodyIdle:
// the client gets what came, then the end, instead of waiting for ever,
// and nothing is stored.
func TestProxyStalledBody(t *testing.T) {
	o, _, p, base := setup(t)
	p.bodyIdle = 100 * time.Millisecond
	release := make(chan struct{})
	defer close(release)
	o.set(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "max-age=60")
		w.Header().Set("Content-Length", "10")
		io.WriteString(w, "12345")
		w.(http.Flusher).Flush()
		select { // stall
		case <-release:
		case <-r.Context().Done():
		}
	})
	start := time.Now()
	resp, err := (&http.Client{Timeout: 3 * time.Second}).Get(base + "/stall")
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err == nil || string(body) != "12345" || time.Since(start) > 2*time.Second {
		t.Errorf("got %q, %v after %v; want the first half, then an error", body, err, time.Since(start))
	}
	if o.hits.Load() != 1 {
		t.Fatalf("%d origin hits", o.hits.Load())
	}
	o.set(respond(200, "whole", "Cache-Control", "max-age=60"))
	if _, body := get(t, base+"/stall"); body != "whole" {
		t.Errorf("after the stall: %q, want a new fetch", body)
	}
}
