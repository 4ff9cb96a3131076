package cache

// Rules for what a CDN edge adds: tags, purges, coalescing and
// Cache-Status (see rules_test.go).

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Tags come from Cache-Tag (commas) and Surrogate-Key (spaces), are
// purged by name in any case, and never reach a client. A purge covers
// what was fetched before it, not what is fetched after.
func TestRuleTags(t *testing.T) {
	tests := []struct {
		name   string
		fields []string
		purged []string // purging any one of these refetches
	}{
		{"Cache-Tag", []string{"Cache-Tag", "alpha, Beta,gamma"}, []string{"alpha", "beta", "GAMMA"}},
		{"Cache-Tag lines", []string{"Cache-Tag", "alpha", "Cache-Tag", "beta"}, []string{"alpha", "beta"}},
		{"Surrogate-Key", []string{"Surrogate-Key", "alpha  Beta gamma"}, []string{"alpha", "beta", "gamma"}},
		{"both", []string{"Cache-Tag", "alpha", "Surrogate-Key", "beta"}, []string{"alpha", "beta"}},
	}
	for _, tc := range tests {
		for _, tag := range append(slices.Clone(tc.purged), "alph", "other") {
			want := slices.Contains(tc.purged, tag)
			t.Run(tc.name+" purge "+tag, func(t *testing.T) {
				o, c, p, base := setup(t)
				p.SetPurgeToken("tok")
				plain := plainURL(t, p)
				o.set(respond(200, "tagged", append([]string{"Cache-Control", "max-age=600", "Content-Type", "text/plain"}, tc.fields...)...))
				noTags := func(what string, resp *http.Response) {
					t.Helper()
					for _, f := range []string{"Cache-Tag", "Surrogate-Key"} {
						if v := resp.Header.Values(f); len(v) > 0 {
							t.Errorf("%s: %s %q reached the client", what, f, v)
						}
					}
				}
				resp, _ := fget(t, base+"/tg")
				noTags("miss", resp)
				resp, _ = fget(t, base+"/tg")
				noTags("hit, front end", resp)
				resp, _ = fget(t, plain+"/tg")
				noTags("hit, net/http", resp)
				if code := purge(t, base, "tok", fmt.Sprintf(`{"tags":[%q]}`, tag)); code != 200 {
					t.Fatalf("purge: %d", code)
				}
				c.Add(time.Second)
				fget(t, base+"/tg")
				if refetched := o.hits.Load() == 2; refetched != want {
					t.Fatalf("refetched after purging %q: %v, want %v", tag, refetched, want)
				}
				// What was fetched after the purge stays.
				c.Add(time.Second)
				resp, _ = fget(t, base+"/tg")
				if !strings.HasPrefix(resp.Header.Get("Cache-Status"), "verge; hit") {
					t.Errorf("after the purge and a refetch: %q, want a hit", resp.Header.Get("Cache-Status"))
				}
			})
		}
	}
	t.Run("stripped everywhere", func(t *testing.T) {
		o, c, _, base := setup(t)
		tags := []string{"Cache-Tag", "a", "Surrogate-Key", "b"}
		o.set(respond(200, "v1", append([]string{"Cache-Control", "max-age=1, stale-while-revalidate=600", "ETag", `"t"`}, tags...)...))
		fget(t, base+"/ts")
		c.Add(10 * time.Second)
		var answers []*http.Response
		resp, _ := fget(t, base+"/ts") // stale
		answers = append(answers, resp)
		resp, _ = fget(t, base+"/ts", "If-None-Match", `"t"`) // 304 from the store
		answers = append(answers, resp)
		c.Add(time.Hour)
		o.set(respond(304, "", append([]string{"ETag", `"t"`}, tags...)...))
		resp, _ = fget(t, base+"/ts", "Cache-Control", "no-cache") // revalidated
		answers = append(answers, resp)
		o.set(respond(200, "ok", tags...))
		resp, _ = mustSend(t, "POST", base+"/ts", "x") // unsafe
		answers = append(answers, resp)
		for i, resp := range answers {
			if resp.Header.Get("Cache-Tag") != "" || resp.Header.Get("Surrogate-Key") != "" {
				t.Errorf("answer %d (%d, %q): tags %v", i, resp.StatusCode, resp.Header.Get("Cache-Status"), resp.Header)
			}
		}
	})
}

