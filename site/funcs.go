package site

import (
	"fmt"
	"net/http"
	"strings"
	"time"
)

// FuncHandler serves an API function's request at the origin. Content it
// reads through c becomes the response's Cache-Tag.
type FuncHandler func(c *Ctx, w http.ResponseWriter, r *http.Request) error

// Function is an API function: a route served at the origin, behind the
// edge cache, with the cache policy it declares.
type Function struct {
	Pattern     string // net/http pattern, e.g. "GET /api/related/{slug}"
	Method      string // "" = any method
	Path        string // the pattern's path part
	Handler     FuncHandler
	Policy      CachePolicy
	Timeout     time.Duration // per request; 0 = 10s
	MaxBody     int64         // request body limit in bytes; 0 = 1 MiB
	Concurrency int           // requests served at once; 0 = 64
	Decl        string        // "file:line" of the declaration
}

// CachePolicy is how long the edge (and browsers) may keep a response.
type CachePolicy struct {
	EdgeTTL              time.Duration // CDN-Cache-Control max-age
	BrowserTTL           time.Duration // Cache-Control max-age
	StaleWhileRevalidate time.Duration // RFC 5861
	StaleIfError         time.Duration // RFC 5861
	Vary                 []string      // request headers the response varies on
}

// FuncOption sets one property of a Function.
type FuncOption func(*Function)

// EdgeTTL lets the edge keep responses for d.
func EdgeTTL(d time.Duration) FuncOption { return func(f *Function) { f.Policy.EdgeTTL = d } }

// BrowserTTL lets browsers keep responses for d.
func BrowserTTL(d time.Duration) FuncOption { return func(f *Function) { f.Policy.BrowserTTL = d } }

// StaleWhileRevalidate lets the edge serve a stale response for d while it
// refreshes it in the background.
func StaleWhileRevalidate(d time.Duration) FuncOption {
	return func(f *Function) { f.Policy.StaleWhileRevalidate = d }
}

// StaleIfError lets the edge serve a stale response for d when the origin
// fails.
func StaleIfError(d time.Duration) FuncOption { return func(f *Function) { f.Policy.StaleIfError = d } }

// Vary names request headers the response depends on.
func Vary(headers ...string) FuncOption {
	return func(f *Function) { f.Policy.Vary = append(f.Policy.Vary, headers...) }
}

// Timeout bounds each request's handling time.
func Timeout(d time.Duration) FuncOption { return func(f *Function) { f.Timeout = d } }

// MaxBody limits request bodies to n bytes.
func MaxBody(n int64) FuncOption { return func(f *Function) { f.MaxBody = n } }

// Concurrency limits how many requests the function serves at once.
func Concurrency(n int) FuncOption { return func(f *Function) { f.Concurrency = n } }

// Func declares an API function at pattern (net/http syntax, e.g.
// "GET /api/related/{slug}"). It runs at the origin, not at build time.
func (s *Site) Func(pattern string, h FuncHandler, opts ...FuncOption) {
	f := &Function{Pattern: pattern, Handler: h, Timeout: 10 * time.Second, MaxBody: 1 << 20, Concurrency: 64, Decl: s.declSite(1)}
	for _, o := range opts {
		o(f)
	}
	f.Method, f.Path, _ = strings.Cut(pattern, " ")
	if f.Path == "" {
		f.Method, f.Path = "", pattern
	}
	if s.funcMux == nil {
		s.funcMux = http.NewServeMux()
	}
	if err := register(s.funcMux, pattern); err != nil {
		s.declError("function %q: %v", pattern, err)
		return
	}
	s.funcs = append(s.funcs, f)
}

// Functions lists the declared API functions in declaration order.
func (s *Site) Functions() []*Function { return s.funcs }

// register adds pattern to mux the way net/http will when it serves the
// functions, so a bad pattern, or two that overlap (GET /a/{id} and
// GET /a/{slug}), is a declaration error rather than a panic later.
func register(mux *http.ServeMux, pattern string) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%v", r)
		}
	}()
	mux.HandleFunc(pattern, func(http.ResponseWriter, *http.Request) {})
	return nil
}
