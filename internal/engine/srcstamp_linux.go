//go:build linux

package engine

// The source stamp's walk on Linux (see srcstamp.go). A directory is read
// with getdents into one reused buffer, and each file is stat'ed by its
// name relative to the open directory, never by a full path: on a
// 100,000-file site the path walk of every component of a long path was
// most of the kernel's work, and the standard library's walk allocated a
// DirEntry and a path string per file besides. Subdirectories are visited
// after their parent's files, so one buffer serves the whole walk.

import (
	"bytes"
	"encoding/binary"
	"runtime"
	"sync"
	"unsafe"

	"golang.org/x/sys/unix"
)

// walkStamp feeds w the stat of every file under root but the skipped
// directories (see skipStampDir); false when a directory cannot be read,
// a file cannot be stat'ed, or a symbolic link points to a directory or
// nowhere (what is behind it is not walked, so it cannot be vouched for).
func walkStamp(root, out string, w *stampWriter) bool {
	fd, err := unix.Open(root, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return false
	}
	lw := &linuxWalk{out: out, w: w, buf: make([]byte, direntsBuf), todo: make(chan *direntBatch, 64)}
	// Stat calls are most of the walk and independent of one another:
	// the batches of a directory are stat'ed on every core.
	workers := max(1, runtime.GOMAXPROCS(0))
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			var st unix.Stat_t
			for b := range lw.todo {
				b.stat(&st)
				close(b.done)
			}
		})
	}
	ok := lw.walk(fd, root, "")
	close(lw.todo)
	wg.Wait()
	return ok
}

// direntsBuf is the size of one getdents read: some 3,000 names of a
// large directory, a batch for one worker.
const direntsBuf = 128 << 10

type linuxWalk struct {
	out  string
	w    *stampWriter
	buf  []byte // getdents output, reused by every directory
	todo chan *direntBatch
}

// direntBatch is one getdents read of a directory: its records, once
// stat'ed, and the subdirectories it names.
type direntBatch struct {
	fd      int    // the directory
	ents    []byte // linux_dirent64 records
	recs    stampRecords
	subdirs []string
	ok      bool
	done    chan struct{}
}

// walk records the directory open as fd (and closes it), at absolute
// path abs and slash-separated rel under the root, then its
// subdirectories in the order the directory lists them.
func (lw *linuxWalk) walk(fd int, abs, rel string) bool {
	defer unix.Close(fd)
	if rel != "" {
		lw.w.dir(rel)
	}
	var batches []*direntBatch
	ok := true
	for {
		n, err := unix.Getdents(fd, lw.buf)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			ok = false
			break
		}
		if n <= 0 {
			break
		}
		b := &direntBatch{fd: fd, ents: append([]byte(nil), lw.buf[:n]...), recs: lw.w.records(), done: make(chan struct{})}
		batches = append(batches, b)
		lw.todo <- b
	}
	// Every batch is waited for, failed or not: fd stays open until then.
	var subdirs []string
	for _, b := range batches {
		<-b.done
		ok = ok && b.ok
		lw.w.add(&b.recs)
		subdirs = append(subdirs, b.subdirs...)
	}
	if !ok {
		return false
	}
	for _, name := range subdirs {
		subAbs := abs + "/" + name
		if skipStampDir(subAbs, name, lw.out) {
			continue
		}
		sub, err := unix.Openat(fd, name, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		if err != nil {
			return false
		}
		subRel := name
		if rel != "" {
			subRel = rel + "/" + name
		}
		if !lw.walk(sub, subAbs, subRel) {
			return false
		}
	}
	return true
}

// stat records the files of the batch and collects its subdirectories;
// st is the worker's scratch space.
func (b *direntBatch) stat(st *unix.Stat_t) {
	b.recs.buf = make([]byte, 0, len(b.ents)*2)
	// Each record is a linux_dirent64: inode (8 bytes), offset (8),
	// record length (2), type (1), then the name, NUL-terminated.
	for off := 0; off+19 <= len(b.ents); {
		reclen := int(binary.NativeEndian.Uint16(b.ents[off+16:]))
		if reclen <= 19 || off+reclen > len(b.ents) {
			return // not a record: b.ok stays false
		}
		typ := b.ents[off+18]
		name := b.ents[off+19 : off+reclen]
		off += reclen
		if i := bytes.IndexByte(name, 0); i >= 0 {
			name = name[:i]
		}
		if len(name) == 0 || string(name) == "." || string(name) == ".." {
			continue
		}
		if typ != unix.DT_DIR {
			fs, ok := statAt(b.fd, name, st)
			if !ok {
				return
			}
			if fs.mode != unix.S_IFDIR {
				b.recs.file(name, &fs)
				continue
			}
		}
		b.subdirs = append(b.subdirs, string(name))
	}
	b.ok = true
}

// statAt is the stat of the entry name of the directory fd, and for a
// symbolic link of what it points to as well.
func statAt(fd int, name []byte, st *unix.Stat_t) (fileStat, bool) {
	// The name is only read for the call: no copy of it is kept.
	s := unsafe.String(&name[0], len(name))
	if err := unix.Fstatat(fd, s, st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return fileStat{}, false
	}
	fs := toFileStat(st)
	if fs.mode == unix.S_IFLNK {
		if err := unix.Fstatat(fd, s, st, 0); err != nil {
			return fileStat{}, false
		}
		target := toFileStat(st)
		if target.mode == unix.S_IFDIR {
			return fileStat{}, false
		}
		fs.linkTarget = &target
	}
	return fs, true
}

func toFileStat(st *unix.Stat_t) fileStat {
	return fileStat{mode: st.Mode & unix.S_IFMT, size: st.Size, mtime: st.Mtim.Nano(), ctime: st.Ctim.Nano(),
		ino: st.Ino, dev: uint64(st.Dev)}
}

// fileStatOf is the stat of the file at p, following a symbolic link when
// follow is set.
func fileStatOf(p string, follow bool) (fileStat, error) {
	var st unix.Stat_t
	if err := statPath(p, follow, &st); err != nil {
		return fileStat{}, err
	}
	return toFileStat(&st), nil
}
