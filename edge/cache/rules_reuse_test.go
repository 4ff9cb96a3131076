package cache

// Rules for reusing and validating stored responses (see rules_test.go).

import (
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// Freshness: s-maxage, then max-age, then Expires - Date, then a
// heuristic from Last-Modified; malformed values are not fresh, and
// delta-seconds saturate at 2^31.
func TestRuleFreshness(t *testing.T) {
	const year = 365 * 24 * time.Hour
	tests := []struct {
		name   string
		status int
		kv     func(t0 time.Time) []string
		after  time.Duration
		fresh  bool
	}{
		{"max-age, fresh", 200, cc("max-age=60"), 50 * time.Second, true},
		{"max-age, stale", 200, cc("max-age=60"), 70 * time.Second, false},
		{"s-maxage over a longer max-age", 200, cc("max-age=600, s-maxage=5"), 10 * time.Second, false},
		{"s-maxage over a shorter max-age", 200, cc("max-age=5, s-maxage=600"), 10 * time.Second, true},
		{"max-age over a later Expires", 200, func(t0 time.Time) []string {
			return []string{"Cache-Control", "max-age=5", "Expires", httpDate(t0.Add(time.Hour))}
		}, 10 * time.Second, false},
		{"max-age over an invalid Expires", 200, func(t0 time.Time) []string {
			return []string{"Cache-Control", "max-age=600", "Expires", "0"}
		}, 10 * time.Second, true},
		{"Expires - Date, fresh", 200, func(t0 time.Time) []string { return []string{"Expires", httpDate(t0.Add(60 * time.Second))} }, 50 * time.Second, true},
		{"Expires - Date, stale", 200, func(t0 time.Time) []string { return []string{"Expires", httpDate(t0.Add(60 * time.Second))} }, 70 * time.Second, false},
		{"Expires 0 is expired", 200, func(time.Time) []string { return []string{"Expires", "0", "ETag", `"e"`} }, 0, false},
		{"Expires garbage is expired", 200, func(time.Time) []string { return []string{"Expires", "tomorrow", "ETag", `"e"`} }, 0, false},
		{"Expires garbage beats Last-Modified", 200, func(t0 time.Time) []string {
			return []string{"Expires", "tomorrow", "Last-Modified", httpDate(t0.Add(-100 * time.Hour))}
		}, 0, false},
		{"quoted max-age", 200, func(time.Time) []string { return []string{"Cache-Control", `max-age="60"`, "ETag", `"e"`} }, 0, false},
		{"negative max-age", 200, func(time.Time) []string { return []string{"Cache-Control", "max-age=-1", "ETag", `"e"`} }, 0, false},
		{"negative max-age beats Expires", 200, func(t0 time.Time) []string {
			return []string{"Cache-Control", "max-age=-1", "Expires", httpDate(t0.Add(time.Hour)), "ETag", `"e"`}
		}, 0, false},
		{"huge max-age, ten years on", 200, cc("max-age=99999999999999999999"), 10 * year, true},
		{"huge max-age saturates at 2^31 s", 200, cc("max-age=99999999999999999999"), 69 * year, false},
		{"max-age over 2^31 saturates", 200, cc("max-age=4000000000"), 69 * year, false},
		{"heuristic, within 10% of the age", 200, lastModified(100 * time.Hour), time.Hour, true},
		{"heuristic, past it", 200, lastModified(100 * time.Hour), 11 * time.Hour, false},
		{"heuristic for a 404", 404, lastModified(100 * time.Hour), time.Hour, true},
		{"heuristic for a 301", 301, lastModified(100 * time.Hour), time.Hour, true},
		{"no heuristic for a 302", 302, lastModified(100 * time.Hour), 0, false},
		{"no heuristic for a 307", 307, lastModified(100 * time.Hour), 0, false},
		{"no heuristic for a 500", 500, lastModified(100 * time.Hour), 0, false},
		{"no heuristic from a Last-Modified after Date", 200, lastModified(-time.Hour), 0, false},
		{"no heuristic from a bad Last-Modified", 200, func(time.Time) []string { return []string{"Last-Modified", "yesterday", "ETag", `"e"`} }, 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o, c, _, base := setup(t)
			o.set(respond(tc.status, "v1", append(tc.kv(c.Now()), "Content-Type", "text/plain")...))
			fget(t, base+"/f")
			c.Add(tc.after)
			resp, _ := fget(t, base+"/f")
			if fresh := o.hits.Load() == 1; fresh != tc.fresh {
				t.Errorf("served without the origin: %v, want %v (Cache-Status %q, Age %q)", fresh, tc.fresh, resp.Header.Get("Cache-Status"), resp.Header.Get("Age"))
			}
		})
	}
}

