package devserver

// This file holds ErrorServer, which answers for `verge serve` while no
// site program runs.

import (
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/vergehq/verge/internal/diag"
)

// ErrorServer answers for `verge serve` while no site program runs (its
// first compile failed, or it crashed): every page shows the errors in
// the overlay, and reloads once a program serves again, since the page's
// live-reload client then meets a new server instance.
type ErrorServer struct {
	root     string
	hub      *hub
	instance string

	mu   sync.Mutex
	errs []*diag.Diagnostic
}

// NewErrorServer returns an ErrorServer for the site at root (error
// excerpts are read from there).
func NewErrorServer(root string) *ErrorServer {
	return &ErrorServer{root: root, hub: newHub(), instance: "errors-" + strconv.FormatInt(time.Now().UnixNano(), 36)}
}

// SetErrors shows errs on every open page.
func (e *ErrorServer) SetErrors(errs []*diag.Diagnostic) {
	e.mu.Lock()
	e.errs = errs
	e.mu.Unlock()
	e.hub.send(nil, e.msg())
}

func (e *ErrorServer) msg() liveMsg {
	e.mu.Lock()
	defer e.mu.Unlock()
	if len(e.errs) == 0 {
		return liveMsg{Type: "ok"}
	}
	return liveMsg{Type: "errors", Errors: liveErrors(e.root, e.errs)}
}

// ServeHTTP serves the live-reload client and its events, and for any
// other path a page that shows the errors.
func (e *ErrorServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if serveClient(w, r.URL.Path) {
		return
	}
	switch r.URL.Path {
	case eventsPath:
		e.hub.serveEvents(w, r, []liveMsg{{Type: "hello", Instance: e.instance}, e.msg()})
	default:
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprintf(w, "<!doctype html><html><head><title>The site does not compile</title>%s</head><body></body></html>", liveScript)
	}
}
