package cache

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/vergehq/verge/internal/httpcache"
	"github.com/vergehq/verge/internal/purgeapi"
)

// maxBody is the largest response body the proxy buffers to share among
// coalesced requests and to store, whatever the budget (Store.MaxEntry:
// an eighth of it, at most this); a larger one is streamed through.
const maxBody = 8 << 20

// Proxy is a caching reverse proxy in front of one origin: a shared cache
// per RFC 9111 with targeted fields (RFC 9213), stale-while-revalidate
// and stale-if-error (RFC 5861), request coalescing, tags and Cache-Status
// (RFC 9211).
type Proxy struct {
	origin     *url.URL
	transport  http.RoundTripper
	store      *Store
	now        func() time.Time
	purgeToken string         // the bearer token of the purge API; "" disables it
	bodyIdle   time.Duration  // how long an origin's body may stall before the fetch is dropped
	clientIdle time.Duration  // how long a client may take to accept a write of a body before it is dropped
	trusted    []netip.Prefix // proxies whose forwarding fields are believed (SetTrustedProxies)

	mu      sync.Mutex
	flights map[string]*flight
	// pass remembers, for a short while, keys whose last answer may not
	// be stored: their requests go to the origin each on its own instead
	// of queueing behind one another (Varnish's hit-for-pass).
	pass      map[string]time.Time
	passBytes int // the keys' length in pass
}

// passFor is how long a key stays in Proxy.pass; passMax bounds how many
// keys it holds, and passMaxBytes their length (a request line may be
// long).
const (
	passFor      = 10 * time.Second
	passMax      = 10000
	passMaxBytes = 1 << 20
)

// NewProxy returns a proxy to origin keeping responses in store. Its
// memory for response bodies is the store's budget (see NewStore): a body
// arriving reserves its bytes first, one copy serves every request that
// reads it, and a body the budget has no room for streams through a
// window, the origin waiting on the slowest reader. Past the budget,
// each request costs its connection's buffers and at most two 32 KiB
// windows; the per-key maps it keeps (flights, hit-for-pass) are
// bounded by the requests in progress and by passMax.
func NewProxy(origin *url.URL, store *Store) *Proxy {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.ResponseHeaderTimeout = 30 * time.Second
	return &Proxy{origin: origin, transport: t, store: store, now: time.Now, bodyIdle: 30 * time.Second, clientIdle: 30 * time.Second,
		flights: map[string]*flight{}, pass: map[string]time.Time{}}
}

// ServeHTTP answers from the cache, or from the origin through it. The
// origin gets its own host as Host: the proxy fronts one origin, and its
// keys and purges name paths only.
func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) { p.serve(w, r, false) }

// ServeKeepingHost is ServeHTTP for an origin that routes on Host (a
// function pattern naming a host): the client's Host is forwarded, and
// every response the cache stores varies on it.
func (p *Proxy) ServeKeepingHost(w http.ResponseWriter, r *http.Request) { p.serve(w, r, true) }

