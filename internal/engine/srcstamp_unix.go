//go:build linux || darwin || dragonfly || freebsd || netbsd || openbsd

package engine

import "golang.org/x/sys/unix"

// statPath stats the file at p into st, following a symbolic link when
// follow is set.
func statPath(p string, follow bool, st *unix.Stat_t) error {
	if follow {
		return unix.Stat(p, st)
	}
	return unix.Lstat(p, st)
}
