package main

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// verge edge --origin is a caching proxy whose purge API takes the token
// from --purge-token-file: without it a purge is refused and purges
// nothing; with it, a tag purge sends the next request to the origin.
func TestEdgeCachingProxyPurge(t *testing.T) {
	bin := vergeBin(t)
	var hits atomic.Int64
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Header().Set("Cache-Control", "max-age=600")
		w.Header().Set("Cache-Tag", "post-1")
		w.Header().Set("Content-Type", "text/plain")
		fmt.Fprintf(w, "answer %d", hits.Load())
	}))
	defer origin.Close()
	tokenFile := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(tokenFile, []byte("s3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	port := freePort(t)
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	cmd := exec.Command(bin, "edge", "--origin", origin.URL, "--listen", fmt.Sprintf("127.0.0.1:%d", port), "--purge-token-file", tokenFile, "-q")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Signal(os.Interrupt); cmd.Wait() }()
	get := func() string {
		t.Helper()
		for range 100 {
			resp, err := http.Get(base + "/api/x")
			if err == nil {
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				return string(body)
			}
			time.Sleep(50 * time.Millisecond)
		}
		t.Fatal("verge edge --origin does not answer")
		return ""
	}
	purge := func(token string) int {
		t.Helper()
		req, _ := http.NewRequest("POST", base+"/_verge/purge", strings.NewReader(`{"tags":["post-1"]}`))
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if a, b := get(), get(); a != "answer 1" || b != "answer 1" {
		t.Fatalf("miss then hit: %q, %q", a, b)
	}
	if code := purge("wrong"); code != 401 {
		t.Errorf("purge with a wrong token: %d, want 401", code)
	}
	if got := get(); got != "answer 1" {
		t.Errorf("after a refused purge: %q, want the cached answer", got)
	}
	if code := purge("s3cret"); code != 200 {
		t.Errorf("purge with the token: %d", code)
	}
	if got := get(); got != "answer 2" {
		t.Errorf("after the purge: %q, want a fresh answer", got)
	}
}

// verge edge --trust-proxy: X-Forwarded-Host from a listed address
// reaches the origin, and the cache keys on it; from anyone else it is
// dropped; an entry that is not an address stops the command.
func TestEdgeTrustProxy(t *testing.T) {
	bin := vergeBin(t)
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "max-age=600")
		fmt.Fprintf(w, "host=%s xfh=%s", r.Host, r.Header.Get("X-Forwarded-Host"))
	}))
	defer origin.Close()
	get := func(base, xfh string) string {
		t.Helper()
		for range 100 {
			req, _ := http.NewRequest("GET", base+"/p", nil)
			req.Header.Set("X-Forwarded-Host", xfh)
			resp, err := http.DefaultClient.Do(req)
			if err == nil {
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				return string(body)
			}
			time.Sleep(50 * time.Millisecond)
		}
		t.Fatal("verge edge --origin does not answer")
		return ""
	}
	host := strings.TrimPrefix(origin.URL, "http://")
	for _, tc := range []struct {
		trust string
		want  []string // for a.example, then b.example
	}{
		{"127.0.0.1", []string{"host=" + host + " xfh=a.example", "host=" + host + " xfh=b.example"}},
		{"10.0.0.0/8", []string{"host=" + host + " xfh=", "host=" + host + " xfh="}},
	} {
		port := freePort(t)
		base := fmt.Sprintf("http://127.0.0.1:%d", port)
		cmd := exec.Command(bin, "edge", "--origin", origin.URL, "--listen", fmt.Sprintf("127.0.0.1:%d", port), "--trust-proxy", tc.trust, "-q")
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		if a, b := get(base, "a.example"), get(base, "b.example"); a != tc.want[0] || b != tc.want[1] {
			t.Errorf("--trust-proxy %s: %q, %q; want %q", tc.trust, a, b, tc.want)
		}
		cmd.Process.Signal(os.Interrupt)
		cmd.Wait()
	}
	out, err := exec.Command(bin, "edge", "--origin", origin.URL, "--trust-proxy", "lb.internal").CombinedOutput()
	if err == nil || !strings.Contains(string(out), "CIDR") {
		t.Errorf("--trust-proxy lb.internal: %v, %s; want an error naming what it takes", err, out)
	}
}
