package cache

import (
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
