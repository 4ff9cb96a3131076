package site

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"
)

// streamAfter is how much of a response the runtime holds before it
// starts sending it. A response that fits is sent whole once the function
// returns, with Content-Length and the Cache-Tag of everything the
// function read. A longer one streams: its headers go out with its first
// bytes, before the function has necessarily read all it will, so its
// Cache-Tag may be incomplete, and a shared cache keeping it would miss
// the purge of what it read later. It is sent no-store instead (HTTP
// trailers would carry the late tags, but no cache purges by a trailer).
// 1 MiB keeps an API answer of any usual size cacheable, and bounds what
// the runtime holds at 1 MiB a call; the edge keeps no body over 8 MiB
// anyway.
const streamAfter = 1 << 20

var (
	errResponseTooLarge = errors.New("response over its limit (site.MaxResponse)")
	errResponseGone     = errors.New("response no longer taken: the request timed out, failed or went away")
)

// funcWriter is the ResponseWriter a function writes to. It holds the
// response until streamAfter, then hands each Write to the runtime's
// goroutine, which alone writes to the connection, and waits until it is
// written: the function gets backpressure, the runtime holds no copy,
// and once the runtime stops listening (gone) the function's writes fail
// rather than reach a connection whose handler has returned.
type funcWriter struct {
	header http.Header
	c      *Ctx
	limit  int64

	mu        sync.Mutex
	status    int
	buf       bytes.Buffer // before commit
	n         int64        // bytes written, in all
	committed bool         // the head and the buffered bytes went to the runtime
	err       error        // sticky: errResponseTooLarge or errResponseGone

	out  chan chunk    // to the runtime, unbuffered
	ack  chan struct{} // the chunk is written
	gone chan struct{} // closed when the runtime takes no more
}

// chunk is a piece of a streamed response; the first carries its head.
type chunk struct {
	head *responseHead
	data []byte
}

// responseHead is the status and fields of a response as the function
// left them, with the tags of what it had read.
type responseHead struct {
	status int
	header http.Header
	tags   []string
}

func newFuncWriter(c *Ctx, limit int64) *funcWriter {
	return &funcWriter{header: http.Header{}, c: c, limit: limit,
		out: make(chan chunk), ack: make(chan struct{}, 1), gone: make(chan struct{})}
}

func (fw *funcWriter) Header() http.Header { return fw.header }

func (fw *funcWriter) WriteHeader(code int) {
	fw.mu.Lock()
	defer fw.mu.Unlock()
	if fw.status == 0 && code >= 200 {
		fw.status = code
	}
}

func (fw *funcWriter) Write(p []byte) (int, error) {
	fw.mu.Lock()
	defer fw.mu.Unlock()
	if fw.err != nil {
		return 0, fw.err
	}
	if fw.status == 0 {
		fw.status = http.StatusOK
	}
	if fw.n+int64(len(p)) > fw.limit {
		fw.err = errResponseTooLarge
		return 0, fmt.Errorf("%w: %d bytes", fw.err, fw.limit)
	}
	fw.n += int64(len(p))
	if !fw.committed {
		if fw.buf.Len()+len(p) <= streamAfter {
			return fw.buf.Write(p)
		}
		// Snapshotted here, on the function's goroutine: the function
		// may change its header map, and reads content (adding tags),
		// after this Write returns.
		head := &responseHead{status: fw.status, header: fw.header.Clone(), tags: fw.c.Tags()}
		fw.committed = true
		err := fw.send(chunk{head: head, data: fw.buf.Bytes()})
		fw.buf = bytes.Buffer{}
		if err != nil {
			return 0, err
		}
	}
	if err := fw.send(chunk{data: p}); err != nil {
		return 0, err
	}
	return len(p), nil
}

// send hands c to the runtime and waits until it is written.
func (fw *funcWriter) send(c chunk) error {
	select {
	case fw.out <- c:
	case <-fw.gone:
		fw.err = errResponseGone
		return fw.err
	}
	select {
	case <-fw.ack:
		return nil
	case <-fw.gone:
		fw.err = errResponseGone
		return fw.err
	}
}

// result is what the function left once it returned: the whole response
// if it never streamed, else what the runtime needs to finish it.
func (fw *funcWriter) result() (head responseHead, body []byte, streamed bool, err error) {
	fw.mu.Lock()
	defer fw.mu.Unlock()
	status := fw.status
	if status == 0 {
		status = http.StatusOK
	}
	err = fw.err
	if fw.err == nil {
		fw.err = errResponseGone // a goroutine the function left behind writes nothing more
	}
	return responseHead{status: status, header: fw.header, tags: fw.c.Tags()}, fw.buf.Bytes(), fw.committed, err
}

// writeCutter cuts a streamed response's pending write when the call's
// context ends, by a write deadline in the past: a client that stops
// reading would otherwise hold the runtime's goroutine, and the function
// waiting on it, past the timeout. It is disarmed, and the deadline
// cleared, before the handler returns, so that the connection serves its
// next request unharmed.
type writeCutter struct {
	rc   *http.ResponseController
	mu   sync.Mutex
	stop func() bool
	off  bool
}

func newWriteCutter(w http.ResponseWriter) *writeCutter {
	return &writeCutter{rc: http.NewResponseController(w)}
}

func (wc *writeCutter) arm(ctx context.Context) {
	wc.stop = context.AfterFunc(ctx, func() {
		wc.mu.Lock()
		defer wc.mu.Unlock()
		if !wc.off {
			_ = wc.rc.SetWriteDeadline(time.Now())
		}
	})
}

func (wc *writeCutter) disarm() {
	if wc.stop == nil || wc.stop() {
		return // never armed, or never fired: no deadline to clear
	}
	wc.mu.Lock()
	defer wc.mu.Unlock()
	wc.off = true
	_ = wc.rc.SetWriteDeadline(time.Time{})
}
