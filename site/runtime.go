package site

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/vergehq/verge/internal/engine"
)

// funcRuntime runs a site's API functions the way a serverless platform
// would: each within its declared method, timeout, request and response
// size limits and concurrency; a panic becomes a 500 and a log line,
// never a crash; every request is logged. A function reads content
// through a Ctx, and its response carries a Cache-Tag for what it read
// plus the cache headers its policy declares.
//
// The parts: funcslots.go (concurrency, and calls overrunning their
// timeout), funcbody.go (the request body), funcresponse.go (holding or
// streaming the response), funcheaders.go (its cache fields).
type funcRuntime struct {
	mux   *http.ServeMux
	paths *http.ServeMux // the functions' paths, any method: what belongs to them
	log   *slog.Logger
	// state returns the content functions read; nil means not ready.
	state func() *engine.Build
	slots []*funcSlots
	// bodies bounds the request bodies held at once, all functions
	// together: they are read before a call takes its slot.
	bodies *bodyBudget
}

// newFuncRuntime makes the handler for fns.
func newFuncRuntime(fns []*Function, log *slog.Logger, state func() *engine.Build) *funcRuntime {
	rt := &funcRuntime{mux: http.NewServeMux(), paths: http.NewServeMux(), log: log, state: state, bodies: newBodyBudget(fns)}
	for _, fn := range fns {
		h := rt.handler(fn)
		rt.slots = append(rt.slots, h.slots)
		rt.mux.Handle(fn.Pattern, h)
		_ = register(rt.paths, fn.Path) // two methods of one path register it once
	}
	return rt
}

// overrunning is how many calls, of all the functions, are still running
// past their timeout.
func (rt *funcRuntime) overrunning() int64 {
	var n int64
	for _, s := range rt.slots {
		n += s.overrunning()
	}
	return n
}

// Match reports whether r's path is a function's, whatever the method:
// the runtime answers a method the function does not take with 405.
func (rt *funcRuntime) Match(r *http.Request) bool {
	_, pattern := rt.paths.Handler(r)
	return pattern != ""
}

// ServeHTTP serves a request for one of the functions.
func (rt *funcRuntime) ServeHTTP(w http.ResponseWriter, r *http.Request) { rt.mux.ServeHTTP(w, r) }

// funcHandler serves one function.
type funcHandler struct {
	rt            *funcRuntime
	fn            Function // with its limits' defaults filled in
	slots         *funcSlots
	browser, cdn  string // the policy's Cache-Control and CDN-Cache-Control
	warnedCookie  atomic.Bool
	warnedStream  atomic.Bool
	warnedOverCap atomic.Bool
}

func (rt *funcRuntime) handler(fn *Function) *funcHandler {
	f := *fn
	f.Timeout = cmp0(f.Timeout, defaultTimeout)
	f.MaxBody = cmp0(f.MaxBody, defaultMaxBody)
	f.MaxResponse = cmp0(f.MaxResponse, defaultMaxResponse)
	f.Concurrency = cmp0(f.Concurrency, defaultConcurrency)
	h := &funcHandler{rt: rt, fn: f, slots: newFuncSlots(f.Concurrency)}
	h.browser, h.cdn = policyHeaders(f.Policy)
	return h
}

// cmp0 is v, or def where v is not positive.
func cmp0[T int | int64 | time.Duration](v, def T) T {
	if v <= 0 {
		return def
	}
	return v
}

// outcome is how one request went, for the access log.
type outcome struct {
	status int
	bytes  int
	// abort: the response began and cannot be finished; the connection
	// is dropped so that the client sees it cut short, not complete.
	abort bool
}

func (h *funcHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	o := h.serve(w, r)
	h.rt.log.LogAttrs(r.Context(), slog.LevelInfo, "function",
		slog.String("func", h.fn.Pattern), slog.String("method", r.Method), slog.String("path", r.URL.RequestURI()),
		slog.Int("status", o.status), slog.Int("bytes", o.bytes), slog.Duration("took", time.Since(start)))
	if o.abort {
		panic(http.ErrAbortHandler) // net/http closes the connection, quietly
	}
}

