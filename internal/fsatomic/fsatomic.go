// Package fsatomic owns replacing files and directories so that readers
// see either the old content or the new, never a mix or nothing.
package fsatomic

import (
	"errors"
	"os"
	"path/filepath"
)

// WriteFile replaces path with data through a temporary file and a rename.
func WriteFile(path string, data []byte) error {
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
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
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
