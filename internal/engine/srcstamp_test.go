package engine

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
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

func phaseNames(rep *Report) []string {
	var out []string
	for _, p := range rep.Phases {
		out = append(out, p.Name)
	}
	return out
}

// A rebuild with no file changed is proven unchanged from the files'
// stat alone, without loading any content; a touched file is loaded and
// compared, and a file modified just now is never trusted to stat.
func TestNoChangeRebuildLoadsNothing(t *testing.T) {
	s := testSite(t)
	ctx := context.Background()
	old := time.Now().Add(-time.Hour)
	age(t, s.Root, old)
	build := func() *Report {
		t.Helper()
		rep, err := BuildDir(ctx, s, BuildOptions{BuildKey: "k"})
		if err != nil {
			t.Fatal(err)
		}
		return rep
	}
	build()
	for _, step := range []struct {
		name      string
		change    func()
		unchanged bool
		loaded    bool
	}{
		{"nothing changed", func() {}, true, false},
		{"a file touched, same content", func() { age(t, s.Root, old.Add(time.Minute)) }, true, true},
		{"after the touch, nothing changed", func() {}, true, false},
		{"a file edited", func() {
			p := edit(t, s, "apples", "Apples are yellow.\n")
			if err := os.Chtimes(p, old, old.Add(2*time.Minute)); err != nil {
				t.Fatal(err)
			}
		}, false, true},
		{"a file edited just now", func() { edit(t, s, "pears", "Pears are ripe.\n") }, false, true},
		{"just now, and nothing changed since", func() {}, true, true},
	} {
		step.change()
		rep := build()
		loaded := slices.Contains(phaseNames(rep), "content")
		if rep.Unchanged != step.unchanged || loaded != step.loaded {
			t.Errorf("%s: unchanged %v (want %v), loaded %v (want %v); phases %v", step.name, rep.Unchanged, step.unchanged, loaded, step.loaded, phaseNames(rep))
		}
	}
}