// serve answers one request.
func (h *funcHandler) serve(w http.ResponseWriter, r *http.Request) outcome {
	fn := &h.fn
	b := h.rt.state()
	if b == nil {
		return fail(w, http.StatusServiceUnavailable, "the site's content is not loaded yet")
	}
	if h.slots.full() {
		return fail(w, http.StatusServiceUnavailable, fmt.Sprintf(
			"function %s has %d calls still running past their timeout, its limit: it takes no more until they return",
			fn.Pattern, h.slots.overrunning()))
	}
	body, held, status, msg := readBody(w, r, fn.MaxBody, fn.Timeout, h.rt.bodies)
	if status != 0 {
		return fail(w, status, msg)
	}
	defer h.rt.bodies.give(held)
	call := h.slots.take()
	if call == nil {
		// Throttled, as serverless platforms do: the client (or the edge)
		// retries; queueing would only turn the overload into timeouts.
		w.Header().Set("Retry-After", "1")
		return fail(w, http.StatusTooManyRequests, fmt.Sprintf("function %s is at its concurrency limit (%d)", fn.Pattern, fn.Concurrency))
	}
	ctx, cancel := context.WithTimeout(r.Context(), fn.Timeout)
	defer cancel()
	c := newCtx(ctx, engine.NewRecorder(b, r.URL.Path))
	req := r.WithContext(c)
	req.Body = io.NopCloser(bytes.NewReader(body))
	fw := newFuncWriter(c, fn.MaxResponse)
	done := make(chan error, 1)
	started := time.Now()
	go func() {
		var err error
		defer func() {
			if v := recover(); v != nil {
				h.rt.log.Error("function panicked", "func", fn.Pattern, "decl", fn.Decl, "panic", fmt.Sprint(v))
				err = errPanic
			}
			if call.returned() {
				h.rt.log.Warn("function returned after its timeout", "func", fn.Pattern, "decl", fn.Decl,
					"timeout", fn.Timeout, "took", time.Since(started), "overrunning", h.slots.overrunning())
				if !h.slots.full() {
					h.warnedOverCap.Store(false) // the next time it reaches the cap is news again
				}
			}
			done <- err
		}()
		err = fn.Handler(c, fw, req)
	}()
	return h.deliver(w, r, ctx, started.Add(fn.Timeout), call, fw, done)
}

// deliver sends the function's response as it comes: the chunks of a
// streaming one as they are written, a held one once the function
// returns; and answers for it if it overruns its timeout or the client
// goes away.
func (h *funcHandler) deliver(w http.ResponseWriter, r *http.Request, ctx context.Context, deadline time.Time,
	call *funcCall, fw *funcWriter, done <-chan error) outcome {
	defer close(fw.gone) // the function's writes from now on fail
	cut := newWriteCutter(w)
	defer cut.disarm()
	committed, sent := false, 0
	for {
		select {
		case ch := <-fw.out:
			if ch.head != nil {
				h.commit(w, r, ch.head)
				committed = true
				cut.arm(ctx)
			}
			n, err := w.Write(ch.data)
			sent += n
			if err != nil {
				// The client went away, or the timeout cut a write it
				// was not reading.
				h.expire(call, deadline)
				return outcome{status: h.endStatus(r), bytes: sent, abort: true}
			}
			fw.ack <- struct{}{}
		case err := <-done:
			if ctx.Err() == nil || committed {
				return h.finish(w, r, fw, err, sent)
			}
			// It returned because its time ran out (or its client went
			// away): whatever it left is no answer.
			return h.ended(w, r, call, deadline, false, sent)
		case <-ctx.Done():
			return h.ended(w, r, call, deadline, committed, sent)
		}
	}
}

