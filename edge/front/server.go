package front

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"
)

// Responder answers plain requests it can answer in full at once. It
// returns false, having written nothing, for any other; the request then
// goes to the Fallback server.
type Responder interface {
	Respond(w *Writer, r *Request) bool
}

// LogFunc records a request the front end answered itself.
type LogFunc func(r *Request, status int, bytes int64, took time.Duration)

// Server accepts connections and answers their plain requests through
// Responder, handing each connection to Fallback at its first request
// Responder declines.
type Server struct {
	Responder Responder
	Fallback  *http.Server
	// ReadHeaderTimeout bounds reading a request head; IdleTimeout the
	// wait for the next request on a kept-alive connection; WriteTimeout
	// how long a client may take to read what the front end sends it,
	// after which the connection is dropped (a client that stops reading
	// must not hold a goroutine and its buffers for ever).
	ReadHeaderTimeout, IdleTimeout, WriteTimeout time.Duration
	Log                                          LogFunc // nil: none

	date     dateCache
	ln       net.Listener
	handoff  handoffListener
	mu       sync.Mutex
	conns    map[net.Conn]struct{}
	wg       sync.WaitGroup
	shutdown atomic.Bool
	started  sync.Once
}

// headMax is the largest request head the front end reads itself; a
// larger one (big cookies) goes to net/http, which allows more.
const headMax = 8 << 10

// Serve accepts connections on ln until Shutdown, or until ln fails.
func (s *Server) Serve(ln net.Listener) error {
	s.init(ln.Addr())
	s.mu.Lock()
	s.ln = ln
	closed := s.shutdown.Load()
	s.mu.Unlock()
	if closed {
		ln.Close()
		return http.ErrServerClosed
	}
	fallback := make(chan error, 1)
	go func() { fallback <- s.Fallback.Serve(&s.handoff) }()
	for {
		c, err := ln.Accept()
		if err != nil {
			if s.shutdown.Load() {
				return http.ErrServerClosed
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				time.Sleep(5 * time.Millisecond)
				continue
			}
			s.handoff.Close()
			<-fallback
			return err
		}
		s.mu.Lock()
		if s.shutdown.Load() {
			s.mu.Unlock()
			c.Close()
			continue
		}
		s.conns[c] = struct{}{}
		s.wg.Add(1)
		s.mu.Unlock()
		go s.serveConn(c)
	}
}

func (s *Server) init(addr net.Addr) {
	s.started.Do(func() {
		s.conns = map[net.Conn]struct{}{}
		s.handoff = handoffListener{conns: make(chan net.Conn), done: make(chan struct{}), addr: addr}
	})
}

// Shutdown closes the listener, ends idle connections, and waits (until
// ctx ends) for requests in progress, here and in Fallback. Serve then
// returns http.ErrServerClosed.
func (s *Server) Shutdown(ctx context.Context) error {
	s.shutdown.Store(true)
	s.init(nil)
	s.mu.Lock()
	if s.ln != nil {
		s.ln.Close()
	}
	for c := range s.conns {
		// A connection waiting for a request wakes now; one answering
		// finishes its response and then stops at its next read.
		_ = c.SetReadDeadline(time.Now())
	}
	s.mu.Unlock()
	s.handoff.Close()
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	err := s.Fallback.Shutdown(ctx)
	select {
	case <-done:
	case <-ctx.Done():
		return ctx.Err()
	}
	return err
}

