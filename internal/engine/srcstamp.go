package engine

// This file holds the source stamp: what the files of a site look like
// to stat, so that a rebuild with nothing changed is proven so without
// reading or parsing a single file. On a 100,000-page site, loading the
// content alone takes seconds; a walk of stat calls takes a tenth of that.
//
// What a file's stat must show for the stamp to vouch for it:
//   - its name, type, size and modification time, as make and git use;
//   - its inode and device: a file replaced by another (git checkout,
//     rsync, an editor's save by rename) is a new inode even when its
//     size and time were copied over (rsync -t, cp -p, touch -d);
//   - its change time (ctime), which every write and every touch sets to
//     the clock and which no user program can set back: an in-place edit
//     of the same size whose mtime was put back as it was still changes
//     it.
//
// A file whose modification or change time is within racyWindow of the
// clock (or ahead of it) is not vouched for: a second edit within the
// same tick of a coarse clock would keep every field (git calls this
// "racy"). The build then loads the content and compares it instead.
//
// The walk itself is per system (srcstamp_linux.go reads directories
// with getdents and stats each name relative to its directory, which on
// a large site costs a third of stat by full path; srcstamp_other.go
// walks with the standard library). Both feed stampWriter, so the format
// of a stamp is defined once, here.

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	gohash "hash"
	"path/filepath"
	"time"
)

// racyWindow is how recent a modification or change time may be for the
// stamp to vouch for the file.
const racyWindow = 2 * time.Second

// sourceStamp hashes the stat of every file under root, but for the
// output directory out, .git and Verge's own records (.verge); "" when
// a file is too recent to vouch for, or the walk fails.
func sourceStamp(root, out string) string {
	root, err := filepath.Abs(root)
	if err != nil {
		return ""
	}
	w := newStampWriter(root, time.Now())
	if !walkStamp(root, out, w) || w.racy {
		return ""
	}
	return w.sum()
}

// skipStampDir reports whether the directory name at absolute path abs
// holds nothing a build reads.
func skipStampDir(abs, name, out string) bool {
	return abs == out || name == ".git" || name == ".verge"
}

// fileStat is what the stamp records of one file.
type fileStat struct {
	mode       uint32 // type bits only
	size       int64
	mtime      int64 // ns since the epoch
	ctime      int64 // ns since the epoch; 0 where the system has none
	ino, dev   uint64
	linkTarget *fileStat // what a symbolic link points to
}

// stampRecords is a run of the stamp's records, which one goroutine
// makes and stampWriter.add hashes in the walk's order.
type stampRecords struct {
	buf  []byte
	now  int64 // ns since the epoch
	racy bool  // a file's times were too recent to vouch for it
}

// dir records that the walk entered the directory rel; the files
// recorded after it, up to the next dir, are its entries.
func (r *stampRecords) dir(rel string) {
	r.buf = append(r.buf, 'D')
	r.buf = append(r.buf, rel...)
	r.buf = append(r.buf, 0)
}

// file records the entry name of the current directory.
func (r *stampRecords) file(name []byte, st *fileStat) {
	r.buf = append(r.buf, 'F')
	r.buf = append(r.buf, name...)
	r.buf = append(r.buf, 0)
	r.stat(st)
	if st.linkTarget != nil {
		r.buf = append(r.buf, 'L')
		r.stat(st.linkTarget)
	}
}

func (r *stampRecords) stat(st *fileStat) {
	if r.now-st.mtime < int64(racyWindow) || (st.ctime != 0 && r.now-st.ctime < int64(racyWindow)) {
		r.racy = true
	}
	r.buf = binary.LittleEndian.AppendUint32(r.buf, st.mode)
	r.buf = binary.LittleEndian.AppendUint64(r.buf, uint64(st.size))
	r.buf = binary.LittleEndian.AppendUint64(r.buf, uint64(st.mtime))
	r.buf = binary.LittleEndian.AppendUint64(r.buf, uint64(st.ctime))
	r.buf = binary.LittleEndian.AppendUint64(r.buf, st.ino)
	r.buf = binary.LittleEndian.AppendUint64(r.buf, st.dev)
}

// stampWriter hashes the walk's records in the order the walk gives them.
type stampWriter struct {
	h gohash.Hash
	stampRecords
}

func newStampWriter(root string, now time.Time) *stampWriter {
	w := &stampWriter{h: sha256.New(), stampRecords: stampRecords{now: now.UnixNano(), buf: make([]byte, 0, 64<<10)}}
	// The root is part of the stamp: the same tree elsewhere (a corpus
	// named by an environment variable, say) is another site.
	w.dir(root)
	return w
}

// records is a new run of records to add later.
func (w *stampWriter) records() stampRecords {
	return stampRecords{now: w.now}
}

// add hashes the records of r after those written so far.
func (w *stampWriter) add(r *stampRecords) {
	w.racy = w.racy || r.racy
	w.buf = append(w.buf, r.buf...)
	if len(w.buf) >= 32<<10 {
		w.h.Write(w.buf)
		w.buf = w.buf[:0]
	}
}

func (w *stampWriter) sum() string {
	w.h.Write(w.buf)
	w.buf = w.buf[:0]
	return hex.EncodeToString(w.h.Sum(nil)[:16])
}
