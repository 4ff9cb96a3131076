package engine

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// age sets every file under root to have been modified at t.
func age(t *testing.T, root string, at time.Time) {
	t.Helper()
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			err = os.Chtimes(p, at, at)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// settle waits until every change made so far is older than racyWindow,
// so that the stamp vouches for the files again: setting a file's time
// sets its change time to the clock, which nothing can set back.
func settle() { time.Sleep(racyWindow + 100*time.Millisecond) }

func phaseNames(rep *Report) []string {
	var out []string
	for _, p := range rep.Phases {
		out = append(out, p.Name)
	}
	return out
}

func loadedContent(rep *Report) bool { return slices.Contains(phaseNames(rep), "content") }

func buildOnce(t *testing.T, s *Site, key string) *Report {
	t.Helper()
	rep, err := BuildDir(context.Background(), s, BuildOptions{BuildKey: key})
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// A rebuild with no file changed is proven unchanged from the files'
// stat alone, without loading any content; a touched file is loaded and
// compared, and a file changed just now is never trusted to stat.
func TestNoChangeRebuildLoadsNothing(t *testing.T) {
	t.Parallel()
	s := testSite(t)
	old := time.Now().Add(-time.Hour)
	age(t, s.Root, old)
	buildOnce(t, s, "k")
	settle()
	for _, step := range []struct {
		name      string
		change    func()
		settle    bool // wait out the racy window before building
		unchanged bool
		loaded    bool
	}{
		{"settled, the stamp recorded", func() {}, false, true, true},
		{"nothing changed", func() {}, false, true, false},
		{"a file touched, same content", func() { age(t, s.Root, old.Add(time.Minute)) }, true, true, true},
		{"after the touch, nothing changed", func() {}, false, true, false},
		{"a file edited", func() {
			p := edit(t, s, "apples", "Apples are yellow.\n")
			if err := os.Chtimes(p, old, old.Add(2*time.Minute)); err != nil {
				t.Fatal(err)
			}
		}, true, false, true},
		{"a file edited just now", func() { edit(t, s, "pears", "Pears are ripe.\n") }, false, false, true},
		{"just now, and nothing changed since", func() {}, false, true, true},
		{"settled again", func() {}, true, true, true},
		{"settled, nothing changed", func() {}, false, true, false},
	} {
		step.change()
		if step.settle {
			settle()
		}
		rep := buildOnce(t, s, "k")
		if rep.Unchanged != step.unchanged || loadedContent(rep) != step.loaded {
			t.Errorf("%s: unchanged %v (want %v), loaded %v (want %v); phases %v", step.name, rep.Unchanged, step.unchanged, loadedContent(rep), step.loaded, phaseNames(rep))
		}
	}
}

// Every kind of edit to a site's sources is seen by the stamp, even those
// that leave a file's size and modification time as they were (touch -d,
// rsync -t, cp -p, a checkout that restores times): the build loads the
// sources and the output shows the edit. Each edit is waited out of the
// racy window first, so that it is the stamp, not the clock, that sees it.
func TestSourceStampSeesEveryEdit(t *testing.T) {
	old := time.Now().Add(-time.Hour)
	type site struct {
		s   *Site
		key string
	}
	write := func(t *testing.T, p, text string, mtime time.Time) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, mtime, mtime); err != nil {
			t.Fatal(err)
		}
	}
	note := func(st *site, name string) string { return filepath.Join(st.s.Root, "notes", name+".txt") }
	for _, c := range []struct {
		name string
		// edit changes the site; page and want, when set, name an output
		// file under dist/ and what it must then hold.
		edit       func(t *testing.T, st *site)
		page, want string
		gone       string // an output file the edit removes
	}{
		{name: "in place, same size, time put back", edit: func(t *testing.T, st *site) {
			write(t, note(st, "pears"), "Pears are olive.\n", old) // as long as "Pears are green.\n"
		}, page: "pears/index.html", want: "Pears are olive.\n"},
		{name: "in place, same size, time set earlier", edit: func(t *testing.T, st *site) {
			write(t, note(st, "pears"), "Pears are olive.\n", old.Add(-24*time.Hour))
		}, page: "pears/index.html", want: "Pears are olive.\n"},
		{name: "replaced by rename, same size and time (rsync -t)", edit: func(t *testing.T, st *site) {
			tmp := filepath.Join(st.s.Root, "notes", ".pears.tmp")
			write(t, tmp, "Pears are olive.\n", old)
			if err := os.Rename(tmp, note(st, "pears")); err != nil {
				t.Fatal(err)
			}
		}, page: "pears/index.html", want: "Pears are olive.\n"},
		{name: "file added with an old time", edit: func(t *testing.T, st *site) {
			write(t, note(st, "plums"), "Plums are purple.\n", old)
		}, page: "plums/index.html", want: "Plums are purple."},
		{name: "file removed", edit: func(t *testing.T, st *site) {
			if err := os.Remove(note(st, "apples")); err != nil {
				t.Fatal(err)
			}
		}, page: "index.html", want: "<body>cherries pears</body>", gone: "apples/index.html"},
		{name: "file renamed", edit: func(t *testing.T, st *site) {
			if err := os.Rename(note(st, "apples"), note(st, "quinces")); err != nil {
				t.Fatal(err)
			}
		}, page: "quinces/index.html", want: "Apples are red.", gone: "apples/index.html"},
		{name: "a symbolic link's target edited in place, time put back", edit: func(t *testing.T, st *site) {
			write(t, filepath.Join(st.s.Root, "elsewhere", "cherries.txt"), "Cherries are tan.\n", old)
		}, page: "cherries/index.html", want: "Cherries are tan."},
		{name: "static file, same size, time put back", edit: func(t *testing.T, st *site) {
			write(t, filepath.Join(st.s.Root, "static", "robots.txt"), "Disallow: /b", old)
		}, page: "robots.txt", want: "Disallow: /b"},
		{name: "a file nothing reads yet (data, config)", edit: func(t *testing.T, st *site) {
			write(t, filepath.Join(st.s.Root, "data", "menu.json"), `{"a": 2}`, old)
		}},
		{name: "the site program rebuilt", edit: func(t *testing.T, st *site) { st.key = "k2" }},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			st := &site{s: testSite(t), key: "k"}
			root := st.s.Root
			write(t, filepath.Join(root, "static", "robots.txt"), "Disallow: /a", old)
			write(t, filepath.Join(root, "data", "menu.json"), `{"a": 1}`, old)
			write(t, filepath.Join(root, "elsewhere", "cherries.txt"), "Cherries are red.\n", old)
			if err := os.Symlink(filepath.Join("..", "elsewhere", "cherries.txt"), note(st, "cherries")); err != nil {
				t.Fatal(err)
			}
			age(t, root, old)
			buildOnce(t, st.s, st.key)
			settle()
			buildOnce(t, st.s, st.key) // records the stamp
			if rep := buildOnce(t, st.s, st.key); !rep.Unchanged || loadedContent(rep) {
				t.Fatalf("before the edit: unchanged %v, phases %v; want the stamp to prove it unchanged", rep.Unchanged, phaseNames(rep))
			}
			c.edit(t, st)
			settle()
			rep := buildOnce(t, st.s, st.key)
			if !loadedContent(rep) {
				t.Fatalf("the edit was not seen: phases %v", phaseNames(rep))
			}
			out := filepath.Join(root, "dist")
			if c.page != "" {
				data, err := os.ReadFile(filepath.Join(out, c.page))
				if err != nil || !strings.Contains(string(data), c.want) {
					t.Errorf("%s = %q, %v; want it to hold %q", c.page, data, err, c.want)
				}
			}
			if c.gone != "" {
				if _, err := os.Stat(filepath.Join(out, c.gone)); err == nil {
					t.Errorf("%s is still in the output", c.gone)
				}
			}
			if rep := buildOnce(t, st.s, st.key); !rep.Unchanged {
				t.Errorf("after the edit, a build with nothing changed: unchanged %v, phases %v", rep.Unchanged, phaseNames(rep))
			}
		})
	}
}

// A symbolic link to a directory is not walked, so what is behind it
// cannot be vouched for: the stamp refuses, and the build loads.
func TestSourceStampRefusesLinkedDirectory(t *testing.T) {
	t.Parallel()
	tree := func(link bool) string {
		root := t.TempDir()
		if err := os.MkdirAll(filepath.Join(root, "elsewhere"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(root, "a.txt"), []byte("a"), 0o644); err != nil {
			t.Fatal(err)
		}
		if link {
			if err := os.Symlink("elsewhere", filepath.Join(root, "linked")); err != nil {
				t.Fatal(err)
			}
		}
		age(t, root, time.Now().Add(-time.Hour))
		return root
	}
	plain, linked := tree(false), tree(true)
	settle()
	if got := sourceStamp(plain, filepath.Join(plain, "dist")); got == "" {
		t.Error("no stamp for a settled tree")
	}
	if got := sourceStamp(linked, filepath.Join(linked, "dist")); got != "" {
		t.Errorf("stamp %q with a linked directory; want none", got)
	}
}
