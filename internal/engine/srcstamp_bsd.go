//go:build darwin || dragonfly || freebsd || netbsd || openbsd

package engine

import (
	"io/fs"

	"golang.org/x/sys/unix"
)

// fileStatOf is the stat of the file at p, following a symbolic link when
// follow is set; mode holds the fs.FileMode type bits.
func fileStatOf(p string, follow bool) (fileStat, error) {
	var st unix.Stat_t
	if err := statPath(p, follow, &st); err != nil {
		return fileStat{}, err
	}
	mode := fs.FileMode(0)
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFDIR:
		mode = fs.ModeDir
	case unix.S_IFLNK:
		mode = fs.ModeSymlink
	case unix.S_IFREG:
	default:
		mode = fs.ModeIrregular
	}
	return fileStat{mode: uint32(mode), size: st.Size, mtime: st.Mtim.Nano(), ctime: st.Ctim.Nano(),
		ino: uint64(st.Ino), dev: uint64(st.Dev)}, nil
}
