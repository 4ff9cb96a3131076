package site

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"sync/atomic"
	"time"
)

// readBody reads a function's request body whole, within limit bytes and
// by a deadline, before the function takes a slot: a client trickling
// its body then holds a connection and a goroutine for at most within,
// never one of the function's slots (which would turn everyone else away
// with 429). The body is read here, not by the function, so that a
// function outliving its request never touches the connection.
//
// The deadline is the function's Timeout, counted from now: the author's
// own word for how long a request may take, and far more than a body
// within MaxBody needs from an edge or a browser on any working link (the
// 1 MiB default at 10 s is 100 KB/s). It is a read deadline on the
// connection, so a reader stuck in the kernel is woken too.
//
// Bodies are counted against budget as their bytes arrive (not as their
// Content-Length promises, so a trickler costs only what it has sent):
// reading them before a slot is taken must not let a thousand clients
// each hold a MaxBody's worth at once. Past the budget the request is
// answered 503 with Retry-After. The caller gives back the returned
// reservation once the call is answered.
//
// It returns the body and its reservation, or the status and message to
// answer with.
func readBody(w http.ResponseWriter, r *http.Request, limit int64, within time.Duration, budget *bodyBudget) ([]byte, int64, int, string) {
	if r.Body == nil || r.Body == http.NoBody {
		return nil, 0, 0, ""
	}
	rc := http.NewResponseController(w)
	// Where the connection cannot take a deadline (a ResponseWriter
	// wrapped without Unwrap), the read is still bounded in size.
	deadlined := rc.SetReadDeadline(time.Now().Add(within)) == nil
	body, held, err := budget.readAll(http.MaxBytesReader(w, r.Body, limit))
	if deadlined {
		// Cleared at once: a deadline left on the connection would fire
		// while the function runs, and net/http would take the failed
		// background read for the client going away.
		_ = rc.SetReadDeadline(time.Time{})
	}
	if err == nil {
		return body, held, 0, ""
	}
	budget.give(held)
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		return nil, 0, http.StatusRequestEntityTooLarge, fmt.Sprintf("request body over %d bytes", limit)
	case errors.Is(err, os.ErrDeadlineExceeded):
		w.Header().Set("Connection", "close")
		return nil, 0, http.StatusRequestTimeout, fmt.Sprintf("the request body did not arrive within %s", within)
	case errors.Is(err, errBodyBudget):
		w.Header().Set("Connection", "close")
		w.Header().Set("Retry-After", "1")
		return nil, 0, http.StatusServiceUnavailable, fmt.Sprintf("the origin holds %d bytes of request bodies, its limit: try again", budget.limit)
	}
	return nil, 0, http.StatusBadRequest, "reading the request body: " + err.Error()
}

// minBodyBudget is the least the request bodies of all functions may
// hold at once; newBodyBudget raises it to twice the largest MaxBody, so
// that any function's largest body fits beside others.
const minBodyBudget = 64 << 20

// bodyBudget is the bytes of request bodies the runtime holds at once,
// across all functions and clients.
type bodyBudget struct {
	used  atomic.Int64
	limit int64
}

func newBodyBudget(fns []*Function) *bodyBudget {
	b := &bodyBudget{limit: minBodyBudget}
	for _, fn := range fns {
		b.limit = max(b.limit, 2*fn.MaxBody)
	}
	return b
}

var errBodyBudget = errors.New("request bodies over the origin's budget")

// take reserves n bytes, or reports false when they would not fit.
func (b *bodyBudget) take(n int64) bool {
	if b.used.Add(n) > b.limit {
		b.used.Add(-n)
		return false
	}
	return true
}

// give returns n reserved bytes.
func (b *bodyBudget) give(n int64) { b.used.Add(-n) }

// readAll reads src whole, reserving the buffer's capacity as it grows,
// and returns what it reserved, even on error.
func (b *bodyBudget) readAll(src io.Reader) ([]byte, int64, error) {
	var buf []byte
	var held int64
	for {
		if len(buf) == cap(buf) {
			grown := max(32<<10, 2*cap(buf)) // as append would, but counted first
			if !b.take(int64(grown - cap(buf))) {
				return nil, held, errBodyBudget
			}
			held += int64(grown - cap(buf))
			buf = append(make([]byte, 0, grown), buf...)
		}
		n, err := src.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return buf, held, nil
		}
		if err != nil {
			return nil, held, err
		}
	}
}