// serveConn answers requests on c until it ends or a request needs the
// fallback server.
func (s *Server) serveConn(c net.Conn) {
	handed := false
	defer func() {
		if p := recover(); p != nil {
			slog.Error("front: panic serving a request", "remote", c.RemoteAddr().String(), "panic", p, "stack", string(debug.Stack()))
		}
		s.mu.Lock()
		delete(s.conns, c)
		s.mu.Unlock()
		if !handed {
			c.Close()
		}
		s.wg.Done()
	}()
	br := bufio.NewReaderSize(c, headMax)
	bw := bufio.NewWriterSize(c, 16<<10)
	req := &Request{RemoteAddr: c.RemoteAddr().String()}
	w := &Writer{bw: bw, date: &s.date}
	var idleSet time.Time // when the idle deadline was last set
	var writeSet time.Time
	armWrite := func() {
		// Before anything is written (a large body goes out from within
		// Respond); as with the idle deadline, moved at most once a second.
		if now := time.Now(); s.WriteTimeout > 0 && now.Sub(writeSet) > time.Second {
			_ = c.SetWriteDeadline(now.Add(s.WriteTimeout))
			writeSet = now
		}
	}
	flush := func() error {
		armWrite()
		return bw.Flush()
	}
	for {
		if s.shutdown.Load() {
			return
		}
		if br.Buffered() == 0 {
			// Wait for the next request. Moving a deadline costs a timer
			// update: do it at most once a second, which keeps the idle
			// limit to within a second.
			if now := time.Now(); s.IdleTimeout > 0 && now.Sub(idleSet) > time.Second {
				_ = c.SetReadDeadline(now.Add(s.IdleTimeout))
				idleSet = now
				if s.shutdown.Load() {
					return // Shutdown's deadline may have come first
				}
			}
			if _, err := br.Peek(1); err != nil {
				return
			}
		}
		head, plain, complete := headIn(br)
		if !complete {
			// The rest of the head is still to come, within the limit.
			if s.ReadHeaderTimeout > 0 {
				_ = c.SetReadDeadline(time.Now().Add(s.ReadHeaderTimeout))
				idleSet = time.Time{}
			}
			var err error
			if head, plain, err = peekHead(br); err != nil {
				return
			}
		}
		var start time.Time
		if s.Log != nil {
			start = time.Now() // a clock read per request only when it is logged
		}
		*w = Writer{bw: bw, date: &s.date}
		if plain && parseHead(head, req) {
			w.close = req.close
			armWrite()
			if s.Responder.Respond(w, req) {
				if !w.wrote {
					panic("front: Respond returned true without writing a response")
				}
				if s.Log != nil {
					s.Log(req, w.status, w.bytes, time.Since(start))
				}
				if _, err := br.Discard(len(head)); err != nil {
					return
				}
				if req.close {
					_ = flush()
					closeWrite(c)
					return
				}
				if br.Buffered() == 0 || bw.Buffered() > bw.Size()/2 { // nothing pipelined, or much to send
					if flush() != nil {
						return
					}
				}
				continue
			}
			if w.wrote {
				panic("front: Respond wrote a response and returned false")
			}
		}
		// net/http from here on, from this request's first byte.
		if flush() != nil {
			return
		}
		_ = c.SetDeadline(time.Time{})
		if s.handoff.give(&handedConn{Conn: c, r: br}) {
			handed = true
		}
		return
	}
}

// headIn is peekHead for what br has buffered, without reading more:
// complete is false when that is not enough to tell.
func headIn(br *bufio.Reader) (head []byte, plain, complete bool) {
	buf, _ := br.Peek(br.Buffered())
	if i := bytes.Index(buf, []byte("\r\n\r\n")); i >= 0 {
		return buf[:i+4], true, true
	}
	if bytes.Contains(buf, []byte("\n\n")) || bytes.Contains(buf, []byte("\n\r\n")) || len(buf) >= headMax {
		return nil, false, true
	}
	return nil, false, false
}

// peekHead returns the request head at the start of br without
// consuming it. plain is false when the head is not one parseHead takes
// (too long, or lines ending in a bare LF); the bytes are then left for
// net/http to read.
func peekHead(br *bufio.Reader) (head []byte, plain bool, err error) {
	for {
		if head, plain, complete := headIn(br); complete {
			return head, plain, nil
		}
		// Wait for at least one byte more.
		if _, err := br.Peek(br.Buffered() + 1); err != nil {
			return nil, false, err
		}
	}
}

// closeWrite ends the sending side after a last response, so the client
// reads it whole before the close (net/http does the same).
func closeWrite(c net.Conn) {
	if cw, ok := c.(interface{ CloseWrite() error }); ok {
		_ = cw.CloseWrite()
		time.Sleep(10 * time.Millisecond) // see net/http's rstAvoidanceDelay
	}
}

// handoffListener is the listener the fallback server serves: it yields
// the connections the front end hands over.
type handoffListener struct {
	conns chan net.Conn
	done  chan struct{}
	once  sync.Once
	addr  net.Addr
}

func (l *handoffListener) give(c net.Conn) bool {
	select {
	case l.conns <- c:
		return true
	case <-l.done:
		return false
	}
}

func (l *handoffListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *handoffListener) Close() error {
	l.once.Do(func() { close(l.done) })
	return nil
}

func (l *handoffListener) Addr() net.Addr { return l.addr }

// handedConn is a connection given to net/http with what the front end
// had read of it and not consumed.
type handedConn struct {
	net.Conn
	r *bufio.Reader
}

func (c *handedConn) Read(p []byte) (int, error) {
	if c.r != nil {
		if c.r.Buffered() > 0 {
			return c.r.Read(p)
		}
		c.r = nil
	}
	return c.Conn.Read(p)
}

// ReadFrom and CloseWrite reach the TCP connection's, which net/http
// uses for sendfile and for closing cleanly.
func (c *handedConn) ReadFrom(r io.Reader) (int64, error) {
	if rf, ok := c.Conn.(io.ReaderFrom); ok {
		return rf.ReadFrom(r)
	}
	return io.Copy(c.Conn, r)
}

func (c *handedConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}
