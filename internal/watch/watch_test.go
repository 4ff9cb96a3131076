package watch_test

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vergehq/verge/internal/watch"
)

// collect gathers batches until want paths were all seen (or, with want
// empty, until quiet passes with nothing), returning every path reported.
func collect(t *testing.T, w *watch.Watcher, want []string, quiet time.Duration) map[string]bool {
	t.Helper()
	seen := map[string]bool{}
	deadline := time.After(5 * time.Second)
	for {
		missing := false
		for _, p := range want {
			if !seen[p] {
				missing = true
			}
		}
		if len(want) > 0 && !missing {
			return seen
		}
		select {
		case b := <-w.Batches():
			for _, p := range b.Paths {
				seen[p] = true
			}
		case <-time.After(quiet):
			if len(want) == 0 {
				return seen
			}
		case <-deadline:
			t.Fatalf("timed out; saw %v, want %v", keys(seen), want)
		}
	}
}

func keys(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func write(t *testing.T, p, s string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestWatch(t *testing.T) {
	tests := []struct {
		name string
		// act changes files under dir; it returns the paths (relative)
		// that must be reported.
		act func(t *testing.T, dir string) []string
		// never lists paths that must not be reported.
		never []string
	}{
		{
			name: "write",
			act: func(t *testing.T, dir string) []string {
				write(t, filepath.Join(dir, "content/a.md"), "changed")
				return []string{"content/a.md"}
			},
		},
		{
			name: "new nested directory",
			act: func(t *testing.T, dir string) []string {
				write(t, filepath.Join(dir, "content/new/deeper/b.md"), "b")
				return []string{"content/new/deeper/b.md"}
			},
		},
		{
			name: "vim save",
			act: func(t *testing.T, dir string) []string {
				p := filepath.Join(dir, "content/a.md")
				write(t, filepath.Join(dir, "content/4913"), "")
				os.Remove(filepath.Join(dir, "content/4913"))
				write(t, filepath.Join(dir, "content/.a.md.swp"), "swap")
				if err := os.Rename(p, p+"~"); err != nil {
					t.Fatal(err)
				}
				write(t, p, "saved")
				os.Remove(p + "~")
				return []string{"content/a.md"}
			},
			never: []string{"content/4913", "content/.a.md.swp", "content/a.md~"},
		},
		{
			name: "jetbrains safe write",
			act: func(t *testing.T, dir string) []string {
				p := filepath.Join(dir, "content/a.md")
				write(t, p+"___jb_tmp___", "saved")
				if err := os.Rename(p, p+"___jb_old___"); err != nil {
					t.Fatal(err)
				}
				if err := os.Rename(p+"___jb_tmp___", p); err != nil {
					t.Fatal(err)
				}
				os.Remove(p + "___jb_old___")
				return []string{"content/a.md"}
			},
			never: []string{"content/a.md___jb_tmp___", "content/a.md___jb_old___"},
		},
		{
			name: "renamed directory",
			act: func(t *testing.T, dir string) []string {
				if err := os.Rename(filepath.Join(dir, "content/sub"), filepath.Join(dir, "content/moved")); err != nil {
					t.Fatal(err)
				}
				return []string{"content/sub", "content/moved"}
			},
		},
		{
			name: "skipped directory",
			act: func(t *testing.T, dir string) []string {
				write(t, filepath.Join(dir, "dist/index.html"), "out")
				write(t, filepath.Join(dir, "content/c.md"), "c")
				return []string{"content/c.md"}
			},
			never: []string{"dist/index.html", "dist"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			write(t, filepath.Join(dir, "content/a.md"), "a")
			write(t, filepath.Join(dir, "content/sub/s.md"), "s")
			os.MkdirAll(filepath.Join(dir, "dist"), 0o755)
			w, err := watch.New([]string{dir}, watch.Options{Skip: func(p string, isDir bool) bool {
				return filepath.Base(p) == "dist"
			}})
			if err != nil {
				t.Fatal(err)
			}
			defer w.Close()
			var want []string
			for _, p := range tc.act(t, dir) {
				want = append(want, filepath.Join(dir, p))
			}
			seen := collect(t, w, want, 0)
			// Let stragglers arrive before checking what must not.
			for p := range collect(t, w, nil, 100*time.Millisecond) {
				seen[p] = true
			}
			for _, p := range tc.never {
				if seen[filepath.Join(dir, p)] {
					t.Errorf("reported %s", p)
				}
			}
		})
	}
}

func TestChmodIsNotAChange(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "a.md")
	write(t, p, "a")
	w, err := watch.New([]string{dir}, watch.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if err := os.Chmod(p, 0o600); err != nil {
		t.Fatal(err)
	}
	if seen := collect(t, w, nil, 200*time.Millisecond); len(seen) > 0 {
		t.Errorf("chmod reported: %v", keys(seen))
	}
}

// A burst (a git checkout, say) is reported in full, in few batches.
func TestBurst(t *testing.T) {
	dir := t.TempDir()
	w, err := watch.New([]string{dir}, watch.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	var want []string
	for i := range 300 {
		p := filepath.Join(dir, fmt.Sprintf("d%d", i%7), fmt.Sprintf("f%d.md", i))
		write(t, p, strings.Repeat("x", i))
		want = append(want, p)
	}
	batches := 0
	seen := map[string]bool{}
	deadline := time.After(5 * time.Second)
	for len(seen) < len(want) {
		select {
		case b := <-w.Batches():
			batches++
			for _, p := range b.Paths {
				if strings.HasSuffix(p, ".md") {
					seen[p] = true
				}
			}
		case <-deadline:
			t.Fatalf("saw %d of %d files", len(seen), len(want))
		}
	}
	if batches > 10 {
		t.Errorf("%d batches for one burst", batches)
	}
}

func TestTemporary(t *testing.T) {
	for p, want := range map[string]bool{
		"a.md": false, "a.md~": true, ".a.md.swp": true, "4913": true, ".#a.md": true, "#a.md#": true,
		"a.md___jb_tmp___": true, "a.md.tmp": true, "a.md.tmp.1234": true, "post.templ": false, "main.go": false,
	} {
		if got := watch.Temporary(p); got != want {
			t.Errorf("Temporary(%q) = %v, want %v", p, got, want)
		}
	}
}
