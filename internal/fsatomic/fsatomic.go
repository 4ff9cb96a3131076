// Package fsatomic owns replacing files and directories so that readers
// see either the old content or the new, never a mix or nothing.
package fsatomic

import (
	"errors"
	"os"
	"path/filepath"
	"sync"
)

// WriteFile replaces path with data through a temporary file beside it
// (named "."+base+".tmp-*", so tools that skip dot files skip a leftover)
// and a rename. The file is 0644: the output is served by web servers
// running as other users.
func WriteFile(path string, data []byte) error { return writeFile(path, data, false) }

// WriteFileDurable is WriteFile that also survives a power cut: the data
// is synced before the rename, and the directory after it.
func WriteFileDurable(path string, data []byte) error { return writeFile(path, data, true) }

func writeFile(path string, data []byte, durable bool) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if durable {
		if err := f.Sync(); err != nil {
			f.Close()
			return err
		}
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Chmod(f.Name(), 0o644); err != nil { // CreateTemp makes 0600
		return err
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return err
	}
	if durable {
		return SyncDir(filepath.Dir(path))
	}
	return nil
}

// SyncDir flushes a directory's entries (a rename or removal in it).
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// SwapDir puts the directory next in place of dst. If dst exists, the two
// are exchanged atomically where the OS can (next then holds the old
// content, for the caller to remove); otherwise next is renamed to dst.
func SwapDir(next, dst string) error {
	if _, err := os.Lstat(dst); errors.Is(err, os.ErrNotExist) {
		return os.Rename(next, dst)
	}
	if err := exchange(next, dst); err == nil {
		return nil
	}
	// No atomic exchange here: move the old one aside first. The window in
	// which dst is missing is two renames long.
	old := next + ".old"
	if err := os.Rename(dst, old); err != nil {
		return err
	}
	if err := os.Rename(next, dst); err != nil {
		_ = os.Rename(old, dst)
		return err
	}
	return os.Rename(old, next)
}

// RemoveTree deletes the directory tree at root like os.RemoveAll, with
// several goroutines unlinking at once: removing a build's 10,000 files
// one by one took longer than building them.
func RemoveTree(root string, workers int) error {
	var dirs []string
	var files []string
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, os.ErrNotExist) {
				return nil
			}
			return err
		}
		if d.IsDir() {
			dirs = append(dirs, p)
		} else {
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		return os.RemoveAll(root)
	}
	var wg sync.WaitGroup
	next := make(chan string, workers)
	for range workers {
		wg.Go(func() {
			for p := range next {
				_ = os.Remove(p)
			}
		})
	}
	for _, f := range files {
		next <- f
	}
	close(next)
	wg.Wait()
	// Deepest first: WalkDir lists parents before children.
	for i := len(dirs) - 1; i >= 0; i-- {
		_ = os.Remove(dirs[i])
	}
	return os.RemoveAll(root) // whatever the fast path left
}
