package cache

// Rules for targeted fields and the stale extensions (see rules_test.go).

import (
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// The first valid, non-empty targeted field governs the edge, and
// Cache-Control and Expires are then ignored; an unparseable one is as
// if absent. max-age, must-revalidate, no-store, no-cache, private,
// s-maxage, stale-while-revalidate and stale-if-error are honoured in it.
func TestRuleTargetedFields(t *testing.T) {
	swr := respond(200, "v2", "Cache-Control", "max-age=60")
	down := respond(503, "down")
	tests := []struct {
		name     string
		kv       []string
		after    time.Duration
		next     http.HandlerFunc // the origin's second answer; default v2
		wantHits int64
		wantBody string
		gap      string
	}{
		{"max-age over Cache-Control no-store", []string{"CDN-Cache-Control", "max-age=60", "Cache-Control", "no-store"}, 10 * time.Second, nil, 1, "v1", ""},
		{"max-age over a longer Cache-Control", []string{"CDN-Cache-Control", "max-age=5", "Cache-Control", "max-age=600"}, 10 * time.Second, nil, 2, "v2", ""},
		{"max-age over Expires 0", []string{"CDN-Cache-Control", "max-age=60", "Expires", "0"}, 10 * time.Second, nil, 1, "v1", ""},
		{"Expires ignored", []string{"CDN-Cache-Control", "max-age=5", "Expires", "EXPIRES+1h"}, 10 * time.Second, nil, 2, "v2", ""},
		{"Cache-Control no-cache ignored", []string{"CDN-Cache-Control", "max-age=60", "Cache-Control", "no-cache", "ETag", `"e"`}, 10 * time.Second, nil, 1, "v1", ""},
		{"Cache-Control must-revalidate ignored", []string{"CDN-Cache-Control", "max-age=1, stale-if-error=60", "Cache-Control", "max-age=1, must-revalidate"}, 10 * time.Second, down, 2, "v1", ""},
		{"Cache-Control private ignored", []string{"CDN-Cache-Control", "max-age=60", "Cache-Control", "private"}, 10 * time.Second, nil, 1, "v1", ""},
		{"Verge-CDN-Cache-Control first", []string{"Verge-CDN-Cache-Control", "max-age=5", "CDN-Cache-Control", "max-age=600"}, 10 * time.Second, nil, 2, "v2", ""},
		{"invalid Verge field, CDN field next", []string{"Verge-CDN-Cache-Control", "max-age=5, Bad", "CDN-Cache-Control", "max-age=600", "Cache-Control", "max-age=1"}, 10 * time.Second, nil, 1, "v1", ""},
		{"empty Verge field, CDN field next", []string{"Verge-CDN-Cache-Control", "", "CDN-Cache-Control", "max-age=600", "Cache-Control", "max-age=1"}, 10 * time.Second, nil, 1, "v1", ""},
		{"unparseable: Cache-Control", []string{"CDN-Cache-Control", "max-age=600, Private", "Cache-Control", "max-age=5"}, 10 * time.Second, nil, 2, "v2", ""},
		{"unparseable no-store: Cache-Control", []string{"CDN-Cache-Control", "no-store, max-age=(", "Cache-Control", "max-age=60"}, 10 * time.Second, nil, 1, "v1", ""},
		{"no-store", []string{"CDN-Cache-Control", "max-age=600, no-store", "Cache-Control", "max-age=600"}, 0, nil, 2, "v2", ""},
		{"private", []string{"CDN-Cache-Control", "private, max-age=600", "Cache-Control", "public, max-age=600"}, 0, nil, 2, "v2", ""},
		{"no-cache", []string{"CDN-Cache-Control", "no-cache, max-age=600", "Cache-Control", "max-age=600", "ETag", `"e"`}, 0, nil, 2, "v2", ""},
		{"must-revalidate", []string{"CDN-Cache-Control", "max-age=1, stale-if-error=60, must-revalidate", "Cache-Control", "max-age=600"}, 10 * time.Second, down, 2, "down", ""},
		{"s-maxage", []string{"CDN-Cache-Control", "s-maxage=60, max-age=1", "Cache-Control", "max-age=1"}, 10 * time.Second, nil, 1, "v1", ""},
		{"s-maxage forbids stale", []string{"CDN-Cache-Control", "s-maxage=1, stale-if-error=60"}, 10 * time.Second, down, 2, "down", ""},
		{"stale-while-revalidate", []string{"CDN-Cache-Control", "max-age=1, stale-while-revalidate=60", "Cache-Control", "no-store"}, 10 * time.Second, swr, 0, "v1", ""},
		{"stale-if-error", []string{"CDN-Cache-Control", "max-age=1, stale-if-error=60", "Cache-Control", "max-age=1"}, 10 * time.Second, down, 2, "v1", ""},
		{"stale-if-error not in Cache-Control", []string{"CDN-Cache-Control", "max-age=1", "Cache-Control", "max-age=1, stale-if-error=60"}, 10 * time.Second, down, 2, "down", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.gap != "" {
				knownGap(t, tc.gap)
			}
			o, c, _, base := setup(t)
			kv := slices.Clone(tc.kv)
			for i := range kv {
				if kv[i] == "EXPIRES+1h" {
					kv[i] = httpDate(c.Now().Add(time.Hour))
				}
			}
			o.set(respond(200, "v1", append(kv, "Content-Type", "text/plain")...))
			fget(t, base+"/t")
			c.Add(tc.after)
			next := tc.next
			if next == nil {
				next = respond(200, "v2", "Content-Type", "text/plain")
			}
			o.set(next)
			resp, body := fget(t, base+"/t")
			if body != tc.wantBody || (tc.wantHits > 0 && o.hits.Load() != tc.wantHits) {
				t.Errorf("%q with %d origin hits (Cache-Status %q), want %q with %d", body, o.hits.Load(), resp.Header.Get("Cache-Status"), tc.wantBody, tc.wantHits)
			}
		})
	}
}

