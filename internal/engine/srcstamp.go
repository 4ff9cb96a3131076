package engine

// This file holds the source stamp: what the files of a site look like
// to stat (path, size, modification time), so that a rebuild with nothing
// changed is proven so without reading or parsing a single file. On a
// 100,000-page site, loading the content alone takes seconds; a walk
// of stat calls takes a tenth of that.

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"path/filepath"
	"time"
)

// racyWindow is how recent a modification time may be for the stamp to
// vouch for the file: an edit within the same tick of a coarse clock
// would keep size and time (git calls this "racy"). Such a stamp is not
// taken; the build loads the content and compares it instead.
const racyWindow = 2 * time.Second

// sourceStamp hashes the stat of every file under root, but for the
// output directory out, .git and Verge's own records (.verge); "" when
// a file is too recent to vouch for, or the walk fails.
func sourceStamp(root, out string) string {
	root, err := filepath.Abs(root)
	if err != nil {
		return ""
	}
	h := sha256.New()
	now := time.Now()
	racy := false
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if p == out || (p != root && (d.Name() == ".git" || d.Name() == ".verge")) {
				return filepath.SkipDir
			}
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		if now.Sub(info.ModTime()) < racyWindow {
			racy = true
			return filepath.SkipAll
		}
		rel, _ := filepath.Rel(root, p)
		fmt.Fprintf(h, "%s\x00%d\x00%d\x00%v\n", rel, info.Size(), info.ModTime().UnixNano(), info.Mode().Type())
		return nil
	})
	if err != nil || racy {
		return ""
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}
