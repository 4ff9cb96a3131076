//go:build !linux

package engine

// The source stamp's walk elsewhere than Linux (see srcstamp.go): the
// standard library's walk, with fileStatOf (srcstamp_bsd.go,
// srcstamp_nobsd.go) giving what the system's stat has.

import (
	"io/fs"
	"path/filepath"
)

// walkStamp feeds w the stat of every file under root but the skipped
// directories (see skipStampDir); false when the walk fails or a
// symbolic link points to a directory or nowhere.
func walkStamp(root, out string, w *stampWriter) bool {
	last := ""
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if p != root && skipStampDir(p, d.Name(), out) {
				return filepath.SkipDir
			}
			return nil
		}
		// WalkDir gives a directory's files in order, each directory
		// before its contents: record a directory with its first file.
		dir, _ := filepath.Rel(root, filepath.Dir(p))
		if dir = filepath.ToSlash(dir); dir != last && dir != "." {
			w.dir(dir)
		}
		last = dir
		st, err := fileStatOf(p, false)
		if err != nil {
			return err
		}
		if st.mode == uint32(fs.ModeSymlink) {
			target, err := fileStatOf(p, true)
			if err != nil {
				return err
			}
			if target.mode == uint32(fs.ModeDir) {
				return fs.ErrInvalid
			}
			st.linkTarget = &target
		}
		w.file([]byte(d.Name()), &st)
		return nil
	})
	return err == nil
}