func cc(v string) func(time.Time) []string {
	return func(time.Time) []string { return []string{"Cache-Control", v} }
}

// lastModified is a Last-Modified that long before the response's Date.
func lastModified(ago time.Duration) func(time.Time) []string {
	return func(t0 time.Time) []string { return []string{"Last-Modified", httpDate(t0.Add(-ago))} }
}

// Heuristic freshness is for the heuristically cacheable statuses only.
func TestRuleHeuristicStatuses(t *testing.T) {
	lm := header("Date", date, "Last-Modified", now.Add(-100*time.Hour).Format(http.TimeFormat))
	listed := []int{200, 203, 204, 206, 300, 301, 308, 404, 405, 410, 414, 501}
	for status := 200; status < 600; status++ {
		want := time.Duration(0)
		if slices.Contains(listed, status) {
			want = 10 * time.Hour
		}
		if got := freshnessLifetime(status, lm, now); got.Fresh != want {
			t.Errorf("%d: heuristic lifetime %s, want %s", status, got.Fresh, want)
		}
	}
	// Through the proxy, every listed status but 206 (a partial response
	// the cache does not store) is served from the store; others not.
	for _, status := range append(slices.Clone(listed), 201, 202, 302, 303, 307, 400, 403, 500, 502, 503) {
		if status == 206 {
			continue
		}
		t.Run(fmt.Sprint(status), func(t *testing.T) {
			o, c, _, base := setup(t)
			o.set(respond(status, "x", "Last-Modified", httpDate(c.Now().Add(-100*time.Hour)), "Content-Type", "text/plain"))
			fget(t, base+"/hs")
			c.Add(time.Hour)
			fget(t, base+"/hs")
			if fresh, want := o.hits.Load() == 1, slices.Contains(listed, status); fresh != want {
				t.Errorf("served from the store: %v, want %v", fresh, want)
			}
		})
	}
}

// Age on reuse is the current age; Age from upstream counts when it is a
// non-negative integer, first value first.
func TestRuleAge(t *testing.T) {
	tests := []struct {
		name    string
		age     []string // the origin's Age lines
		wantAge string   // on a hit 10 s later
	}{
		{"none", nil, "10"},
		{"upstream Age counts", []string{"30"}, "40"},
		{"negative ignored", []string{"-5"}, "10"},
		{"decimal ignored", []string{"1.5"}, "10"},
		{"non-numeric ignored", []string{"soon"}, "10"},
		{"first of a list", []string{"30, 90"}, "40"},
		{"first of several lines", []string{"30", "90"}, "40"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o, c, p, base := setup(t)
			plain := plainURL(t, p)
			kv := []string{"Cache-Control", "max-age=600", "Content-Type", "text/plain"}
			for _, a := range tc.age {
				kv = append(kv, "Age", a)
			}
			o.set(respond(200, "aged", kv...))
			fget(t, base+"/age")
			c.Add(10 * time.Second)
			for _, u := range []string{base, plain} {
				resp, _ := fget(t, u+"/age")
				if got := resp.Header.Values("Age"); len(got) != 1 || got[0] != tc.wantAge || o.hits.Load() != 1 {
					t.Errorf("%s: Age %q, %d origin hits; want %q from the store", u, got, o.hits.Load(), tc.wantAge)
				}
			}
		})
	}
	t.Run("an Age past max-age is stale on arrival", func(t *testing.T) {
		o, _, _, base := setup(t)
		o.set(respond(200, "old", "Cache-Control", "max-age=60", "Age", "100", "Content-Type", "text/plain"))
		fget(t, base+"/old")
		fget(t, base+"/old")
		if o.hits.Load() != 2 {
			t.Errorf("%d origin hits, want 2", o.hits.Load())
		}
	})
}

