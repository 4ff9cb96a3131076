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
	"strings"
	"time"
)

// funcRuntime runs a site's API functions the way a serverless platform
// would: each within its declared method, timeout, request-body limit and
// concurrency; a panic becomes a 500 and a log line, never a crash; every
// request is logged. A function reads content through a Ctx, and its
// response carries a Cache-Tag for what it read plus the cache headers
// its policy declares.
type funcRuntime struct {
	mux   *http.ServeMux
	paths *http.ServeMux // the functions' paths, any method: what belongs to them
	log   *slog.Logger
	// state returns the content functions read; nil means not ready.
	state func() *buildState
}

// newFuncRuntime makes the handler for fns.
func newFuncRuntime(fns []*Function, log *slog.Logger, state func() *buildState) *funcRuntime {
	rt := &funcRuntime{mux: http.NewServeMux(), paths: http.NewServeMux(), log: log, state: state}
	for _, fn := range fns {
		rt.mux.Handle(fn.Pattern, rt.handler(fn))
		_ = register(rt.paths, fn.Path) // two methods of one path register it once
	}
	return rt
}

// match reports whether r's path is a function's, whatever the method:
// the runtime answers a method the function does not take with 405.
func (rt *funcRuntime) match(r *http.Request) bool {
	_, pattern := rt.paths.Handler(r)
	return pattern != ""
}

// ServeHTTP serves a request for one of the functions.
func (rt *funcRuntime) ServeHTTP(w http.ResponseWriter, r *http.Request) { rt.mux.ServeHTTP(w, r) }

// handler runs fn for each request, within its limits.
func (rt *funcRuntime) handler(fn *Function) http.Handler {
	slots := make(chan struct{}, max(1, fn.Concurrency))
	browser, cdn := policyHeaders(functionRecord(fn).Policy)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		status, size := rt.serve(fn, slots, browser, cdn, w, r)
		rt.log.LogAttrs(r.Context(), slog.LevelInfo, "function",
			slog.String("func", fn.Pattern), slog.String("method", r.Method), slog.String("path", r.URL.RequestURI()),
			slog.Int("status", status), slog.Int("bytes", size), slog.Duration("took", time.Since(start)))
	})
}

// serve answers one request and returns the status and body size sent.
func (rt *funcRuntime) serve(fn *Function, slots chan struct{}, browser, cdn string, w http.ResponseWriter, r *http.Request) (int, int) {
	b := rt.state()
	if b == nil {
		return fail(w, http.StatusServiceUnavailable, "the site's content is not loaded yet")
	}
	select {
	case slots <- struct{}{}:
	default:
		// Throttled, as serverless platforms do: the client (or the edge)
		// retries; queueing would only turn the overload into timeouts.
		w.Header().Set("Retry-After", "1")
		return fail(w, http.StatusTooManyRequests, fmt.Sprintf("function %s is at its concurrency limit (%d)", fn.Pattern, cap(slots)))
	}
	// The body is read here, within its limit, so that the function,
	// which may outlive this request if it overruns its timeout, never
	// touches the connection.
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, fn.MaxBody))
	if err != nil {
		<-slots
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return fail(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("request body over %d bytes", fn.MaxBody))
		}
		return fail(w, http.StatusBadRequest, "reading the request body: "+err.Error())
	}
	ctx, cancel := context.WithTimeout(r.Context(), fn.Timeout)
	defer cancel()
	c := newCtx(ctx, b, r.URL.Path)
	req := r.WithContext(c)
	req.Body = io.NopCloser(bytes.NewReader(body))
	buf := &bufferedResponse{header: http.Header{}}
	done := make(chan error, 1)
	go func() {
		// The slot is the function's until it returns, timed out or not:
		// a function stuck past its timeout still counts.
		defer func() { <-slots }()
		defer func() {
			if v := recover(); v != nil {
				rt.log.Error("function panicked", "func", fn.Pattern, "decl", fn.Decl, "panic", fmt.Sprint(v))
				done <- errPanic
			}
		}()
		done <- fn.Handler(c, buf, req)
	}()
	select {
	case err = <-done:
	case <-ctx.Done():
		// The handler goroutine runs on until it returns; what it writes
		// goes nowhere.
		if r.Context().Err() != nil {
			return 499, 0 // the client went away
		}
		return fail(w, http.StatusGatewayTimeout, fmt.Sprintf("function %s did not answer within %s", fn.Pattern, fn.Timeout))
	}
	switch {
	case errors.Is(err, errPanic):
		return fail(w, http.StatusInternalServerError, fmt.Sprintf("function %s failed", fn.Pattern))
	case err != nil:
		rt.log.Error("function failed", "func", fn.Pattern, "err", err.Error())
		return fail(w, http.StatusInternalServerError, fmt.Sprintf("function %s failed", fn.Pattern))
	}
	h := w.Header()
	for k, v := range buf.header {
		h[k] = v
	}
	status := buf.status
	if status == 0 {
		status = http.StatusOK
	}
	// Cache headers the function did not set itself, from its policy;
	// only GET and HEAD responses are ever cached.
	if h.Get("Cache-Control") == "" {
		if r.Method == http.MethodGet || r.Method == http.MethodHead {
			h.Set("Cache-Control", browser)
			if cdn != "" && h.Get("CDN-Cache-Control") == "" {
				h.Set("CDN-Cache-Control", cdn)
			}
		} else {
			h.Set("Cache-Control", "no-store")
		}
	}
	for _, v := range fn.Policy.Vary {
		h.Add("Vary", v)
	}
	if tags := c.Tags(); len(tags) > 0 {
		h.Set("Cache-Tag", strings.Join(tags, ","))
	}
	h.Set("Content-Length", strconv.Itoa(buf.body.Len()))
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		_, _ = w.Write(buf.body.Bytes())
	}
	return status, buf.body.Len()
}

var errPanic = errors.New("panic")

func fail(w http.ResponseWriter, status int, msg string) (int, int) {
	w.Header().Set("Cache-Control", "no-store")
	http.Error(w, msg, status)
	return status, len(msg) + 1
}

// bufferedResponse holds a function's response until it returns, so the
// runtime can add the tags of everything the function read, and answer a
// timeout cleanly however far the function got.
type bufferedResponse struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (b *bufferedResponse) Header() http.Header { return b.header }

func (b *bufferedResponse) WriteHeader(code int) {
	if b.status == 0 {
		b.status = code
	}
}

func (b *bufferedResponse) Write(p []byte) (int, error) {
	if b.status == 0 {
		b.status = http.StatusOK
	}
	return b.body.Write(p)
}
