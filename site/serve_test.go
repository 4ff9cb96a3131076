package site_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vergehq/verge/internal/devserver"
	"github.com/vergehq/verge/site"
)

// syncBuffer is a bytes.Buffer safe for the server's and the test's
// goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// serveSite runs the dev server (site.Run "serve") for the test site in
// dir until the test ends, and returns its base URL once it answers.
func serveSite(t *testing.T, dir string) string {
	t.Helper()
	return serveDeclared(t, declareTestSite(dir))
}

// serveDeclared serves s as serveSite does.
func serveDeclared(t *testing.T, s *site.Site) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	ctx, cancel := context.WithCancel(context.Background())
	var out syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- site.Run(ctx, s, []string{"serve", "--port", fmt.Sprint(port)}, &out, &out)
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Error("serve did not stop")
		}
		if t.Failed() {
			t.Logf("server output:\n%s", out.String())
		}
	})
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	deadline := time.Now().Add(20 * time.Second)
	for {
		if resp, err := http.Get(base + "/_verge/state"); err == nil {
			resp.Body.Close()
			return base
		}
		select {
		case code := <-done:
			t.Fatalf("serve exited with %d:\n%s", code, out.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve did not answer:\n%s", out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func devState(t *testing.T, base string) devserver.DevState {
	t.Helper()
	resp, err := http.Get(base + "/_verge/state?pages=1")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var st devserver.DevState
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		t.Fatal(err)
	}
	return st
}

// waitFor polls the server until its state satisfies ok.
func waitFor(t *testing.T, base string, timeout time.Duration, ok func(devserver.DevState) bool) devserver.DevState {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		st := devState(t, base)
		if ok(st) {
			return st
		}
		if time.Now().After(deadline) {
			return st
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// A burst of 200 edits (creates, edits, deletes, directory renames, data
// and CSS changes, a break and its fix) ends in exactly the state a fresh
// server of the final files has, with no error left.
func TestServeBurstEndsAsFreshBuild(t *testing.T) {
	dir, _ := extractSite(t, "ok")
	w := func(rel, s string) { writeFile(t, filepath.Join(dir, rel), s) }
	// Enough pages that a change every page reads (data/nav.yaml) renders
	// the open page first and the others lazily.
	for i := range 80 {
		w(fmt.Sprintf("content/posts/old-%d.md", i), fmt.Sprintf("---\ntitle: Old %d\ndate: 2020-01-%02d\n---\nOld.\n", i, i%28+1))
	}
	live := serveSite(t, dir)
	waitFor(t, live, 10*time.Second, func(st devserver.DevState) bool { return st.Build > 0 })
	// A page open in a browser, as far as the server can tell.
	resp, err := http.Get(live + "/_verge/events?path=/posts/first/")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()

	for i := range 200 {
		switch i % 6 {
		case 0:
			// Tags spelt differently: a term's name is that of its first
			// post, which the burst keeps changing.
			tag := []string{"tag%d", "Tag%d", "TAG%d, tag%d"}[i%3]
			tag = strings.ReplaceAll(tag, "%d", fmt.Sprint(i%5))
			w(fmt.Sprintf("content/posts/gen-%d.md", i), fmt.Sprintf("---\ntitle: Generated %d\ndate: 2024-04-%02d\ntags: [%s]\n---\nBody %d.\n", i, i%28+1, tag, i))
		case 1:
			data, _ := os.ReadFile(filepath.Join(dir, "content/posts/third.md"))
			w("content/posts/third.md", strings.Replace(string(data), "Third.", fmt.Sprintf("Third, edit %d.", i), 1)+"\n")
		case 2:
			if i%12 == 2 {
				os.Remove(filepath.Join(dir, fmt.Sprintf("content/posts/gen-%d.md", i-2)))
			}
		case 3:
			w("data/nav.yaml", fmt.Sprintf("- one\n- v%d\n", i))
			if i == 99 {
				// A config change: everything is reloaded.
				data, _ := os.ReadFile(filepath.Join(dir, "verge.toml"))
				w("verge.toml", strings.Replace(string(data), `title = "Test"`, `title = "Test, renamed"`, 1))
			}
		case 4:
			w("assets/css/_vars.css", fmt.Sprintf(":root { --n: %d; }\n", i))
		case 5:
			sub := filepath.Join(dir, fmt.Sprintf("content/posts/dir%d", i))
			w(fmt.Sprintf("content/posts/dir%d/inner.md", i), fmt.Sprintf("---\ntitle: Inner %d\ndate: 2023-01-01\nslug: inner-%d\n---\nInner.\n", i, i))
			if err := os.Rename(sub, sub+"-moved"); err != nil {
				t.Fatal(err)
			}
		}
	}
	// A break and its fix in quick succession.
	first := filepath.Join(dir, "content/posts/first.md")
	good, _ := os.ReadFile(first)
	w("content/posts/first.md", strings.Replace(string(good), "title: First post", "title: [First post", 1))
	w("content/posts/first.md", string(good))

	fresh := waitFor(t, serveSite(t, dir), 10*time.Second, func(st devserver.DevState) bool { return st.Complete })
	if fresh.Errors > 0 || len(fresh.Pages) < 30 {
		t.Fatalf("fresh server: %d errors, %d pages", fresh.Errors, len(fresh.Pages))
	}
	got := waitFor(t, live, 15*time.Second, func(st devserver.DevState) bool {
		return st.Complete && st.Errors == 0 && maps.Equal(st.Pages, fresh.Pages) && maps.Equal(st.Files, fresh.Files)
	})
	if got.Errors > 0 {
		t.Errorf("%d errors left", got.Errors)
	}
	for r, h := range fresh.Pages {
		if got.Pages[r] != h {
			t.Errorf("page %s differs from a fresh build (stale or missing)", r)
		}
	}
	for r := range got.Pages {
		if _, ok := fresh.Pages[r]; !ok {
			t.Errorf("page %s should be gone", r)
		}
	}
	if !maps.Equal(got.Files, fresh.Files) {
		t.Errorf("assets differ from a fresh build")
	}
}

// The dev server serves what a browser needs, as the edge would: pages
// with the live-reload client, canonical redirects, assets with
// revalidation, the site's API functions, and 404s.
func TestServeHTTP(t *testing.T) {
	dir, _ := extractSite(t, "ok")
	base := serveSite(t, dir)
	waitFor(t, base, 10*time.Second, func(st devserver.DevState) bool { return st.Complete })
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	get := func(path string, hdr ...string) (*http.Response, string) {
		t.Helper()
		req, _ := http.NewRequest("GET", base+path, nil)
		for i := 0; i+1 < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1])
		}
		resp, err := noRedirect.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var b bytes.Buffer
		b.ReadFrom(resp.Body)
		return resp, b.String()
	}
	tests := []struct {
		path       string
		hdr        []string
		status     int
		header     string // "Name: value" expected
		bodyHas    string
		bodyHasNot string
	}{
		{path: "/posts/first/", status: 200, bodyHas: `<script type="module" src="/_verge/live.js"></script></head>`},
		{path: "/posts/first", status: 301, header: "Location: /posts/first/"},
		{path: "/api/related/first", status: 200, bodyHas: "3"},
		{path: "/_assets/css/main.css", status: 200, header: "Cache-Control: no-cache"},
		{path: "/robots.txt", status: 200, bodyHasNot: "live.js"},
		{path: "/no/such/page/", status: 404, bodyHas: "/_verge/live.js"},
		{path: "/_verge/live.js", status: 200, bodyHas: "EventSource"},
	}
	for _, tc := range tests {
		resp, body := get(tc.path, tc.hdr...)
		if resp.StatusCode != tc.status {
			t.Errorf("%s: status %d, want %d", tc.path, resp.StatusCode, tc.status)
		}
		if tc.header != "" {
			name, value, _ := strings.Cut(tc.header, ": ")
			if got := resp.Header.Get(name); got != value {
				t.Errorf("%s: %s = %q, want %q", tc.path, name, got, value)
			}
		}
		if tc.bodyHas != "" && !strings.Contains(body, tc.bodyHas) {
			t.Errorf("%s: body lacks %q", tc.path, tc.bodyHas)
		}
		if tc.bodyHasNot != "" && strings.Contains(body, tc.bodyHasNot) {
			t.Errorf("%s: body has %q", tc.path, tc.bodyHasNot)
		}
	}
	// An unchanged asset revalidates to 304.
	resp, _ := get("/_assets/css/main.css")
	if resp2, _ := get("/_assets/css/main.css", "If-None-Match", resp.Header.Get("ETag")); resp2.StatusCode != http.StatusNotModified {
		t.Errorf("revalidation: status %d, want 304", resp2.StatusCode)
	}
}

