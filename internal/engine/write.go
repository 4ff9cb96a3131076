package engine

// This file holds the write stage of the build to disk: a new output
// written beside the old one and swapped in atomically.

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/vergehq/verge/internal/fsatomic"
	"github.com/vergehq/verge/internal/manifest"
	"github.com/vergehq/verge/internal/rawfile"
)

// outWriter writes a build into a temporary directory beside the output
// directory and swaps it in only when everything is written, so a failed or
// interrupted build never leaves a half-written output. The temporary
// directory is made on the first write: a build that proves every page
// unchanged writes nothing.
type outWriter struct {
	out string

	once   sync.Once
	tmp    string
	tmpErr error
	dirs   sync.Map // directories already made under tmp

	queue   chan pendingWrite
	writers sync.WaitGroup
	extra   []metaFile // more of Verge's own files, written with the manifest
	errMu   sync.Mutex
	errs    []error
	skipped int // writes not tried after one failed
	// recycle, if set, takes a page's bytes back once they are written.
	recycle func([]byte)
}

// pendingWrite is a rendered page waiting for a writer.
type pendingWrite struct {
	path string
	data []byte
}

// writers is how many goroutines write pages: more than the cores, since
// creating files blocks in the kernel (measured here: a fifth off a
// 10,000-page build on ext4 against writing from the render workers).
const writers = 4

// startWriters takes writes off the render workers, so a worker blocked in
// the file system does not leave a core idle.
func (w *outWriter) startWriters() {
	w.queue = make(chan pendingWrite, 64)
	for range writers {
		w.writers.Go(func() {
			for pw := range w.queue {
				w.errMu.Lock()
				failed := len(w.errs) > 0
				if failed {
					w.skipped++
				}
				w.errMu.Unlock()
				// A full disk fails every write alike: after one error, only
				// how many pages it left unwritten.
				if !failed {
					if err := w.write(pw.path, pw.data); err != nil {
						w.errMu.Lock()
						w.errs = append(w.errs, fmt.Errorf("write %s: %w", pw.path, err))
						w.errMu.Unlock()
					}
				}
				if w.recycle != nil {
					w.recycle(pw.data)
				}
			}
		})
	}
}

// writeAsync queues a write for the writer goroutines.
func (w *outWriter) writeAsync(path string, data []byte) { w.queue <- pendingWrite{path, data} }

// drain waits for queued writes and returns their errors.
func (w *outWriter) drain() error {
	if w.queue == nil {
		return nil
	}
	close(w.queue)
	w.writers.Wait()
	w.queue = nil
	if w.skipped > 0 {
		w.errs = append(w.errs, fmt.Errorf("%d more pages were not written", w.skipped))
		w.skipped = 0
	}
	return errors.Join(w.errs...)
}

func newOutWriter(out string) *outWriter { return &outWriter{out: out} }

func (w *outWriter) ensure() error {
	w.once.Do(func() {
		parent := filepath.Dir(w.out)
		if w.tmpErr = os.MkdirAll(parent, 0o755); w.tmpErr != nil {
			return
		}
		w.tmp, w.tmpErr = os.MkdirTemp(parent, "."+filepath.Base(w.out)+".tmp-")
		if w.tmpErr == nil {
			// MkdirTemp makes 0700; the output is swapped in as is, and a
			// web server running as another user must read it.
			w.tmpErr = os.Chmod(w.tmp, 0o755)
		}
	})
	return w.tmpErr
}

// dest is where urlPath goes under the temporary directory, its parent
// made if needed.
func (w *outWriter) dest(urlPath string) (string, error) {
	if err := w.ensure(); err != nil {
		return "", err
	}
	p := inDir(w.tmp, urlPath)
	dir := filepath.Dir(p)
	if _, ok := w.dirs.Load(dir); !ok {
		// One mkdir when the parent exists (the common case: a page's own
		// directory); MkdirAll would stat the path and its parent first.
		if err := os.Mkdir(dir, 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return "", err
			}
		}
		w.dirs.Store(dir, true)
	}
	return p, nil
}

// write stores data at urlPath; safe for concurrent use.
func (w *outWriter) write(urlPath string, data []byte) error {
	p, err := w.dest(urlPath)
	if err != nil {
		return err
	}
	return rawfile.WriteFile(p, data, 0o644)
}

// abort removes the temporary directory (after commit, the old output).
func (w *outWriter) abort() {
	if w.tmp != "" {
		_ = fsatomic.RemoveTree(w.tmp, writers)
	}
}

