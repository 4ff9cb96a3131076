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
