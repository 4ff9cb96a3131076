//go:build !linux && !darwin && !dragonfly && !freebsd && !netbsd && !openbsd

package engine

import (
	"os"
)

// fileStatOf is the stat of the file at p, following a symbolic link when
// follow is set; mode holds the fs.FileMode type bits. The portable stat
// has no change time or file identity: a same-size edit that puts the
// modification time back is not seen here (see srcstamp.go).
func fileStatOf(p string, follow bool) (fileStat, error) {
	stat := os.Lstat
	if follow {
		stat = os.Stat
	}
	info, err := stat(p)
	if err != nil {
		return fileStat{}, err
	}
	return fileStat{mode: uint32(info.Mode().Type()), size: info.Size(), mtime: info.ModTime().UnixNano()}, nil
}
