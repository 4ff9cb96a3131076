package cache

import (
	"errors"
	"io"
	"sync"
)

// tee is a response body that one origin fetch fills while any number of
// requests read it, each at its own pace: requests that coalesced onto
// the fetch get each byte as soon as it arrives, not once the whole body
// has.
//
// A body that may be stored is kept whole, in one buffer whose bytes are
// reserved in the store's budget before they are read (all at once when
// the length is known): that buffer becomes the stored entry's body, so
// the body is held once however many read it. A body that may not be
// stored, outgrows what an entry may take, or finds no room in the budget
// streams instead: only what the slowest reader has yet to read is kept,
// within streamWindow, and the fetch waits for readers to catch up, so it
// costs a window however large it is and however slowly it is read; no
// new reader can join it then.
type tee struct {
	mu      sync.Mutex
	cond    sync.Cond
	store   *Store
	hold    *hold  // buf's charge in the store; nil for a window's buffer
	holding bool   // t is one of hold's users
	buf     []byte // the body's bytes from offset base on
	base    int64
	end     int64 // offset of the end of what readers may read
	limit   int   // the most bytes kept whole
	keepAll bool  // buf holds the whole body so far, to be stored
	done    bool
	gone    bool  // the body's start is let go of: no new reader
	err     error // why the body ended early; nil for its end
	readers map[*teeReader]struct{}
}

// streamWindow is what a body streamed through holds at most.
const streamWindow = 32 << 10

// growStep is the first buffer of a body of unknown length kept whole.
const growStep = 32 << 10

// newTee returns a tee for a body of length bytes (-1: unknown), kept
// whole, within limit bytes, when keep is true and store has room.
func newTee(store *Store, limit int, keep bool, length int64) *tee {
	t := &tee{store: store, limit: limit, readers: map[*teeReader]struct{}{}}
	t.cond.L = &t.mu
	if keep && length <= int64(limit) {
		size := int64(min(growStep, limit))
		if length >= 0 {
			size = length
		}
		if t.hold = store.reserve(size); t.hold != nil {
			t.holding, t.keepAll = true, true
			t.buf = make([]byte, 0, size)
		}
	}
	if !t.keepAll {
		t.buf = make([]byte, 0, streamWindow)
	}
	return t
}

// errNoReaders ends a fetch not to be stored that nobody reads any more.
var errNoReaders = errors.New("no request reads the body any more")

// fill reads src into t until it ends, or until length bytes (when not
// negative) have come. At a clean end, whole is called with the whole
// body and its hold, if t kept all of it, before readers can have its last bytes:
// whatever whole does (store the response) is done by the time any
// client has the complete answer, and a request that follows it finds
// it done.
func (t *tee) fill(src io.Reader, length int64, whole func(body []byte, h *hold)) error {
	var total int64
	if length == 0 {
		if body, keep := t.add(0, false); keep {
			whole(body, t.hold)
		}
		return t.finish(nil)
	}
	for {
		space, err := t.space()
		if err != nil {
			return t.finish(err)
		}
		n, err := src.Read(space)
		total += int64(n)
		if err == nil && total == length {
			err = io.EOF // the last bytes: a further read would only say so
		}
		last := errors.Is(err, io.EOF)
		body, keep := t.add(n, !last)
		if last && keep {
			whole(body, t.hold) // t.hold is fixed while t keeps all
		}
		if err != nil {
			if last {
				err = nil
			}
			return t.finish(err)
		}
	}
}

// space returns where the next bytes go: buf's spare capacity, which
// readers do not look at. A body kept whole grows its buffer, reserving
// the bytes first, or turns to streaming when it may not; a streamed one
// waits for readers to make room. The error ends a fill nobody reads.
func (t *tee) space() ([]byte, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.keepAll && len(t.buf) == cap(t.buf) {
		size := min(2*cap(t.buf), t.limit)
		if size > cap(t.buf) && t.store.grow(t.hold, int64(size-cap(t.buf))) {
			buf := make([]byte, len(t.buf), size)
			copy(buf, t.buf)
			t.buf = buf
		} else {
			t.keepAll = false  // too large to store, or no room: stream it
			t.cond.Broadcast() // a reader waiting for the whole body reads it as it comes
		}
	}
	for !t.keepAll {
		t.dropRead()
		if len(t.buf) < cap(t.buf) {
			break
		}
		if len(t.readers) == 0 {
			return nil, errNoReaders
		}
		t.cond.Wait()
	}
	return t.buf[len(t.buf):cap(t.buf)], nil
}

