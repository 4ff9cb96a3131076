package assets

import (
	"path"
	"path/filepath"
	"runtime"
	"strings"
	"sync"

	"github.com/vergehq/verge/internal/diag"
	"github.com/vergehq/verge/internal/rawfile"
)

// loaded is one file read from disk and hashed once.
type loaded struct {
	logical string // relative to its directory, slash-separated
	abs     string
	data    []byte
	sum     digest
	err     error
}

// readAll reads and hashes the files concurrently: a site has many small
// images and fonts, and reading them one by one would leave the disk and
// the cores idle while esbuild runs beside us.
func readAll(dir string, logicals []string) []loaded {
	out := make([]loaded, len(logicals))
	workers := min(runtime.GOMAXPROCS(0), len(logicals))
	var next sync.Mutex
	i := 0
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for {
				next.Lock()
				j := i
				i++
				next.Unlock()
				if j >= len(logicals) {
					return
				}
				f := &out[j]
				f.logical = logicals[j]
				f.abs = filepath.Join(dir, filepath.FromSlash(f.logical))
				f.data, f.err = rawfile.ReadFile(f.abs)
				if f.err == nil {
					f.sum = sum(f.data)
				}
			}
		})
	}
	wg.Wait()
	return out
}

// keepStatic decides which files under static/ are published: everything
// except dot files and dirs (.DS_Store, .git, editor swap files) and
// Thumbs.db, but .well-known/ is kept since it exists to be served.
func keepStatic(rel string, _ bool) bool {
	base := path.Base(rel)
	if base == ".well-known" {
		return true
	}
	return !strings.HasPrefix(base, ".") && base != "Thumbs.db"
}

// scanStatic lists the files of static/.
func scanStatic(dir string) ([]string, error) {
	return walkFiles(dir, keepStatic)
}

// staticFiles turns read static files into outputs served at their own
// path, unfingerprinted: favicon.ico and robots.txt must keep their names.
func staticFiles(files []loaded, root string, l *diag.List) []*File {
	out := make([]*File, 0, len(files))
	for i := range files {
		f := &files[i]
		if f.err != nil {
			l.Add(&diag.Diagnostic{File: relToRoot(root, f.abs), Msg: "cannot read static file: " + f.err.Error()})
			continue
		}
		out = append(out, &File{
			Path:        "/" + f.logical,
			Data:        f.data,
			Source:      f.logical,
			Integrity:   f.sum.integrity(),
			ContentType: ContentType(f.logical),
		})
	}
	return out
}