// --- Stale (RFC 5861) ---

// stale-while-revalidate serves stale within its window while one
// background revalidation runs, which the client hanging up does not
// cancel; past the window, the client waits for the origin.
func TestRuleStaleWhileRevalidate(t *testing.T) {
	t.Run("within the window", func(t *testing.T) {
		o, c, _, base := setup(t)
		o.set(respond(200, "v1", "Cache-Control", "max-age=1, stale-while-revalidate=60", "Content-Type", "text/plain"))
		fget(t, base+"/swr")
		c.Add(10 * time.Second)
		release := make(chan struct{})
		var canceled atomic.Bool
		o.set(func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-release:
				respond(200, "v2", "Cache-Control", "max-age=60", "Content-Type", "text/plain")(w, r)
			case <-r.Context().Done():
				canceled.Store(true)
			}
		})
		defer func() {
			select {
			case <-release:
			default:
				close(release)
			}
		}()
		// Each stale request is answered at once (its handler returns, so
		// its context ends), while the one refresh waits at the origin.
		for i := range 5 {
			resp, body := fget(t, base+"/swr")
			if body != "v1" || !strings.Contains(resp.Header.Get("Cache-Status"), "fwd=stale") {
				t.Fatalf("request %d: %q %q, want stale v1", i, body, resp.Header.Get("Cache-Status"))
			}
		}
		waitFor(t, "the background revalidation", func() bool { return o.hits.Load() >= 2 })
		time.Sleep(20 * time.Millisecond) // time for a cancellation to reach the origin, were there one
		close(release)
		// only-if-cached looks without starting another fetch.
		waitFor(t, "the refreshed entry", func() bool {
			resp, body := fget(t, base+"/swr", "Cache-Control", "only-if-cached")
			return resp.StatusCode == 200 && body == "v2"
		})
		if canceled.Load() {
			t.Error("the background revalidation was canceled with the client's request")
		}
		if o.hits.Load() != 2 {
			t.Errorf("%d origin hits, want 2: one revalidation for five stale requests", o.hits.Load())
		}
	})
	t.Run("past the window", func(t *testing.T) {
		o, c, _, base := setup(t)
		o.set(respond(200, "v1", "Cache-Control", "max-age=1, stale-while-revalidate=5", "Content-Type", "text/plain"))
		fget(t, base+"/swr")
		c.Add(10 * time.Second)
		o.set(respond(200, "v2", "Cache-Control", "max-age=60", "Content-Type", "text/plain"))
		if resp, body := fget(t, base+"/swr"); body != "v2" || strings.Contains(resp.Header.Get("Cache-Status"), "hit") || o.hits.Load() != 2 {
			t.Errorf("%q %q, want v2 from the origin", body, resp.Header.Get("Cache-Status"))
		}
	})
}

// stale-if-error serves stale on a 500, 502, 503 or 504 or when the
// origin cannot be reached, within its window; not on other statuses.
func TestRuleStaleIfError(t *testing.T) {
	tests := []struct {
		name       string
		next       http.HandlerFunc
		stale      time.Duration
		wantStatus int
		wantBody   string
		gap        string
	}{
		{"500", respond(500, "e"), 10 * time.Second, 200, "v1", ""},
		{"502", respond(502, "e"), 10 * time.Second, 200, "v1", ""},
		{"503", respond(503, "e"), 10 * time.Second, 200, "v1", ""},
		{"504", respond(504, "e"), 10 * time.Second, 200, "v1", ""},
		{"connection failure", hangUp, 10 * time.Second, 200, "v1", ""},
		{"501", respond(501, "e"), 10 * time.Second, 501, "e", ""},
		{"404", respond(404, "e"), 10 * time.Second, 404, "e", ""},
		{"505", respond(505, "e"), 10 * time.Second, 505, "e", ""},
		{"500 past the window", respond(500, "e"), 70 * time.Second, 500, "e", ""},
		{"connection failure past the window", hangUp, 70 * time.Second, 502, "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.gap != "" {
				knownGap(t, tc.gap)
			}
			o, c, _, base := setup(t)
			o.set(respond(200, "v1", "Cache-Control", "max-age=1, stale-if-error=60", "Content-Type", "text/plain"))
			fget(t, base+"/sie")
			c.Add(tc.stale)
			o.set(tc.next)
			resp, body := fget(t, base+"/sie")
			if resp.StatusCode != tc.wantStatus || (tc.wantBody != "" && body != tc.wantBody) || o.hits.Load() < 2 {
				t.Errorf("%d %q (Cache-Status %q), want %d %q", resp.StatusCode, body, resp.Header.Get("Cache-Status"), tc.wantStatus, tc.wantBody)
			}
			if tc.wantStatus == 200 && !strings.Contains(resp.Header.Get("Cache-Status"), "origin-error") {
				t.Errorf("Cache-Status %q, want detail=origin-error", resp.Header.Get("Cache-Status"))
			}
		})
	}
}

// --- Beyond the RFCs ---