// Date is never rewritten: a hit, a 304 and a stale answer carry the
// origin's.
func TestRuleDateNotRewritten(t *testing.T) {
	o, c, p, base := setup(t)
	plain := plainURL(t, p)
	// A Date an hour behind the clock, so that a rewritten one shows.
	t0 := c.Now().Add(-time.Hour)
	o.set(rawOrigin(o, "200 OK", "dated", "Date", httpDate(t0), "Cache-Control", "max-age=3700, stale-while-revalidate=600",
		"Content-Type", "text/plain", "ETag", `"d"`))
	first, _ := fget(t, base+"/date")
	if first.Header.Get("Date") != httpDate(t0) {
		t.Fatalf("miss: Date %q, want %q", first.Header.Get("Date"), httpDate(t0))
	}
	c.Add(10 * time.Second)
	for _, tc := range []struct {
		name string
		url  string
		kv   []string
	}{
		{"hit, front end", base, nil},
		{"hit, net/http", plain, nil},
		{"304, front end", base, []string{"If-None-Match", `"d"`}},
		{"304, net/http", plain, []string{"If-None-Match", `"d"`}},
	} {
		if resp, _ := fget(t, tc.url+"/date", tc.kv...); !slices.Equal(resp.Header.Values("Date"), []string{httpDate(t0)}) {
			t.Errorf("%s: Date %q, want %q", tc.name, resp.Header.Values("Date"), httpDate(t0))
		}
	}
	c.Add(200 * time.Second) // stale by 110 s; served while revalidating
	o.set(func(w http.ResponseWriter, r *http.Request) {})
	if resp, _ := fget(t, base+"/date"); resp.Header.Get("Date") != httpDate(t0) || !strings.Contains(resp.Header.Get("Cache-Status"), "fwd=stale") {
		t.Errorf("stale: Date %q (Cache-Status %q), want %q", resp.Header.Get("Date"), resp.Header.Get("Cache-Status"), httpDate(t0))
	}
}