func (p *Proxy) serve(w http.ResponseWriter, r *http.Request, keepHost bool) {
	if why := badPath(r.URL); why != "" {
		http.Error(w, "bad request: "+why, http.StatusBadRequest)
		return
	}
	// On the path as sent: "/_verge%2Fpurge" is another resource (RFC
	// 3986 section 2.2), forwarded as such.
	if r.URL.EscapedPath() == purgeapi.Path {
		p.servePurge(w, r)
		return
	}
	r = p.outbound(r, keepHost)
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		p.forwardUnsafe(w, r)
		return
	}
	key := key(r.URL.RequestURI())
	now := p.now()
	reqCC := httpcache.ParseCacheControl(r.Header)
	e, purge := p.store.Get(key, r.Header)
	if e == nil {
		if reqCC.OnlyIfCached {
			p.notCached(w)
			return
		}
		p.answerFetched(w, r, p.coalesced(r, key, nil, w), "fwd=uri-miss")
		return
	}
	life := freshnessLifetime(e.Status, e.Header, e.ResponseTime)
	age := currentAge(e.Header, e.RequestTime, e.ResponseTime, now)
	cc := directivesOf(e.Header)
	staleFor := age - life.Fresh
	if purge == NotPurged && !cc.NoCache && clientAccepts(reqCC, age, life.Fresh) {
		p.serveEntry(w, r, e, now, fmt.Sprintf("hit; ttl=%d", int((life.Fresh-age)/time.Second)))
		return
	}
	mayServeStale := !cc.NoCache && !cc.MustRevalidate && !cc.ProxyRevalidate && !cc.SMaxAge.Present
	if purge == NotPurged && mayServeStale && staleFor > 0 && !reqCC.NoCache && clientAcceptsStale(reqCC, staleFor) {
		p.serveEntry(w, r, e, now, "hit; fwd=stale; detail=max-stale")
		return
	}
	if reqCC.OnlyIfCached {
		p.notCached(w)
		return
	}
	if purge == SoftPurged || (mayServeStale && cc.StaleWhileRevalidate.Valid() && staleFor <= time.Duration(cc.StaleWhileRevalidate.Value)*time.Second) {
		// Serve stale now, refresh in the background, detached from this
		// client: its hanging up must not cancel the refresh.
		go func() { p.coalesced(r.Clone(context.WithoutCancel(r.Context())), key, e, nil).release() }()
		p.serveEntry(w, r, e, now, "hit; fwd=stale")
		return
	}
	res := p.coalesced(r, key, e, w)
	if failed(res.fetched) && mayServeStale && cc.StaleIfError.Valid() && staleFor <= time.Duration(cc.StaleIfError.Value)*time.Second {
		res.release()
		p.serveEntry(w, r, e, now, "hit; fwd=stale; detail=origin-error")
		return
	}
	p.answerFetched(w, r, res, "fwd=stale")
}

// noSniff keeps net/http from adding a Content-Type the origin did not
// send: stored fields are served as received.
func noSniff(h http.Header) {
	if _, ok := h["Content-Type"]; !ok {
		h["Content-Type"] = nil
	}
}

// clientAccepts reports whether a stored response of the given age and
// freshness lifetime is fresh enough for the request's directives: no
// no-cache, within its max-age, and fresh for its min-fresh still (RFC
// 9111 section 5.2.1).
func clientAccepts(req Directives, age, fresh time.Duration) bool {
	switch {
	case age >= fresh, req.NoCache:
		return false
	case req.MaxAge.Present && (req.MaxAge.Invalid || age > time.Duration(req.MaxAge.Value)*time.Second):
		return false
	case req.MinFresh.Present && (req.MinFresh.Invalid || fresh-age < time.Duration(req.MinFresh.Value)*time.Second):
		return false
	}
	return true
}

// clientAcceptsStale reports whether the request's max-stale accepts a
// response stale by staleFor.
func clientAcceptsStale(req Directives, staleFor time.Duration) bool {
	return req.MaxStaleAny || req.MaxStale.Valid() && staleFor <= time.Duration(req.MaxStale.Value)*time.Second
}

// notCached answers a request with only-if-cached that the cache cannot
// satisfy (RFC 9111 section 5.2.1.7).
func (p *Proxy) notCached(w http.ResponseWriter) {
	w.Header().Set("Cache-Status", "verge; fwd=miss; detail=only-if-cached")
	http.Error(w, "not in the cache (only-if-cached)", http.StatusGatewayTimeout)
}

// failed reports an answer stale-if-error stands in for: none at all, or
// 500, 502, 503 or 504 (RFC 5861 section 4).
func failed(res *fetched) bool {
	switch res.status {
	case 500, 502, 503, 504:
		return true
	}
	return res.err != nil
}

// key is the cache key of a request URI (path and query): the method
// GET, as HEAD is served from GET, and the URI. The proxy fronts one
// origin, so the host is left out: a purge names paths.
func key(requestURI string) string { return "GET " + requestURI }

