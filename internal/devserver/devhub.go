package devserver

// This file holds the live-reload hub: the messages open pages receive,
// and the error overlay's form of a diagnostic.

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/vergehq/verge/internal/diag"
)

// liveMsg is one message to the browsers' live-reload client.
type liveMsg struct {
	Type     string      `json:"type"`               // hello, reload, page, css, assets, errors, ok
	Instance string      `json:"instance,omitempty"` // hello: the server process, to notice restarts
	Paths    []string    `json:"paths,omitempty"`    // css, assets; page: its stylesheets' URL paths whose bytes changed
	Assets   []string    `json:"assets,omitempty"`   // page: other files' URL paths whose bytes changed
	HTML     string      `json:"html,omitempty"`     // page: the page as served now ("": fetch it)
	Errors   []liveError `json:"errors,omitempty"`   // errors
	Seq      int         `json:"seq,omitempty"`      // build number, for cache-busting URLs
}

// liveError is a diagnostic as the error overlay shows it.
type liveError struct {
	File    string        `json:"file,omitempty"`
	Line    int           `json:"line,omitempty"`
	Col     int           `json:"col,omitempty"`
	Msg     string        `json:"msg"`
	Hint    string        `json:"hint,omitempty"`
	Excerpt []excerptLine `json:"excerpt,omitempty"`
}

type excerptLine struct {
	N    int    `json:"n"`
	Text string `json:"text"`
}

// liveErrors turns diagnostics into overlay errors, with two lines of
// source either side of each located one.
func liveErrors(root string, ds []*diag.Diagnostic) []liveError {
	out := make([]liveError, 0, len(ds))
	for _, d := range ds {
		e := liveError{File: d.File, Line: d.Line, Col: d.Col, Msg: d.Msg, Hint: d.Hint}
		if d.File != "" && d.Line > 0 {
			if src, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(d.File))); err == nil {
				lines := strings.Split(string(src), "\n")
				for n := max(1, d.Line-2); n <= min(len(lines), d.Line+2); n++ {
					e.Excerpt = append(e.Excerpt, excerptLine{N: n, Text: lines[n-1]})
				}
			}
		}
		out = append(out, e)
	}
	return out
}

// hub fans messages out to the connected live-reload clients.
type hub struct {
	mu      sync.Mutex
	clients map[*liveClient]bool
}

// liveClient is one open page: its URL path and its queue of messages.
type liveClient struct {
	path string
	ch   chan liveMsg
}

func newHub() *hub { return &hub{clients: map[*liveClient]bool{}} }

// send queues msg for every client for which to returns true. A client too
// slow to take it is dropped; its browser reconnects and starts afresh.
func (h *hub) send(to func(c *liveClient) bool, msg liveMsg) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for c := range h.clients {
		if to != nil && !to(c) {
			continue
		}
		select {
		case c.ch <- msg:
		default:
			delete(h.clients, c)
			close(c.ch)
		}
	}
}

// paths lists the URL paths clients have open.
func (h *hub) paths() map[string]bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := map[string]bool{}
	for c := range h.clients {
		out[c.path] = true
	}
	return out
}

// serveEvents streams messages to one browser as Server-Sent Events,
// starting with hello and then the messages first returns (the current
// errors, say).
func (h *hub) serveEvents(w http.ResponseWriter, r *http.Request, first []liveMsg) {
	fl, ok := w.(http.Flusher)
	if !ok {
		http.Error(w, "streaming unsupported", http.StatusInternalServerError)
		return
	}
	c := &liveClient{path: r.URL.Query().Get("path"), ch: make(chan liveMsg, 64)}
	for _, m := range first {
		c.ch <- m
	}
	h.mu.Lock()
	h.clients[c] = true
	h.mu.Unlock()
	defer func() {
		h.mu.Lock()
		if h.clients[c] {
			delete(h.clients, c)
			close(c.ch)
		}
		h.mu.Unlock()
	}()
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	// A short retry: after a restart the page should come back at once.
	fmt.Fprint(w, "retry: 250\n\n")
	fl.Flush()
	keepalive := time.NewTicker(15 * time.Second)
	defer keepalive.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-keepalive.C:
			fmt.Fprint(w, ": keepalive\n\n")
			fl.Flush()
		case m, ok := <-c.ch:
			if !ok {
				return
			}
			data, _ := json.Marshal(m)
			fmt.Fprintf(w, "data: %s\n\n", data)
			fl.Flush()
		}
	}
}