// Purges by tag, URL, prefix and everything; hard ones make the next
// request wait for the origin, soft ones serve stale while one refresh
// runs behind.
func TestRulePurgeVerbs(t *testing.T) {
	tests := []struct {
		body string
		path string // purged by body
		kept string // not purged by body
	}{
		{`{"tags":["t1"]%s}`, "/p/one", "/q/two"},
		{`{"urls":["/p/one"]%s}`, "/p/one", "/p/two"},
		{`{"urls":["https://example.org/p/one"]%s}`, "/p/one", "/p/two"},
		{`{"prefixes":["/p/"]%s}`, "/p/one", "/q/two"},
		{`{"everything":true%s}`, "/p/one", ""},
	}
	for _, tc := range tests {
		for _, soft := range []bool{false, true} {
			extra := ""
			if soft {
				extra = `,"soft":true`
			}
			body := fmt.Sprintf(tc.body, extra)
			t.Run(body, func(t *testing.T) {
				o, c, p, base := setup(t)
				p.SetPurgeToken("tok")
				var version atomic.Int64
				version.Store(1)
				o.set(func(w http.ResponseWriter, r *http.Request) {
					tag := map[string]string{"/p/one": "t1", "/p/two": "t2", "/q/two": "t2"}[r.URL.Path]
					respond(200, fmt.Sprintf("%s v%d", r.URL.Path, version.Load()), "Cache-Control", "max-age=600", "Content-Type", "text/plain", "Cache-Tag", tag)(w, r)
				})
				for _, u := range []string{"/p/one", "/p/two", "/q/two"} {
					fget(t, base+u)
				}
				version.Store(2)
				if code := purge(t, base, "tok", body); code != 200 {
					t.Fatalf("purge: %d", code)
				}
				c.Add(time.Second)
				hits := o.hits.Load()
				resp, got := fget(t, base+tc.path)
				if soft {
					if got != tc.path+" v1" || !strings.Contains(resp.Header.Get("Cache-Status"), "fwd=stale") {
						t.Errorf("after a soft purge: %q %q, want the old answer, stale", got, resp.Header.Get("Cache-Status"))
					}
					waitFor(t, "the refresh", func() bool {
						resp, got := fget(t, base+tc.path, "Cache-Control", "only-if-cached")
						return resp.StatusCode == 200 && got == tc.path+" v2"
					})
				} else if got != tc.path+" v2" || o.hits.Load() != hits+1 {
					t.Errorf("after a hard purge: %q, %d origin hits; want the origin's new answer", got, o.hits.Load()-hits)
				}
				if o.hits.Load() != hits+1 {
					t.Errorf("%d origin fetches for the purged path, want 1", o.hits.Load()-hits)
				}
				if tc.kept != "" {
					if _, got := fget(t, base+tc.kept); got != tc.kept+" v1" {
						t.Errorf("%s: %q, want the stored v1", tc.kept, got)
					}
				}
			})
		}
	}
}

// Concurrent misses share one fetch, streamed to every one of them as it
// arrives, not once the whole body is in.
func TestRuleCoalescingStreams(t *testing.T) {
	o, _, _, base := setup(t)
	release := make(chan struct{})
	var once sync.Once
	free := func() { once.Do(func() { close(release) }) }
	defer free()
	o.set(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "max-age=60")
		w.Header().Set("Content-Type", "text/plain")
		io.WriteString(w, "first;")
		w.(http.Flusher).Flush()
		select {
		case <-release:
		case <-r.Context().Done():
			return
		}
		io.WriteString(w, "rest")
	})
	type part struct {
		first string
		rest  string
		err   error
	}
	results := make(chan part, 3)
	firsts := make(chan string, 3)
	for i := range 3 {
		if i > 0 {
			time.Sleep(5 * time.Millisecond)
		}
		go func() {
			tr := &http.Transport{}
			defer tr.CloseIdleConnections()
			resp, err := tr.RoundTrip(mustRequest(base + "/stream"))
			if err != nil {
				firsts <- ""
				results <- part{err: err}
				return
			}
			defer resp.Body.Close()
			buf := make([]byte, len("first;"))
			_, err = io.ReadFull(resp.Body, buf)
			firsts <- string(buf)
			rest, err2 := io.ReadAll(resp.Body)
			results <- part{string(buf), string(rest), errors.Join(err, err2)}
		}()
	}
	timeout := time.After(time.Second)
	for i := range 3 {
		select {
		case f := <-firsts:
			if f != "first;" {
				t.Errorf("client %d: first bytes %q", i, f)
			}
		case <-timeout:
			free()
			t.Fatalf("only %d of 3 clients had the first bytes while the origin was still sending", i)
		}
	}
	free()
	for range 3 {
		if r := <-results; r.err != nil || r.first+r.rest != "first;rest" {
			t.Errorf("body %q, err %v", r.first+r.rest, r.err)
		}
	}
	if o.hits.Load() != 1 {
		t.Errorf("%d origin fetches, want 1", o.hits.Load())
	}
}