// add makes the n bytes read into space part of the body, and, unless
// more is to come, returns the whole body if t kept it, leaving those
// bytes for finish to show readers.
func (t *tee) add(n int, more bool) ([]byte, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = t.buf[:len(t.buf)+n]
	if !more && t.keepAll {
		return t.buf, true
	}
	t.end = t.base + int64(len(t.buf))
	t.cond.Broadcast()
	return nil, false
}

// dropRead forgets the bytes every reader has read. A reserved buffer
// is let go of once what is left of it fits a window; until then it is
// only sliced, as it is charged anyway. The lock is held.
func (t *tee) dropRead() {
	low := t.base + int64(len(t.buf))
	for r := range t.readers {
		low = min(low, r.off)
	}
	n := int(low - t.base)
	if n <= 0 {
		return
	}
	t.base = low
	t.gone = true
	if t.hold != nil {
		rest := t.buf[n:]
		if len(rest) > streamWindow/2 {
			t.buf = rest
			return
		}
		t.buf = append(make([]byte, 0, streamWindow), rest...)
		if t.holding {
			t.letGo()
		}
		t.hold = nil
		return
	}
	t.buf = t.buf[:copy(t.buf, t.buf[n:])]
}

// letGo ends t's use of its hold, reporting whether the hold lives on;
// the lock is held.
func (t *tee) letGo() bool {
	t.holding = false
	return t.store.release(t.hold)
}

func (t *tee) finish(err error) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.done, t.err = true, err
	t.end = t.base + int64(len(t.buf))
	t.idle()
	t.cond.Broadcast()
	return err
}

// idle lets go of the body once it is whole and nobody reads it: if it
// is stored, the entry holds it still, and a reader that comes later
// takes it up again. The lock is held.
func (t *tee) idle() {
	if t.done && len(t.readers) == 0 && t.hold != nil && t.holding && !t.letGo() {
		t.gone, t.buf = true, nil // not stored: its bytes are no longer charged
	}
}

// reader returns a reader of the body from its start, or nil when its
// start is gone (the body outgrew what is kept, or is let go of and not
// stored). It must be closed.
func (t *tee) reader() *teeReader {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.gone || t.base > 0 {
		return nil
	}
	if t.hold != nil && !t.holding {
		if !t.store.acquire(t.hold) {
			t.gone, t.buf = true, nil
			return nil
		}
		t.holding = true
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
	for r.off == t.end && !t.done {
		t.cond.Wait()
	}
	if r.off < t.end {
		n := copy(p, t.buf[r.off-t.base:t.end-t.base])
		r.off += int64(n)
		t.cond.Broadcast() // the fill may wait for this reader
		return n, nil
	}
	if t.err != nil {
		return 0, t.err
	}
	return 0, io.EOF
}

// whole waits for the whole body and returns it, when t keeps it whole;
// whole is false, and nothing read, if t streams it instead.
func (r *teeReader) whole() (body []byte, whole bool, err error) {
	t := r.t
	t.mu.Lock()
	defer t.mu.Unlock()
	for t.keepAll && !t.done {
		t.cond.Wait()
	}
	if !t.keepAll || r.off != 0 {
		return nil, false, nil
	}
	if t.err != nil {
		return nil, false, t.err
	}
	return t.buf[:t.end], true, nil
}

// Close lets the fill go on without this reader.
func (r *teeReader) Close() error {
	t := r.t
	t.mu.Lock()
	defer t.mu.Unlock()
	if _, ok := t.readers[r]; !ok {
		return nil
	}
	delete(t.readers, r)
	t.idle()
	t.cond.Broadcast()
	return nil
}