// Edits made one at a time, each waited for, leave the server in the
// state a fresh server of the same files has after every step: the
// rebuild of one changed post reuses all else, and must get the terms,
// lists and order right.
func TestServeEditsOneByOne(t *testing.T) {
	dir, _ := extractSite(t, "ok")
	path := func(rel string) string { return filepath.Join(dir, "content", "posts", rel) }
	replace := func(rel, old, new string) func() error {
		return func() error {
			data, err := os.ReadFile(path(rel))
			if err != nil {
				return err
			}
			if !bytes.Contains(data, []byte(old)) {
				return fmt.Errorf("%s lacks %q", rel, old)
			}
			return os.WriteFile(path(rel), bytes.Replace(data, []byte(old), []byte(new), 1), 0o644)
		}
	}
	steps := []struct {
		name string
		do   func() error
	}{
		{"body edit", replace("third.md", "Third.", "Third, edited.")},
		{"tag added: the newest post names the term", replace("third.md", "tags: [web]", "tags: [web, Go]")},
		{"date moves a post first", replace("second.md", "date = 2024-02-01T10:00:00Z", "date = 2024-05-01T10:00:00Z")},
		{"tag removed", replace("first.md", "tags: [Go, web]", "tags: [web]")},
		{"new post, two spellings of one new tag", func() error {
			return os.WriteFile(path("fourth.md"), []byte("---\ntitle: Fourth\ndate: 2024-06-01\ntags: [Fresh, fresh]\n---\nFourth.\n"), 0o644)
		}},
		{"the new tag's only post deleted", func() error { return os.Remove(path("fourth.md")) }},
		{"post made a draft", replace("third.md", "date: 2024-03-01", "date: 2024-03-01\ndraft: true")},
		{"post renamed", func() error { return os.Rename(path("first.md"), path("renamed.md")) }},
	}
	live := serveSite(t, dir)
	build := waitFor(t, live, 10*time.Second, func(st devserver.DevState) bool { return st.Complete }).Build
	for _, step := range steps {
		if err := step.do(); err != nil {
			t.Fatalf("%s: %v", step.name, err)
		}
		fresh := waitFor(t, serveSite(t, dir), 10*time.Second, func(st devserver.DevState) bool { return st.Complete })
		got := waitFor(t, live, 10*time.Second, func(st devserver.DevState) bool {
			return st.Build > build && st.Complete && maps.Equal(st.Pages, fresh.Pages)
		})
		build = got.Build
		for r, h := range fresh.Pages {
			if got.Pages[r] != h {
				t.Errorf("%s: page %s differs from a fresh build", step.name, r)
			}
		}
		for r := range got.Pages {
			if _, ok := fresh.Pages[r]; !ok {
				t.Errorf("%s: page %s should be gone", step.name, r)
			}
		}
	}
}