// Stale is never served for no-cache, must-revalidate, proxy-revalidate
// or s-maxage, nor for immutable, nor without stale-while-revalidate or
// stale-if-error allowing it, whatever the status.
func TestRuleNoStaleReuse(t *testing.T) {
	const swrSIE = ", stale-while-revalidate=600, stale-if-error=600"
	tests := []struct {
		name       string
		status     int
		cc         string
		next       http.HandlerFunc
		wantStatus int
		wantBody   string
	}{
		// Controls: what the directives below forbid.
		{"control: stale-while-revalidate", 200, "max-age=1" + swrSIE, respond(200, "v2", "Cache-Control", "max-age=60"), 200, "v1"},
		{"control: stale-if-error", 200, "max-age=1" + swrSIE, respond(503, "down"), 200, "v1"},

		{"no-cache, refreshed", 200, "max-age=1, no-cache" + swrSIE, respond(200, "v2", "Cache-Control", "max-age=60"), 200, "v2"},
		{"no-cache, error", 200, "max-age=1, no-cache" + swrSIE, respond(503, "down"), 503, "down"},
		{"must-revalidate, refreshed", 200, "max-age=1, must-revalidate" + swrSIE, respond(200, "v2", "Cache-Control", "max-age=60"), 200, "v2"},
		{"must-revalidate, error", 200, "max-age=1, must-revalidate" + swrSIE, respond(503, "down"), 503, "down"},
		{"proxy-revalidate, refreshed", 200, "max-age=1, proxy-revalidate" + swrSIE, respond(200, "v2", "Cache-Control", "max-age=60"), 200, "v2"},
		{"proxy-revalidate, error", 200, "max-age=1, proxy-revalidate" + swrSIE, respond(503, "down"), 503, "down"},
		{"s-maxage, refreshed", 200, "s-maxage=1" + swrSIE, respond(200, "v2", "Cache-Control", "max-age=60"), 200, "v2"},
		{"s-maxage, error", 200, "s-maxage=1" + swrSIE, respond(503, "down"), 503, "down"},
		{"s-maxage, origin unreachable", 200, "s-maxage=1" + swrSIE, hangUp, 502, ""},

		{"immutable revalidates once stale", 200, "max-age=1, immutable", respond(200, "v2", "Cache-Control", "max-age=60"), 200, "v2"},
		{"immutable, error", 200, "max-age=1, immutable", respond(503, "down"), 503, "down"},
		{"plain 200, error", 200, "max-age=1", respond(503, "down"), 503, "down"},
		{"plain 200, origin unreachable", 200, "max-age=1", hangUp, 502, ""},
		{"404, error", 404, "max-age=1", respond(500, "down"), 500, "down"},
		{"301, error", 301, "max-age=1", respond(504, "down"), 504, "down"},
		{"410, refreshed", 410, "max-age=1", respond(200, "v2"), 200, "v2"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o, c, _, base := setup(t)
			o.set(respond(tc.status, "v1", "Cache-Control", tc.cc, "Content-Type", "text/plain", "Location", "/elsewhere"))
			fget(t, base+"/ns")
			c.Add(10 * time.Second)
			o.set(tc.next)
			resp, body := fget(t, base+"/ns")
			asked := o.hits.Load() >= 2 || tc.wantBody == "v1" // a stale answer may come before its refresh
			if resp.StatusCode != tc.wantStatus || (tc.wantBody != "" && body != tc.wantBody) || !asked {
				t.Errorf("%d %q (Cache-Status %q, %d origin hits), want %d %q", resp.StatusCode, body, resp.Header.Get("Cache-Status"), o.hits.Load(), tc.wantStatus, tc.wantBody)
			}
		})
	}
	t.Run("no-cache revalidates even when fresh", func(t *testing.T) {
		o, _, _, base := setup(t)
		o.set(respond(200, "v1", "Cache-Control", "max-age=600, no-cache", "ETag", `"n"`, "Content-Type", "text/plain"))
		fget(t, base+"/nc")
		o.set(respond(304, "", "ETag", `"n"`))
		resp, body := fget(t, base+"/nc")
		if o.hits.Load() != 2 || o.lastINM.Load() != `"n"` || resp.StatusCode != 200 || body != "v1" {
			t.Errorf("%d %q, %d origin hits, If-None-Match %v: want a revalidation", resp.StatusCode, body, o.hits.Load(), o.lastINM.Load())
		}
	})
}

// Unsafe methods go to the origin and, on a non-error answer, invalidate
// what is stored for their URI (every variant), nothing else.
func TestRuleUnsafeMethods(t *testing.T) {
	type seen struct{ method, body string }
	for _, method := range []string{"POST", "PUT", "DELETE", "PATCH", "FROB"} {
		for _, status := range []int{200, 201, 204, 303, 400, 404, 500, 503} {
			t.Run(fmt.Sprintf("%s %d", method, status), func(t *testing.T) {
				o, _, _, base := setup(t)
				var mu sync.Mutex
				var got []seen
				o.set(func(w http.ResponseWriter, r *http.Request) {
					if r.Method == "GET" {
						respond(200, "page "+r.Header.Get("X-Lang"), "Cache-Control", "max-age=600", "Content-Type", "text/plain", "Vary", "X-Lang")(w, r)
						return
					}
					b, _ := io.ReadAll(r.Body)
					mu.Lock()
					got = append(got, seen{r.Method, string(b)})
					mu.Unlock()
					respond(status, "done", "Cache-Control", "max-age=600")(w, r)
				})
				for _, u := range []string{"/u", "/other", "/u?q=1"} {
					fget(t, base+u, "X-Lang", "en")
				}
				fget(t, base+"/u", "X-Lang", "fr")
				for range 2 {
					resp, _ := mustSend(t, method, base+"/u", "payload")
					if resp.StatusCode != status {
						t.Fatalf("%s answered %d, want the origin's %d", method, resp.StatusCode, status)
					}
				}
				mu.Lock()
				if len(got) != 2 || got[0] != (seen{method, "payload"}) {
					t.Errorf("origin saw %v, want %s with its body, twice (an unsafe answer is not stored)", got, method)
				}
				mu.Unlock()
				invalidated := status < 400
				hits := o.hits.Load()
				for _, lang := range []string{"en", "fr"} {
					fget(t, base+"/u", "X-Lang", lang)
				}
				want := int64(0)
				if invalidated {
					want = 2
				}
				if refetched := o.hits.Load() - hits; refetched != want {
					t.Errorf("/u variants refetched %d times after a %d, want %d", refetched, status, want)
				}
				hits = o.hits.Load()
				fget(t, base+"/other", "X-Lang", "en")
				fget(t, base+"/u?q=1", "X-Lang", "en")
				if o.hits.Load() != hits {
					t.Errorf("other URIs refetched: %d origin hits, want %d", o.hits.Load(), hits)
				}
			})
		}
	}
}

