package supervise

import (
	"math"
	"net"
	"net/http"
	"os"
	"strconv"
	"sync"
	"syscall"
	"time"
)

// fallback answers on the program's socket while no program serves it:
// 503 with Retry-After, never cached, the connection closed after each
// answer so that the client's next one reaches the program once it is
// back. Connections that arrive in the hand-over wait in the socket's
// backlog for whichever accepts first.
type fallback struct {
	sock *os.File

	mu    sync.Mutex
	ln    net.Listener // while it serves
	until time.Time    // when the next program is due to start
}

func newFallback(sock *os.File) *fallback { return &fallback{sock: sock} }

// start serves 503s, if it does not already, telling clients to retry
// after until.
func (f *fallback) start(until time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.until = until
	if f.ln != nil {
		return
	}
	ln, err := net.FileListener(f.sock) // a copy: closing it leaves the socket open
	if err != nil {
		return // the program's own socket is gone; nothing can be served
	}
	f.ln = ln
	srv := &http.Server{Handler: http.HandlerFunc(f.serve), ReadHeaderTimeout: 10 * time.Second, WriteTimeout: 10 * time.Second}
	srv.SetKeepAlivesEnabled(false)
	go srv.Serve(ln)
}

// pause stops accepting for a moment, if it did; start(until) resumes.
func (f *fallback) pause() (until time.Time, paused bool) {
	f.mu.Lock()
	until, on := f.until, f.ln != nil
	f.mu.Unlock()
	if on {
		f.stop()
	}
	return until, on
}

// stop stops accepting, leaving the socket to the program. Connections
// already accepted still get their 503: closing the listener ends Serve
// but not them, where Shutdown would drop those not yet read.
func (f *fallback) stop() {
	f.mu.Lock()
	ln := f.ln
	f.ln = nil
	f.mu.Unlock()
	if ln == nil {
		return
	}
	// Waited for, so that the program alone accepts once it serves; but
	// not for long: an accept caught blocking (see restoreNonblock) holds
	// the close until it has taken one more connection, which it answers
	// with a 503.
	closed := make(chan struct{})
	go func() { ln.Close(); close(closed) }()
	select {
	case <-closed:
	case <-time.After(time.Second):
	}
}

// restoreNonblock puts the socket back in non-blocking mode after
// os.StartProcess took its descriptor (see start).
func restoreNonblock(sock *os.File) {
	if rc, err := sock.SyscallConn(); err == nil {
		_ = rc.Control(func(fd uintptr) { _ = syscall.SetNonblock(int(fd), true) })
	}
}

func (f *fallback) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	wait := time.Until(f.until)
	f.mu.Unlock()
	secs := max(1, int(math.Ceil(wait.Seconds()))) // the program also needs a moment to load
	w.Header().Set("Retry-After", strconv.Itoa(secs))
	w.Header().Set("Cache-Control", "no-store")
	http.Error(w, "503 the site's functions are restarting: try again in a moment", http.StatusServiceUnavailable)
}
