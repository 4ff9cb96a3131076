package cache

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptrace"
	"net/textproto"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// maxBody is the largest response body the proxy buffers to share among
// coalesced requests and to store; a larger one is passed through.
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
	purgeToken string // the bearer token of the purge API; "" disables it

	mu      sync.Mutex
	flights map[string]*flight
	// pass remembers, for a short while, keys whose last answer may not
	// be stored: their requests go to the origin each on its own instead
	// of queueing behind one another (Varnish's hit-for-pass).
	pass map[string]time.Time
}

// passFor is how long a key stays in Proxy.pass; passMax bounds how many
// keys it holds.
const (
	passFor = 10 * time.Second
	passMax = 10000
)

// NewProxy returns a proxy to origin keeping responses in store.
func NewProxy(origin *url.URL, store *Store) *Proxy {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.ResponseHeaderTimeout = 30 * time.Second
	return &Proxy{origin: origin, transport: t, store: store, now: time.Now, flights: map[string]*flight{}, pass: map[string]time.Time{}}
}

// fetched is an origin response, read whole.
type fetched struct {
	status       int
	header       http.Header
	body         []byte
	requestTime  time.Time
	responseTime time.Time
	err          error
	// stream, for a body over maxBody, is the whole body (body holds its
	// start) for the one request that fetched it; it is never shared or
	// stored. Whoever gets it must close it.
	stream   io.ReadCloser
	storable bool // the response may be stored, and so shared
	stored   bool // the response went into the store
}

// release closes a streamed body nobody will read.
func (f *fetched) release() {
	if f.stream != nil {
		f.stream.Close()
	}
}

// flight is one origin fetch that concurrent requests for a key share.
type flight struct {
	done chan struct{}
	req  http.Header // the fields of the request that made the fetch
	res  *fetched
}

// ServeHTTP answers from the cache, or from the origin through it.
func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == PurgePath {
		p.servePurge(w, r)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		p.forwardUnsafe(w, r)
		return
	}
	key := p.key(r)
	now := p.now()
	reqCC := ParseCacheControl(r.Header)
	e, purge := p.store.Get(key, r.Header)
	if e == nil {
		if reqCC.OnlyIfCached {
			p.notCached(w)
			return
		}
		res := p.coalesced(r, key, nil, w)
		p.answerFetched(w, r, res, "fwd=uri-miss")
		return
	}
	life := FreshnessLifetime(e.Status, e.Header, e.ResponseTime)
	age := CurrentAge(e.Header, e.RequestTime, e.ResponseTime, now)
	cc := p.directives(e.Header)
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
	if failed(res) && mayServeStale && cc.StaleIfError.Valid() && staleFor <= time.Duration(cc.StaleIfError.Value)*time.Second {
		res.release()
		p.serveEntry(w, r, e, now, "hit; fwd=stale; detail=origin-error")
		return
	}
	p.answerFetched(w, r, res, "fwd=stale")
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

// directives are the ones that govern e at this cache.
func (p *Proxy) directives(h http.Header) Directives { return directivesOf(h) }

func failed(res *fetched) bool {
	return res.err != nil || res.status >= 500 && res.status <= 504
}

// key is the cache key: the method GET (HEAD is served from GET) and the
// URI's path and query. The proxy fronts one origin, so the host is left
// out: a purge names paths.
func (p *Proxy) key(r *http.Request) string {
	return "GET " + r.URL.RequestURI()
}

// coalesced fetches key from the origin once for every concurrent caller;
// with stale, the fetch is a revalidation of it. The result is stored
// when it may be.
func (p *Proxy) coalesced(r *http.Request, key string, stale *Entry, hints http.ResponseWriter) *fetched {
	p.mu.Lock()
	if until, ok := p.pass[key]; ok {
		if p.now().Before(until) {
			p.mu.Unlock()
			return p.fetch(r, key, stale, hints)
		}
		delete(p.pass, key)
	}
	if f := p.flights[key]; f != nil {
		p.mu.Unlock()
		<-f.done
		if f.res.stream != nil || !f.res.shared() || !sameVary(varyValues(f.res.header, f.req), varyValues(f.res.header, r.Header)) {
			// Too large to share, not to be shared (private, say), or
			// another variant than this request asks for: fetch it for
			// this request alone.
			return p.fetch(r, key, stale, hints)
		}
		return f.res
	}
	f := &flight{done: make(chan struct{}), req: r.Header}
	p.flights[key] = f
	p.mu.Unlock()
	defer func() {
		p.mu.Lock()
		delete(p.flights, key)
		if !f.res.shared() {
			p.rememberPass(key)
		}
		p.mu.Unlock()
		close(f.done)
	}()
	f.res = p.fetch(r, key, stale, hints)
	return f.res
}

