package site

// This file holds how a collection finds its files: a walk of its
// directory, or the previous list patched with what changed.

import (
	"github.com/vergehq/verge/internal/engine"

	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// listFiles walks dir for the collection's Markdown files.
func (c *Collection[T]) listFiles(dir string) ([]string, error) {
	var files []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if p != dir && (c.name == "" || strings.HasPrefix(d.Name(), ".") || strings.HasPrefix(d.Name(), "_")) {
				return filepath.SkipDir
			}
			return nil
		}
		if c.member(dir, p) {
			files = append(files, p)
		}
		return nil
	})
	// Sorted as strings, which a walk is not ("a/x.md" comes before
	// "a.md"), so that patchFiles can search the list.
	slices.Sort(files)
	return files, err
}

// member reports whether the file p under dir belongs to the collection:
// a .md file, not hidden, not in a hidden or "_" directory, and for the
// root collection directly in content/.
func (c *Collection[T]) member(dir, p string) bool {
	rel, err := filepath.Rel(dir, p)
	if err != nil || !strings.HasSuffix(rel, ".md") {
		return false
	}
	parts := strings.Split(filepath.ToSlash(rel), "/")
	if c.name == "" && len(parts) > 1 {
		return false
	}
	for i, part := range parts {
		if strings.HasPrefix(part, ".") || (i < len(parts)-1 && strings.HasPrefix(part, "_")) || part == ".." {
			return false
		}
	}
	return true
}

// patchFiles is the list of prev's files with ch applied, when ch names
// only files: an edit, a new file, a removed one. A directory that came,
// went or moved needs a walk, and ok is false.
func (c *Collection[T]) patchFiles(dir string, prev *collState[T], ch *engine.ChangeSet) (files []string, ok bool) {
	if prev == nil || ch == nil || ch.All {
		return nil, false
	}
	files = prev.fileList
	prefix := dir + string(filepath.Separator)
	for p := range ch.Paths {
		if !strings.HasPrefix(p, prefix) {
			if strings.HasPrefix(dir, p+string(filepath.Separator)) || p == dir {
				return nil, false // the collection's own directory, or one above it
			}
			continue
		}
		st, err := os.Lstat(p)
		i, found := slices.BinarySearch(files, p)
		switch {
		case err == nil && st.IsDir():
			return nil, false
		case err == nil && c.member(dir, p):
			if !found {
				files = slices.Insert(slices.Clip(files), i, p)
			}
		case err == nil:
		case !os.IsNotExist(err):
			return nil, false
		case found:
			files = slices.Delete(slices.Clone(files), i, i+1)
		default:
			// Gone, and not a file we had: a directory we had files in
			// needs a walk; anything else (an editor's or sed's
			// temporary file) is nothing to us.
			under := p + string(filepath.Separator)
			if j, _ := slices.BinarySearch(files, under); j < len(files) && strings.HasPrefix(files[j], under) {
				return nil, false
			}
		}
	}
	return files, true
}