// ended answers a request whose time ran out, or whose client went away,
// before its function returned.
func (h *funcHandler) ended(w http.ResponseWriter, r *http.Request, call *funcCall, deadline time.Time, committed bool, sent int) outcome {
	h.expire(call, deadline)
	status := h.endStatus(r)
	switch {
	case status != http.StatusGatewayTimeout:
		return outcome{status: status, bytes: sent, abort: committed}
	case committed:
		h.rt.log.Error("function did not finish within its timeout: its response is cut", "func", h.fn.Pattern,
			"decl", h.fn.Decl, "timeout", h.fn.Timeout, "sent", sent)
		return outcome{status: status, bytes: sent, abort: true}
	}
	// What the function writes from now on goes nowhere.
	return fail(w, status, fmt.Sprintf("function %s did not answer within %s", h.fn.Pattern, h.fn.Timeout))
}

// endStatus is the status logged for a request that ended before its
// function returned: 504 at the timeout, 499 when the client went away.
func (h *funcHandler) endStatus(r *http.Request) int {
	if r.Context().Err() != nil {
		return 499
	}
	return http.StatusGatewayTimeout
}

// expire gives the call's slot back at its deadline if the function has
// not returned by then; a client going away early ends the request, but
// the function runs, and holds its slot, until its timeout.
func (h *funcHandler) expire(call *funcCall, deadline time.Time) {
	if d := time.Until(deadline); d > 0 {
		time.AfterFunc(d, func() { h.timedOut(call) })
		return
	}
	h.timedOut(call)
}

// timedOut frees the slot of a call past its timeout and logs it.
func (h *funcHandler) timedOut(call *funcCall) {
	if !call.timedOut() {
		return
	}
	fn := &h.fn
	n := h.slots.overrunning()
	h.rt.log.Warn("function still running past its timeout: it ignores c.Done()", "func", fn.Pattern, "decl", fn.Decl,
		"timeout", fn.Timeout, "overrunning", n, "cap", h.slots.overrunCap)
	if h.slots.full() && !h.warnedOverCap.Swap(true) {
		h.rt.log.Error("function refused with 503 until its calls running past their timeout return: make it return once c.Done() is closed",
			"func", fn.Pattern, "decl", fn.Decl, "overrunning", n, "cap", h.slots.overrunCap)
	}
}

// finish completes the response once the function has returned.
func (h *funcHandler) finish(w http.ResponseWriter, r *http.Request, fw *funcWriter, err error, sent int) outcome {
	fn := &h.fn
	head, body, streamed, werr := fw.result()
	if errors.Is(werr, errResponseTooLarge) {
		h.rt.log.Error("function response over its limit: cut", "func", fn.Pattern, "decl", fn.Decl,
			"limit", fn.MaxResponse, "hint", "raise it with site.MaxResponse, or send less")
	} else if err != nil && !errors.Is(err, errPanic) {
		h.rt.log.Error("function failed", "func", fn.Pattern, "decl", fn.Decl, "err", err.Error())
	}
	failed := err != nil || werr != nil
	if streamed {
		// Everything written is sent: the end of the body is all there is
		// left to say, and a failure must not look like it.
		return outcome{status: head.status, bytes: sent, abort: failed}
	}
	if failed {
		return fail(w, http.StatusInternalServerError, fmt.Sprintf("function %s failed", fn.Pattern))
	}
	hdr := w.Header()
	for k, v := range head.header {
		hdr[k] = v
	}
	h.cacheFields(hdr, r, head.tags, false)
	hdr.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(head.status)
	if r.Method != http.MethodHead {
		_, _ = w.Write(body)
	}
	return outcome{status: head.status, bytes: len(body)}
}

// commit sends the head of a response that streams.
func (h *funcHandler) commit(w http.ResponseWriter, r *http.Request, head *responseHead) {
	hdr := w.Header()
	for k, v := range head.header {
		hdr[k] = v
	}
	h.cacheFields(hdr, r, head.tags, true)
	w.WriteHeader(head.status)
}

var errPanic = errors.New("panic")

func fail(w http.ResponseWriter, status int, msg string) outcome {
	w.Header().Set("Cache-Control", "no-store")
	http.Error(w, msg, status)
	return outcome{status: status, bytes: len(msg) + 1}
}
