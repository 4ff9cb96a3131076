package main

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vergehq/verge/internal/cffake"
)

// A CMS purges through the origin's webhook: refused without the token;
// with it, a content file's tags are queued and reach Cloudflare. The
// origin still serves the site's functions.
func TestOriginPurgeWebhook(t *testing.T) {
	bin := vergeBin(t)
	dir := newSite(t, bin)
	fake := cffake.New(cffake.Options{})
	api := httptest.NewServer(fake)
	defer api.Close()
	cfg := filepath.Join(dir, "verge.toml")
	data, _ := os.ReadFile(cfg)
	if err := os.WriteFile(cfg, append(data, "\n[cloudflare]\nzone_id = \"zone\"\n"...), 0o644); err != nil {
		t.Fatal(err)
	}
	mustVerge(t, bin, dir, "build", "-q")
	addr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	cmd := exec.Command(bin, "origin", "--listen", addr)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "VERGE_WEBHOOK_TOKEN=hook-secret", "CLOUDFLARE_API_TOKEN=test-token", "CLOUDFLARE_BASE_URL="+api.URL+"/client/v4/")
	cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Signal(os.Interrupt); cmd.Wait() }()
	base := "http://" + addr
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get(base + "/api/related/edge-caching")
		if err == nil {
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 || resp.Header.Get("Cache-Tag") == "" {
				t.Fatalf("function through the origin: %d %q, Cache-Tag %q", resp.StatusCode, body, resp.Header.Get("Cache-Tag"))
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the origin never answered")
		}
		time.Sleep(100 * time.Millisecond)
	}
	post := func(token, body string) (int, string) {
		req, _ := http.NewRequest("POST", base+"/_verge/purge", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, _ := post("wrong", `{"tags":["x"]}`); code != http.StatusUnauthorized {
		t.Errorf("wrong token: %d", code)
	}
	if code, body := post("hook-secret", `{"content":["content/posts/edge-caching.md"]}`); code != http.StatusAccepted || !strings.Contains(body, "e:posts/edge-caching") {
		t.Fatalf("webhook: %d %s", code, body)
	}
	for time.Now().Before(deadline) {
		if got := fake.Purges(); len(got) == 1 {
			if !slices.Contains(got[0].Tags, "fn:e:posts/edge-caching") || !slices.Contains(got[0].Tags, "fn:m:posts/edge-caching") ||
				!slices.Contains(got[0].Tags, "tree:/posts/edge-caching/") || slices.Contains(got[0].Tags, "e:posts/edge-caching") {
				t.Errorf("Cloudflare got %v", got[0].Tags)
			}
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("the webhook's purge never reached Cloudflare: %+v", fake.Purges())
}

// verge purge keeps to Cloudflare's rate limit within one run: a purge of
// two requests against a zone that takes one now and one a second later
// waits the second out (Retry-After) instead of leaving it behind.
func TestPurgeWaitsOutRateLimit(t *testing.T) {
	bin := vergeBin(t)
	dir := t.TempDir()
	fake := cffake.New(cffake.Options{PurgeBurst: 1, PurgePerMinute: 60})
	api := httptest.NewServer(fake)
	defer api.Close()
	if err := os.WriteFile(filepath.Join(dir, "verge.toml"), []byte("[cloudflare]\nzone_id = \"zone\"\nurl = \"https://example.com/\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	args := []string{"purge"}
	for i := range 31 { // 30 URLs a request
		args = append(args, "--url", fmt.Sprintf("/posts/p%d/", i))
	}
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "CLOUDFLARE_API_TOKEN=test-token", "CLOUDFLARE_BASE_URL="+api.URL+"/client/v4/")
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "purged at cloudflare: 2 purges sent") {
		t.Fatalf("verge purge: %v\n%s", err, out)
	}
	if got := fake.Purges(); len(got) != 2 || len(got[0].Files)+len(got[1].Files) != 31 || got[0].Files[0] != "https://example.com/posts/p0/" {
		t.Errorf("Cloudflare got %+v", got)
	}
}
