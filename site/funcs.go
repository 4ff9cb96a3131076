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
	Timeout     time.Duration // per request, and again for reading its body; 0 = 10s
	MaxBody     int64         // request body limit in bytes; 0 = 1 MiB
	MaxResponse int64         // response body limit in bytes; 0 = 32 MiB
	Concurrency int           // requests served at once; 0 = 64
	Decl        string        // "file:line" of the declaration
}

// Defaults of a Function's limits, for the options not given.
const (
	defaultTimeout     = 10 * time.Second
	defaultMaxBody     = 1 << 20
	defaultMaxResponse = 32 << 20
	defaultConcurrency = 64
)

// CachePolicy is how long the edge (and browsers) may keep a response.
type CachePolicy struct {
	EdgeTTL              time.Duration // CDN-Cache-Control max-age
	BrowserTTL           time.Duration // Cache-Control max-age
	StaleWhileRevalidate time.Duration // RFC 5861
	StaleIfError         time.Duration // RFC 5861
	Vary                 []string      // request headers the response varies on
	// Public lets shared caches keep answers to requests that carry
	// Authorization (RFC 9111 section 3.5); without it they do not.
	Public bool
	// CacheWithoutCookies says a Set-Cookie is the one client's and the
	// rest of the response everyone's: shared caches may keep the
	// response, without the cookie. Without it, a response that sets a
	// cookie is kept by no shared cache.
	CacheWithoutCookies bool
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

// Public lets the edge, and any shared cache, keep and share answers to
// requests that carry Authorization. Declare it only for a function whose
// answer is the same whoever asks: without it, such answers are never
// shared (RFC 9111 section 3.5), while answers to anonymous requests
// still are, as the policy says.
func Public() FuncOption { return func(f *Function) { f.Policy.Public = true } }

// CacheWithoutCookies lets shared caches keep a response that sets a
// cookie, without the Set-Cookie field: the response says
// private="Set-Cookie". Declare it for a function whose body is the same
// for everyone though it sets a cookie (a visitor id, a consent flag).
// Without it, a cached policy meeting a Set-Cookie is logged and the
// response marked private, so that no shared cache replays one client's
// cookie to another.
func CacheWithoutCookies() FuncOption {
	return func(f *Function) { f.Policy.CacheWithoutCookies = true }
}

// MaxResponse limits response bodies to n bytes. A function writing more
// has its writes fail from there on; the response is cut (the client
// sees a 500, or a truncated body if it had begun) and the cut logged.
func MaxResponse(n int64) FuncOption { return func(f *Function) { f.MaxResponse = n } }

// Timeout bounds each request's handling time, and, separately, the time
// the client may take to send the request body.
func Timeout(d time.Duration) FuncOption { return func(f *Function) { f.Timeout = d } }

// MaxBody limits request bodies to n bytes.
func MaxBody(n int64) FuncOption { return func(f *Function) { f.MaxBody = n } }

// Concurrency limits how many requests the function serves at once.
func Concurrency(n int) FuncOption { return func(f *Function) { f.Concurrency = n } }

// Func declares an API function at pattern (net/http syntax, e.g.
// "GET /api/related/{slug}"). It runs at the origin, not at build time.
func (s *Site) Func(pattern string, h FuncHandler, opts ...FuncOption) {
	f := &Function{Pattern: pattern, Handler: h, Timeout: defaultTimeout, MaxBody: defaultMaxBody,
		MaxResponse: defaultMaxResponse, Concurrency: defaultConcurrency, Decl: s.declSite(1)}
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
