package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vergehq/verge/edge/deploy"
)

// verge deploy --dry-run says what a deploy would upload and purge, and
// changes nothing: after a one-post edit, only the files whose bytes
// changed, and the post's tag, covering its page and the lists showing it.
func TestDeployDryRun(t *testing.T) {
	bin := vergeBin(t)
	dir := newSite(t, bin)
	step := func(args ...string) string { t.Helper(); return mustVerge(t, bin, dir, args...) }
	step("build", "-q")
	if out := step("deploy", "--dry-run"); !strings.Contains(out, "would purge nothing: nothing is live yet") {
		t.Errorf("first dry run:\n%s", out)
	}
	step("deploy")
	post := filepath.Join(dir, "content", "posts", "edge-caching.md")
	data, err := os.ReadFile(post)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(post, append(data, "\nOne more paragraph, at the end.\n"...), 0o644); err != nil {
		t.Fatal(err)
	}
	step("build", "-q")
	var rep deploy.DryRunReport
	if err := json.Unmarshal([]byte(step("deploy", "--dry-run", "--json")), &rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.Upload) == 0 || len(rep.Upload) > 3 {
		t.Errorf("would upload %v: want the post's page (and little else)", rep.Upload)
	}
	if !slices.Contains(rep.Purge.Tags, "tree:/posts/edge-caching/") || !slices.Contains(rep.Purge.Tags, "fn:e:posts/edge-caching") || rep.Purge.Everything {
		t.Errorf("purge tags %v (everything %v): want the post's page tag and its entry's function tag", rep.Purge.Tags, rep.Purge.Everything)
	}
	for _, u := range rep.Purge.Changed {
		if !slices.Contains(rep.Purge.URLs, u) && !slices.Contains(rep.Purge.Files, u) {
			t.Errorf("changed URL %s is not purged", u)
		}
	}
	if !slices.Contains(rep.Purge.URLs, "/posts/edge-caching/") || rep.Requests != 1 {
		t.Errorf("urls %v, %d requests", rep.Purge.URLs, rep.Requests)
	}
	// Nothing was deployed by the dry runs.
	var list []struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal([]byte(step("versions", "--json")), &list); err != nil || len(list) != 1 {
		t.Errorf("versions after dry runs: %d (%v), want 1", len(list), err)
	}
}

// A deploy sends its purge plan to the edges in verge.toml, through the
// outbox: the edited post's tag reaches a real edge cache. With the edge
// down, verge purge queues and keeps the purge, and sends it once the
// edge is back.
func TestDeployPurgesEdges(t *testing.T) {
	bin := vergeBin(t)
	dir := newSite(t, bin)
	var hits atomic.Int64
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Header().Set("Cache-Control", "max-age=600")
		w.Header().Set("Cache-Tag", "fn:e:posts/edge-caching") // as the runtime tags what a function read
		io.WriteString(w, "related")
	}))
	defer origin.Close()
	token := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(token, []byte("tok"), 0o600); err != nil {
		t.Fatal(err)
	}
	port := freePort(t)
	edgeURL := fmt.Sprintf("http://127.0.0.1:%d", port)
	startEdge := func() func() {
		cmd := exec.Command(bin, "edge", "--origin", origin.URL, "--listen", fmt.Sprintf("127.0.0.1:%d", port), "--purge-token-file", token, "-q")
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		for range 100 {
			if resp, err := http.Get(edgeURL + "/api/related"); err == nil {
				resp.Body.Close()
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		return func() { cmd.Process.Signal(os.Interrupt); cmd.Wait() }
	}
	stop := startEdge()
	defer func() { stop() }()
	cfg := filepath.Join(dir, "verge.toml")
	data, _ := os.ReadFile(cfg)
	if err := os.WriteFile(cfg, append(data, fmt.Sprintf("\n[purge]\nedges = [%q]\n", edgeURL)...), 0o644); err != nil {
		t.Fatal(err)
	}
	run := func(env []string, args ...string) string {
		t.Helper()
		cmd := exec.Command(bin, args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), env...)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("verge %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	withToken := []string{"VERGE_PURGE_TOKEN=tok"}
	run(nil, "build", "-q")
	run(withToken, "deploy")
	if hits.Load() != 1 {
		t.Fatalf("%d origin hits, want 1 (cached)", hits.Load())
	}
	post := filepath.Join(dir, "content", "posts", "edge-caching.md")
	body, _ := os.ReadFile(post)
	os.WriteFile(post, append(body, "\nEdited.\n"...), 0o644)
	run(nil, "build", "-q")
	if out := run(withToken, "deploy"); !strings.Contains(out, "purged at edges: 1 purges sent") {
		t.Errorf("deploy did not purge:\n%s", out)
	}
	if resp, err := http.Get(edgeURL + "/api/related"); err == nil {
		resp.Body.Close()
	}
	if hits.Load() != 2 {
		t.Errorf("%d origin hits after the deploy's purge, want 2", hits.Load())
	}

	// The edge goes down: the purge is kept, then sent.
	stop()
	stop = func() {}
	down := exec.Command(bin, "purge", "--tag", "e:posts/edge-caching")
	down.Dir = dir
	down.Env = append(os.Environ(), withToken...)
	out, err := down.CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 3 || !strings.Contains(string(out), "purge at edges queued, not sent yet") {
		t.Errorf("purge with the edge down: %v (want exit status 3)\n%s", err, out)
	}
	if out := run(nil, "purge", "--status"); !strings.Contains(out, "failed 1 times") {
		t.Errorf("status:\n%s", out)
	}
	stop = startEdge()
	deadline := time.Now().Add(15 * time.Second)
	for {
		run(withToken, "purge")
		if out := run(nil, "purge", "--status"); strings.Contains(out, "nothing pending") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the queued purge was never sent:\n%s", run(nil, "purge", "--status"))
		}
		time.Sleep(500 * time.Millisecond)
	}
}
