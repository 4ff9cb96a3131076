package cache

import (
	"errors"
	"io"
	"sync"
)

// tee is a response body that one origin fetch fills while any number of
// requests read it, each at its own pace: requests that coalesced onto
// the fetch get each byte as soon as it arrives, not once the whole body
// has. While the body fits in window, all of it is kept, to be stored;
// past that, only what the slowest reader has yet to read is kept, and
// the fetch waits for readers to catch up, so a large body costs window
// bytes of memory however large it is, and no new reader can join.
type tee struct {
	mu      sync.Mutex
	cond    sync.Cond
	buf     []byte // the body's bytes from offset base on
	base    int64
	window  int
	keepAll bool // buf holds the whole body so far
	done    bool
	err     error // why the body ended early; nil for its end
	readers map[*teeReader]struct{}
}

func newTee(window int, keepAll bool) *tee {
	t := &tee{window: window, keepAll: keepAll, readers: map[*teeReader]struct{}{}}
	t.cond.L = &t.mu
	return t
}

// errNoReaders ends a fetch too large to store that nobody reads any more.
var errNoReaders = errors.New("no request reads the body any more")

// fill copies src into t until it ends, or until length bytes (when not
// negative) have come. At a clean end, whole is called with the whole
// body, if t kept all of it, before readers can have all of it: whatever
// whole does (store the response) is done by the time any client has
// the complete answer, and a request that follows it finds it done.
func (t *tee) fill(src io.Reader, length int64, whole func(body []byte)) error {
	chunk := make([]byte, 32<<10)
	var total int64
	for {
		n, err := src.Read(chunk)
		total += int64(n)
		if err == nil && n > 0 && total == length {
			err = io.EOF // the last bytes: a further read would only say so
		}
		if errors.Is(err, io.EOF) {
			if body, ok := t.whole(chunk[:n]); ok {
				whole(body)
			}
		}
		if n > 0 && !t.add(chunk[:n]) {
			return t.finish(errNoReaders)
		}
		if err != nil {
			if errors.Is(err, io.EOF) {
				err = nil
			}
			return t.finish(err)
		}
	}
}

// whole returns the whole body, what t has and last, if t kept all of
// it and last does not make it outgrow the window.
func (t *tee) whole(last []byte) ([]byte, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.keepAll || len(t.buf)+len(last) > t.window {
		return nil, false
	}
	return append(t.buf[:len(t.buf):len(t.buf)], last...), true
}

// add appends p, first waiting, once the body has outgrown the window,
// until readers have taken enough. It reports false when nobody reads a
// body that cannot be stored.
func (t *tee) add(p []byte) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.keepAll && len(t.buf)+len(p) > t.window {
		t.keepAll = false
	}
	for !t.keepAll {
		if len(t.readers) == 0 {
			return false
		}
		t.dropRead()
		if len(t.buf)+len(p) <= t.window {
			break
		}
		t.cond.Wait()
	}
	t.buf = append(t.buf, p...)
	t.cond.Broadcast()
	return true
}

// dropRead forgets the bytes every reader has read.
func (t *tee) dropRead() {
	low := t.base + int64(len(t.buf))
	for r := range t.readers {
		low = min(low, r.off)
	}
	if n := int(low - t.base); n > 0 {
		t.buf = append([]byte(nil), t.buf[n:]...)
		t.base = low
	}
}

func (t *tee) finish(err error) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.done, t.err = true, err
	t.cond.Broadcast()
	return err
}

// reader returns a reader of the body from its start, or nil when its
// start is gone (the body outgrew the window). It must be closed.
func (t *tee) reader() *teeReader {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.base > 0 {
		return nil
	}
	r := &teeReader{t: t}
	t.readers[r] = struct{}{}
	return r
}

// teeReader reads a tee from where it last stopped.
type teeReader struct {
	t   *tee
	off int64
}

func (r *teeReader) Read(p []byte) (int, error) {
	t := r.t
	t.mu.Lock()
	defer t.mu.Unlock()
	for r.off == t.base+int64(len(t.buf)) && !t.done {
		t.cond.Wait()
	}
	if end := t.base + int64(len(t.buf)); r.off < end {
		n := copy(p, t.buf[r.off-t.base:])
		r.off += int64(n)
		t.cond.Broadcast() // the fill may wait for this reader
		return n, nil
	}
	if t.err != nil {
		return 0, t.err
	}
	return 0, io.EOF
}

// Close lets the fill go on without this reader.
func (r *teeReader) Close() error {
	t := r.t
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.readers, r)
	t.cond.Broadcast()
	return nil
}
