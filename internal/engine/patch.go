package engine

// This file holds the in-place patch of an output directory, for a build
// that changed only a few files.

import (
	"errors"
	"os"
	"path/filepath"
	"strings"

	"github.com/vergehq/verge/internal/fsatomic"
	"github.com/vergehq/verge/internal/manifest"
)

// patchable reports whether a build changes few enough files that
// patching the output in place beats writing a whole new tree: a new tree
// re-links every unchanged file and deletes the old tree, and on ext4 the
// delete also slows the next build's file creation for about a minute.
func patchable(files []*outputFile, prev *previous) bool {
	if prev == nil {
		return false
	}
	kept := make(map[string]bool, len(files))
	changed := 0
	for _, f := range files {
		kept[f.path] = true
		if f.prev == nil && !prev.holds(f) {
			changed++
		}
	}
	for _, old := range prev.m.Files {
		if !kept[old.Path] {
			changed++
		}
	}
	return changed*5 <= len(files)
}

// holds reports whether the previous output already has f's content at
// f's path.
func (p *previous) holds(f *outputFile) bool {
	old := p.m.Lookup(f.path)
	return old != nil && old.SHA256 == f.rec.SHA256 && p.onDisk(old) != nil
}

// complete reports whether the previous output still holds every file of
// this build (someone may have deleted one from dist/ by hand).
func (p *previous) complete(files []*outputFile) bool {
	for _, f := range files {
		if f.prev == nil && !p.holds(f) {
			return false
		}
	}
	return true
}

// patch applies the build to the previous output in place: changed files
// replaced one by one (each by a rename, so no file is ever half-written),
// files the build no longer has removed, and the metadata written last.
func (w *outWriter) patch(m *manifest.Manifest, files []*outputFile, prev *previous, meta []metaFile) error {
	out := w.out
	if err := fsatomic.WriteFile(inDir(out, manifest.PendingPath), []byte(m.BuildID)); err != nil {
		return err
	}
	kept := make(map[string]bool, len(files))
	for _, f := range files {
		kept[f.path] = true
		if f.prev != nil || prev.holds(f) {
			continue
		}
		dst := inDir(out, f.path)
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		if f.data != nil {
			if err := fsatomic.WriteFile(dst, f.data); err != nil {
				return err
			}
			continue
		}
		// A page, written to the temporary directory while rendering.
		src := inDir(w.tmp, f.path)
		if err := os.Rename(src, dst); err != nil {
			return err
		}
	}
	for _, old := range prev.m.Files {
		if kept[old.Path] {
			continue
		}
		p := inDir(out, old.Path)
		if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
		removeEmptyParents(out, filepath.Dir(p))
	}
	for _, mf := range meta {
		if err := w.put(mf); err != nil {
			return err
		}
	}
	return os.Remove(inDir(out, manifest.PendingPath))
}

// removeEmptyParents removes dir and its ancestors below root while they
// are empty (a removed page leaves its directory behind).
func removeEmptyParents(root, dir string) {
	for dir != root && strings.HasPrefix(dir, root+string(filepath.Separator)) {
		if os.Remove(dir) != nil {
			return // not empty
		}
		dir = filepath.Dir(dir)
	}
}

// pending reports whether out was left mid-patch.
func pending(out string) bool {
	_, err := os.Stat(inDir(out, manifest.PendingPath))
	return err == nil
}
