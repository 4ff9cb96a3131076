package site_test

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// bigSite writes a site with enough posts that one edit touches few files,
// so builds patch the previous output in place rather than swapping trees.
func bigSite(t *testing.T) string {
	t.Helper()
	dir, _ := extractSite(t, "ok")
	for i := range 40 {
		writeFile(t, filepath.Join(dir, "content", "posts", fmt.Sprintf("p%02d.md", i)),
			fmt.Sprintf("---\ntitle: P%d\ndate: 2023-01-%02dT00:00:00Z\ntags: [t%d]\n---\nBody %d.\n", i, i%28+1, i%4, i))
	}
	return dir
}

// sameTree fails unless the two output trees hold the same files.
func sameTree(t *testing.T, got, want string) {
	t.Helper()
	a, b := tree(t, got), tree(t, want)
	for p, data := range b {
		if a[p] != data {
			t.Errorf("%s differs from a fresh build", p)
		}
	}
	for p := range a {
		if _, ok := b[p]; !ok {
			t.Errorf("%s is left over (a fresh build has no such file)", p)
		}
	}
}

func TestPatchInPlaceMatchesAFreshBuild(t *testing.T) {
	dir := bigSite(t)
	out := filepath.Join(dir, "dist")
	if _, err := build(t, dir, out); err != nil {
		t.Fatal(err)
	}
	before, err := os.Stat(filepath.Join(out, "posts", "p07", "index.html"))
	if err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		name        string
		maxRendered int
		do          func()
	}{
		// The post, the one posts page and the tag page that show it.
		{"edit a post", 4, func() {
			writeFile(t, filepath.Join(dir, "content", "posts", "p03.md"), "---\ntitle: P3 edited\ndate: 2023-01-04T00:00:00Z\ntags: [t3]\n---\nNew body.\n")
		}},
		// Membership changed: every posts page shifts, and home and
		// the tags index, but no other post page.
		{"delete a post", 30, func() {
			if err := os.Remove(filepath.Join(dir, "content", "posts", "p05.md")); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for _, s := range steps {
		s.do()
		rep, err := build(t, dir, out)
		if err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if rep.Rendered == 0 || rep.Rendered > s.maxRendered {
			t.Errorf("%s: rendered %d pages", s.name, rep.Rendered)
		}
		fresh := filepath.Join(t.TempDir(), "fresh")
		if _, err := build(t, dir, fresh); err != nil {
			t.Fatal(err)
		}
		sameTree(t, out, fresh)
	}
	if _, err := os.Stat(filepath.Join(out, "posts", "p05")); !os.IsNotExist(err) {
		t.Error("the deleted post's directory is still there")
	}
	after, err := os.Stat(filepath.Join(out, "posts", "p07", "index.html"))
	if err != nil || !os.SameFile(before, after) {
		t.Error("an untouched page was rewritten: the output was not patched in place")
	}
}

func TestInterruptedPatchIsFollowedByAFullBuild(t *testing.T) {
	dir := bigSite(t)
	out := filepath.Join(dir, "dist")
	if _, err := build(t, dir, out); err != nil {
		t.Fatal(err)
	}
	// A patch killed half way: the marker is there and a page is stale.
	writeFile(t, filepath.Join(out, "_verge", "pending"), "x")
	writeFile(t, filepath.Join(out, "posts", "p01", "index.html"), "stale")
	rep, err := build(t, dir, out)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Reused != 0 || rep.Unchanged {
		t.Errorf("after an interrupted patch: reused %d, unchanged %v; want a full build", rep.Reused, rep.Unchanged)
	}
	fresh := filepath.Join(t.TempDir(), "fresh")
	if _, err := build(t, dir, fresh); err != nil {
		t.Fatal(err)
	}
	sameTree(t, out, fresh)
}