// --- Validating (RFC 9111 section 4.3, RFC 9110 section 13) ---

// Revalidation sends the stored validators and the Vary-nominated
// request fields.
func TestRuleRevalidationRequest(t *testing.T) {
	tests := []struct {
		name    string
		kv      func(t0 time.Time) []string
		reqKV   []string
		wantINM string
		wantIMS func(t0 time.Time) string
		want    map[string]string // other fields the origin must see
	}{
		{"ETag", func(time.Time) []string { return []string{"ETag", `"e1"`} }, nil, `"e1"`, nil, nil},
		{"weak ETag", func(time.Time) []string { return []string{"ETag", `W/"e1"`} }, nil, `W/"e1"`, nil, nil},
		{"Last-Modified", func(t0 time.Time) []string { return []string{"Last-Modified", httpDate(t0.Add(-time.Hour))} }, nil, "",
			func(t0 time.Time) string { return httpDate(t0.Add(-time.Hour)) }, nil},
		{"both", func(t0 time.Time) []string {
			return []string{"ETag", `"e1"`, "Last-Modified", httpDate(t0.Add(-time.Hour))}
		}, nil, `"e1"`,
			func(t0 time.Time) string { return httpDate(t0.Add(-time.Hour)) }, nil},
		{"Vary-nominated fields", func(time.Time) []string { return []string{"ETag", `"e1"`, "Vary", "X-Lang, X-Device"} },
			[]string{"X-Lang", "fr", "X-Device", "phone"}, `"e1"`, nil, map[string]string{"X-Lang": "fr", "X-Device": "phone"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o, c, _, base := setup(t)
			t0 := c.Now()
			o.set(respond(200, "v1", append(tc.kv(t0), "Cache-Control", "max-age=60", "Content-Type", "text/plain")...))
			fget(t, base+"/rv", tc.reqKV...)
			c.Add(61 * time.Second)
			var mu sync.Mutex
			var seen http.Header
			o.set(func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				seen = r.Header.Clone()
				mu.Unlock()
				w.Header().Set("Cache-Control", "max-age=60")
				w.WriteHeader(304)
			})
			resp, body := fget(t, base+"/rv", tc.reqKV...)
			mu.Lock()
			defer mu.Unlock()
			if resp.StatusCode != 200 || body != "v1" || seen == nil {
				t.Fatalf("%d %q, origin asked: %v", resp.StatusCode, body, seen != nil)
			}
			if got := seen.Get("If-None-Match"); got != tc.wantINM {
				t.Errorf("If-None-Match %q, want %q", got, tc.wantINM)
			}
			wantIMS := ""
			if tc.wantIMS != nil {
				wantIMS = tc.wantIMS(t0)
			}
			if got := seen.Get("If-Modified-Since"); got != wantIMS {
				t.Errorf("If-Modified-Since %q, want %q", got, wantIMS)
			}
			for k, v := range tc.want {
				if got := seen.Get(k); got != v {
					t.Errorf("%s %q, want %q", k, got, v)
				}
			}
		})
	}
}

