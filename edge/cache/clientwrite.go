package cache

// This file holds how bodies are written to clients: a client that
// stops reading must not hold a body, and the budget it is charged to,
// for ever.

import (
	"bytes"
	"io"
	"net/http"
	"sync"
	"time"
)

// paceChunk is how much of a body is written under one write deadline.
const paceChunk = 64 << 10

// clientWriter writes a response's body to a client that must take
// each write within idle: a client that stops reading is dropped, and
// the body it held let go of, instead of holding both for ever.
type clientWriter struct {
	w      http.ResponseWriter
	idle   time.Duration
	armed  bool // a write deadline is set
	failed bool // a write failed: the connection is done for
}

func newClientWriter(w http.ResponseWriter, idle time.Duration) *clientWriter {
	return &clientWriter{w: w, idle: idle}
}

// Write writes p a chunk at a time, each under its own deadline.
func (c *clientWriter) Write(p []byte) (int, error) {
	if c.idle <= 0 || len(p) <= pinMin && !c.armed {
		// Small: it goes to the connection's buffer.
		n, err := c.w.Write(p)
		c.failed = c.failed || err != nil
		return n, err
	}
	rc := http.NewResponseController(c.w)
	n := 0
	for n < len(p) {
		_ = rc.SetWriteDeadline(time.Now().Add(c.idle))
		c.armed = true
		m, err := c.w.Write(p[n:min(n+paceChunk, len(p))])
		n += m
		if err != nil {
			c.failed = true
			return n, err
		}
	}
	return n, nil
}

// end lifts the deadline for the connection's next request, unless a
// write failed: the connection then closes, and the deadline must stay
// for the writes net/http still makes to it.
func (c *clientWriter) end() {
	if c.armed && !c.failed {
		_ = http.NewResponseController(c.w).SetWriteDeadline(time.Time{})
	}
}

// flushing is a clientWriter that flushes after every write, so that a
// client sees what the origin has sent, not what a buffer holds.
type flushing struct{ c *clientWriter }

func (f flushing) Write(p []byte) (int, error) {
	if f.c.idle > 0 {
		_ = http.NewResponseController(f.c.w).SetWriteDeadline(time.Now().Add(f.c.idle))
		f.c.armed = true
	}
	n, err := f.c.w.Write(p)
	if err == nil {
		err = http.NewResponseController(f.c.w).Flush()
	}
	f.c.failed = f.c.failed || err != nil
	return n, err
}

// storedBody is a stored body being read, held (when release is not
// nil) until it is closed.
type storedBody struct {
	*bytes.Reader
	data    []byte
	release func()
	once    sync.Once
}

func (b *storedBody) Close() error {
	if b.release != nil {
		b.once.Do(b.release)
	}
	return nil
}

// wholeBody returns the whole of a body that is kept whole, once it has
// all come, without copying it; whole is false for a body streamed
// through, which is then read from its start as before.
func wholeBody(rc io.Reader) (body []byte, whole bool, err error) {
	switch b := rc.(type) {
	case *storedBody:
		return b.data, true, nil
	case *teeReader:
		return b.whole()
	}
	return nil, false, nil
}
