// Package attacktest holds what the attack tests of the edge and its
// cache share: an origin that records every request it is sent, so a
// test can check what a proxy forwarded (Host, forwarding fields, the
// path) and how often it went to the origin at all; and a client that
// sends raw request bytes.
package attacktest

import (
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
)

// Origin is an http.Handler that records the requests it serves.
type Origin struct {
	// Hits counts the requests that reached it.
	Hits atomic.Int64
	// Handle answers the nth request; nil answers with Answer's fields
	// and a body naming the Host and X-Forwarded-Host it saw, which is
	// what a cache-poisoning test looks for in what others get.
	Handle func(w http.ResponseWriter, r *http.Request, n int64)
	// Answer holds the fields of the default answer (its cache policy).
	Answer http.Header

	mu   sync.Mutex
	seen []*http.Request
}

// ServeHTTP records r and answers it.
func (o *Origin) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	n := o.Hits.Add(1)
	o.mu.Lock()
	o.seen = append(o.seen, r)
	o.mu.Unlock()
	if o.Handle != nil {
		o.Handle(w, r, n)
		return
	}
	for k, v := range o.Answer {
		w.Header()[k] = v
	}
	fmt.Fprintf(w, "made for host=%s xfh=%s", r.Host, r.Header.Get("X-Forwarded-Host"))
}

// Last returns the latest request the origin saw, failing t if none.
func (o *Origin) Last(t testing.TB) *http.Request {
	t.Helper()
	o.mu.Lock()
	defer o.mu.Unlock()
	if len(o.seen) == 0 {
		t.Fatal("the origin saw no request")
	}
	return o.seen[len(o.seen)-1]
}