// commit completes the output with what was not written while rendering
// (assets, reused pages, _headers, the manifest) and swaps it in. When the
// manifest equals the previous build's, the output is left as it is and
// unchanged is true.
//
// The facts file is already in the new tree (see factsStream).
func (w *outWriter) commit(m *manifest.Manifest, files []*outputFile, prev *previous, versions map[string]string, sum buildSummary) (unchanged bool, err error) {
	vdata, err := json.Marshal(versions)
	if err != nil {
		return false, err
	}
	sdata, err := json.Marshal(sum)
	if err != nil {
		return false, err
	}
	if prev != nil && prev.m.BuildID == m.BuildID && prev.complete(files) {
		// Same output; only the inputs (a whitespace edit that renders
		// the same, say) differ. Versions first: a summary must never
		// vouch for versions that are not on disk.
		for _, mf := range w.extra {
			if err := w.put(mf); err != nil {
				return true, err
			}
		}
		if err := fsatomic.WriteFile(inDir(w.out, manifest.VersionsPath), vdata); err != nil {
			return true, err
		}
		if err := os.Rename(inDir(w.tmp, manifest.FactsPath), inDir(w.out, manifest.FactsPath)); err != nil {
			return true, err
		}
		return true, fsatomic.WriteFile(inDir(w.out, manifest.StatePath), sdata)
	}
	// The manifest and _headers of a 100,000-page site are over 100 MB:
	// they go to the new tree as they encode.
	headers := strings.TrimPrefix(manifest.HeadersFile, "/")
	if err := w.writeStream(headers, func(out io.Writer) error { return m.WriteHeaders(out, "/_assets/") }); err != nil {
		return false, err
	}
	if err := w.writeStream(manifest.Path, m.EncodeTo); err != nil {
		return false, err
	}
	// The summary goes last: it vouches for everything before it.
	meta := append([]metaFile{{path: headers, inTmp: true}, {path: manifest.Path, inTmp: true}}, w.extra...)
	meta = append(meta, metaFile{path: manifest.VersionsPath, data: vdata}, metaFile{path: manifest.FactsPath, inTmp: true}, metaFile{path: manifest.StatePath, data: sdata})
	if err := w.drain(); err != nil {
		return false, err
	}
	if patchable(files, prev) {
		return false, w.patch(m, files, prev, meta)
	}
	errs := make([]error, len(files))
	Parallel(len(files), func(i int) {
		f := files[i]
		switch {
		case f.prev != nil:
			var dst string
			if dst, errs[i] = w.dest(f.path); errs[i] == nil {
				errs[i] = linkOrCopy(prev.path(f.prev), dst)
			}
		case f.data != nil:
			errs[i] = w.write(f.path, f.data)
		}
	})
	if err := errors.Join(errs...); err != nil {
		return false, err
	}
	for _, mf := range meta {
		if mf.inTmp {
			continue
		}
		if err := w.write("/"+mf.path, mf.data); err != nil {
			return false, err
		}
	}
	return false, fsatomic.SwapDir(w.tmp, w.out)
}

// writeStream writes the file at path (relative to the output) in the new
// tree with encode.
func (w *outWriter) writeStream(path string, encode func(io.Writer) error) error {
	p, err := w.dest("/" + path)
	if err != nil {
		return err
	}
	f, err := os.Create(p)
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(f, 256<<10)
	err = encode(bw)
	if err == nil {
		err = bw.Flush()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// metaFile is one of Verge's own files in the output.
type metaFile struct {
	path  string // relative to the output directory
	data  []byte
	inTmp bool // written already, at path in the new tree (data is nil)
}

// put writes mf into the output directory itself (a patch), each file
// replaced by a rename.
func (w *outWriter) put(mf metaFile) error {
	dst := inDir(w.out, mf.path)
	if mf.inTmp {
		return os.Rename(inDir(w.tmp, mf.path), dst)
	}
	return fsatomic.WriteFile(dst, mf.data)
}

// checkOutDir refuses to replace a directory that is not a Verge output:
// output_dir = "." or a typo must never delete a site's sources.
func checkOutDir(out string) error {
	entries, err := os.ReadDir(out)
	if errors.Is(err, os.ErrNotExist) || (err == nil && len(entries) == 0) {
		return nil
	}
	if err != nil {
		return err
	}
	if _, err := os.Stat(inDir(out, manifest.Path)); err != nil {
		return fmt.Errorf("%s exists and is not a Verge build output (it has no %s): remove it or set output_dir to another directory", out, manifest.Path)
	}
	return nil
}

// linkOrCopy hard-links a reused page from the previous output (no bytes
// move), copying where the file system cannot link.
func linkOrCopy(src, dst string) error {
	if os.Link(src, dst) == nil {
		return nil
	}
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
