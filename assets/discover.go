package assets

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/vergehq/verge/internal/diag"
)

// entryExts are the files esbuild bundles as entry points.
var entryExts = map[string]bool{
	".js": true, ".mjs": true, ".ts": true, ".tsx": true, ".jsx": true, ".css": true,
}

// moduleExts are source files that only make sense imported by an entry:
// neither entries nor copied, since serving them would publish sources.
var moduleExts = map[string]bool{".cjs": true, ".mts": true, ".cts": true}

// assetScan is what a walk of AssetsDir found, as logical (slash-separated,
// AssetsDir-relative) paths, sorted.
type assetScan struct {
	entries []string // bundled by esbuild
	others  []string // fingerprinted and copied one by one
}

// isPartial reports whether a logical path has a segment starting with "_"
// or ".": such files are only reachable by import (css/_vars.css,
// js/_lib/x.js) and dot files are editor or VCS droppings.
func isPartial(logical string) bool {
	for seg := range strings.SplitSeq(logical, "/") {
		if strings.HasPrefix(seg, "_") || strings.HasPrefix(seg, ".") {
			return true
		}
	}
	return false
}

func isEntry(logical string) bool {
	return entryExts[strings.ToLower(path.Ext(logical))] && !strings.HasSuffix(logical, ".d.ts")
}

func isModule(logical string) bool {
	return moduleExts[strings.ToLower(path.Ext(logical))] || strings.HasSuffix(logical, ".d.ts")
}

// scanAssets walks dir. With explicit entries, those are the entry points
// (each must exist) and script/CSS files are not copied; otherwise every
// non-partial script/CSS file is one. A missing dir is no assets.
func scanAssets(dir, root string, explicit []string, l *diag.List) (assetScan, error) {
	var s assetScan
	files, err := walkFiles(dir, func(rel string, isDir bool) bool {
		base := path.Base(rel)
		if isDir && base == "node_modules" {
			return false // packages are imported, never published wholesale
		}
		return !isPartial(base)
	})
	if err != nil {
		return s, err
	}
	for _, f := range files {
		switch {
		case isEntry(f):
			if explicit == nil {
				s.entries = append(s.entries, f)
			}
		case !isModule(f):
			s.others = append(s.others, f)
		}
	}
	if explicit == nil {
		return s, nil
	}
	for _, e := range explicit {
		logical := cleanLogical(e)
		abs := filepath.Join(dir, filepath.FromSlash(logical))
		if logical == "" || logical == ".." || strings.HasPrefix(logical, "../") {
			l.Add(&diag.Diagnostic{File: relToRoot(root, dir), Msg: fmt.Sprintf("entry point %q is outside the assets directory", e),
				Hint: "list entry points relative to the assets directory, e.g. \"css/main.css\""})
			continue
		}
		if st, err := os.Stat(abs); dir == "" || err != nil || !st.Mode().IsRegular() {
			l.Add(&diag.Diagnostic{File: relToRoot(root, abs), Msg: fmt.Sprintf("entry point %q not found", e),
				Hint: "create the file or remove it from the configured entry points"})
			continue
		}
		s.entries = append(s.entries, logical)
	}
	slices.Sort(s.entries)
	s.entries = slices.Compact(s.entries)
	return s, nil
}

// walkFiles returns the regular files under dir (following symlinks to
// files) as sorted slash-separated relative paths. keep filters by base name;
// it is asked about directories too, which it prunes. A missing dir yields
// nothing.
func walkFiles(dir string, keep func(rel string, isDir bool) bool) ([]string, error) {
	if dir == "" {
		return nil, nil
	}
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if p == dir && errors.Is(err, fs.ErrNotExist) {
				return fs.SkipAll
			}
			return err
		}
		if p == dir {
			return nil
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			if !keep(rel, true) {
				return fs.SkipDir
			}
			return nil
		}
		if !keep(rel, false) {
			return nil
		}
		mode := d.Type()
		if mode&fs.ModeSymlink != 0 {
			st, err := os.Stat(p)
			if err != nil || !st.Mode().IsRegular() {
				return nil // dangling link or link to a dir: not a file to publish
			}
		} else if !mode.IsRegular() {
			return nil
		}
		out = append(out, rel)
		return nil
	})
	slices.Sort(out) // WalkDir is lexical per directory, not over whole paths
	return out, err
}

// relToRoot makes a diagnostic path: relative to the site root and
// slash-separated when p is inside it, else p as is.
func relToRoot(root, p string) string {
	if p == "" {
		return ""
	}
	if !filepath.IsAbs(p) {
		return filepath.ToSlash(p)
	}
	rel, err := filepath.Rel(root, p)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return filepath.ToSlash(p)
	}
	return filepath.ToSlash(rel)
}