// A 304 from the origin updates the stored fields, all but
// Content-Length.
func TestRule304UpdatesHeaders(t *testing.T) {
	o, c, p, base := setup(t)
	plain := plainURL(t, p)
	o.set(respond(200, "version one", "Cache-Control", "max-age=10", "ETag", `"e1"`, "X-Version", "1", "X-Stays", "yes", "Content-Type", "text/plain"))
	fget(t, base+"/u304")
	c.Add(20 * time.Second)
	o.set(rawOrigin(o, "304 Not Modified", "", "Content-Length", "0", "Cache-Control", "max-age=600", "ETag", `"e1"`, "X-Version", "2"))
	check := func(what string, resp *http.Response, body string) {
		t.Helper()
		if resp.StatusCode != 200 || body != "version one" {
			t.Errorf("%s: %d %q, want the stored body", what, resp.StatusCode, body)
		}
		if cl := resp.Header.Get("Content-Length"); cl != "" && cl != "11" {
			t.Errorf("%s: Content-Length %q, want the stored 11", what, cl)
		}
		if resp.Header.Get("X-Version") != "2" || resp.Header.Get("X-Stays") != "yes" || resp.Header.Get("Cache-Control") != "max-age=600" {
			t.Errorf("%s: X-Version %q X-Stays %q Cache-Control %q, want the 304's fields over the stored ones", what,
				resp.Header.Get("X-Version"), resp.Header.Get("X-Stays"), resp.Header.Get("Cache-Control"))
		}
	}
	resp, body := fget(t, base+"/u304")
	check("revalidated", resp, body)
	c.Add(100 * time.Second) // fresh for 600 s since the 304
	resp, body = fget(t, base+"/u304")
	check("hit, front end", resp, body)
	resp, body = fget(t, plain+"/u304")
	check("hit, net/http", resp, body)
	if o.hits.Load() != 2 {
		t.Errorf("%d origin hits, want 2", o.hits.Load())
	}
}

// A client's If-None-Match is answered from the store: weak comparison,
// precedence over If-Modified-Since, a 304 with ETag, Cache-Control,
// Date, Expires and Vary.
func TestRuleClientConditional(t *testing.T) {
	o, c, p, base := setup(t)
	plain := plainURL(t, p)
	t0 := c.Now()
	lm := t0.Add(-24 * time.Hour)
	stored := map[string]string{
		"Etag":          `"v1"`,
		"Cache-Control": "max-age=600",
		"Date":          httpDate(t0),
		"Expires":       httpDate(t0.Add(10 * time.Minute)),
		"Vary":          "X-Lang",
	}
	o.set(respond(200, "full", "ETag", `"v1"`, "Cache-Control", "max-age=600", "Expires", stored["Expires"], "Vary", "X-Lang",
		"Last-Modified", httpDate(lm), "Content-Type", "text/plain", "X-Other", "1"))
	fget(t, base+"/cond")
	c.Add(5 * time.Second)
	tests := []struct {
		name string
		kv   []string
		want int
	}{
		{"strong match", []string{"If-None-Match", `"v1"`}, 304},
		{"weak match", []string{"If-None-Match", `W/"v1"`}, 304},
		{"in a list", []string{"If-None-Match", `"x", W/"v1"`}, 304},
		{"star", []string{"If-None-Match", "*"}, 304},
		{"no match", []string{"If-None-Match", `"v2"`}, 200},
		{"If-None-Match over an older If-Modified-Since", []string{"If-None-Match", `"v1"`, "If-Modified-Since", httpDate(lm.Add(-time.Hour))}, 304},
		{"If-None-Match over a later If-Modified-Since", []string{"If-None-Match", `"v2"`, "If-Modified-Since", httpDate(t0)}, 200},
	}
	for _, tc := range tests {
		for _, u := range []string{base, plain} {
			resp, body := fget(t, u+"/cond", tc.kv...)
			if resp.StatusCode != tc.want {
				t.Errorf("%s (%s): %d, want %d", tc.name, u, resp.StatusCode, tc.want)
				continue
			}
			if tc.want == 200 {
				if body != "full" {
					t.Errorf("%s (%s): body %q", tc.name, u, body)
				}
				continue
			}
			if body != "" {
				t.Errorf("%s (%s): a 304 with a body %q", tc.name, u, body)
			}
			for k, v := range stored {
				if got := resp.Header.Get(k); got != v {
					t.Errorf("%s (%s): 304 %s %q, want %q", tc.name, u, k, got, v)
				}
			}
		}
	}
	if o.hits.Load() != 1 {
		t.Errorf("%d origin hits, want 1: conditionals are answered from the store", o.hits.Load())
	}
}

// --- Targeted fields (RFC 9213) ---