// forwardInterim passes the origin's informational responses (103 Early
// Hints, 102) on to the client at w as they come; the final response is
// what the cache stores.
func forwardInterim(w http.ResponseWriter) *httptrace.ClientTrace {
	return &httptrace.ClientTrace{Got1xxResponse: func(code int, header textproto.MIMEHeader) error {
		if code == http.StatusContinue || code == http.StatusSwitchingProtocols {
			return nil
		}
		h := w.Header()
		for k, v := range header {
			h[k] = v
		}
		w.WriteHeader(code)
		for k := range header {
			delete(h, k) // not the final response's
		}
		return nil
	}}
}

// shared reports whether requests that waited for this fetch may have
// its answer: one the cache may store, or a failure, which they would
// only repeat.
func (f *fetched) shared() bool { return f.err != nil || f.storable }

// rememberPass puts key in p.pass; p.mu is held.
func (p *Proxy) rememberPass(key string) {
	now := p.now()
	if len(p.pass) >= passMax {
		for k, until := range p.pass {
			if !now.Before(until) {
				delete(p.pass, k)
			}
		}
		if len(p.pass) >= passMax {
			clear(p.pass) // all recent: forgetting costs a queue, not correctness
		}
	}
	p.pass[key] = now.Add(passFor)
}

// fetch asks the origin (conditionally, when it has a stale entry with
// validators) and stores what it may.
func (p *Proxy) fetch(r *http.Request, key string, stale *Entry, hints http.ResponseWriter) *fetched {
	res := &fetched{requestTime: p.now()}
	out, err := http.NewRequestWithContext(r.Context(), http.MethodGet, p.origin.ResolveReference(&url.URL{Path: r.URL.Path, RawQuery: r.URL.RawQuery}).String(), nil)
	if err != nil {
		res.err = err
		return res
	}
	copyHeaders(out.Header, r.Header)
	out.Header.Del("If-None-Match")
	out.Header.Del("If-Modified-Since")
	out.Header.Del("Range")
	if stale != nil {
		if et := stale.Header.Get("ETag"); et != "" {
			out.Header.Set("If-None-Match", et)
		}
		if lm := stale.Header.Get("Last-Modified"); lm != "" {
			out.Header.Set("If-Modified-Since", lm)
		}
	}
	out.Host = r.Host
	if hints != nil {
		out = out.WithContext(httptrace.WithClientTrace(out.Context(), forwardInterim(hints)))
	}
	resp, err := p.transport.RoundTrip(out)
	if err != nil {
		res.err = err
		return res
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	res.responseTime = p.now()
	if err != nil {
		resp.Body.Close()
		res.err = err
		return res
	}
	res.status, res.header, res.body = resp.StatusCode, http.Header{}, body
	copyHeaders(res.header, resp.Header)
	if len(body) > maxBody {
		// Too large to buffer: stream it to this request, store nothing.
		res.stream = struct {
			io.Reader
			io.Closer
		}{io.MultiReader(bytes.NewReader(body), resp.Body), resp.Body}
		return res
	}
	resp.Body.Close()
	if stale != nil && resp.StatusCode == http.StatusNotModified {
		// Freshen the stored entry with the 304's fields, Content-Length
		// aside (RFC 9111 section 4.3.4).
		h := stale.Header.Clone()
		for k, v := range res.header {
			if k != "Content-Length" {
				h[k] = v
			}
		}
		res.status, res.header, res.body = stale.Status, h, stale.Body
	}
	if ok, _ := Storable(http.MethodGet, r.Header, res.status, res.header, res.responseTime); ok {
		res.storable = true
		res.stored = p.store.Put(&Entry{Key: key, Status: res.status, Header: storedHeader(res.header), Body: res.body,
			RequestTime: res.requestTime, ResponseTime: res.responseTime, Tags: tagsOf(res.header)}, r.Header)
	}
	return res
}

// storedHeader is what the cache keeps of a response's fields: not those
// a qualified private or no-cache names (RFC 9111 sections 5.2.2.4 and
// 5.2.2.7), which a shared cache must not store or reuse unvalidated.
func storedHeader(h http.Header) http.Header {
	cc := ParseCacheControl(h)
	if len(cc.PrivateFields) == 0 && len(cc.NoCacheFields) == 0 {
		return h
	}
	out := h.Clone()
	for _, f := range append(cc.PrivateFields, cc.NoCacheFields...) {
		out.Del(f)
	}
	return out
}

// answerFetched sends a fetch's result, or a clean 502/504 for a failure.
func (p *Proxy) answerFetched(w http.ResponseWriter, r *http.Request, res *fetched, status string) {
	if res.err != nil {
		code := http.StatusBadGateway
		if errors.Is(res.err, context.DeadlineExceeded) || strings.Contains(res.err.Error(), "timeout") {
			code = http.StatusGatewayTimeout
		}
		w.Header().Set("Cache-Status", "verge; "+status+"; detail=origin-unreachable")
		http.Error(w, "the origin did not answer", code)
		return
	}
	if res.stream != nil {
		defer res.stream.Close()
		status += "; detail=too-large"
	}
	if res.stored {
		status += "; stored"
	}
	h := w.Header()
	copyHeaders(h, res.header)
	stripTags(h)
	h.Set("Cache-Status", "verge; "+status)
	if res.stream != nil {
		w.WriteHeader(res.status)
		if r.Method != http.MethodHead {
			_, _ = io.Copy(w, res.stream)
		}
		return
	}
	writeBody(w, r, res.status, res.body)
}

// writeBody sends status and body, or for a Range request on a 200, the
// ranges asked for (206, or 416): the cache holds the whole
// representation, so it answers ranges itself (RFC 9111 section 3.3).
func writeBody(w http.ResponseWriter, r *http.Request, status int, body []byte) {
	if status == http.StatusOK && r.Header.Get("Range") != "" {
		http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(body))
		return
	}
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		_, _ = w.Write(body)
	}
}

