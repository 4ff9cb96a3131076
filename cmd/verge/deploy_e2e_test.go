package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// verge deploy --dry-run says what a deploy would upload and purge, and
// changes nothing: after a one-post edit, only the files whose bytes
// changed, and the post's tag, covering its page and the lists showing it.
func TestDeployDryRun(t *testing.T) {
	bin := vergeBin(t)
	dir := newSite(t, bin)
	step := func(args ...string) string {
		t.Helper()
		out, code := runVerge(t, bin, dir, args...)
		if code != 0 {
			t.Fatalf("verge %s: exit %d\n%s", strings.Join(args, " "), code, out)
		}
		return out
	}
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
	var rep dryRunReport
	if err := json.Unmarshal([]byte(step("deploy", "--dry-run", "--json")), &rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.Upload) == 0 || len(rep.Upload) > 3 {
		t.Errorf("would upload %v: want the post's page (and little else)", rep.Upload)
	}
	if !slices.Contains(rep.Purge.Tags, "e:posts/edge-caching") || rep.Purge.Everything {
		t.Errorf("purge tags %v (everything %v): want the post's tag", rep.Purge.Tags, rep.Purge.Everything)
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
