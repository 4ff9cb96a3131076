package site

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
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
// It returns the body, or the status and message to answer with.
func readBody(w http.ResponseWriter, r *http.Request, limit int64, within time.Duration) ([]byte, int, string) {
	if r.Body == nil || r.Body == http.NoBody {
		return nil, 0, ""
	}
	rc := http.NewResponseController(w)
	// Where the connection cannot take a deadline (a ResponseWriter
	// wrapped without Unwrap), the read is still bounded in size.
	deadlined := rc.SetReadDeadline(time.Now().Add(within)) == nil
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if deadlined {
		// Cleared at once: a deadline left on the connection would fire
		// while the function runs, and net/http would take the failed
		// background read for the client going away.
		_ = rc.SetReadDeadline(time.Time{})
	}
	if err == nil {
		return body, 0, ""
	}
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		return nil, http.StatusRequestEntityTooLarge, fmt.Sprintf("request body over %d bytes", limit)
	case errors.Is(err, os.ErrDeadlineExceeded):
		w.Header().Set("Connection", "close")
		return nil, http.StatusRequestTimeout, fmt.Sprintf("the request body did not arrive within %s", within)
	}
	return nil, http.StatusBadRequest, "reading the request body: " + err.Error()
}