func mustRequest(url string) *http.Request {
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		panic(err)
	}
	return req
}

// A coalesced fetch whose answer turns out uncacheable releases the
// waiters to fetch on their own: they never get another client's
// private answer.
func TestRuleCoalescingUncacheable(t *testing.T) {
	o, _, p, base := setup(t)
	release := make(chan struct{})
	o.set(func(w http.ResponseWriter, r *http.Request) {
		user := r.Header.Get("X-User")
		if user == "a" {
			<-release
		}
		respond(200, "for "+user, "Cache-Control", "private", "Content-Type", "text/plain")(w, r)
	})
	a := make(chan reply, 1)
	go func() { a <- send("GET", base+"/me", "", "X-User", "a") }()
	waitFor(t, "the first fetch", func() bool { return o.hits.Load() == 1 })
	b := make(chan reply, 1)
	go func() { b <- send("GET", base+"/me", "", "X-User", "b") }()
	waitFor(t, "b to join a's fetch", func() bool {
		p.mu.Lock()
		defer p.mu.Unlock()
		f := p.flights["GET /me"]
		return f != nil && f.joined == 1
	})
	close(release)
	ra, rb := <-a, <-b
	if ra.err != nil || rb.err != nil {
		t.Fatal(ra.err, rb.err)
	}
	if ra.body != "for a" || rb.body != "for b" {
		t.Errorf("a got %q, b got %q", ra.body, rb.body)
	}
	if o.hits.Load() != 2 {
		t.Errorf("%d origin fetches, want 2", o.hits.Load())
	}
}

// Once a key's answer proved uncacheable, concurrent requests for it go
// to the origin side by side rather than queueing behind one another.
func TestRuleUncacheableRemembered(t *testing.T) {
	o, _, _, base := setup(t)
	o.set(respond(200, "first", "Cache-Control", "no-store", "Content-Type", "text/plain"))
	fget(t, base+"/pass")
	var arrived, inflight, most atomic.Int64
	o.set(func(w http.ResponseWriter, r *http.Request) {
		arrived.Add(1)
		n := inflight.Add(1)
		defer inflight.Add(-1)
		for {
			if m := most.Load(); n <= m || most.CompareAndSwap(m, n) {
				break
			}
		}
		// Wait, up to a second, for the other request to arrive: it does
		// at once unless it queues behind this one.
		deadline := time.Now().Add(time.Second)
		for arrived.Load() < 2 && time.Now().Before(deadline) {
			time.Sleep(time.Millisecond)
		}
		respond(200, "again", "Cache-Control", "no-store", "Content-Type", "text/plain")(w, r)
	})
	results := make(chan reply, 2)
	for range 2 {
		go func() { results <- send("GET", base+"/pass", "") }()
	}
	for range 2 {
		if r := <-results; r.err != nil || r.body != "again" {
			t.Errorf("%q %v", r.body, r.err)
		}
	}
	if most.Load() != 2 {
		t.Errorf("at most %d request(s) at the origin at once, want 2", most.Load())
	}
}

