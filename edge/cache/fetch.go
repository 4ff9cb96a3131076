package cache

// This file holds the way to the origin: coalescing, fetching and
// revalidating, and what is shared with waiting requests.

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptrace"
	"net/textproto"
	"net/url"
	"time"
)

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

// coalesced fetches key from the origin once for every concurrent caller;
// with stale, the fetch is a revalidation of it. The result is stored
// when it may be. collapsed reports that the answer is another request's
// fetch (RFC 9211's collapsed).
func (p *Proxy) coalesced(r *http.Request, key string, stale *Entry, hints http.ResponseWriter) (res *fetched, collapsed bool) {
	p.mu.Lock()
	if until, ok := p.pass[key]; ok {
		if p.now().Before(until) {
			p.mu.Unlock()
			return p.fetch(r, key, stale, hints), false
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
			return p.fetch(r, key, stale, hints), false
		}
		return f.res, true
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
	return f.res, false
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