// answerFetched sends a fetch's result, or a clean 502/504 for a failure.
func (p *Proxy) answerFetched(w http.ResponseWriter, r *http.Request, a answer, status string) {
	defer a.release()
	if a.err != nil {
		code := http.StatusBadGateway
		if errors.Is(a.err, context.DeadlineExceeded) || strings.Contains(a.err.Error(), "timeout") {
			code = http.StatusGatewayTimeout
		}
		w.Header().Set("Cache-Status", "verge; "+status+"; detail=origin-unreachable")
		http.Error(w, "the origin did not answer", code)
		return
	}
	if a.collapsed {
		status += "; collapsed"
	}
	if a.stored {
		status += "; stored"
	}
	switch { // one detail (RFC 9211 section 2.8): why it is not kept
	case a.why == whySetCookie:
		status += "; detail=set-cookie"
	case a.tooLarge:
		status += "; detail=too-large"
	}
	h := w.Header()
	if a.collapsed {
		// Another request's answer: without the fields it alone may
		// have (a Set-Cookie its policy let the cache store without).
		copyHeaders(h, storedHeader(a.header))
	} else {
		copyHeaders(h, a.header)
	}
	noSniff(h)
	stripTags(h)
	h.Set("Cache-Status", "verge; "+status)
	cw := newClientWriter(w, p.clientIdle)
	defer cw.end()
	if a.status == http.StatusOK && r.Header.Get("Range") != "" {
		// Ranges need the whole representation: the one kept to be
		// stored, not a copy. A body streamed through has none; its
		// Range is ignored, as RFC 9110 section 14.2 allows.
		body, whole, err := wholeBody(a.body)
		if err != nil {
			http.Error(w, "the origin's answer broke off", http.StatusBadGateway)
			return
		}
		if whole {
			writeBody(cw, r, a.status, body)
			return
		}
	}
	w.WriteHeader(a.status)
	if r.Method != http.MethodHead && bodyAllowed(a.status) {
		// As it arrives: flushed after each read, so a client sees
		// what the origin has sent, not what a buffer holds.
		_, _ = io.Copy(flushing{cw}, a.body)
	}
}

// bodyAllowed reports whether a response of status may have a body.
func bodyAllowed(status int) bool {
	return status >= 200 && status != http.StatusNoContent && status != http.StatusNotModified
}

// writeBody sends status and body, or for a Range request on a 200, the
// ranges asked for (206, or 416): the cache holds the whole
// representation, so it answers ranges itself (RFC 9111 section 3.3).
func writeBody(cw *clientWriter, r *http.Request, status int, body []byte) {
	w := cw.w
	if status == http.StatusOK && r.Header.Get("Range") != "" {
		http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(body))
		return
	}
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		_, _ = cw.Write(body)
	}
}

// serveEntry answers from a stored entry, or 304 when the client's
// If-None-Match matches it.
func (p *Proxy) serveEntry(w http.ResponseWriter, r *http.Request, e *Entry, now time.Time, status string) {
	h := w.Header()
	copyHeaders(h, e.Header)
	noSniff(h)
	stripTags(h)
	h.Set("Age", strconv.Itoa(int(currentAge(e.Header, e.RequestTime, e.ResponseTime, now)/time.Second)))
	h.Set("Cache-Status", "verge; "+status)
	if inm := r.Header.Get("If-None-Match"); inm != "" && MatchesETag(inm, e.Header.Get("ETag")) {
		for k := range h {
			switch k {
			case "Etag", "Cache-Control", "Date", "Expires", "Vary", "Age", "Cache-Status", "Cdn-Cache-Control", "Content-Location":
			default:
				h.Del(k)
			}
		}
		w.WriteHeader(http.StatusNotModified)
		return
	}
	defer p.store.pin(e)() // a slow client keeps the body charged, evicted or not
	cw := newClientWriter(w, p.clientIdle)
	defer cw.end()
	writeBody(cw, r, e.Status, e.Body)
}

// forwardUnsafe passes a request of another method through, and on a
// non-error answer drops what is stored for its URI (RFC 9111 4.4).
func (p *Proxy) forwardUnsafe(w http.ResponseWriter, r *http.Request) {
	out := r.Clone(r.Context()) // r is already outbound: its fields and Host as forwarded
	out.URL = p.originURL(r.URL)
	out.RequestURI = ""
	delete(out.Header, "Host")
	resp, err := p.transport.RoundTrip(out)
	if err != nil {
		w.Header().Set("Cache-Status", "verge; fwd=method; detail=origin-unreachable")
		http.Error(w, "the origin did not answer", http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	if resp.StatusCode < 400 {
		p.store.PurgeKeys([]string{key(r.URL.RequestURI())}, nil, false)
	}
	h := w.Header()
	copyHeaders(h, resp.Header)
	stripTags(h)
	h.Set("Cache-Status", "verge; fwd=method")
	w.WriteHeader(resp.StatusCode)
	_, _ = io.Copy(w, resp.Body)
}