// Cache-Status is on every answer and says what happened.
func TestRuleCacheStatus(t *testing.T) {
	tests := []struct {
		name string
		run  func(t *testing.T, o *origin, c *clock, base string) *http.Response
		want string
	}{
		{"miss, stored", func(t *testing.T, o *origin, c *clock, base string) *http.Response {
			resp, _ := fget(t, base+"/cs")
			return resp
		}, "verge; fwd=uri-miss; stored"},
		{"miss, not stored", func(t *testing.T, o *origin, c *clock, base string) *http.Response {
			o.set(respond(200, "x", "Cache-Control", "no-store"))
			resp, _ := fget(t, base+"/cs")
			if strings.Contains(resp.Header.Get("Cache-Status"), "stored") {
				t.Errorf("not stored, yet %q", resp.Header.Get("Cache-Status"))
			}
			return resp
		}, "verge; fwd=uri-miss"},
		{"hit", func(t *testing.T, o *origin, c *clock, base string) *http.Response {
			fget(t, base+"/cs")
			resp, _ := fget(t, base+"/cs")
			return resp
		}, "verge; hit"},
		{"HEAD hit", func(t *testing.T, o *origin, c *clock, base string) *http.Response {
			fget(t, base+"/cs")
			resp, _ := mustSend(t, "HEAD", base+"/cs", "")
			return resp
		}, "verge; hit"},
		{"304 from the store", func(t *testing.T, o *origin, c *clock, base string) *http.Response {
			o.set(respond(200, "x", "Cache-Control", "max-age=60", "ETag", `"c"`))
			fget(t, base+"/cs")
			resp, _ := fget(t, base+"/cs", "If-None-Match", `"c"`)
			return resp
		}, "verge; hit"},
		{"stale while revalidating", func(t *testing.T, o *origin, c *clock, base string) *http.Response {
			o.set(respond(200, "x", "Cache-Control", "max-age=1, stale-while-revalidate=60"))
			fget(t, base+"/cs")
			c.Add(10 * time.Second)
			resp, _ := fget(t, base+"/cs")
			return resp
		}, "verge; hit; fwd=stale"},
		{"stale on error", func(t *testing.T, o *origin, c *clock, base string) *http.Response {
			o.set(respond(200, "x", "Cache-Control", "max-age=1, stale-if-error=60"))
			fget(t, base+"/cs")
			c.Add(10 * time.Second)
			o.set(respond(500, "down"))
			resp, _ := fget(t, base+"/cs")
			return resp
		}, "verge; hit; fwd=stale"},
		{"refetched when stale", func(t *testing.T, o *origin, c *clock, base string) *http.Response {
			fget(t, base+"/cs")
			c.Add(time.Hour)
			resp, _ := fget(t, base+"/cs")
			return resp
		}, "verge; fwd=stale"},
		{"unsafe method", func(t *testing.T, o *origin, c *clock, base string) *http.Response {
			resp, _ := mustSend(t, "DELETE", base+"/cs", "")
			return resp
		}, "verge; fwd=method"},
		{"origin unreachable", func(t *testing.T, o *origin, c *clock, base string) *http.Response {
			o.set(hangUp)
			resp, _ := fget(t, base+"/cs")
			if resp.StatusCode != 502 {
				t.Errorf("status %d, want 502", resp.StatusCode)
			}
			return resp
		}, "verge; fwd=uri-miss"},
		{"only-if-cached, none", func(t *testing.T, o *origin, c *clock, base string) *http.Response {
			resp, _ := fget(t, base+"/cs", "Cache-Control", "only-if-cached")
			return resp
		}, "verge; fwd=miss"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o, c, _, base := setup(t)
			resp := tc.run(t, o, c, base)
			if got := resp.Header.Values("Cache-Status"); len(got) != 1 || !strings.HasPrefix(got[0], tc.want) {
				t.Errorf("Cache-Status %q, want one starting %q", got, tc.want)
			}
		})
	}
}

// Requests that waited on another's fetch say so: collapsed.
func TestRuleCacheStatusCollapsed(t *testing.T) {
	o, _, p, base := setup(t)
	release := make(chan struct{})
	o.set(func(w http.ResponseWriter, r *http.Request) {
		<-release
		respond(200, "shared", "Cache-Control", "max-age=60", "Content-Type", "text/plain")(w, r)
	})
	first := make(chan reply, 1)
	go func() { first <- send("GET", base+"/col", "") }()
	waitFor(t, "the first fetch", func() bool { return o.hits.Load() == 1 })
	second := make(chan reply, 1)
	go func() { second <- send("GET", base+"/col", "") }()
	waitFor(t, "the second to join the first's fetch", func() bool {
		p.mu.Lock()
		defer p.mu.Unlock()
		f := p.flights["GET /col"]
		return f != nil && f.joined == 1
	})
	close(release)
	r1, r2 := <-first, <-second
	if r1.err != nil || r2.err != nil {
		t.Fatal(r1.err, r2.err)
	}
	if o.hits.Load() != 1 || r2.body != "shared" {
		t.Fatalf("%d origin fetches, body %q: not coalesced", o.hits.Load(), r2.body)
	}
	if cs := r1.resp.Header.Get("Cache-Status"); strings.Contains(cs, "collapsed") {
		t.Errorf("the fetching request: %q, not collapsed", cs)
	}
	if cs := r2.resp.Header.Get("Cache-Status"); !strings.Contains(cs, "collapsed") {
		t.Errorf("the waiting request: %q, want collapsed", cs)
	}
}
