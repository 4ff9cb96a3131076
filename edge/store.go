// Package edge owns what serves a built site: the versioned store that
// deploys write to and the local edge serves from, with atomic activation,
// rollback and retention.
//
// A store is a directory:
//
//	blobs/ab/abcdef...   file contents by SHA-256, written once, never changed
//	versions/ID.json     one record per version: its manifest and summary
//	active               the ID of the version being served
//	history              every activation, one "time ID" line each
//	lock                 held (flock) by whoever changes the store
//	tmp/                 files being written; anything here is garbage
//
// Every change is made by writing a new file beside its place and
// renaming it there, in an order that keeps the store consistent at every
// instant: blobs before the version that names them, the version before
// the pointer that activates it. A deploy killed at any point leaves the
// previous version active and the store usable; running it again
// completes it.
package edge

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/vergehq/verge/internal/manifest"
	"golang.org/x/sys/unix"
)

// Store is a versioned, content-addressed store on local disk.
type Store struct {
	dir string
}

// OpenStore opens the store in dir, creating it if needed.
func OpenStore(dir string) (*Store, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	for _, d := range []string{"blobs", "versions", "tmp"} {
		if err := os.MkdirAll(filepath.Join(abs, d), 0o755); err != nil {
			return nil, fmt.Errorf("open store %s: %w", abs, err)
		}
	}
	return &Store{dir: abs}, nil
}

// Dir is the store's directory.
func (s *Store) Dir() string { return s.dir }

// tmpDir is where files are written before being renamed into place.
func (s *Store) tmpDir() string { return filepath.Join(s.dir, "tmp") }

// BlobPath is where the blob with the given SHA-256 (hex) lives.
func (s *Store) BlobPath(sha string) string {
	if len(sha) < 3 {
		return filepath.Join(s.dir, "blobs", "_", sha)
	}
	return filepath.Join(s.dir, "blobs", sha[:2], sha)
}

// Missing returns the files of m whose bytes the store lacks: what a
// deploy of m would copy, each content once.
func (s *Store) Missing(m *manifest.Manifest) []manifest.File {
	seen := map[string]bool{}
	var out []manifest.File
	for _, f := range m.Files {
		if seen[f.SHA256] {
			continue
		}
		seen[f.SHA256] = true
		if !s.hasBlob(f.SHA256, f.Size) {
			out = append(out, f)
		}
	}
	return out
}

// hasBlob reports whether the blob is stored with the given size. Blobs
// are renamed into place whole, so a blob that exists is complete.
func (s *Store) hasBlob(sha string, size int64) bool {
	st, err := os.Stat(s.BlobPath(sha))
	return err == nil && st.Mode().IsRegular() && st.Size() == size
}

// putBlob copies the file src into the store as the blob sha, checking
// that its content has that hash.
func (s *Store) putBlob(src, sha string) (int64, error) {
	in, err := os.Open(src)
	if err != nil {
		return 0, err
	}
	defer in.Close()
	tmp, err := os.CreateTemp(s.tmpDir(), "blob-")
	if err != nil {
		return 0, err
	}
	defer os.Remove(tmp.Name()) // a no-op once renamed
	h := newSHA256()
	n, err := io.Copy(io.MultiWriter(tmp, h), in)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return 0, err
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return 0, err // CreateTemp makes 0600: an edge running as another user must read it
	}
	if got := h.hex(); got != sha {
		return 0, fmt.Errorf("%s has SHA-256 %s, the manifest says %s: the output changed after the build (build again)", src, got, sha)
	}
	dst := s.BlobPath(sha)
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return 0, err
	}
	return n, os.Rename(tmp.Name(), dst)
}

// writeFile puts data at name (relative to the store) durably: written
// to tmp/, synced, renamed into place, and the directory synced.
func (s *Store) writeFile(name string, data []byte) error {
	tmp, err := os.CreateTemp(s.tmpDir(), "file-")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	dst := filepath.Join(s.dir, name)
	if err := os.Rename(tmp.Name(), dst); err != nil {
		return err
	}
	return syncDir(filepath.Dir(dst))
}

// syncAll flushes everything written to the store's file system, so that
// blobs are on disk before a version names them.
func (s *Store) syncAll() error {
	f, err := os.Open(s.dir)
	if err != nil {
		return err
	}
	defer f.Close()
	return unix.Syncfs(int(f.Fd()))
}

func syncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}

// ErrBusy is returned when another process holds the store.
var ErrBusy = errors.New("the store is busy")

// lock takes the store's lock for a change; it fails at once, with
// ErrBusy, when another deploy, rollback or collection holds it.
func (s *Store) lock() (unlock func(), err error) {
	f, err := os.OpenFile(filepath.Join(s.dir, "lock"), os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		holder, _ := io.ReadAll(f)
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			who := strings.TrimSpace(string(holder))
			if who == "" {
				who = "another process"
			} else {
				who = "process " + who
			}
			return nil, fmt.Errorf("%w: %s is deploying, rolling back or collecting in %s; wait for it and run again", ErrBusy, who, s.dir)
		}
		return nil, err
	}
	_ = f.Truncate(0)
	_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	return func() {
		_ = f.Truncate(0)
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, nil
}