// serveEntry answers from a stored entry, or 304 when the client's
// If-None-Match matches it.
func (p *Proxy) serveEntry(w http.ResponseWriter, r *http.Request, e *Entry, now time.Time, status string) {
	h := w.Header()
	copyHeaders(h, e.Header)
	stripTags(h)
	h.Set("Age", strconv.Itoa(int(CurrentAge(e.Header, e.RequestTime, e.ResponseTime, now)/time.Second)))
	h.Set("Cache-Status", "verge; "+status)
	if inm := r.Header.Get("If-None-Match"); inm != "" && etagMatch(inm, e.Header.Get("ETag")) {
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
	writeBody(w, r, e.Status, e.Body)
}

// forwardUnsafe passes a request of another method through, and on a
// non-error answer drops what is stored for its URI (RFC 9111 4.4).
func (p *Proxy) forwardUnsafe(w http.ResponseWriter, r *http.Request) {
	out := r.Clone(r.Context())
	out.URL = p.origin.ResolveReference(&url.URL{Path: r.URL.Path, RawQuery: r.URL.RawQuery})
	out.RequestURI = ""
	removeHopByHop(out.Header)
	resp, err := p.transport.RoundTrip(out)
	if err != nil {
		w.Header().Set("Cache-Status", "verge; fwd=method; detail=origin-unreachable")
		http.Error(w, "the origin did not answer", http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	if resp.StatusCode < 400 {
		p.store.PurgeKeys([]string{p.key(r)}, nil, false)
	}
	h := w.Header()
	copyHeaders(h, resp.Header)
	stripTags(h)
	h.Set("Cache-Status", "verge; fwd=method")
	w.WriteHeader(resp.StatusCode)
	_, _ = io.Copy(w, resp.Body)
}

// copyHeaders adds src's fields to dst, hop-by-hop ones left out.
func copyHeaders(dst, src http.Header) {
	conn := splitList(strings.Join(src.Values("Connection"), ","))
	for k, vs := range src {
		if isHopByHop(k, conn) {
			continue
		}
		dst[k] = append(dst[k], vs...)
	}
}

func removeHopByHop(h http.Header) {
	conn := splitList(strings.Join(h.Values("Connection"), ","))
	for k := range h {
		if isHopByHop(k, conn) {
			h.Del(k)
		}
	}
}

// tagsOf reads a response's tags: Cache-Tag (comma-separated) and
// Surrogate-Key (space-separated), lower-cased.
func tagsOf(h http.Header) []string {
	var tags []string
	for _, v := range h.Values("Cache-Tag") {
		for _, t := range strings.Split(v, ",") {
			if t = strings.ToLower(strings.TrimSpace(t)); t != "" {
				tags = append(tags, t)
			}
		}
	}
	for _, v := range h.Values("Surrogate-Key") {
		for _, t := range strings.Fields(v) {
			tags = append(tags, strings.ToLower(t))
		}
	}
	return tags
}

// stripTags removes the tag fields, which are for this cache only.
func stripTags(h http.Header) {
	h.Del("Cache-Tag")
	h.Del("Surrogate-Key")
}

// etagMatch is If-None-Match's weak comparison (RFC 9110 13.1.2).
func etagMatch(header, etag string) bool {
	if etag == "" {
		return false
	}
	weak := func(s string) string { return strings.TrimPrefix(strings.TrimSpace(s), "W/") }
	for _, c := range splitList(header) {
		if c == "*" || weak(c) == weak(etag) {
			return true
		}
	}
	return false
}
